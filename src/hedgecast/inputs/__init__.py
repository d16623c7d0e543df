"""What the model is given: the spec file, the data files, the history built from them, provenance checks."""
