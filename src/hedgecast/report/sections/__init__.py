"""Report sections computed as data: each module turns a fit, a forecast or a saved result into :class:`~hedgecast.report.contracts.Section` records."""
