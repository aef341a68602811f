"""The input edge: reading and validating a programme's records and SSB's tables (files, encodings, sheets, rows)."""
