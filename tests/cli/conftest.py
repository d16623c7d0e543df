"""What the command-line tests share: a fresh project copy and the real entry point run in-process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy: models, data and pyproject only (no runs, no ledger), as after a clone; no root or seeds from the environment."""
    monkeypatch.delenv("HEDGECAST_SEEDS", raising=False)
    monkeypatch.delenv("HEDGECAST_ROOT", raising=False)
    root = tmp_path / "proj"
    for sub in ("models", "data"):
        shutil.copytree(ROOT / sub, root / sub)
    shutil.copyfile(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root
