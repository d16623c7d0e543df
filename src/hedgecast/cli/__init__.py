"""The ``hedgecast`` command line."""
