"""What the command-line tests share: a fresh project copy and the real entry point run in-process."""

from __future__ import annotations

import dataclasses
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


@pytest.fixture
def mock_fits(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """Fits without NUTS (prior draws, standing for a passing fit, keyed as the command asked).

    Returns a record: ``fitted`` lists each fit's lens, as ``lens/inclusion`` when fitted to
    another incident rule than the spec's.
    """
    from hedgecast.model.fit import Diagnostics
    from hedgecast.workbench import Workbench

    original, record = Workbench.fit, {"fitted": []}
    passing = Diagnostics(1.001, 1000.0, 1000.0, 0, 40)

    def fit(self, lens="baseline", settings=None, **kwargs):
        name = getattr(lens, "name", lens)
        inclusion = kwargs.get("inclusion")
        record["fitted"].append(name if inclusion in (None, self.spec.crisis_inclusion) else f"{name}/{inclusion}")
        result = original(self, lens, dataclasses.replace(settings, sampler="mock"), **kwargs)
        result.settings, result.diagnostics = settings, passing
        return result

    monkeypatch.setattr(Workbench, "fit", fit)
    return record


@pytest.fixture
def mock_fits_and_reports(mock_fits: dict[str, list], monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """:func:`mock_fits`, and a stub report (an empty page) that records its manifest (``manifests``)
    and the incident rules of its extra fits (``inclusion_fits``)."""
    mock_fits.update(manifests=[], inclusion_fits=[])

    def write_report(fit, path=None, **kwargs):
        mock_fits["manifests"].append(kwargs["run_info"])
        mock_fits["inclusion_fits"].append([f.inputs.inclusion for f in kwargs.get("inclusion_fits", ())])
        path = Path(path) if path is not None else fit.workbench.paths.reports / "turkiye-russia.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("<html></html>", encoding="utf-8")
        return path

    monkeypatch.setattr("hedgecast.report.api.write_report", write_report)
    return mock_fits
