"""Power-scaling (checked on a conjugate Normal model), outcome sensitivity, tornado and Sobol indices."""

from __future__ import annotations

import math

import arviz as az
import numpy as np
import pytest
import xarray as xr
from matplotlib.figure import Figure
from pymc_extras.prior import Prior
from scipy import integrate, stats

from hedgecast import plots
from hedgecast.priors.groups import STRESS_GROUPS
from hedgecast.stress import power_scaling, sobol, tornado
from hedgecast.stress.assumptions import changes_for, default_assumptions, with_tornado
from hedgecast.stress.psis import K_THRESHOLD
from hedgecast.stress.reweight import Reweighter

RUPTURE = "P(rupture, 2030)"
TRANS = "P(transactional_equilibrium, 2030)"
SCEN = ["status_quo", "protracted_war", "post_erdogan_2028"]


@pytest.fixture(scope="module")
def fc(mock_fit):
    return mock_fit.forecast(SCEN)


@pytest.fixture(scope="module")
def rw(mock_fit, fc):
    return Reweighter(mock_fit, fc)


@pytest.fixture(scope="module")
def assumptions(baseline):
    return default_assumptions(baseline)


def _get(assumptions, name):
    return next(a for a in assumptions if a.name == name)


# ---- assumptions ------------------------------------------------------------------------
def test_default_assumptions_cover_effects_and_forecast_priors(assumptions, baseline, spec):
    effects = [n for n in baseline.priors if n.split(".")[0] in STRESS_GROUPS]
    assert {a.prior for a in assumptions if a.knob == "location"} == set(effects)
    assert {a.prior for a in assumptions if a.knob == "mean"} == {f"scenario_probability.{s}" for s in spec.uncertain_scenarios()}
    assert {a.prior for a in assumptions if a.knob == "persistence"} == {f"war_transition.{s}" for s in spec.future_war_states}
    a = _get(assumptions, "incident_friction (location)")
    sd = float(baseline.prior("incident_friction").parameters["sigma"])
    assert a.tornado == pytest.approx((a.base - sd, a.base + sd))
    assert a.plausible == pytest.approx((a.base - 3 * sd, a.base + 3 * sd))


def test_assumptions_set_their_knob_and_keep_the_rest(assumptions, baseline):
    loc = _get(assumptions, "beta.political.leader_ties (location)")
    p = loc.apply(baseline.prior(loc.prior), 1.1)
    assert p.parameters["mu"] == 1.1 and p.parameters["sigma"] == baseline.prior(loc.prior).parameters["sigma"]
    sc = _get(assumptions, "beta.political.leader_ties (scale)")
    p2 = sc.apply(p, 2.0)  # knobs of one prior combine
    assert p2.parameters["mu"] == 1.1 and p2.parameters["sigma"] == pytest.approx(2 * baseline.prior(loc.prior).parameters["sigma"])
    mean = _get(assumptions, "scenario_probability.post_erdogan_2028 (mean)")
    b = mean.apply(baseline.prior(mean.prior), 0.8)
    a0, b0 = (baseline.prior(mean.prior).parameters[k] for k in ("alpha", "beta"))
    assert b.parameters["alpha"] / (b.parameters["alpha"] + b.parameters["beta"]) == pytest.approx(0.8)
    assert b.parameters["alpha"] + b.parameters["beta"] == pytest.approx(a0 + b0)
    per = _get(assumptions, "war_transition.attrition (persistence)")
    row = per.apply(baseline.prior(per.prior), 0.5)
    a = np.asarray(row.parameters["a"])
    old = np.asarray(baseline.prior(per.prior).parameters["a"])
    assert a[per.index] / a.sum() == pytest.approx(0.5) and a.sum() == pytest.approx(old.sum())
    others = np.delete(a, per.index) / np.delete(old, per.index)
    assert np.allclose(others, others[0])  # the other states keep their proportions


