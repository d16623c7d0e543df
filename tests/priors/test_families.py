"""The prior-family registry: every density is PyMC's own, every conversion round-trips."""

from __future__ import annotations

import math

import numpy as np
import pymc as pm
import pytest
from pymc_extras.prior import Prior
from scipy import stats

from hedgecast.priors import families
from hedgecast.priors.families import FAMILIES, dirichlet_logpdf, logpdf

PRIORS = [
    Prior("Normal", mu=0.3, sigma=0.7),
    Prior("Normal", mu=-0.2, tau=4.0),
    Prior("HalfNormal", sigma=0.5),
    Prior("StudentT", nu=4, mu=-1, sigma=0.5),
    Prior("HalfStudentT", nu=3, sigma=0.8),
    Prior("Cauchy", alpha=0.1, beta=0.6),
    Prior("HalfCauchy", beta=1.5),
    Prior("Laplace", mu=0.2, b=0.4),
    Prior("Logistic", mu=0.1, s=0.3),
    Prior("Gumbel", mu=0.4, beta=0.5),
    Prior("Gamma", alpha=3.0, beta=6.0),
    Prior("Gamma", mu=0.5, sigma=0.2),
    Prior("InverseGamma", alpha=3.0, beta=1.0),
    Prior("Beta", alpha=6.0, beta=3.0),
    Prior("Beta", mu=0.3, sigma=0.1),
    Prior("Beta", mu=0.6, nu=12.0),
    Prior("LogNormal", mu=0.0, sigma=0.5),
    Prior("TruncatedNormal", mu=0.5, sigma=1.0, lower=0.0, upper=2.0),
    Prior("Exponential", lam=2.0),
    Prior("Uniform", lower=-1.0, upper=2.0),
    Prior("Weibull", alpha=1.5, beta=0.8),
    Prior("Kumaraswamy", a=2.0, b=3.0),  # no SciPy form: the compiled PyMC fallback
]


def _pymc_logp(prior: Prior, x: np.ndarray) -> np.ndarray:
    return pm.logp(prior.pymc_distribution.dist(**prior.parameters), x).eval(mode="FAST_COMPILE")


@pytest.mark.parametrize("prior", PRIORS, ids=lambda p: f"{p.distribution}({','.join(p.parameters)})")
def test_logpdf_is_pymcs_at_random_points(prior):
    rng = np.random.default_rng(abs(hash(prior.distribution)) % 2**32)
    # random points over the unit interval, the positive line and the real line (outside the support too)
    x = np.concatenate([rng.uniform(0.01, 0.99, 6), rng.gamma(2.0, 0.5, 6), rng.normal(0, 2, 6)])
    # PyMC evaluates some special functions to ~1e-7
    np.testing.assert_allclose(logpdf(prior, x), _pymc_logp(prior, x), rtol=1e-5, atol=1e-6)


def test_logpdf_keeps_the_shape_of_its_input():
    x = np.linspace(0.1, 0.9, 12).reshape(3, 4)
    assert logpdf(Prior("Beta", alpha=2.0, beta=2.0), x).shape == (3, 4)
    assert logpdf(Prior("Kumaraswamy", a=2.0, b=3.0), x).shape == (3, 4)


def test_dirichlet_logpdf_is_pymcs():
    a = [1.5, 7.0, 0.8, 0.4, 0.3]
    x = np.random.default_rng(0).dirichlet(a, size=6)
    x = x / x.sum(axis=1, keepdims=True)
    expected = [float(pm.logp(pm.Dirichlet.dist(a=a), row).eval()) for row in x]
    np.testing.assert_allclose(dirichlet_logpdf(a, x), expected, rtol=1e-9)
    np.testing.assert_allclose(dirichlet_logpdf(a, x), [stats.dirichlet.logpdf(row, a) for row in x], rtol=1e-9)


@pytest.mark.parametrize("mean, sd", [(0.3, 0.1), (0.5, 0.2), (0.9, 0.05), (0.02, 0.01)])
def test_beta_mean_sd_round_trip(mean, sd):
    a, b = families.beta_from_mean_sd(mean, sd)
    assert families.beta_mean_sd(a, b) == pytest.approx((mean, sd), rel=1e-12)
    assert families.beta_ab({"mu": mean, "sigma": sd}) == pytest.approx((a, b), rel=1e-12)
    # and PyMC's own Beta(mu, sigma) is that Beta(alpha, beta)
    x = np.array([0.05, 0.3, 0.7])
    np.testing.assert_allclose(_pymc_logp(Prior("Beta", mu=mean, sigma=sd), x), _pymc_logp(Prior("Beta", alpha=a, beta=b), x), rtol=1e-9)


@pytest.mark.parametrize("mean, sd", [(0.5, 0.2), (3.0, 2.0), (10.0, 0.5)])
def test_gamma_mean_sd_round_trip(mean, sd):
    a, b = families.gamma_from_mean_sd(mean, sd)
    assert families.gamma_mean_sd(a, b) == pytest.approx((mean, sd), rel=1e-12)
    assert families.gamma_ab({"mu": mean, "sigma": sd}) == pytest.approx((a, b), rel=1e-12)
    assert families.mean(Prior("Gamma", alpha=a, beta=b)) == pytest.approx(mean, rel=1e-12)
    assert families.sd(Prior("Gamma", alpha=a, beta=b)) == pytest.approx(sd, rel=1e-12)


@pytest.mark.parametrize(
    "prior", [p for p in PRIORS if p.distribution not in ("Kumaraswamy", "HalfStudentT")], ids=lambda p: p.distribution
)
def test_to_scipy_has_pymcs_moments(prior):
    draws = pm.draw(prior.pymc_distribution.dist(**prior.parameters), draws=200_000, random_seed=1)
    d = families.to_scipy(prior)
    if np.isfinite(d.std()):
        assert float(np.mean(draws)) == pytest.approx(float(d.mean()), abs=5 * float(d.std()) / math.sqrt(draws.size))
    assert float(np.median(draws)) == pytest.approx(float(d.median()), abs=0.02 * (1 + abs(float(d.median()))))


def test_location_and_scale_views():
    assert families.location_sd(Prior("Normal", mu=0, sigma=0.4)) == 0.4
    assert families.location_sd(Prior("StudentT", nu=3, mu=0, sigma=1)) == pytest.approx(math.sqrt(3))
    assert families.location_sd(Prior("StudentT", nu=2, mu=0, sigma=1)) == 1.0  # infinite sd: the scale
    assert families.location_sd(Prior("LogNormal", mu=0, sigma=0.5)) == 0.5  # on the log scale mu lives on
    for name, fam in FAMILIES.items():
        if fam.location_sd is not None:
            assert fam.location is not None and fam.scale is not None, name
    with pytest.raises(ValueError, match="no location"):
        families.location_sd(Prior("Gamma", alpha=2, beta=1))
    with pytest.raises(ValueError, match="no SciPy form"):
        families.to_scipy(Prior("Kumaraswamy", a=2.0, b=3.0))


def test_every_lens_family_is_registered(baseline):
    used = {lp.prior.distribution for lp in baseline.priors.values()}
    assert used <= set(FAMILIES), used - set(FAMILIES)
