"""Demo data: the invented history of a Dutch software supplier."""
