"""Estimation methods, organised by the role they play in an evaluation."""
