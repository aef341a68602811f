"""How the municipality did against what it would have done: synthetic control, DiD, study design."""
