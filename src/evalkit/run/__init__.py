"""Running an evaluation: the evaluation file, the one render path, batch runs and the command line."""
