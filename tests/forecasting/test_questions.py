"""Questions on simulated paths: every question form on a hand-built forecast, the MC error, the exports."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import arviz as az
import numpy as np
import pytest
import xarray as xr
from synthetic_questions import question as synthetic_question

from hedgecast.forecasting.forecast import Forecast
from hedgecast.forecasting.questions import (
    EXPORT_FIELDS,
    NO_INCIDENTS,
    estimate,
    export_csv,
    export_json,
    judge,
    outcomes,
    probabilities,
    question_table,
)
from hedgecast.inputs.questions_file import Question, QuestionSet

YEARS = list(range(2026, 2036))
SCENARIOS = ["status_quo", "other"]


def question(**kw) -> Question:
    """A synthetic question about 2026 (the first forecast year)."""
    return synthetic_question(**{"years": (2026, 2026), **kw})


def hand_forecast(spec, *, incidents: bool = True) -> Forecast:
    """Synthetic forecast: 1 chain × 4 draws × 2 scenarios, values chosen so each question's answer is known.

    trade_usd_bn per draw (all years, both scenarios, except noted): draw 0: 20; draw 1: 40 then 25 in 2028;
    draw 2: 50; draw 3: 29 in 2026, 31 afterwards. leader_meetings: 1.5 (rounds to 2) on draw 0, 1.4 on the others.
    crisis: draw 1 in 2027. incidents: draw 2 has 1 per year.
    """
    ind, drv = spec.indicator_names, spec.continuous_drivers
    values = np.full((1, 4, 2, len(YEARS), len(ind)), 1.0)
    t = ind.index("trade_usd_bn")
    values[0, 0, :, :, t] = 20.0
    values[0, 1, :, :, t] = 40.0
    values[0, 1, :, YEARS.index(2028), t] = 25.0
    values[0, 2, :, :, t] = 50.0
    values[0, 3, :, :, t] = 31.0
    values[0, 3, :, 0, t] = 29.0
    values[0, 3, 1, :, t] = 60.0  # scenario "other": draw 3 never below 30
    m = ind.index("leader_meetings")
    values[0, :, :, :, m] = 1.4
    values[0, 0, :, :, m] = 1.5
    crisis = np.zeros((1, 4, 2, len(YEARS)), dtype=np.int8)
    crisis[0, 1, :, 1] = 1
    data = {
        "indicator_value": (("chain", "draw", "scenario", "year", "indicator"), values),
        "driver_value": (("chain", "draw", "scenario", "driver", "year"), np.zeros((1, 4, 2, len(drv), len(YEARS)))),
        "war": (("chain", "draw", "scenario", "year"), np.zeros((1, 4, 2, len(YEARS)), dtype=np.int16)),
        "crisis": (("chain", "draw", "scenario", "year"), crisis),
    }
    if incidents:
        counts = np.zeros((1, 4, 2, len(YEARS)), dtype=np.int64)
        counts[0, 2] = 1
        data["incidents"] = (("chain", "draw", "scenario", "year"), counts)
    coords = {"chain": [0], "draw": np.arange(4), "scenario": SCENARIOS, "year": YEARS, "indicator": ind, "driver": drv}
    return Forecast(xr.Dataset(data, coords=coords, attrs={"war_states": spec.war_states}), spec)


def yes(q: Question, fc: Forecast, scenario: str = "status_quo") -> list[bool]:
    return [bool(x) for x in outcomes(q, fc.data).sel(scenario=scenario).values.ravel()]


def test_value_any_all_sum_count_on_the_hand_built_paths(spec):
    fc = hand_forecast(spec)
    assert yes(question(), fc) == [True, False, False, True]  # 2026 trade < 30
    assert yes(question(years=(2026, 2030), aggregate="any"), fc) == [True, True, False, True]
    assert yes(question(years=(2026, 2030), aggregate="all"), fc) == [True, False, False, False]
    assert yes(question(years=(2026, 2030), aggregate="any"), fc, "other") == [True, True, False, False]
    # total trade 2026–2027 >= 100: 40 + 40 = 80 no; 50 + 50 = 100 yes
    assert yes(question(years=(2026, 2027), aggregate="sum", comparison=">=", threshold=100.0), fc) == [False, False, True, False]
    # below 30 in at least 2 of 2026–2030: only draw 0 (draw 1 once, draw 3 once)
    assert yes(question(years=(2026, 2030), aggregate="count", at_least=2), fc) == [True, False, False, False]
    assert yes(question(years=(2026, 2030), aggregate="count", at_least=1), fc) == yes(question(years=(2026, 2030), aggregate="any"), fc)


def test_rounding_is_applied_before_the_comparison(spec):
    fc = hand_forecast(spec)
    meet = dict(observable="leader_meetings", years=(2027, 2027), comparison=">=", threshold=2.0)
    assert yes(question(**meet, rounding="round"), fc) == [True, False, False, False]  # 1.5 → 2 (halves up), 1.4 → 1
    assert yes(question(**meet, rounding="ceil"), fc) == [True, True, True, True]
    assert yes(question(**meet, rounding="floor"), fc) == [False, False, False, False]
    assert yes(question(**meet), fc) == [False, False, False, False]  # none: 1.5 < 2


def test_rupture_and_incident_events(spec):
    fc = hand_forecast(spec)
    rupture = question(observable="rupture", kind="event", years=(2027, 2030), aggregate="any", comparison=">=", threshold=1.0)
    assert yes(rupture, fc) == [False, True, False, False]
    assert yes(replace(rupture, years=(2028, 2030)), fc) == [False, False, False, False]
    incidents = question(observable="incident", kind="event", years=(2027, 2030), aggregate="sum", comparison=">=", threshold=3.0)
    assert yes(incidents, fc) == [False, False, True, False]  # draw 2: 4 incidents in 2027–2030
    assert yes(replace(incidents, threshold=5.0), fc) == [False, False, False, False]


def test_incident_question_without_the_incidents_variable_is_not_forecast_and_says_so(spec):
    fc = hand_forecast(spec, incidents=False)
    q = question(id="inc", observable="incident", kind="event", years=(2027, 2027), aggregate="any", comparison=">=", threshold=1.0)
    assert outcomes(q, fc.data) is None
    row = probabilities([q], fc).iloc[0]
    assert np.isnan(row["probability"]) and row["note"] == NO_INCIDENTS and "incidents" in row["note"]


def test_an_incident_question_under_another_rule_than_the_forecast_says_so(spec):
    fc = hand_forecast(spec)
    fc.data["incidents"].attrs["inclusion"] = "main"
    q = question(id="inc", observable="incident", kind="event", years=(2027, 2027), aggregate="any", comparison=">=", threshold=1.0)
    assert probabilities([q], fc)["note"].eq("").all()
    strict = probabilities([replace(q, inclusion="strict")], fc)
    assert strict["note"].str.contains("under the main rule, the question under the strict rule").all()
    assert strict["probability"].notna().all()


def test_judge_treats_missing_values_as_no_and_checks_the_window_length():
    q = question(years=(2026, 2027), aggregate="any")
    assert judge(np.array([[np.nan, 10.0], [np.nan, np.nan]]), q).tolist() == [True, False]
    with pytest.raises(ValueError, match="expected 2 years"):
        judge(np.array([[1.0, 2.0, 3.0]]), q)


def test_estimate_uses_the_ess_over_chains_and_draws_capped_at_n():
    rng = np.random.default_rng(3)
    walk = np.cumsum(rng.normal(size=(4, 500)), axis=1)  # strongly autocorrelated chains
    hit = walk > 0
    e = estimate(hit)
    ess = float(az.ess(hit.astype(float), method="mean"))
    p = hit.mean()
    assert e.basis == "ess" and e.ess == pytest.approx(min(ess, hit.size)) and e.ess < hit.size / 5
    assert e.se == pytest.approx(np.sqrt(p * (1 - p) / e.ess))
    iid = estimate(rng.random((4, 2000)) < 0.3)
    assert iid.ess <= iid.n  # never more precise than independent draws


def test_estimate_falls_back_to_n_with_one_chain_or_a_certain_outcome():
    one = estimate(np.array([[True, False, False, True, False, False, False, False]]))
    assert (one.basis, one.ess, one.n) == ("n", 8.0, 8)
    assert one.se == pytest.approx(np.sqrt(0.25 * 0.75 / 8))
    sure = estimate(np.ones((2, 10), dtype=bool))
    assert (sure.probability, sure.se, sure.basis) == (1.0, 0.0, "n")


def test_probabilities_per_scenario_match_a_direct_count(spec):
    fc = hand_forecast(spec)
    q = question(years=(2026, 2030), aggregate="any")
    table = probabilities([q], fc).set_index("scenario")
    assert table.loc["status_quo", "probability"] == pytest.approx(3 / 4)
    assert table.loc["other", "probability"] == pytest.approx(2 / 4)
    assert (table["se_basis"] == "n").all()  # one chain


def test_question_table_marks_the_forecast_of_record_and_exports_every_field(spec, tmp_path):
    fc = hand_forecast(spec, incidents=False)
    qs = QuestionSet((question(id="a"), question(id="b", observable="incident", kind="event", comparison=">=", threshold=1.0)))
    table = question_table(qs, {"baseline": (fc, "run-1"), "kusa_2022": (fc, "run-2")}, issued_at="2026-12-01T00:00:00+00:00")
    assert list(table.columns) == list(EXPORT_FIELDS) and len(table) == 2 * 2 * 2
    record = table[table["of_record"]]
    assert record[["id", "lens", "scenario"]].values.tolist() == [["a", "baseline", "status_quo"], ["b", "baseline", "status_quo"]]
    assert set(table["run_id"]) == {"run-1", "run-2"}

    export_csv(table, tmp_path / "q.csv")
    export_json(table, tmp_path / "q.json", meta={"issued_at": "2026-12-01T00:00:00+00:00"})
    rows = list(csv.DictReader((tmp_path / "q.csv").read_text(encoding="utf-8").splitlines()))
    assert list(rows[0]) == list(EXPORT_FIELDS) and len(rows) == 8
    assert rows[0]["id"] == "a" and rows[0]["open_date"] == "2026-12-01" and float(rows[0]["probability"]) == pytest.approx(0.5)
    doc = json.loads((tmp_path / "q.json").read_text(encoding="utf-8"))
    assert doc["forecast_of_record"] == {"lens": "baseline", "scenario": "status_quo"}
    first = doc["questions"][0]
    for key in (
        "id",
        "title",
        "resolution",
        "fine_print",
        "resolution_source",
        "open_date",
        "close_date",
        "probability",
        "mc_se",
        "scenario",
        "lens",
        "run_id",
        "issued_at",
    ):
        assert key in first
    not_forecast = next(r for r in doc["questions"] if r["id"] == "b")
    assert not_forecast["probability"] is None and not_forecast["note"] == NO_INCIDENTS  # NaN exported as null
