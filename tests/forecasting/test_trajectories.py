"""Trajectory rules: the rule language (three-valued), and the spec's four classes on hand-built paths.

Every number below is synthetic (made up for the test), except where a test reads the
real record through the workbench.
"""

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgecast.forecasting.forecast import Forecast
from hedgecast.forecasting.rule_variables import EVENT_VARIABLES, RuleRecord, classify, rule_variable_names
from hedgecast.forecasting.trajectories import RuleError, TrajectoryClass, class_probabilities, compile_rule, first_true, rule_names

NAMES = ["trade_usd_bn", "russian_tourists_k", "leader_meetings", "unga_agreement"]
VARIABLES = rule_variable_names({n: None for n in NAMES})
FUTURE = list(range(2026, 2036))
#: a normal year of the synthetic record and of the paths: trade, visitors, meetings, UNGA
NORMAL = (50.0, 5000.0, 2.0, 0.55)


def synthetic_record() -> RuleRecord:
    """A synthetic record 2012–2025: NORMAL every year but a 2015–16 dip (event in 2015, 1,000 thousand visitors in 2016)."""
    years = list(range(2012, 2026))
    values = pd.DataFrame([NORMAL] * len(years), index=years, columns=NAMES)
    values.loc[2016, "russian_tourists_k"] = 1000.0
    values.loc[2015, "unga_agreement"] = 0.5
    values.loc[[2015, 2016], "trade_usd_bn"] = np.nan  # unobserved, like the real record's unsourced years
    events = pd.Series(0.0, index=years)
    events[2015] = 1.0
    return RuleRecord(values, events)


def paths(rows: list[list[tuple]], events: list[list[int]]) -> tuple[xr.DataArray, xr.DataArray]:
    """Paths (draw, year, indicator) from per-year tuples (NORMAL for years not given) and their rupture events."""
    n = len(rows)
    vals = np.tile(np.array(NORMAL), (n, len(FUTURE), 1))
    for d, r in enumerate(rows):
        for t, v in enumerate(r):
            vals[d, t] = v
    ev = np.zeros((n, len(FUTURE)), dtype=np.int8)
    for d, e in enumerate(events):
        ev[d, : len(e)] = e
    return (
        xr.DataArray(vals, dims=("draw", "year", "indicator"), coords={"year": FUTURE, "indicator": NAMES}),
        xr.DataArray(ev, dims=("draw", "year"), coords={"year": FUTURE}),
    )


def names_at(spec, values, events, year, record=None) -> list[str]:
    lab = classify(spec.trajectories, values, events, record or synthetic_record(), [year], [False, False, True, False])
    return [spec.class_names[i] for i in lab.sel(year=year).values]


# ------------------------------------------------------------------- the language
def test_compile_rule_evaluates_elementwise():
    fn = compile_rule("leader_meetings_mean_3y >= 2 and not rupture_event", VARIABLES, EVENT_VARIABLES)
    env = {"leader_meetings_mean_3y": np.array([1.0, 3.0, 4.0]), "rupture_event": np.array([0.0, 0.0, 1.0])}
    assert fn(env).tolist() == [0.0, 1.0, 0.0]


def test_compile_rule_chained_comparison_and_functions():
    fn = compile_rule("-1 < trade_usd_bn < abs(unga_agreement)", VARIABLES)
    env = {"trade_usd_bn": np.array([0.0, 2.0, -2.0]), "unga_agreement": np.array([-1.0, 1.0, 5.0])}
    assert fn(env).tolist() == [1.0, 0.0, 0.0]


