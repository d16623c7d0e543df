"""``python -m hedgecast``: the same command line as ``hedgecast``."""

from .cli import run

if __name__ == "__main__":
    run()
