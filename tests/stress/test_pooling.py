"""Linear and logarithmic pools of lenses, and the between/within-lens variance decomposition."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from pymc_extras.prior import Prior
from scipy import integrate, stats

from hedgecast.errors import SpecError
from hedgecast.stress.log_pool import log_pool, log_pool_lens, log_pool_prior
from hedgecast.stress.pooling import LensForecast, lens_forecast, linear_pool, participant_lens, pool, variance_decomposition
from hedgecast.stress.psis import K_THRESHOLD
from hedgecast.stress.refits import RefitPool
from hedgecast.stress.reweight import Reweighter

RUPTURE = "P(rupture, 2030)"
SCEN = ["status_quo", "protracted_war"]


@pytest.fixture(scope="module")
def rw(workbench, baseline):
    fit = workbench.fit(baseline, sampler="mock", draws=500, chains=2, seed=23)
    return Reweighter(fit, fit.forecast(SCEN))


# ---- closed-form logarithmic pools, checked by numerical normalisation ------------------
def _numeric_mean(logpdf, lo, hi):
    x = np.linspace(lo, hi, 200001)
    d = np.exp(logpdf(x) - np.max(logpdf(x)))
    z = integrate.trapezoid(d, x)
    return integrate.trapezoid(x * d, x) / z, np.sqrt(integrate.trapezoid(x**2 * d, x) / z - (integrate.trapezoid(x * d, x) / z) ** 2)


@pytest.mark.parametrize(
    ("priors", "lo", "hi", "scipy_of"),
    [
        (
            [Prior("Normal", mu=0.0, sigma=1.0), Prior("Normal", mu=2.0, sigma=0.5)],
            -6,
            8,
            lambda p: stats.norm(p.parameters["mu"], p.parameters["sigma"]),
        ),
        (
            [Prior("Gamma", alpha=3.0, beta=6.0), Prior("Gamma", alpha=8.0, beta=4.0)],
            1e-9,
            12,
            lambda p: stats.gamma(p.parameters["alpha"], scale=1 / p.parameters["beta"]),
        ),
        (
            [Prior("Beta", alpha=4.0, beta=4.0), Prior("Beta", alpha=9.0, beta=2.0)],
            1e-9,
            1 - 1e-9,
            lambda p: stats.beta(p.parameters["alpha"], p.parameters["beta"]),
        ),
        (
            [Prior("LogNormal", mu=0.0, sigma=0.5), Prior("LogNormal", mu=0.5, sigma=0.3)],
            1e-9,
            15,
            lambda p: stats.lognorm(p.parameters["sigma"], scale=np.exp(p.parameters["mu"])),
        ),
    ],
    ids=["Normal", "Gamma", "Beta", "LogNormal"],
)
def test_closed_form_log_pool_matches_the_normalised_weighted_log_density(priors, lo, hi, scipy_of):
    a = np.array([0.3, 0.7])
    pooled = log_pool_prior(priors, a)
    assert pooled is not None and pooled.distribution == priors[0].distribution
    mean, sd = _numeric_mean(lambda x: sum(w * scipy_of(p).logpdf(x) for w, p in zip(a, priors, strict=True)), lo, hi)
    assert scipy_of(pooled).mean() == pytest.approx(mean, rel=1e-4)
    assert scipy_of(pooled).std() == pytest.approx(sd, rel=1e-3)


def test_normal_log_pool_is_precision_weighted():
    p = log_pool_prior([Prior("Normal", mu=0.0, sigma=1.0), Prior("Normal", mu=1.0, sigma=0.5)], np.array([0.5, 0.5]))
    tau = 0.5 * 1 + 0.5 * 4
    assert p.parameters["sigma"] == pytest.approx(tau**-0.5)
    assert p.parameters["mu"] == pytest.approx((0.5 * 4 * 1.0) / tau)


def test_dirichlet_log_pool():
    p = log_pool_prior([Prior("Dirichlet", a=[2.0, 4.0, 1.0]), Prior("Dirichlet", a=[4.0, 2.0, 3.0])], np.array([0.5, 0.5]))
    np.testing.assert_allclose(p.parameters["a"], [3.0, 3.0, 2.0])


def test_no_closed_form_across_families():
    assert log_pool_prior([Prior("Normal", mu=0, sigma=1), Prior("StudentT", nu=3, mu=0, sigma=1)], np.array([0.5, 0.5])) is None


def test_log_pool_lens_of_identical_lenses_is_the_lens(baseline):
    pooled, open_ = log_pool_lens([baseline, baseline], [0.2, 0.8])
    assert open_ == []
    for k, lp in baseline.priors.items():
        p, q = pooled.priors[k].prior, lp.prior
        assert p.distribution == q.distribution
        for name, v in q.parameters.items():
            np.testing.assert_allclose(p.parameters[name], v, rtol=1e-12)


def test_pool_weights_are_validated(baseline):
    with pytest.raises(ValueError, match="non-negative"):
        log_pool_lens([baseline, baseline], [1.0, -1.0])
    with pytest.raises(ValueError, match="2 non-negative"):
        log_pool_lens([baseline, baseline], [1.0])


def test_participant_lens_validates_their_priors(baseline):
    lens = participant_lens(baseline, "ayse", {"beta.political.leader_ties": Prior("Normal", mu=0.9, sigma=0.3)})
    assert lens.prior("beta.political.leader_ties").parameters["mu"] == 0.9 and lens.author == "ayse"
    with pytest.raises(SpecError):
        participant_lens(baseline, "bad", {"beta.political.leader_ties": {"dist": "Normal", "mu": 0.0, "sigma": -0.3}})


# ---- forecasts of lenses and their pools --------------------------------------------
def test_linear_pool_is_the_weighted_mixture(rw, baseline):
    other = participant_lens(
        baseline,
        "hawk",
        {"escalation_intercept": Prior("Normal", mu=float(baseline.prior("escalation_intercept").parameters["mu"]) + 0.7, sigma=1.0)},
    )
    m0 = lens_forecast(rw, baseline)
    m1 = lens_forecast(rw, other)
    assert m0.method == "fit" and m1.method == "reweight" and m1.pareto_k <= K_THRESHOLD
    p0, p1 = m0.probabilities()[0], m1.probabilities()[0]
    assert float(p1.sel(quantity=RUPTURE, scenario="status_quo")) > float(p0.sel(quantity=RUPTURE, scenario="status_quo"))
    mean, se = linear_pool([m0, m1], [1, 3])
    xr.testing.assert_allclose(mean, 0.25 * p0 + 0.75 * p1)
    assert (se > 0).all()
    pl = pool([m0, m1], [1, 3], metrics=[RUPTURE])
    t = pl.table([RUPTURE]).set_index("scenario")
    assert t.loc["status_quo", "linear pool"] == pytest.approx(float(mean.sel(quantity=RUPTURE, scenario="status_quo")))
    fan = pl.fan()
    assert fan.dims == ("quantile", "scenario", "year", "channel") and (fan.diff("quantile") >= -1e-12).all()


def test_log_pool_of_two_lenses_reweights_to_the_pooled_prior(rw, baseline):
    mu = float(baseline.prior("escalation_intercept").parameters["mu"])
    a = participant_lens(baseline, "a", {"escalation_intercept": Prior("Normal", mu=mu - 0.5, sigma=1.0)})
    b = participant_lens(baseline, "b", {"escalation_intercept": Prior("Normal", mu=mu + 0.5, sigma=1.0)})
    lp = log_pool([rw], [a, b])
    assert lp.lens.prior("escalation_intercept").parameters["mu"] == pytest.approx(mu)
    assert lp.lens.prior("escalation_intercept").parameters["sigma"] == pytest.approx(1.0)
    # equal and opposite shifts: the log pool is the baseline prior, so the weights are uniform
    assert lp.method == "reweight" and lp.weights is None
    np.testing.assert_allclose(lp.probabilities()[0].values, rw.base().probabilities.values, atol=1e-12)


def test_unreliable_member_without_budget_is_excluded_and_named(rw, baseline):
    far = participant_lens(baseline, "extreme", {"incident_friction": Prior("Normal", mu=8.0, sigma=0.1)})
    m = lens_forecast(rw, far, refits=RefitPool(rw, 0))
    assert m.method == "unreliable" and m.pareto_k > K_THRESHOLD
    pl = pool([lens_forecast(rw, baseline), m], metrics=[RUPTURE])
    assert pl.excluded == ["extreme"] and len(pl.members) == 1


def test_unreliable_member_is_refitted_within_budget(rw, baseline):
    far = participant_lens(baseline, "extreme", {"incident_friction": Prior("Normal", mu=8.0, sigma=0.1)})
    refits = RefitPool(rw, 1)
    m = lens_forecast(rw, far, refits=refits)
    assert m.method == "refit" and refits.used == 1 and "refitted warm" in m.message
    assert m.fit.lens.prior("incident_friction") == far.prior("incident_friction")
    # another lens close to it is now reweighted from that refit, not refitted again
    near = participant_lens(baseline, "near", {"incident_friction": Prior("Normal", mu=8.02, sigma=0.1)})
    m2 = lens_forecast(rw, near, refits=refits)
    assert m2.method == "reweight" and "from the refit" in m2.message and refits.used == 1


# ---- variance decomposition ---------------------------------------------------------
class _Synthetic(LensForecast):
    """A lens whose per-draw probability p(θ) is known: paths are Bernoulli(p(θ)), two independent seeds."""

    def __init__(self, name, p_theta, rng):
        super().__init__(name, None, None, None, None, "fit", float("nan"), float(p_theta.size), "", 2030, ["s"])
        self.y = [rng.random(p_theta.size) < p_theta, rng.random(p_theta.size) < p_theta]
        self.replicate = True

    def indicators(self, replicate=False):
        y = self.y[1 if replicate else 0].astype(float)
        return xr.DataArray(y[None, None, :], dims=("quantity", "scenario", "sample"), coords={"quantity": [RUPTURE], "scenario": ["s"]})

    def probabilities(self):
        v = self.indicators().mean("sample")
        return v, v * 0


def test_variance_decomposition_recovers_known_between_and_within_parts():
    rng = np.random.default_rng(4)
    n = 200_000
    pa = rng.beta(2, 8, n)  # lens a: p(θ) ~ Beta(2, 8): mean 0.2, var 0.01455
    pb = rng.beta(6, 6, n)  # lens b: mean 0.5, var 0.01923
    d = variance_decomposition([_Synthetic("a", pa, rng), _Synthetic("b", pb, rng)], [0.5, 0.5], [RUPTURE]).iloc[0]
    assert d["between"] == pytest.approx(0.5 * 0.15**2 * 2, rel=0.02)  # Σ a (p_l - p)^2 = 0.0225
    within = 0.5 * (2 * 8 / (10**2 * 11)) + 0.5 * (36 / (144 * 13))
    assert d["within"] == pytest.approx(within, rel=0.05)
    assert d["share_between"] == pytest.approx(0.0225 / (0.0225 + within), rel=0.05)
    assert d["pooled"] == pytest.approx(0.35, abs=0.003)
