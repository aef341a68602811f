"""How much the programme can claim: attribution, additionality, cost per job and their uncertainty."""
