"""The scenario report."""
