"""Instant prior edits: PSIS reweighting, checked against exact sampling and against a warm refit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pymc_extras.prior import Prior
from scipy import stats

from hedgecast.errors import SpecError
from hedgecast.forecasting.forecast import forecast, forecast_priors
from hedgecast.forecasting.scenarios import stable_key
from hedgecast.model import fit as fitmod
from hedgecast.stress.draws import headline_draws
from hedgecast.stress.edits import edit_prior
from hedgecast.stress.psis import K_THRESHOLD, psis, weighted_quantiles
from hedgecast.stress.reweight import Reweighter

RUPTURE = "P(rupture, 2030)"
CRISIS = "P(rupture event by 2030)"
SCEN = ["status_quo", "protracted_war", "post_erdogan_2028"]


@pytest.fixture(scope="module")
def big_mock(workbench, baseline):
    """Prior draws as a 'posterior' (2 × 1000): reweighting them to a new prior must match drawing from it."""
    return workbench.fit(baseline, sampler="mock", draws=1000, chains=2, seed=5)


@pytest.fixture(scope="module")
def big_mock_fc(big_mock):
    return big_mock.forecast(SCEN)


@pytest.fixture(scope="module")
def small_fc(small_fit):
    return small_fit.forecast(SCEN)


# ---- PSIS ------------------------------------------------------------------------------
def test_psis_reweights_a_normal_to_a_shifted_normal():
    """Draws from N(0,1) reweighted to N(0.5,1): the weighted mean is 0.5 within its MC error."""
    x = np.random.default_rng(1).standard_normal(20000)
    w = psis(stats.norm.logpdf(x, 0.5, 1) - stats.norm.logpdf(x, 0, 1))
    assert w.pareto_k < 0.5 and w.reliable
    mean = float(x @ w.weights)
    assert abs(mean - 0.5) < 4 * math.sqrt(1 / w.ess)
    assert abs(w.weights.sum() - 1) < 1e-12


def test_psis_flags_a_proposal_that_does_not_cover_the_target():
    x = np.random.default_rng(2).standard_normal(4000)
    w = psis(stats.norm.logpdf(x, 4.0, 0.3) - stats.norm.logpdf(x, 0, 1))
    assert w.pareto_k > K_THRESHOLD and not w.reliable


def test_psis_of_a_constant_ratio_is_uniform():
    w = psis(np.full(100, 3.0))
    assert w.uniform and np.allclose(w.weights, 0.01) and w.ess == 100


def test_weighted_quantiles_match_numpy_with_equal_weights():
    x = np.random.default_rng(3).normal(size=(5001, 3))
    q = weighted_quantiles(x, np.full(5001, 1 / 5001), [0.05, 0.5, 0.95])
    np.testing.assert_allclose(q, np.quantile(x, [0.05, 0.5, 0.95], axis=0), atol=0.02)


# ---- per-draw values -------------------------------------------------------------------
def test_headline_draws_average_to_the_forecast_headline(big_mock_fc):
    ind = headline_draws(big_mock_fc, 2030)
    head = big_mock_fc.headline(2030)
    for s in SCEN:
        for q in (RUPTURE, CRISIS, "P(transactional_equilibrium, 2030)"):
            assert float(ind.sel(quantity=q, scenario=s).mean()) == pytest.approx(head[s][q], abs=1e-12)


def test_forecast_prior_draws_are_the_ones_the_forecast_used(big_mock, big_mock_fc, baseline):
    """The scenario probability each draw used is reproducible, so it can be reweighted."""
    n = 2000
    _, probs = forecast_priors(baseline, n, big_mock_fc.data.attrs["seed"])
    u = np.random.default_rng([big_mock_fc.data.attrs["seed"], stable_key("post_erdogan_2028")]).random(n)
    active = big_mock_fc.data["active"].sel(scenario="post_erdogan_2028").values.ravel()
    np.testing.assert_array_equal(active, u < probs["post_erdogan_2028"])


# ---- edits -----------------------------------------------------------------------------
def test_small_edit_is_reweighted_instantly_and_moves_the_right_way(big_mock, big_mock_fc):
    old = big_mock.lens.prior("escalation_intercept")
    new = Prior("Normal", mu=float(old.parameters["mu"]) + 0.5, sigma=float(old.parameters["sigma"]))
    edit_prior(big_mock, big_mock_fc, {"escalation_intercept": new})  # warm the per-fit cache
    res = edit_prior(big_mock, big_mock_fc, {"escalation_intercept": new})
    assert res.method == "reweight" and res.reliable
    assert np.isfinite(res.pareto_k) and res.pareto_k <= K_THRESHOLD
    assert "k̂" in res.message and f"{res.pareto_k:.2f}" in res.message
    assert res.latency_s < 1.0
    t = res.table([CRISIS]).set_index("scenario")
    assert (t["after"] > t["before"]).all()  # a higher crisis intercept: more crises


def test_reweighting_matches_sampling_from_the_new_prior(big_mock, big_mock_fc):
    """On a mock fit the 'posterior' is the prior, so a mock refit draws exactly from the edited one."""
    old = big_mock.lens.prior("escalation_intercept")
    new = Prior("Normal", mu=float(old.parameters["mu"]) + 0.6, sigma=float(old.parameters["sigma"]))
    rew = edit_prior(big_mock, big_mock_fc, {"escalation_intercept": new}, refit="never")
    ref = edit_prior(big_mock, big_mock_fc, {"escalation_intercept": new}, refit="always")
    assert rew.method == "reweight" and ref.method == "refit"
    for s in SCEN:
        a, b = float(rew.probabilities.sel(quantity=CRISIS, scenario=s)), float(ref.probabilities.sel(quantity=CRISIS, scenario=s))
        se = math.hypot(float(rew.mcse.sel(quantity=CRISIS, scenario=s)), float(ref.mcse.sel(quantity=CRISIS, scenario=s)))
        assert abs(a - b) < 4 * se, (s, a, b, se)
        base = float(rew.base.sel(quantity=CRISIS, scenario=s))
        assert b - base > 2 * se  # the change is real, not within the noise


def test_forecast_only_edit_reruns_the_forecast_exactly(big_mock, big_mock_fc):
    new = Prior("Beta", alpha=9.0, beta=1.5)
    res = edit_prior(big_mock, big_mock_fc, {"scenario_probability.post_erdogan_2028": new})
    assert res.method == "forecast" and np.isnan(res.pareto_k)
    lens = big_mock.lens.derive("check")
    lens = lens.with_prior("scenario_probability.post_erdogan_2028", new, reason="test")
    direct = forecast(big_mock.idata, big_mock.spec, lens, big_mock.inputs, SCEN, big_mock_fc.data.attrs["seed"])
    head = direct.headline(2030)
    for s in SCEN:
        assert float(res.probabilities.sel(quantity=RUPTURE, scenario=s)) == pytest.approx(head[s][RUPTURE], abs=1e-12)
    t = res.table([RUPTURE]).set_index("scenario")
    assert t.loc["status_quo", "change"] == 0 and t.loc["protracted_war", "change"] == 0
    assert t.loc["post_erdogan_2028", "change"] != 0


def test_reweighting_a_forecast_prior_touches_only_the_scenarios_it_affects(big_mock, big_mock_fc):
    rw = Reweighter(big_mock, big_mock_fc)
    new = Prior("Beta", alpha=6.0, beta=3.0)
    ev = rw.evaluate({"scenario_probability.post_erdogan_2028": new}, forecast_priors="reweight")
    exact = rw.evaluate({"scenario_probability.post_erdogan_2028": new}, forecast_priors="rerun")
    base = rw.base()
    for s in ("status_quo", "protracted_war"):
        assert ev.value(RUPTURE, s) == pytest.approx(base.value(RUPTURE, s), abs=1e-12)
    s = "post_erdogan_2028"
    assert abs(ev.value(RUPTURE, s) - exact.value(RUPTURE, s)) < 4 * math.hypot(ev.se(RUPTURE, s), exact.se(RUPTURE, s))
    assert ev.reliable


def test_unreliable_numbers_are_never_shown(big_mock, big_mock_fc):
    old = big_mock.lens.prior("incident_friction")
    far = Prior("Normal", mu=float(old.parameters["mu"]) + 5 * float(old.parameters["sigma"]), sigma=0.2)
    res = edit_prior(big_mock, big_mock_fc, {"incident_friction": far}, refit="never")
    assert res.method == "unreliable" and not res.reliable
    assert res.pareto_k > K_THRESHOLD
    assert np.isnan(res.probabilities.values).all()
    assert "not shown" in res.message


def test_a_large_change_triggers_the_refit_path(big_mock, big_mock_fc):
    old = big_mock.lens.prior("incident_friction")
    far = Prior("Normal", mu=float(old.parameters["mu"]) + 5 * float(old.parameters["sigma"]), sigma=0.2)
    res = edit_prior(big_mock, big_mock_fc, {"incident_friction": far})
    assert res.method == "refit" and res.refitted
    assert res.reweighted_pareto_k > K_THRESHOLD
    assert "refitted" in res.message and "warm" in res.message
    assert res.fit is not big_mock and res.fit.lens.prior("incident_friction") == far
    assert np.isfinite(res.probabilities.values).all()


def test_an_invalid_edit_is_a_clear_error(big_mock, big_mock_fc):
    with pytest.raises(SpecError, match="sigma"):
        edit_prior(big_mock, big_mock_fc, {"incident_friction": {"dist": "Normal", "mu": 0.0, "sigma": -1.0}})


def test_edit_result_fan_is_weighted(big_mock, big_mock_fc):
    old = big_mock.lens.prior("crisis_effect.political")
    new = Prior("Normal", mu=float(old.parameters["mu"]) - 0.5, sigma=float(old.parameters["sigma"]))
    res = edit_prior(big_mock, big_mock_fc, {"crisis_effect.political": new})
    fan = res.fan()
    assert fan.dims == ("quantile", "scenario", "year", "channel")
    assert (fan.diff("quantile") >= -1e-12).all()
    assert res.history_fan().sizes["year"] == len(big_mock.inputs.years)


# ---- the real sampler: reweighting vs a warm refit -------------------------------------
def _cache_snapshot():
    return {k: (id(v), id(v._nutpie)) for k, v in fitmod._CACHE.items()}


def test_reweighted_probabilities_agree_with_a_warm_refit(small_fit, small_fc):
    """A small prior change: reweighted numbers = a full (warm) refit's, within Monte Carlo error.

    The change moves the escalation intercept by 0.4 prior sd. The comparison allows 4
    standard errors of the difference (both estimates' MC SEs, the refit inflated for the
    autocorrelation of its 2 × 150 NUTS draws by a factor 1.5), for every scenario and
    quantity tracked; and it checks the change is real in the parameter itself.
    """
    old = small_fit.lens.prior("escalation_intercept")
    mu, sd = float(old.parameters["mu"]), float(old.parameters["sigma"])
    new = Prior("Normal", mu=mu + 0.4 * sd, sigma=sd)
    rew = edit_prior(small_fit, small_fc, {"escalation_intercept": new}, refit="never")
    assert rew.method == "reweight" and rew.pareto_k <= K_THRESHOLD
    before = _cache_snapshot()
    ref = edit_prior(small_fit, small_fc, {"escalation_intercept": new}, refit="always")
    assert ref.method == "refit" and "warm" in ref.message
    assert _cache_snapshot() == before  # the compiled model was reused, not rebuilt
    for q in (RUPTURE, CRISIS):
        for s in SCEN:
            a, b = float(rew.probabilities.sel(quantity=q, scenario=s)), float(ref.probabilities.sel(quantity=q, scenario=s))
            se = math.hypot(float(rew.mcse.sel(quantity=q, scenario=s)), 1.5 * float(ref.mcse.sel(quantity=q, scenario=s)))
            assert abs(a - b) < 4 * se, (q, s, a, b, se)
    # the parameter itself: reweighted posterior mean vs the refit's
    draws = small_fit.idata.posterior["escalation_intercept"].values.ravel()
    m_rew = float(draws @ rew.weights)
    m_ref = float(ref.fit.idata.posterior["escalation_intercept"].mean())
    m_old = float(draws.mean())
    sd_post = float(draws.std())
    assert abs(m_rew - m_ref) < 4 * sd_post * math.sqrt(1 / rew.ess + 1.5**2 / draws.size)
    assert m_rew > m_old  # the prior moved up, so does the posterior


def test_large_change_on_the_real_fit_refits_warm(small_fit, small_fc):
    old = small_fit.lens.prior("escalation_intercept")
    far = Prior("Normal", mu=float(old.parameters["mu"]) + 4.0, sigma=0.25)
    before = _cache_snapshot()
    res = edit_prior(small_fit, small_fc, {"escalation_intercept": far})
    assert res.reweighted_pareto_k > K_THRESHOLD
    assert res.method == "refit" and "k̂ =" in res.message and "warm" in res.message
    assert _cache_snapshot() == before
    assert res.timings["refit_s"] > 0 and res.latency_s >= res.timings["refit_s"]
    t = res.table([CRISIS]).set_index("scenario")
    assert (t["after"] > t["before"]).all()
