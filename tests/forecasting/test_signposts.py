"""Signposts: conditionals of the joint forecast draws, checked against direct counts over the paths."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest
import xarray as xr
from synthetic_questions import question as synthetic_question

from hedgecast.forecasting.forecast import Forecast
from hedgecast.forecasting.signposts import candidates, signposts, watch_notes, watch_table
from hedgecast.inputs.questions_file import Question, QuestionSet, SignpostSettings

YEARS = list(range(2026, 2036))
SETTINGS = SignpostSettings(years=(2026, 2027), quantiles=(0.25, 0.5, 0.75), min_paths=50, top=3)


def question(**kw) -> Question:
    """A synthetic question that closes in 2029."""
    return synthetic_question(**{"close_date": dt.date(2029, 3, 31), **kw})


def synthetic_forecast(spec, *, incidents: bool = False, seed: int = 0) -> Forecast:
    """Synthetic paths (2 chains × 400 draws): 2028 trade follows 2026 trade; a rupture in 2028 is likelier after attrition in 2027."""
    rng = np.random.default_rng(seed)
    C, D, S = 2, 400, 1
    ind, drv = spec.indicator_names, spec.continuous_drivers
    values = rng.uniform(1.0, 2.0, size=(C, D, S, len(YEARS), len(ind)))
    t = ind.index("trade_usd_bn")
    start = rng.uniform(10, 70, size=(C, D))
    for k, y in enumerate(YEARS):
        values[:, :, 0, k, t] = start + rng.normal(0, 5 * (y - 2025), size=(C, D))
    war = rng.integers(0, len(spec.war_states), size=(C, D, S, len(YEARS))).astype(np.int16)
    attrition = spec.war_states.index("attrition")
    crisis = np.zeros((C, D, S, len(YEARS)), dtype=np.int8)
    p = np.where(war[:, :, 0, 1] == attrition, 0.6, 0.1)
    crisis[:, :, 0, 2] = rng.random((C, D)) < p
    data = {
        "indicator_value": (("chain", "draw", "scenario", "year", "indicator"), values),
        "driver_value": (("chain", "draw", "scenario", "driver", "year"), rng.uniform(0, 1, size=(C, D, S, len(drv), len(YEARS)))),
        "war": (("chain", "draw", "scenario", "year"), war),
        "crisis": (("chain", "draw", "scenario", "year"), crisis),
    }
    if incidents:
        data["incidents"] = (("chain", "draw", "scenario", "year"), rng.poisson(0.5, size=(C, D, S, len(YEARS))))
    coords = {"chain": np.arange(C), "draw": np.arange(D), "scenario": ["status_quo"], "year": YEARS, "indicator": ind, "driver": drv}
    return Forecast(xr.Dataset(data, coords=coords, attrs={"war_states": spec.war_states}), spec)


def test_a_conditional_probability_equals_a_direct_count_over_the_paths(spec):
    fc = synthetic_forecast(spec)
    q = question()
    found = {s.key: s for s in signposts(q, fc, "status_quo", SETTINGS)}
    s = found["trade_usd_bn[2026]"]
    trade26 = fc.data["indicator_value"].sel(indicator="trade_usd_bn", year=2026, scenario="status_quo").values.ravel()
    trade28 = fc.data["indicator_value"].sel(indicator="trade_usd_bn", year=2028, scenario="status_quo").values.ravel()
    below, yes = trade26 < s.threshold, trade28 < 30
    assert s.n_if == below.sum() and s.n_else == (~below).sum()
    assert s.p_if == pytest.approx(yes[below].mean()) and s.p_else == pytest.approx(yes[~below].mean())
    assert s.p == pytest.approx(yes.mean()) and s.share == pytest.approx(below.mean())
    assert s.se_if == pytest.approx(np.sqrt(s.p_if * (1 - s.p_if) / s.n_if))
    assert s.expected_change == pytest.approx(s.share * abs(s.p_if - s.p) + (1 - s.share) * abs(s.p_else - s.p))
    assert s.p_if > s.p > s.p_else  # low trade now, low trade later
    assert s.threshold in {float(f"{x:.3g}") for x in np.quantile(trade26, SETTINGS.quantiles)}


def test_the_best_threshold_is_kept_and_signposts_are_ranked(spec):
    fc = synthetic_forecast(spec)
    found = signposts(question(), fc, "status_quo", SETTINGS)
    changes = [s.expected_change for s in found]
    assert changes == sorted(changes, reverse=True)
    assert found[0].key in ("trade_usd_bn[2026]", "trade_usd_bn[2027]")
    assert len({s.key for s in found}) == len(found)  # one split per observable


def test_war_state_and_rupture_event_signposts_match_direct_counts(spec):
    fc = synthetic_forecast(spec)
    q = question(observable="rupture", kind="event", years=(2028, 2028), aggregate="any", comparison=">=", threshold=1.0)
    found = {s.key: s for s in signposts(q, fc, "status_quo", SETTINGS)}
    s = found["war[2027]=attrition"]
    war27 = fc.data["war"].sel(year=2027).values.ravel() == spec.war_states.index("attrition")
    hit = fc.data["crisis"].sel(year=2028).values.ravel() > 0
    assert (s.n_if, s.p_if, s.p_else) == (war27.sum(), pytest.approx(hit[war27].mean()), pytest.approx(hit[~war27].mean()))
    assert s.condition == "Ukraine war state in 2027 is attrition"
    assert signposts(q, fc, "status_quo", SETTINGS)[0].key == "war[2027]=attrition"


def test_splits_with_too_few_paths_are_skipped(spec):
    fc = synthetic_forecast(spec)
    strict = SignpostSettings(years=(2026, 2027), quantiles=(0.01, 0.99), min_paths=50, top=3)
    for s in signposts(question(), fc, "status_quo", strict):
        assert min(s.n_if, s.n_else) >= 50
    # 1% of 800 paths is 8: the trade splits at the 1% and 99% quantiles are gone
    assert "trade_usd_bn[2026]" not in {s.key for s in signposts(question(), fc, "status_quo", strict)}


def test_a_split_that_settles_the_question_by_itself_is_not_a_signpost(spec):
    fc = synthetic_forecast(spec)
    q = question(years=(2026, 2028), aggregate="any")  # trade below 30 in any of 2026–2028
    for s in signposts(q, fc, "status_quo", SETTINGS):
        if s.key.startswith("trade_usd_bn["):
            assert 0 < s.p_if < 1 and 0 < s.p_else < 1
    rupture = question(observable="rupture", kind="event", years=(2027, 2028), aggregate="any", comparison=">=", threshold=1.0)
    keys = {s.key for s in signposts(rupture, fc, "status_quo", SETTINGS)}
    assert "rupture[2027]" not in keys  # would be P = 1 by definition
    assert not any(k.endswith("[2029]") for k in keys)


def test_incident_candidates_only_when_the_forecast_has_incidents(spec):
    without = {c.key for c in candidates(synthetic_forecast(spec), "status_quo", SETTINGS)}
    with_ = {c.key for c in candidates(synthetic_forecast(spec, incidents=True), "status_quo", SETTINGS)}
    assert "incident[2026]" not in without and {"incident[2026]", "incident[2027]"} <= with_
    assert "gdelt_tone[2026]" in without
    assert "gdelt_tone[2026]" not in {c.key for c in candidates(synthetic_forecast(spec), "status_quo", SETTINGS, ended=["gdelt_tone"])}
    qs = QuestionSet((question(headline=True),), signposts=SETTINGS)
    notes = " ".join(watch_notes(qs, synthetic_forecast(spec)))
    assert "no 'incidents' variable" in notes and "fewer than 50 paths" in notes
    assert "no 'incidents' variable" not in " ".join(watch_notes(qs, synthetic_forecast(spec, incidents=True)))


def test_count_indicators_are_split_at_whole_numbers(spec):
    fc = synthetic_forecast(spec)
    meetings = next(c for c in candidates(fc, "status_quo", SETTINGS) if c.key == "leader_meetings[2026]")
    assert all(float(t).is_integer() for t in meetings.thresholds)
    assert set(np.unique(meetings.values)) <= {1.0, 2.0}  # uniform(1, 2) rounded halves up


def test_watch_table_lists_the_top_signposts_of_each_headline_question(spec):
    fc = synthetic_forecast(spec)
    qs = QuestionSet((question(id="a", headline=True), question(id="b")), signposts=SETTINGS)
    table = watch_table(qs, fc)
    assert set(table["question"]) == {"a"} and table["rank"].tolist() == [1, 2, 3]
    assert table["sentence"].iloc[0].startswith("if ") and "P goes from" in table["sentence"].iloc[0]
    assert set(watch_table(qs, fc, questions=["b"])["question"]) == {"b"}


def test_leading_signposts_come_before_concurrent_ones(spec):
    fc = synthetic_forecast(spec)
    q = question(years=(2027, 2028), aggregate="any")  # 2026 is before the window, 2027 inside it
    found = signposts(q, fc, "status_quo", SETTINGS)
    timings = [s.timing for s in found]
    assert timings == sorted(timings, key=lambda t: t != "leading") and {"leading", "concurrent"} <= set(timings)
    assert all(s.leading == ("[2026]" in s.key) for s in found)
    leading = [s.expected_change for s in found if s.leading]
    assert leading == sorted(leading, reverse=True)
    table = watch_table(QuestionSet((replace(q, headline=True),), signposts=SignpostSettings((2026, 2027), (0.25, 0.5, 0.75), 50, 40)), fc)
    assert table["timing"].tolist() == timings
