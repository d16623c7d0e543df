"""Running the real command-line entry point in-process (shared by the command-line tests)."""

from __future__ import annotations

import sys

import pytest

from hedgecast.cli import main as cli


def run_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, args: tuple[str, ...], columns: int | None = None
) -> tuple[int, str, str]:
    """Run ``hedgecast ARGS`` through the real entry point (``hedgecast.cli.run``); return (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["hedgecast", *args])
    if columns is not None:
        monkeypatch.setenv("COLUMNS", str(columns))
    with pytest.raises(SystemExit) as info:
        cli.run()
        raise SystemExit(0)
    captured = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else (0 if code is None else 1)), captured.out, captured.err
