"""Names of the dimensions every result shares (one definition; xarray objects use these)."""

#: the dims that index posterior (or prior) draws
SAMPLE_DIMS = ("chain", "draw")
