"""SSB's reference tables: population panel (07459), municipality hierarchy, code changes, BA regions."""
