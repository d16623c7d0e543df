"""Spec copies with test scenarios, and the problems loading them reports (shared by the scenario tests)."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest
import tomli_w

from hedgecast.errors import SpecError
from hedgecast.inputs.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "models" / "turkiye_russia.toml"
BASE = tomllib.loads(SPEC.read_text(encoding="utf-8"))
FIXTURE = {"reason": "Test fixture (synthetic)."}


def with_scenarios(tmp_path: Path, scenarios: dict) -> Path:
    """A copy of the real spec whose scenarios are ``scenarios`` (plus a status quo)."""
    data = copy.deepcopy(BASE)
    data["scenarios"] = {"status_quo": dict(FIXTURE), **{k: {**FIXTURE, **v} for k, v in scenarios.items()}}
    path = tmp_path / "models" / "turkiye_russia.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def problems(tmp_path: Path, scenarios: dict) -> list:
    """The problems loading a spec with ``scenarios`` reports (it must fail, and every problem names that file)."""
    path = with_scenarios(tmp_path, scenarios)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert all(p.file == str(path) for p in info.value.problems)
    return info.value.problems


def at(found: list, field: str):
    """The one problem at ``field``."""
    hits = [p for p in found if p.field == field]
    assert len(hits) == 1, f"expected one problem at {field}; got {[str(p) for p in found]}"
    return hits[0]
