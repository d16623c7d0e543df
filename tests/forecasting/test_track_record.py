"""Resolving and scoring ledgered forecasts on a synthetic future (a temp copy with made-up 2026–27 rows)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from hedgecast.forecasting.ledger import ledger_entry, ledger_forecasts, load_ledger, load_resolutions, write_entry
from hedgecast.forecasting.question_sheet import project_questions, question_sheet
from hedgecast.forecasting.track_record import calibration, resolve, score_forecasts, summarize, surprises
from hedgecast.inputs import data, flags
from hedgecast.workbench import Workbench

AS_OF = dt.date(2028, 2, 1)


@pytest.fixture(scope="module")
def sheets(workbench, mock_fit):
    fc = mock_fit.forecast()
    first = question_sheet(workbench, {"baseline": (fc, "run-1")}, issued_at="2026-11-27T23:00:00+00:00")
    later = first.assign(probability=np.clip(first["probability"] + 0.2, 0, 1), issued_at="2027-06-01T00:00:00+00:00")
    return first, later


def _issue(root, sheet, issued, run):
    entry = ledger_entry(sheet, run_id=run, issued_at=issued, hashes={"spec": "s", "lenses": {}, "data": {}}, history=(2000, 2025))
    return write_entry(root / "ledger", entry)


@pytest.fixture
def future(project_copy, synthetic_future, sheets, monkeypatch):
    """Two forecasts issued on the real record, then a synthetic 2026–27 (a rupture in 2027, one meeting in 2027)."""
    _issue(project_copy, sheets[0], "2026-11-27T23:00:00+00:00", "run-1")
    _issue(project_copy, sheets[1], "2027-06-01T00:00:00+00:00", "run-2")
    monkeypatch.setattr(flags, "today", lambda: dt.date(2028, 3, 1))
    synthetic_future(project_copy)
    return Workbench.load(project_copy)


def _score(wb):
    forecasts = ledger_forecasts(load_ledger(wb.paths.ledger))
    resolutions = load_resolutions(wb.paths.ledger)
    resolved = resolve(project_questions(wb), wb.history, data.load_incidents(wb.paths), resolutions, AS_OF, forecasts["id"].unique())
    return forecasts, resolved, score_forecasts(forecasts, resolved, resolutions)


def test_a_synthetic_year_extends_the_history_and_the_ledgered_forecast_is_scored(future):
    assert future.history.years[-1] == 2027
    forecasts, resolved, scored = _score(future)
    by_id = resolved.set_index("id")
    assert by_id.loc["rupture_2027", ["status", "outcome"]].tolist() == ["resolved", 1.0]  # the synthetic 2027 rupture
    assert by_id.loc["meetings_2027_at_least_2", ["status", "outcome"]].tolist() == ["resolved", 0.0]  # one synthetic meeting
    assert by_id.loc["rupture_2027_2030", "status"] == "open"  # closes 2031
    record = scored[scored["scored"]]
    assert set(record["scenario"]) == {"status_quo"}  # no premise judged: scenario forecasts not scored
    assert set(record["id"]) == set(by_id.index[by_id["status"] == "resolved"])
    r = record[(record["id"] == "rupture_2027") & (record["entry_run_id"] == "run-1")].iloc[0]
    assert r["brier"] == pytest.approx((r["probability"] - 1.0) ** 2)
    assert r["log"] == pytest.approx(-np.log(np.clip(r["probability"], 1 / (2 * r["n_paths"]), 1)))
    assert r["base_brier"] == pytest.approx((r["base_rate"] - 1.0) ** 2)
    # the earliest forecast of each question is the 2026 one, for both entries
    later = record[(record["id"] == "rupture_2027") & (record["entry_run_id"] == "run-2")].iloc[0]
    assert later["earliest_p"] == pytest.approx(r["probability"]) and later["earliest_brier"] == pytest.approx(r["brier"])
    per_q = summarize(scored, "id")
    assert per_q.loc["rupture_2027", "n"] == 2
    cal = calibration(scored)
    assert cal["n"].sum() == len(record) and len(cal) == 10
    top = surprises(scored)
    assert (top["entry_run_id"] == "run-2").all() and top["log"].is_monotonic_decreasing
    assert top.set_index("id").loc["meetings_2027_at_least_2", "hit"] == bool(
        top.set_index("id").loc["meetings_2027_at_least_2", "probability"] < 0.5
    )


def test_premises_and_analyst_resolutions(future):
    (future.paths.ledger / "resolutions.toml").write_text(
        '[[resolutions]]\nid = "meetings_2027_at_least_2"\noutcome = true\nsource = "synthetic test record"\n'
        '[[premises]]\nscenario = "protracted_war"\nheld = true\nsource = "synthetic test record"\n'
        '[[premises]]\nscenario = "new_low"\nheld = false\nsource = "synthetic test record"\n',
        encoding="utf-8",
    )
    _, resolved, scored = _score(future)
    assert resolved.set_index("id").loc["meetings_2027_at_least_2", "outcome"] == 1.0  # the analyst's record wins
    assert set(scored.loc[scored["scored"], "scenario"]) == {"status_quo", "protracted_war"}
    failed = scored[scored["scenario"] == "new_low"]
    assert len(failed) and not failed["scored"].any() and failed["why"].str.contains("did not hold").all()


def test_nothing_resolves_before_the_close_dates(future):
    forecasts = ledger_forecasts(load_ledger(future.paths.ledger))
    resolved = resolve(
        project_questions(future),
        future.history,
        data.load_incidents(future.paths),
        load_resolutions(future.paths.ledger),
        dt.date(2027, 1, 1),
    )
    assert (resolved["status"] == "open").all()
    assert not score_forecasts(forecasts, resolved, load_resolutions(future.paths.ledger))["scored"].any()
