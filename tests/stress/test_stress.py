"""The stress test end to end: JSON record, report section, CLI entry, the seminar notebook."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import nbformat
import pytest

from hedgecast.stress import assumptions
from hedgecast.stress.believe import Target
from hedgecast.report.contracts import Section
from hedgecast.report.render import render_page
from hedgecast.report.sections.stress import stress_section
from hedgecast.stress.draws import metric_name
from hedgecast.stress.psis import K_THRESHOLD
from hedgecast.stress.run import cli_stress
from hedgecast.stress.suite import StressSettings

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "05-seminar-stress-test.ipynb"
SCEN = ("status_quo", "protracted_war", "post_erdogan_2028")
RUPTURE = metric_name("rupture", 2030)  # the model spec's first headline year
TRANSACTIONAL = metric_name("transactional_equilibrium", 2030)


@pytest.fixture(scope="module")
def stress(workbench, mock_fit, tmp_path_factory):
    assert mock_fit.spec.headline_year == 2030
    fc = mock_fit.forecast(list(SCEN))
    chosen = {
        "escalation_intercept",
        "incident_friction",
        "escalation_ties",
        "crisis_effect.political",
        "beta.political.leader_ties",
        "scenario_probability.post_erdogan_2028",
        "war_transition.attrition",
    }
    A = [a for a in assumptions.default_assumptions(mock_fit.lens) if a.prior in chosen]
    settings = StressSettings(
        scenarios=SCEN,
        targets=(Target(RUPTURE, "protracted_war", ">=", 0.30), Target(RUPTURE, "protracted_war", "<=", 0.20)),
        sobol_top=4,
        sobol_n=32,
        lenses=("baseline", "kusa_2022"),
        refits_tornado=1,
        refits_believe=1,
        refits_pool=1,
    )
    calls = []
    path = tmp_path_factory.mktemp("stress") / "stress.json"
    from hedgecast.stress import suite

    original = suite.default_assumptions
    suite.default_assumptions = lambda lens, groups=None: A  # keep the test fast: a few assumptions
    try:
        result = cli_stress(workbench, mock_fit, fc, lambda d, c, t: calls.append((d, c, t)), settings=settings, json_path=path)
    finally:
        suite.default_assumptions = original
    return result, stress_section(result), path, calls


def test_cli_stress_writes_a_json_record_without_nans(stress):
    result, _, path, _ = stress
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)  # to_json uses allow_nan=False: no NaN/Infinity can be in it
    assert "NaN" not in text and "Infinity" not in text
    for key in (
        "latency",
        "most_influential",
        "power_scaling",
        "tornado",
        "sobol",
        "what_would_you_have_to_believe",
        "pool",
        "refits",
        "k_threshold",
    ):
        assert key in data
    assert data["k_threshold"] == K_THRESHOLD
    top = data["most_influential"]["protracted_war"][RUPTURE]
    assert len(top) == 3 and top[0]["assumption"] == result.top("protracted_war").iloc[0]["assumption"]
    assert data["latency"]["reweighted_edit_s"] < data["latency"]["refit_edit_s"]
    assert {t["target"]["text"] for t in data["what_would_you_have_to_believe"]} == {
        "P(rupture by 2030) ≥ 0.30 under protracted_war",
        "P(rupture by 2030) ≤ 0.20 under protracted_war",
    }
    assert data["pool"]["table"] and {"linear pool", "log pool"} <= set(data["pool"]["table"][0])


def test_unreliable_reweighted_numbers_never_reach_the_record(stress):
    _, _, path, _ = stress
    data = json.loads(path.read_text(encoding="utf-8"))
    for by_metric in data["tornado"].values():
        for rows in by_metric.values():
            for r in rows:
                for end in ("low", "high"):
                    k, method = r.get(f"k_{end}"), r.get(f"method_{end}")
                    if k is not None and k > K_THRESHOLD and method != "refit":
                        assert r[f"p_{end}"] is None and r[f"reliable_{end}"] is False
    for b in data["what_would_you_have_to_believe"]:
        for r in b["table"]:
            if r["verdict"] == "reached" and r["method"] == "reweight":
                assert r["pareto_k"] is None or r["pareto_k"] <= K_THRESHOLD


def test_progress_reaches_the_end(stress):
    *_, calls = stress
    done = [c for _, c, _ in calls]
    assert calls and done[-1] == calls[-1][2]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(done))  # never goes backwards


def test_section_shows_tornado_sobol_believe_pool_and_psens(stress):
    result, section, path, _ = stress
    assert isinstance(section, Section) and section.title == "Stress test"
    assert len(section.figures) >= 2 + 2 + 1  # tornado × focus × metrics, Sobol × focus, psens
    html = render_page(section)
    assert html.count("<img") == len(section.figures)
    for text in (
        "Tornado charts",
        "Sobol indices",
        "What would you have to believe?",
        "Pooled forecast across lenses",
        "Prior sensitivity (power-scaling)",
        "k̂",
    ):
        assert text in html
    assert "P(rupture by 2030) ≤ 0.20 under protracted_war" in html
    assert "linear pool" in html and "log pool" in html
    # the saved record gives the same section as the live result
    saved = stress_section(path)
    assert saved.paragraphs == section.paragraphs
    assert [t.frame.to_dict() for t in saved.tables] == [t.frame.to_dict() for t in section.tables]


def test_the_section_goes_into_the_report(stress, mock_fit, tmp_path):
    from hedgecast.report.api import write_report

    _, section, _, _ = stress
    path = write_report(mock_fit, tmp_path / "r.html", forecast=mock_fit.forecast(list(SCEN)), sections=[section], include_saved=False)
    text = Path(path).read_text(encoding="utf-8")
    assert "Stress test" in text and "What would you have to believe?" in text


def test_settings_reject_a_focus_scenario_that_is_not_forecast(workbench, mock_fit):
    from hedgecast.stress.suite import run_stress

    with pytest.raises(ValueError, match="new_low"):
        run_stress(mock_fit, mock_fit.forecast(list(SCEN)), StressSettings(scenarios=SCEN, focus=("new_low",)))


def test_metric_names_are_the_forecast_headline_names(mock_fit):
    head = mock_fit.forecast(list(SCEN)).headline(2030)["status_quo"]
    assert RUPTURE in head and TRANSACTIONAL in head


# ---- the seminar notebook ---------------------------------------------------------------
# Notebook 05 is the facilitator's companion of `hedgecast seminar` (it runs in tests/test_notebooks.py).


def test_seminar_notebook_reads_saved_seminars_and_has_no_widget_form():
    import papermill

    declared = papermill.inspect_notebook(str(NOTEBOOK))
    assert {"results_path", "draws", "tune", "chains", "seed", "sampler", "lens_dir"} <= set(declared)
    src = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code")
    assert "SeminarResults" in src  # opens a saved seminar (or the labelled synthetic example)
    assert "ipywidgets" not in src  # the old one-screen form, whose errors only reached the log console, is gone