def test_missing_values_make_a_comparison_unknown_in_three_valued_logic():
    env = {"trade_usd_bn": np.array([np.nan, np.nan, np.nan, 10.0]), "rupture_event": np.array([1.0, 0.0, np.nan, 0.0])}
    either = compile_rule("rupture_event or trade_usd_bn < 20", VARIABLES, EVENT_VARIABLES)(env)
    both = compile_rule("rupture_event and trade_usd_bn < 20", VARIABLES, EVENT_VARIABLES)(env)
    np.testing.assert_array_equal(either, [1.0, np.nan, np.nan, 1.0])  # true or unknown = true
    np.testing.assert_array_equal(both, [np.nan, 0.0, np.nan, 0.0])  # false and unknown = false
    # a class after an unknown rule cannot be given: -1 (undetermined)
    assert first_true(np.array([[np.nan, 0.0], [1.0, 1.0]])).tolist() == [-1, 1]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("political_change > 1", "unknown name 'political_change'"),
        ("trade_usd_bn_mean3y > 1", "did you mean 'trade_usd_bn_mean_3y'"),
        ("gdelt_tone < 5", "unknown name 'gdelt_tone'"),  # not in VARIABLES: in_rules = false in the spec
        ("trade_usd_bn >", "cannot parse"),
        ("__import__('os')", "not allowed"),
        ("trade_usd_bn.real > 0", "not allowed"),
        ("trade_usd_bn + 1", "not a condition"),
    ],
)
def test_bad_rules_are_rejected_with_a_reason(rule, message):
    with pytest.raises(RuleError, match=message):
        compile_rule(rule, VARIABLES, EVENT_VARIABLES)


def test_rule_names_lists_the_variables_a_rule_uses():
    assert rule_names("rupture_events_window or trade_usd_bn < 0.75 * trade_usd_bn_recent") == [
        "rupture_events_window",
        "trade_usd_bn",
        "trade_usd_bn_recent",
    ]


def test_every_variable_says_what_it_means_and_its_unit(spec):
    variables = rule_variable_names(spec.indicators, spec.history)
    assert "gdelt_tone" not in variables and "gdelt_tone_mean_3y" not in variables  # the source has ended
    assert {"trade_usd_bn_mean_3y", "russian_tourists_k_low_2015_16", "leader_meetings_recent", "rupture_events_window"} <= set(variables)
    assert "[USD bn (current)]" in variables["trade_usd_bn_min_3y"]
    assert "2021–2025" in variables["unga_agreement_recent"]
    assert "whole counts" in variables["leader_meetings"]


# ------------------------------------------------------------------- the spec's classes
def test_a_path_that_recovers_from_a_rupture_leaves_the_rupture_class_but_counts_as_a_rupture_event(spec):
    # draw 0: a rupture event in 2026, visitors collapse 2026–2027, fully recovered from 2028; draw 1: quiet
    collapse = (30.0, 800.0, 0.0, 0.5)
    values, events = paths([[collapse, collapse], []], [[1], []])
    record = synthetic_record()
    lab = classify(spec.trajectories, values, events, record, FUTURE, [False, False, True, False])
    rupture = spec.class_names.index("rupture")
    assert lab.sel(year=2026, draw=0) == rupture and lab.sel(year=2028, draw=0) == rupture  # the event is in the window
    assert lab.sel(year=2029, draw=0) != rupture and lab.sel(year=2030, draw=0) != rupture
    assert spec.class_names[int(lab.sel(year=2030, draw=0))] == "transactional_equilibrium"  # where it is in 2030
    data = xr.Dataset(
        {
            "crisis": events.expand_dims(chain=[0], scenario=["status_quo"]).transpose("chain", "draw", "scenario", "year"),
            "trajectory": lab.expand_dims(chain=[0], scenario=["status_quo"]).transpose("chain", "draw", "scenario", "year"),
        }
    )
    fc = Forecast(data, spec)
    assert float(fc.p_rupture_event_by(2035).sel(scenario="status_quo")) == 0.5  # counted: it happened by 2035
    assert float(fc.class_probabilities((2030,)).sel(scenario="status_quo", year=2030, trajectory="rupture")) == 0.0
    head = fc.headline(2035)["status_quo"]
    assert head["P(rupture event by 2035)"] == 0.5 and head["P(rupture, 2035)"] == 0.0


