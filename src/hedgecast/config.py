"""Where the project's files live. No side effects at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _find_root(start: Path) -> Path:
    for candidate in [start, *start.parents]:
        if (candidate / "pyproject.toml").exists() and (candidate / "models").is_dir():
            return candidate
    return start


@dataclass(frozen=True)
class Paths:
    """The project's folders, all derived from one root.

    The root is ``$HEDGECAST_ROOT`` if set, else the nearest parent of the
    current directory that holds ``pyproject.toml`` and ``models/``, else the
    source checkout this package was installed from.
    """

    root: Path

    @classmethod
    def discover(cls, root: str | Path | None = None) -> Paths:
        """Find the project root (see class docstring)."""
        if root is not None:
            return cls(Path(root).resolve())
        env = os.environ.get("HEDGECAST_ROOT")
        if env:
            return cls(Path(env).resolve())
        here = _find_root(Path.cwd().resolve())
        if (here / "models").is_dir():
            return cls(here)
        return cls(_find_root(Path(__file__).resolve().parent))

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def lenses(self) -> Path:
        return self.models / "lenses"

    @property
    def spec(self) -> Path:
        return self.models / "turkiye_russia.toml"

    @property
    def questions(self) -> Path:
        """Forecast questions and signpost settings (:mod:`hedgecast.inputs.questions_file`)."""
        return self.models / "questions.toml"

    @property
    def ledger(self) -> Path:
        """Issued forecasts, one file each, and the analyst's resolutions (:mod:`hedgecast.forecasting.ledger`)."""
        return self.root / "ledger"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def raw(self) -> Path:
        return self.data / "raw"

    @property
    def curated(self) -> Path:
        return self.data / "curated"

    @property
    def processed(self) -> Path:
        return self.data / "processed"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def cache(self) -> Path:
        return self.root / ".cache"

    @property
    def seeds(self) -> Path:
        """The source papers, kept beside the project (``../shared/seeds``)."""
        env = os.environ.get("HEDGECAST_SEEDS")
        if env:
            return Path(env)
        return self.root.parent / "shared" / "seeds"


FIRST_YEAR = 2000
LAST_HISTORY_YEAR = 2025
HISTORY_YEARS = tuple(range(FIRST_YEAR, LAST_HISTORY_YEAR + 1))
LAST_DATA_YEAR = LAST_HISTORY_YEAR + 10
"""The last year a data file may hold: years after the spec's history (up to the end of its forecast) are
new observations that extend the fitted history (:mod:`hedgecast.inputs.updates`)."""
