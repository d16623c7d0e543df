"""Base rates of the questions: the same rule on the record, each checked against a direct count."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from synthetic_questions import question

from hedgecast.forecasting.base_rates import reference_rates
from hedgecast.forecasting.question_base_rates import base_rate, base_rates
from hedgecast.inputs.curated import load_incidents
from hedgecast.inputs.questions_file import load_questions
from hedgecast.inputs.schemas import FIRST_INCIDENT_YEAR


@pytest.fixture(scope="module")
def incidents(workbench):
    return load_incidents(workbench.paths)


def test_one_year_question_is_the_share_of_observed_years(workbench, incidents):
    trade = workbench.history.indicators["trade_usd_bn"].dropna()
    b = base_rate(question(), workbench.history, incidents)
    assert (b.rate.events, b.rate.trials) == (int((trade < 30).sum()), len(trade))
    assert b.probability == pytest.approx((trade < 30).mean()) and b.low <= b.probability <= b.high
    assert "share of observed years" in b.method


def test_window_question_counts_fully_observed_consecutive_windows(workbench, incidents):
    tourists = workbench.history.indicators["russian_tourists_k"]
    q = question(observable="russian_tourists_k", years=(2026, 2028), aggregate="all", comparison=">=", threshold=5000.0)
    b = base_rate(q, workbench.history, incidents)
    expected = []
    for start in range(2000, 2024):
        window = tourists.loc[start : start + 2]
        if len(window) == 3 and window.notna().all():
            expected.append(bool((window >= 5000).all()))
    assert (b.rate.trials, b.rate.events) == (len(expected), sum(expected))
    assert b.rate.unit == "3-year window" and "windows overlap" in b.method


def test_event_within_years_uses_the_yearly_rate_of_the_incidents_record(workbench, incidents):
    last = workbench.history.years[-1]
    q = question(observable="rupture", kind="event", years=(2027, 2030), aggregate="any", comparison=">=", threshold=1.0)
    b = base_rate(q, workbench.history, incidents)
    ref = reference_rates(incidents, FIRST_INCIDENT_YEAR, last, "main")["rupture_years"]
    assert (b.rate.events, b.rate.trials) == (ref.events, ref.trials)
    assert (b.probability, b.low, b.high) == pytest.approx(ref.within(4))
    assert "independent" in b.method


def test_incident_sum_over_a_window_matches_a_direct_count(workbench, incidents):
    last = workbench.history.years[-1]
    q = question(observable="incident", kind="event", years=(2027, 2030), aggregate="sum", comparison=">=", threshold=2.0)
    b = base_rate(q, workbench.history, incidents)
    main = incidents[incidents["inclusion"].isin(["strict", "main"]) & incidents["year"].between(FIRST_INCIDENT_YEAR, last)]
    per_year = main.groupby("year").size().reindex(range(FIRST_INCIDENT_YEAR, last + 1), fill_value=0)
    sums = per_year.rolling(4).sum().dropna()
    assert (b.rate.trials, b.rate.events) == (len(sums), int((sums >= 2).sum()))


def test_no_window_of_the_record_gives_no_base_rate(workbench):
    """Synthetic record: every other year of leader meetings missing, so no 10 consecutive observed years."""
    indicators = workbench.history.indicators.copy()
    indicators.loc[indicators.index % 2 == 1, "leader_meetings"] = np.nan
    history = dataclasses.replace(workbench.history, indicators=indicators)
    q = question(observable="leader_meetings", years=(2026, 2035), aggregate="any", comparison="<", threshold=1.0, rounding="round")
    b = base_rate(q, history, pd.DataFrame(columns=["year", "inclusion", "escalated"]))
    assert b.rate is None and np.isnan(b.probability) and "no window of 10 consecutive observed years" in b.method


def test_every_project_question_has_a_base_rate_with_its_method(workbench, incidents):
    qs = load_questions(workbench.paths.questions, workbench.spec, workbench.history)
    rates = base_rates(qs, workbench.history, incidents)
    assert set(rates) == set(qs.ids)
    for b in rates.values():
        assert b.method and (np.isnan(b.probability) or b.low <= b.probability <= b.high)
