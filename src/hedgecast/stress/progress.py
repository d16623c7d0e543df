"""Progress callbacks of the stress-test steps: ``progress(description, completed, total)``."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress", "no_progress"]

Progress = Callable[[str, float, float], None]


def no_progress(desc: str, done: float, total: float) -> None:
    """The default callback: report nothing."""
    return None
