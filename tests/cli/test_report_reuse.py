"""`hedgecast report` fits only what changed: unchanged lenses are reused from saved runs, an edited one is refitted."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from cli_helpers import run_cli

from hedgecast.model.fit import Diagnostics

ROOT = Path(__file__).resolve().parents[2]
PASSING = Diagnostics(1.001, 1000.0, 1000.0, 0, 40)
ARGS = ("report", "--lens", "baseline", "--lens", "kusa_2022", "--draws", "20", "--chains", "2", "--tune", "0")


@pytest.fixture
def fits_and_reports(monkeypatch: pytest.MonkeyPatch):
    """Fits without NUTS (prior draws, standing for a passing fit), and a stub report that records what it was given."""
    from hedgecast.workbench import Workbench

    original, record = Workbench.fit, {"fitted": [], "manifests": []}

    def fit(self, lens="baseline", settings=None, **kwargs):
        name = getattr(lens, "name", lens)
        inclusion = kwargs.get("inclusion")
        record["fitted"].append(name if inclusion in (None, self.spec.crisis_inclusion) else f"{name}/{inclusion}")
        result = original(self, lens, dataclasses.replace(settings, sampler="mock"), **kwargs)
        result.settings, result.diagnostics = settings, PASSING  # keyed as the command asked
        return result

    def write_report(fit, path=None, **kwargs):
        record["manifests"].append(kwargs["run_info"])
        record.setdefault("inclusion_fits", []).append([f.inputs.inclusion for f in kwargs.get("inclusion_fits", ())])
        path = Path(path) if path is not None else fit.workbench.paths.reports / "turkiye-russia.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("<html></html>", encoding="utf-8")
        return path

    monkeypatch.setattr(Workbench, "fit", fit)
    monkeypatch.setattr("hedgecast.report.api.write_report", write_report)
    return record


def invoke(monkeypatch, capsys, *args) -> tuple[int, str]:
    code, out, err = run_cli(monkeypatch, capsys, args)
    return code, out + err


def test_unchanged_inputs_reuse_every_fit_and_an_edited_lens_refits_only_itself(project, fits_and_reports, monkeypatch, capsys):
    code, out = invoke(monkeypatch, capsys, "--root", str(project), *ARGS)
    assert code == 0, out
    # the baseline lens is also fitted to the strict and the loose incidents, for the crisis model section
    assert fits_and_reports["fitted"] == ["baseline", "kusa_2022", "baseline/strict", "baseline/loose"]
    assert fits_and_reports["manifests"][-1]["fits"] == {
        "baseline": "fitted",
        "kusa_2022": "fitted",
        "baseline (strict incidents)": "fitted",
        "baseline (loose incidents)": "fitted",
    }
    assert fits_and_reports["inclusion_fits"][-1] == ["strict", "loose"]
    runs = sorted(p.name for p in (project / "runs").iterdir())
    assert len(runs) == 4  # every fit saved, so every fit can be reused

    code, out = invoke(monkeypatch, capsys, "--root", str(project), *ARGS)
    assert code == 0, out
    assert fits_and_reports["fitted"] == ["baseline", "kusa_2022", "baseline/strict", "baseline/loose"]  # nothing refitted
    fits = fits_and_reports["manifests"][-1]["fits"]
    assert len(fits) == 4 and all(v.startswith("reused run ") for v in fits.values())
    assert "Reused" in out and len(list((project / "runs").iterdir())) == 4

    lens = project / "models" / "lenses" / "kusa_2022.toml"
    text = lens.read_text(encoding="utf-8")
    edited, n = re.subn(
        r"(\[priors\.cushion\][^\[]*?\n(?:alpha|mu|sigma|beta) = )([0-9.]+)",
        lambda m: m.group(1) + str(float(m.group(2)) * 1.5),
        text,
        count=1,
    )
    assert n == 1, "the kusa lens has a cushion prior to edit"
    lens.write_text(edited, encoding="utf-8")
    code, out = invoke(monkeypatch, capsys, "--root", str(project), *ARGS)
    assert code == 0, out
    assert fits_and_reports["fitted"][4:] == ["kusa_2022"]
    fits = fits_and_reports["manifests"][-1]["fits"]
    assert fits["baseline"].startswith("reused run ") and fits["kusa_2022"] == "fitted"
    assert fits["baseline (loose incidents)"].startswith("reused run ")

    code, out = invoke(monkeypatch, capsys, "--root", str(project), *ARGS, "--refit")
    assert code == 0, out
    assert fits_and_reports["fitted"][-4:] == ["baseline", "kusa_2022", "baseline/strict", "baseline/loose"]
