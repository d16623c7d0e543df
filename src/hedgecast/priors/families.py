"""The prior families hedgecast knows: one place for their SciPy form, densities, moments and conversions.

A lens prior is a ``pymc_extras.prior.Prior`` (a PyMC family name and its parameters), and
the model samples it with PyMC. Everything else that needs a prior's numbers outside the
model — the 9 ms reweighting of stress tests (:func:`logpdf`), the location and scale that
stress tests move (:data:`FAMILIES`, :func:`location_sd`), logarithmic pooling (shape
parameters via :func:`beta_ab` / :func:`gamma_ab`), elicitation checks (:func:`to_scipy`) —
reads them from here, so a family's parametrisation is written down exactly once.

Each :class:`Family` maps PyMC's parameters to a ``scipy.stats`` distribution (shape
arguments, loc, scale). Density evaluation calls the SciPy *unfrozen* ``logpdf`` with those
arguments (freezing costs more than the evaluation for a few thousand draws); the Normal,
by far the most common prior, skips SciPy altogether. Families with no SciPy mapping fall
back to PyMC's own ``logp``, compiled once per family.

SciPy rather than PreliZ: PreliZ 0.24 does not import with the pinned matplotlib (it uses
``matplotlib.style.core``, which matplotlib removed). ``Prior.preliz`` would replace
:func:`to_scipy` and the moments below once it imports; the density path would stay on
SciPy, which is several times faster per call.

Conversions between a Beta's or Gamma's mean/sd and its shape parameters follow PyMC's own
alternative parametrisations (``Beta(mu, sigma)`` / ``Beta(mu, nu)``, ``Gamma(mu, sigma)``),
so a prior written either way has the same density here as in the model.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pymc_extras.prior import Prior
from scipy import special, stats

__all__ = [
    "FAMILIES",
    "Family",
    "beta_ab",
    "beta_from_mean_sd",
    "beta_mean_sd",
    "dirichlet_logpdf",
    "family",
    "gamma_ab",
    "gamma_from_mean_sd",
    "gamma_mean_sd",
    "location_sd",
    "logpdf",
    "mean",
    "scale_of",
    "sd",
    "to_scipy",
]

Params = Mapping[str, Any]
ScipyArgs = tuple[tuple[float, ...], float, float]  # shape arguments, loc, scale


# ------------------------------------------------------------------------------------
# parameter conversions
# ------------------------------------------------------------------------------------
def scale_of(p: Params, scale: str = "sigma", precision: str = "tau") -> float:
    """The scale parameter ``scale`` of ``p``, or ``1/sqrt(precision)``, or 1 (PyMC's default)."""
    if scale in p:
        return float(p[scale])
    if precision in p:
        return 1.0 / math.sqrt(float(p[precision]))
    return 1.0


def beta_from_mean_sd(mean: float, sd: float) -> tuple[float, float]:
    """``(alpha, beta)`` of the Beta with this mean and standard deviation (needs ``sd² < mean(1 − mean)``)."""
    kappa = mean * (1 - mean) / sd**2 - 1
    return mean * kappa, (1 - mean) * kappa


def beta_mean_sd(alpha: float, beta: float) -> tuple[float, float]:
    """Mean and standard deviation of Beta(``alpha``, ``beta``)."""
    n = alpha + beta
    return alpha / n, math.sqrt(alpha * beta / (n**2 * (n + 1)))


def beta_ab(p: Params) -> tuple[float, float]:
    """``(alpha, beta)`` of a Beta written as alpha/beta, mu/sigma or mu/nu (``nu = alpha + beta``)."""
    if "alpha" in p and "beta" in p:
        return float(p["alpha"]), float(p["beta"])
    mu = float(p["mu"])
    if "nu" in p:
        kappa = float(p["nu"])
        return mu * kappa, (1 - mu) * kappa
    return beta_from_mean_sd(mu, float(p["sigma"]))


def gamma_from_mean_sd(mean: float, sd: float) -> tuple[float, float]:
    """``(alpha, beta)`` (shape, rate) of the Gamma with this mean and standard deviation."""
    return mean**2 / sd**2, mean / sd**2


def gamma_mean_sd(alpha: float, beta: float) -> tuple[float, float]:
    """Mean and standard deviation of Gamma(shape ``alpha``, rate ``beta``)."""
    return alpha / beta, math.sqrt(alpha) / beta


def gamma_ab(p: Params) -> tuple[float, float]:
    """``(alpha, beta)`` (shape, rate) of a Gamma written as alpha/beta or mu/sigma."""
    if "alpha" in p and "beta" in p:
        return float(p["alpha"]), float(p["beta"])
    return gamma_from_mean_sd(float(p["mu"]), float(p["sigma"]))


# ------------------------------------------------------------------------------------
# the families
# ------------------------------------------------------------------------------------
def _truncnorm(p: Params) -> ScipyArgs:
    mu, s = float(p.get("mu", 0.0)), scale_of(p)
    lo, hi = float(p.get("lower", -np.inf)), float(p.get("upper", np.inf))
    return ((lo - mu) / s, (hi - mu) / s), mu, s


def _uniform(p: Params) -> ScipyArgs:
    lo, hi = float(p.get("lower", 0.0)), float(p.get("upper", 1.0))
    return (), lo, hi - lo


def _gamma(p: Params) -> ScipyArgs:
    a, b = gamma_ab(p)
    return (a,), 0.0, 1.0 / b


def _invgamma(p: Params) -> ScipyArgs | None:
    return ((float(p["alpha"]),), 0.0, float(p.get("beta", 1.0))) if "alpha" in p else None  # mu/sigma form: PyMC's logp


def _exponential(p: Params) -> ScipyArgs:
    return (), 0.0, float(p["scale"]) if "scale" in p else 1.0 / float(p["lam"])


@dataclass(frozen=True)
class Family:
    """One PyMC family as hedgecast uses it.

    ``scipy`` and ``args`` give the SciPy distribution and, from PyMC's parameters, its
    ``(shapes, loc, scale)``; ``None`` where SciPy has no equal (for the family, or for this
    parametrisation of it): PyMC's ``logp`` is used then.
    ``location`` and ``scale`` name the parameters a stress test moves: the location (on
    the scale it is written, so the log scale for a LogNormal) and the spread.
    ``location_sd`` is the standard deviation matching that location (``None``: the
    family has no location parameter).
    """

    name: str
    scipy: Any | None = None
    args: Callable[[Params], ScipyArgs | None] | None = None
    location: str | None = None
    scale: str | None = None
    location_sd: Callable[[Params], float] | None = None
    half: bool = False  # a half-distribution folded at 0 that SciPy lacks (log 2 + the full density on x ≥ 0)


def _sigma_sd(p: Params) -> float:
    return scale_of(p)


def _student_sd(p: Params) -> float:
    s, nu = scale_of(p, "sigma", "lam"), float(p["nu"])
    return s * math.sqrt(nu / (nu - 2)) if nu > 2 else s


_LIST = (
    Family("Normal", stats.norm, lambda p: ((), float(p.get("mu", 0.0)), scale_of(p)), "mu", "sigma", _sigma_sd),
    Family("HalfNormal", stats.halfnorm, lambda p: ((), 0.0, scale_of(p)), None, "sigma"),
    Family(
        "StudentT",
        stats.t,
        lambda p: ((float(p["nu"]),), float(p.get("mu", 0.0)), scale_of(p, "sigma", "lam")),
        "mu",
        "sigma",
        _student_sd,
    ),
    Family("HalfStudentT", stats.t, lambda p: ((float(p["nu"]),), 0.0, scale_of(p, "sigma", "lam")), None, "sigma", half=True),
    Family("Cauchy", stats.cauchy, lambda p: ((), float(p["alpha"]), float(p["beta"])), "alpha", "beta", lambda p: float(p["beta"])),
    Family("HalfCauchy", stats.halfcauchy, lambda p: ((), 0.0, float(p["beta"])), None, "beta"),
    Family("Laplace", stats.laplace, lambda p: ((), float(p["mu"]), float(p["b"])), "mu", "b", lambda p: float(p["b"]) * math.sqrt(2)),
    Family(
        "Logistic",
        stats.logistic,
        lambda p: ((), float(p.get("mu", 0.0)), float(p.get("s", 1.0))),
        "mu",
        "s",
        lambda p: float(p.get("s", 1.0)) * math.pi / math.sqrt(3),
    ),
    Family(
        "Gumbel",
        stats.gumbel_r,
        lambda p: ((), float(p["mu"]), float(p["beta"])),
        "mu",
        "beta",
        lambda p: float(p["beta"]) * math.pi / math.sqrt(6),
    ),
    Family("LogNormal", stats.lognorm, lambda p: ((scale_of(p),), 0.0, math.exp(float(p.get("mu", 0.0)))), "mu", "sigma", _sigma_sd),
    Family("Lognormal", stats.lognorm, lambda p: ((scale_of(p),), 0.0, math.exp(float(p.get("mu", 0.0)))), "mu", "sigma", _sigma_sd),
    Family("Gamma", stats.gamma, _gamma),
    Family("InverseGamma", stats.invgamma, _invgamma),
    Family("Exponential", stats.expon, _exponential),
    Family("Beta", stats.beta, lambda p: (beta_ab(p), 0.0, 1.0)),
    Family("Uniform", stats.uniform, _uniform),
    Family("TruncatedNormal", stats.truncnorm, _truncnorm, "mu", "sigma", _sigma_sd),
    Family("Weibull", stats.weibull_min, lambda p: ((float(p["alpha"]),), 0.0, float(p["beta"]))),
    Family("SkewNormal", None, None, "mu", "sigma", _sigma_sd),
    Family("Dirichlet"),
)
FAMILIES: dict[str, Family] = {f.name: f for f in _LIST}
"""Every family hedgecast handles by name (PyMC spelling; ``Lognormal`` is PyMC's alias of ``LogNormal``).
Other PyMC families still work in lenses: their densities come from PyMC."""


def family(name: str) -> Family:
    """The :class:`Family` called ``name`` (a bare one, PyMC-only, for families not listed)."""
    return FAMILIES.get(name) or Family(name)


def to_scipy(prior: Prior):
    """The prior as a frozen ``scipy.stats`` distribution (for quantiles, CDFs, moments).

    Raises ``ValueError`` for a family without a SciPy equal (see :data:`FAMILIES`).
    """
    p = {k: float(v) for k, v in prior.parameters.items()}
    fam = FAMILIES.get(prior.distribution)
    args = fam.args(p) if fam is not None and fam.args is not None and not fam.half else None
    if args is None:
        raise ValueError(
            f"no SciPy form for {prior.distribution}({', '.join(p)}): supported are "
            + ", ".join(f.name for f in _LIST if f.args is not None and not f.half)
        )
    shapes, loc, scale = args
    return fam.scipy(*shapes, loc=loc, scale=scale)


def mean(prior: Prior) -> float:
    """The prior's mean (via SciPy)."""
    return float(to_scipy(prior).mean())


def sd(prior: Prior) -> float:
    """The prior's standard deviation (via SciPy)."""
    return float(to_scipy(prior).std())


def location_sd(prior: Prior) -> float:
    """Standard deviation on the scale of the prior's location parameter (its scale where the sd is undefined).

    Normal-like families: the sd; LogNormal: sigma (the sd of log X, the scale ``mu`` lives
    on); TruncatedNormal: sigma of the untruncated Normal; StudentT with ``nu ≤ 2`` and
    Cauchy: the scale. A stress test moves a location in these units.
    """
    fam = FAMILIES.get(prior.distribution)
    if fam is None or fam.location_sd is None:
        raise ValueError(f"no location assumption for a {prior.distribution} prior")
    return float(fam.location_sd(prior.parameters))


# ------------------------------------------------------------------------------------
# log densities, vectorised
# ------------------------------------------------------------------------------------
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _scipy_logpdf(dist: str, p: Params, x: np.ndarray) -> np.ndarray | None:
    """``log p(x)`` with SciPy (the Normal by hand: the common case, without SciPy's per-call overhead); None if not mapped."""
    if dist == "Normal":
        s = scale_of(p)
        return -0.5 * ((x - float(p.get("mu", 0.0))) / s) ** 2 - math.log(s) - _LOG_SQRT_2PI
    fam = FAMILIES.get(dist)
    args = fam.args(p) if fam is not None and fam.args is not None else None
    if args is None:
        return None
    shapes, loc, scale = args
    if fam.half:
        return np.where(x >= 0, math.log(2.0) + fam.scipy.logpdf(x, *shapes, loc, scale), -np.inf)
    return fam.scipy.logpdf(x, *shapes, loc, scale)


@functools.cache
def _pymc_logp_fn(dist: str, names: tuple[str, ...]):
    """Compile ``(params..., x) -> log p(x)`` for any univariate PyMC family (once per family)."""
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt

    args = [pt.dscalar(n) for n in names]
    x = pt.dvector("x")
    out = pm.logp(getattr(pm, dist).dist(**dict(zip(names, args, strict=True))), x)
    return pytensor.function([*args, x], out)


def logpdf(prior: Prior, x: np.ndarray) -> np.ndarray:
    """Log density of ``prior`` at every value of ``x`` (vectorised; -inf outside the support).

    Agrees with PyMC's ``logp`` of the same prior (tested family by family).
    """
    x = np.asarray(x, dtype=float)
    params = {k: float(v) for k, v in prior.parameters.items()}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = _scipy_logpdf(prior.distribution, params, x)
    if out is None:
        names = tuple(sorted(params))
        fn = _pymc_logp_fn(prior.distribution, names)
        out = fn(*[params[n] for n in names], x.ravel()).reshape(x.shape)
    return np.asarray(out, dtype=float)


def dirichlet_logpdf(a: Sequence[float], x: np.ndarray) -> np.ndarray:
    """Log density of Dirichlet(``a``) at rows ``x`` of shape ``(n, K)``."""
    a = np.asarray(a, dtype=float)
    xs = np.clip(np.asarray(x, dtype=float), 1e-300, 1.0)
    return special.gammaln(a.sum()) - special.gammaln(a).sum() + np.log(xs) @ (a - 1.0)