# ---- power-scaling --------------------------------------------------------------------
def _cjs(fp, fq, lo, hi):
    x = np.linspace(lo, hi, 20001)
    p, q = fp(x), fq(x)
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, p * np.log2(p / m), 0.0)
        b = np.where(q > 0, q * np.log2(q / m), 0.0)
    ip, iq = integrate.trapezoid(p, x), integrate.trapezoid(q, x)
    pq = max(0.0, integrate.trapezoid(a, x) + 0.5 / np.log(2) * (iq - ip))
    qp = max(0.0, integrate.trapezoid(b, x) + 0.5 / np.log(2) * (ip - iq))
    return math.sqrt((pq + qp) / (ip + iq))


def _psens_exact(m, s, lo_ms, hi_ms, xmin, xmax, delta):
    def one(mq, sq):
        up = _cjs(lambda x: stats.norm.cdf(x, m, s), lambda x: stats.norm.cdf(x, mq, sq), xmin, xmax)
        down = _cjs(lambda x: stats.norm.cdf(x, -m, s), lambda x: stats.norm.cdf(x, -mq, sq), -xmax, -xmin)
        return max(up, down)

    return (one(*lo_ms) + one(*hi_ms)) / (2 * math.log2(1 + delta))


@pytest.mark.parametrize("component", ["prior", "likelihood"])
def test_power_scaling_matches_the_conjugate_normal_answer(component):
    """θ ~ N(0, 1), y_i ~ N(θ, 1), n = 5: power-scaling the prior (or likelihood) by α is again conjugate,
    so the sensitivity (the derivative of the cumulative JS distance) can be computed exactly."""
    rng = np.random.default_rng(0)
    s0, n, delta = 1.0, 5, 0.01
    y = rng.normal(0.8, 1.0, n)

    def post(a_prior, a_lik):
        v = 1 / (a_prior / s0**2 + a_lik * n)
        return v * a_lik * y.sum(), math.sqrt(v)

    scale = (lambda a: post(a, 1.0)) if component == "prior" else (lambda a: post(1.0, a))
    m, s = post(1.0, 1.0)
    theta = rng.normal(m, s, size=(4, 2000))
    idata = az.from_dict(
        posterior={"theta": theta}, log_likelihood={"y": stats.norm.logpdf(y[None, None, :], theta[..., None], 1.0)}, dims={"y": ["obs"]}
    )
    idata.add_groups(
        {
            "log_prior": xr.Dataset(
                {"theta": (("chain", "draw"), stats.norm.logpdf(theta, 0, s0))}, coords={"chain": np.arange(4), "draw": np.arange(2000)}
            )
        }
    )
    got = float(power_scaling.psens(idata, component, ["theta"], None, delta)["theta"])
    exact = _psens_exact(m, s, scale(1 / (1 + delta)), scale(1 + delta), theta.min(), theta.max(), delta)
    assert got == pytest.approx(exact, rel=0.15)
    # five observations against a unit prior: the likelihood carries 5/6 of the precision, the prior 1/6
    assert exact > 0.08 if component == "likelihood" else 0.03 < exact < 0.08


def test_power_scaling_attributes_each_parameter_to_its_own_prior(mock_fit, rw):
    """On a mock fit (posterior = prior) every parameter's posterior is its prior: its own group dominates."""
    ps = power_scaling.power_scaling(mock_fit, rw, groups=["beta", "escalation_intercept", "cushion", "crisis_effect"], metrics=[RUPTURE])
    m = ps.matrix
    for g in m.index:
        assert m.loc[g, g] == m[g].max()
        assert m.loc[g, g] > power_scaling.SENSITIVITY_THRESHOLD
    assert set(ps.table["dominant_prior"]) <= set(m.index)
    h = ps.headline.set_index(["prior_group", "scenario", "metric"])
    # a stronger escalation-intercept prior pulls the intercept towards its prior mean: the slope is finite
    assert np.isfinite(h["dP_dlog2alpha"]).all()
    assert isinstance(plots.plot_power_scaling(ps), Figure)


