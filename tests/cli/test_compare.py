"""``hedgecast compare RUN_A RUN_B``: the changes, and why each headline probability moved (mock-sampler runs)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from cli_helpers import run_cli
from pymc_extras.prior import Prior

from hedgecast.config import Paths
from hedgecast.runs import save_run


def invoke(monkeypatch, capsys, *args) -> tuple[int, str]:
    code, out, err = run_cli(monkeypatch, capsys, args, columns=220)
    return code, out + err


def test_compare_explains_a_two_edit_change_largest_first_with_chart_and_json(mock_fit, project_copy, monkeypatch, capsys):
    paths = Paths(project_copy)
    fc_a = mock_fit.forecast(["status_quo"])
    a = save_run(mock_fit, fc_a, paths, headline=fc_a.headline())
    lens_b = mock_fit.lens.derive("two_edits")
    lens_b = lens_b.with_prior("escalation_intercept", Prior("Normal", mu=-1.0, sigma=1.0), reason="synthetic test edit")
    lens_b = lens_b.with_prior("escalation_ties", Prior("Normal", mu=-0.8, sigma=0.75), reason="synthetic test edit")
    fit_b = dataclasses.replace(mock_fit, lens=lens_b, _forecasts={})  # run B: the same draws saved with the edited lens (no fit)
    fc_b = fit_b.forecast(["status_quo"])
    b = save_run(fit_b, fc_b, paths, headline=fc_b.headline())
    chart, data = project_copy / "why.png", project_copy / "why.json"
    code, out = invoke(monkeypatch, capsys, "--root", str(project_copy), "compare", a.id, b.id, "--chart", str(chart), "--json", str(data))
    assert code == 0, out
    assert "Priors that differ" in out and "Why the numbers moved: status_quo" in out
    summary = next(line for line in out.splitlines() if line.startswith("P(rupture event by 2030) (status_quo):"))
    assert summary.index("escalation_intercept +") < summary.index("escalation_ties ")  # the larger edit first
    assert "MC remainder" in out and "Cost: 4 coalitions" in out and "PSIS reweightings" in out
    assert chart.stat().st_size > 10_000
    saved = json.loads(data.read_text())
    first = [r for r in saved["table"] if r["quantity"] == "P(rupture event by 2030)"]
    causes = [r for r in first if r["kind"] in ("prior", "noise")]
    assert causes[0]["cause"] == "escalation_intercept"
    assert sum(r["change"] for r in causes) == pytest.approx(first[-1]["change"])  # sums to B − A


def test_a_wrong_scenario_or_chart_path_fails_with_exit_2_before_any_run_is_loaded(project_copy, monkeypatch, capsys):
    code, out = invoke(
        monkeypatch, capsys, "--root", str(project_copy), "compare", "nope-a", "nope-b", "-s", "status_qo", "--chart", "x.pdf"
    )
    assert code == 2, out
    assert "unknown scenario 'status_qo'" in out and "did you mean 'status_quo'" in out and "--chart x.pdf must end in .png" in out
    assert "no run" not in out  # options are checked first
