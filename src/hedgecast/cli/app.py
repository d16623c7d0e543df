"""The ``hedgecast`` Typer application and the state its command modules share.

Command modules register on :data:`app` (:mod:`hedgecast.cli.main` the main commands,
:mod:`hedgecast.cli.validate` the ``validate`` group); the entry point,
:func:`hedgecast.cli.main.run`, imports both.
"""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(
    help="hedgecast: Bayesian scenario forecasting of Türkiye–Russia relations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
runs_app = typer.Typer(help="Saved runs: list and show.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")

#: messages and progress (stderr) and results (stdout)
console = Console(stderr=True)
out = Console()
#: the global options (``--debug``, ``--root``), set by the app's callback
STATE: dict = {"debug": False, "root": None}

__all__ = ["STATE", "app", "console", "out", "runs_app"]