# ---- outcome sensitivity and the tornado -------------------------------------------------
def test_outcome_sensitivity_moves_the_rupture_probability_the_right_way(rw, assumptions):
    a = _get(assumptions, "escalation_intercept (location)")
    out = tornado.outcome_sensitivity(
        rw, [a, _get(assumptions, "scenario_probability.post_erdogan_2028 (mean)")], metrics=[RUPTURE, TRANS], n_points=5
    )
    t = out.tornado("protracted_war", RUPTURE).set_index("assumption")
    row = t.loc[a.name]
    assert row["p_low"] < row["base"] < row["p_high"]  # a higher crisis intercept: more ruptures
    assert row["complete"] and row["reliable_low"] and row["reliable_high"]
    pts = out.points.query("assumption == @a.name and scenario == 'protracted_war' and metric == @RUPTURE").sort_values("value")
    assert len(pts) == 4 and np.all(np.diff(pts["probability"]) > 0)
    # the scenario probability only moves its own scenario
    sp = out.tornado("protracted_war", RUPTURE).set_index("assumption").loc["scenario_probability.post_erdogan_2028 (mean)"]
    assert sp["swing"] == 0
    assert (
        out.tornado("post_erdogan_2028", RUPTURE).set_index("assumption").loc["scenario_probability.post_erdogan_2028 (mean)", "swing"] > 0
    )
    assert isinstance(plots.plot_tornado(out.tornado("protracted_war", RUPTURE)), Figure)


def test_unreliable_tornado_ends_are_not_reported(rw, assumptions):
    a = _get(assumptions, "incident_friction (location)")
    wide = with_tornado(a, a.base - 6 * a.unit, a.base + 6 * a.unit)
    out = tornado.outcome_sensitivity(rw, [wide], metrics=[RUPTURE])
    pts = out.points[out.points["position"].isin(["low", "high"])]
    assert (pts["pareto_k"] > K_THRESHOLD).any()
    t = out.tornado("status_quo", RUPTURE).iloc[0]
    for end in ("low", "high"):
        if t[f"k_{end}"] > K_THRESHOLD:
            assert np.isnan(t[f"p_{end}"]) and not t[f"reliable_{end}"]
    assert not t["complete"]


# ---- Sobol ------------------------------------------------------------------------------
def test_sobol_indices_rank_and_zero_out_correctly(rw, assumptions):
    chosen = [
        _get(assumptions, n)
        for n in ("escalation_intercept (location)", "beta.economic.nato_pressure (location)", "scenario_probability.post_erdogan_2028 (mean)")
    ]
    res = sobol.sobol_indices(rw, chosen, metrics=[RUPTURE], n=64, seed=1)
    assert res.n_evaluations == 64 * (len(chosen) + 2)
    t = res.table("protracted_war", RUPTURE).set_index("assumption")
    assert t.index[0] == "escalation_intercept (location)" and t.loc["escalation_intercept (location)", "ST"] > 0.5
    assert t.loc["scenario_probability.post_erdogan_2028 (mean)", "ST"] == 0  # does not touch this scenario
    t2 = res.table("post_erdogan_2028", RUPTURE).set_index("assumption")
    assert t2.loc["scenario_probability.post_erdogan_2028 (mean)", "ST"] > 0
    assert 0 <= res.share_unreliable <= 1 and np.isfinite(res.max_pareto_k)
    assert isinstance(plots.plot_sobol(t.reset_index()), Figure)
    assert res.to_dict()["n_evaluations"] == res.n_evaluations


def test_sobol_matches_one_at_a_time_for_a_single_assumption(rw, assumptions):
    """With one assumption, all the variance is its own: S1 = ST = 1."""
    res = sobol.sobol_indices(rw, [_get(assumptions, "escalation_intercept (location)")], metrics=[RUPTURE], n=128, seed=2)
    t = res.table("status_quo", RUPTURE).iloc[0]
    assert t["S1"] == pytest.approx(1.0, abs=0.1) and t["ST"] == pytest.approx(1.0, abs=0.1)


def test_changes_for_combines_knobs_of_one_prior(assumptions, baseline):
    loc, sc = _get(assumptions, "cushion (location)"), _get(assumptions, "cushion (scale)")
    ch = changes_for(baseline, {loc: 0.5, sc: 0.5})
    assert ch == {"cushion": Prior("Normal", mu=0.5, sigma=0.5 * baseline.prior("cushion").parameters["sigma"])}
