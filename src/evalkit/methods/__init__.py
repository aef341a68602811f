"""Evaluation methods, organised by role."""
