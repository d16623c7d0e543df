"""Validation of the model itself: simulation-based calibration and backtests, run on dask."""