def test_each_class_rule_on_hand_built_paths(spec):
    t, v, m, u = NORMAL
    rows = [
        [],  # 0: the status quo throughout
        [(t, v, 5.0, 0.6)] * 10,  # 1: leaders meet 5 times a year (≥ 2 × 2), UN votes closer, trade holds
        [(0.7 * t, v, m, u)] * 10,  # 2: trade 30% below the recent level for good
        [(t, 0.7 * v, m, u)] * 10,  # 3: visitors 30% below
        [(t, v, 0.0, u)] * 10,  # 4: the leaders stop meeting
        [(t, v, m, u)] * 4 + [(t, 900.0, m, u)] + [(t, v, m, u)] * 5,  # 5: visitors at/below the 2015–16 low in 2030 only
        [],  # 6: a rupture event in 2029, nothing else
        [(0.7 * t, v, 5.0, 0.6)] * 10,  # 7: closer politically, but trade eroded: not alignment
        [(t, v, 5.0, 0.5)] * 10,  # 8: meetings up, UN votes further apart: not alignment
    ]
    events = [[]] * 6 + [[0, 0, 0, 1]] + [[]] * 2
    values, ev = paths(rows, events)
    got = names_at(spec, values, ev, 2030)
    assert got == [
        "transactional_equilibrium",
        "strategic_alignment",
        "managed_erosion",
        "managed_erosion",
        "managed_erosion",
        "rupture",
        "rupture",
        "managed_erosion",
        "transactional_equilibrium",
    ]
    # the 3-year windows: a single bad year is not erosion, one year of visitors back above the low ends the rupture
    one_bad = [(t, v, m, u)] * 4 + [(t, 0.5 * v, m, u)] + [(t, v, m, u)] * 5
    values, ev = paths([one_bad, rows[5]], [[], []])
    assert names_at(spec, values, ev, 2030) == ["transactional_equilibrium", "rupture"]
    # in 2031 the low year is still in the visitors' 3-year mean: (5000 + 900 + 5000) / 3 < ¾ × 5000
    assert names_at(spec, values, ev, 2031) == ["transactional_equilibrium", "managed_erosion"]
    assert names_at(spec, values, ev, 2033) == ["transactional_equilibrium", "transactional_equilibrium"]


def test_meetings_are_rounded_to_whole_meetings_halves_up(spec):
    # a 3-year mean of 4 is alignment (2 × 2); 3.5 simulated meetings count as 4, 3.49 as 3
    t, v, _, u = NORMAL
    values, ev = paths([[(t, v, 3.5, 0.6)] * 10, [(t, v, 3.49, 0.6)] * 10], [[], []])
    assert names_at(spec, values, ev, 2030) == ["strategic_alignment", "transactional_equilibrium"]


def test_the_first_windows_reach_back_into_the_record(spec):
    record = synthetic_record()
    record.events[2025] = 1.0  # synthetic: a rupture event in the record's last year
    values, ev = paths([[]], [[]])
    lab = classify(spec.trajectories, values, ev, record, [2026, 2027, 2028], [False, False, True, False])
    assert [spec.class_names[i] for i in lab.values[:, 0]] == ["rupture", "rupture", "transactional_equilibrium"]


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=30), st.integers(min_value=0, max_value=2**31 - 1))
def test_every_path_gets_exactly_one_class(spec, n, seed):
    rng = np.random.default_rng(seed)
    values = xr.DataArray(
        np.array(NORMAL) * rng.lognormal(0, 0.5, (n, len(FUTURE), 4)),
        dims=("draw", "year", "indicator"),
        coords={"year": FUTURE, "indicator": NAMES},
    )
    events = xr.DataArray((rng.random((n, len(FUTURE))) < 0.1).astype(int), dims=("draw", "year"), coords={"year": FUTURE})
    labels = classify(spec.trajectories, values, events, synthetic_record(), [2027, 2030, 2035], [False, False, True, False])
    assert labels.min() >= 0 and labels.max() < len(spec.trajectories)
    probs = class_probabilities(labels, sample_dims=("draw",))
    np.testing.assert_allclose(probs.sum("trajectory").values, 1.0)


def test_custom_classes_follow_the_spec_order():
    classes = [
        TrajectoryClass("event", "rupture_event"),
        TrajectoryClass("low_trade", "trade_usd_bn < 40"),
        TrajectoryClass("rest", "otherwise"),
    ]
    values, ev = paths([[(30.0, 5000.0, 2.0, 0.55)] * 10, [(30.0, 5000.0, 2.0, 0.55)] * 10, []], [[0, 0, 0, 0, 1], [], []])
    lab = classify(classes, values, ev, synthetic_record(), [2030])
    assert lab.sel(year=2030).values.tolist() == [0, 1, 2]
