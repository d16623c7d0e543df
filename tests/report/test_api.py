"""The one report pipeline: Fit.report() and ``hedgecast report`` give the same sections; sections are data."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hedgecast.report import api
from hedgecast.report.contracts import Figure, ReportData, Section, Table
from hedgecast.validate import sbc
from hedgecast.validate.sbc import SBCResult, SBCSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project_fit(tmp_path_factory, mock_fit):
    """The mocked fit, in a copy of the project whose reports/ holds a saved SBC result."""
    import dataclasses

    from hedgecast.workbench import Workbench

    root = tmp_path_factory.mktemp("proj")
    for sub in ("models", "data"):
        shutil.copytree(ROOT / sub, root / sub)
    shutil.copyfile(ROOT / "pyproject.toml", root / "pyproject.toml")
    wb = Workbench.load(root)
    rng = np.random.default_rng(1)
    result = SBCResult(
        SBCSettings(sims=20),
        "baseline",
        ["mu.economic", "nu"],
        rng.integers(0, 100, (20, 2)),
        [{"index": i, "seed": i, "divergences": 0, "max_rhat": 1.0} for i in range(20)],
        seconds=5,
        workers=1,
    )
    sbc.save_sbc(result, wb.paths.reports / "sbc.json")
    (wb.paths.reports / "backtest.json").write_text("{not json", encoding="utf-8")  # unreadable: reported, not fatal
    return dataclasses.replace(mock_fit, workbench=wb, _forecasts={})


def _section_ids(path: Path) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', path.read_text(encoding="utf-8"))


def test_fit_report_and_the_cli_give_the_same_sections(project_fit, tmp_path):
    from hedgecast.cli import main as cli

    mine = project_fit.report(tmp_path / "fit.html")
    fc = project_fit.forecast()
    theirs = cli.write_report(
        project_fit, fc, run_manifest={"id": "run-1", "created": "2026-01-01T00:00:00+00:00"}, out_path=tmp_path / "cli.html"
    )
    ids = _section_ids(mine)
    assert ids == _section_ids(theirs)
    assert ids == ["headline", "base-rates", "questions", "watch", "classes", "channels", "indicators", "differences", "learning", "crisis-model", "ppc", "diagnostics"] + [
        "sbc",
        "unreadable-backtest",
        "scenarios",
        "priors",
        "data",
    ]
    assert "run-1" in theirs.read_text(encoding="utf-8")
    without = project_fit.report(tmp_path / "bare.html", include_saved=False)
    assert "sbc" not in _section_ids(without)


def test_sections_are_data(mock_fit):
    data = api.build_report(mock_fit, include_saved=False)
    assert isinstance(data, ReportData)
    for section in data.sections:
        assert isinstance(section, Section) and section.title and section.blocks
        for table in section.tables:
            assert isinstance(table, Table) and isinstance(table.frame, pd.DataFrame) and not table.frame.empty
        for fig in section.figures:
            assert isinstance(fig, Figure) and fig.alt
        assert not any(re.search(r"</?(p|b|td|img|ul|li)\b", t) for t in section.paragraphs), section.id
    ppc = data.section("ppc")
    k_table = ppc.tables[-1]
    crisis_terms = ["incidents per year", "escalations per year"]
    assert "k̂ > 0.7" in k_table.frame.columns and set(crisis_terms) <= set(k_table.frame.index)
    assert list(k_table.frame.loc[crisis_terms, "Cells"]) == [len(mock_fit.inputs.years)] * 2
    assert int(k_table.frame.drop(crisis_terms)["Cells"].sum()) == int(mock_fit.inputs.standardized.notna().sum().sum())
    # prior draws as a posterior: leave-one-out is unreliable, and the report says so
    assert any("Pareto k̂ > 0.7" in t for t in ppc.paragraphs)
    for f in (f for s in data.sections for f in s.figures):  # free the figures this test did not render
        import matplotlib.pyplot as plt

        plt.close(f.figure)


def test_lens_summary_and_prior_reason_are_escaped(mock_fit, tmp_path):
    import dataclasses

    evil = "<script>alert('x')</script>"
    lens = mock_fit.lens.derive("evil", summary=f"summary {evil}")
    name = next(iter(lens.priors))
    lens = lens.with_prior(name, lens.priors[name].prior, reason=f"because {evil}")
    fit = dataclasses.replace(mock_fit, lens=lens, _forecasts={})
    path = api.write_report(fit, tmp_path / "r.html", include_saved=False, compare=[mock_fit])
    text = path.read_text(encoding="utf-8")
    assert "<script" not in text
    assert "summary &lt;script&gt;" in text and "because &lt;script&gt;" in text
    assert json.dumps("lenses") and '<section id="lenses"' in text


def test_the_header_says_which_lenses_were_fitted_and_which_reused(mock_fit):
    from hedgecast.report.sections.header import header

    info = {"id": "r1", "fits": {"baseline": "fitted", "kusa_2022": "reused run 20261127-x"}}
    h = header(mock_fit, mock_fit.forecast(["status_quo"]), info, {})
    assert ("Fits", "baseline: fitted; kusa_2022: reused run 20261127-x") in h.key
    assert not any(k == "Fits" for k, _ in header(mock_fit, mock_fit.forecast(["status_quo"]), {"id": "r1"}, {}).key)
