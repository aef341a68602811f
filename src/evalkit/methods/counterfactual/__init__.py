"""Counterfactual methods: estimators and inference for what would have happened without the programme."""
