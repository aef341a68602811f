"""Methods that estimate what would have happened without the programme."""
