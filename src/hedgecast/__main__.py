"""``python -m hedgecast``: the same command line as ``hedgecast``."""

from hedgecast.cli.main import run

if __name__ == "__main__":
    run()
