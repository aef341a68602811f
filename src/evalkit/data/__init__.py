"""Reference data shipped with evalkit (read through ``importlib.resources``)."""
