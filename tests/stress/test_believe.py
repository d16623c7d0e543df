"""What would you have to believe: the smallest shift of one assumption that reaches a target."""

from __future__ import annotations

import numpy as np
import pytest

from hedgecast.stress import assumptions
from hedgecast.stress.believe import ALREADY, NONE, REACHED, UNDETERMINED, Target, what_would_you_have_to_believe
from hedgecast.stress.psis import K_THRESHOLD
from hedgecast.stress.refits import RefitPool
from hedgecast.stress.reweight import Reweighter

RUPTURE = "P(rupture, 2030)"
SCEN = ["status_quo", "protracted_war", "post_erdogan_2028"]


@pytest.fixture(scope="module")
def rw(workbench, baseline):
    fit = workbench.fit(baseline, sampler="mock", draws=500, chains=2, seed=17)
    return Reweighter(fit, fit.forecast(SCEN))


@pytest.fixture(scope="module")
def A(baseline):
    return {a.name: a for a in assumptions.default_assumptions(baseline)}


def test_target_validation_and_text():
    t = Target(RUPTURE, "protracted_war", ">=", 0.3)
    assert str(t) == "P(rupture by 2030) ≥ 0.30 under protracted_war"
    assert t.met(0.3) and not t.met(0.29)
    with pytest.raises(ValueError, match="op"):
        Target(RUPTURE, "protracted_war", ">", 0.3)
    with pytest.raises(ValueError, match="probability"):
        Target(RUPTURE, "protracted_war", ">=", 30)


def test_unknown_scenario_or_metric_is_a_clear_error(rw, A):
    with pytest.raises(ValueError, match="not in the forecast"):
        what_would_you_have_to_believe(rw, Target(RUPTURE, "new_low", ">=", 0.3), [A["cushion (location)"]])
    with pytest.raises(ValueError, match="unknown headline"):
        what_would_you_have_to_believe(rw, Target("P(war, 2030)", "status_quo", ">=", 0.3), [A["cushion (location)"]])


def test_a_target_that_already_holds(rw, A):
    base = rw.base().value(RUPTURE, "status_quo")
    res = what_would_you_have_to_believe(rw, Target(RUPTURE, "status_quo", "<=", min(1.0, base + 0.05)), [A["escalation_intercept (location)"]])
    assert res.table["verdict"].tolist() == [ALREADY] and res.table["shift"].iloc[0] == 0


def test_the_smallest_shift_is_found_and_is_minimal(rw, A):
    base = rw.base().value(RUPTURE, "protracted_war")
    target = Target(RUPTURE, "protracted_war", ">=", base + 0.06)
    a = A["escalation_intercept (location)"]
    res = what_would_you_have_to_believe(rw, target, [a])
    row = res.table.iloc[0]
    assert row["verdict"] == REACHED and row["method"] == "reweight"
    assert row["shift"] > 0 and row["pareto_k"] <= K_THRESHOLD
    assert target.met(row["probability"]) and np.isfinite(row["mcse"])
    # minimal: a clearly smaller move does not reach it
    smaller = a.base + 0.8 * (row["required_value"] - a.base)
    assert not target.met(rw.evaluate(assumptions.changes_for(rw.lens, {a: smaller})).value(RUPTURE, "protracted_war"))
    assert res.reached()["assumption"].tolist() == [a.name]


def test_an_assumption_that_cannot_move_the_scenario_reaches_nothing(rw, A):
    base = rw.base().value(RUPTURE, "protracted_war")
    res = what_would_you_have_to_believe(
        rw, Target(RUPTURE, "protracted_war", ">=", base + 0.2), [A["scenario_probability.post_erdogan_2028 (mean)"]]
    )
    assert res.table["verdict"].iloc[0] == NONE


def test_a_forecast_only_prior_is_confirmed_by_an_exact_rerun(rw, A):
    a = A["scenario_probability.post_erdogan_2028 (mean)"]
    base = rw.base().value(RUPTURE, "post_erdogan_2028")
    hi = rw.evaluate(assumptions.changes_for(rw.lens, {a: 0.95})).value(RUPTURE, "post_erdogan_2028")
    lo = rw.evaluate(assumptions.changes_for(rw.lens, {a: 0.05})).value(RUPTURE, "post_erdogan_2028")
    direction, thr = (">=", base + 0.6 * (hi - base)) if hi > base else ("<=", base - 0.6 * (base - hi))
    if abs(hi - base) < abs(lo - base):
        direction, thr = (">=", base + 0.6 * (lo - base)) if lo > base else ("<=", base - 0.6 * (base - lo))
    target = Target(RUPTURE, "post_erdogan_2028", direction, float(np.clip(thr, 0, 1)))
    row = what_would_you_have_to_believe(rw, target, [a]).table.iloc[0]
    assert row["verdict"] == REACHED and row["method"] == "forecast"
    exact = rw.evaluate(assumptions.changes_for(rw.lens, {a: row["required_value"]}), forecast_priors="rerun").value(RUPTURE, "post_erdogan_2028")
    assert exact == pytest.approx(row["probability"], abs=1e-12) and target.met(exact)


def test_without_refits_an_unreliable_search_says_undetermined(rw, A):
    """A target beyond where reweighting is reliable: no guessing without a refit."""
    res = what_would_you_have_to_believe(rw, Target(RUPTURE, "protracted_war", ">=", 0.97), [A["incident_friction (location)"]])
    row = res.table.iloc[0]
    assert row["verdict"] in (UNDETERMINED, NONE)
    if row["verdict"] == UNDETERMINED:
        assert f"k̂ > {K_THRESHOLD}" in row["note"] and np.isnan(row["probability"])


def test_a_refit_decides_where_reweighting_cannot(rw, A):
    a = A["escalation_intercept (location)"]
    probe = rw.evaluate(assumptions.changes_for(rw.lens, {a: a.base + 2.9 * a.unit}))
    assert probe.pareto_k > K_THRESHOLD or probe.ess < 100  # far out, the base draws no longer cover it
    target = Target(RUPTURE, "protracted_war", ">=", 0.9)
    pool = RefitPool(rw, budget=2)
    res = what_would_you_have_to_believe(rw, target, [a], refits=pool)
    row = res.table.iloc[0]
    assert pool.used >= 1 and res.refits
    assert row["verdict"] in (REACHED, NONE)
    if row["verdict"] == REACHED:
        assert row["method"] in ("refit", "reweight from refit", "reweight") and target.met(row["probability"])
    else:
        assert "refit" in row["note"]
