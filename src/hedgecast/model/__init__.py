"""The PyMC model, fitting it, and keeping its compiled form."""
