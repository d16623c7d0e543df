"""Equal-tail interval solves for the families without a closed form (Gamma, Beta).

An analyst's "90% between a and b" is read as 5% below and 5% above. PreliZ's ``maxent``
finds the maximum-entropy member with the stated mass inside, which need not split the tails
equally, so these two small root solves stay: one-dimensional (bracketed) for Gamma,
two-dimensional for Beta, both meeting the tail conditions to 1e-9 (checked by the caller).
"""

from __future__ import annotations

import math

import numpy as np
from pymc_extras.prior import Prior
from scipy import optimize, stats

from hedgecast.errors import Problem, SpecError
from hedgecast.priors import families

TOLERANCE = 1e-9
"""How exactly a numerically solved prior must meet its statement."""


def gamma_interval(lower: float, upper: float, tail: float) -> Prior:
    """Gamma(alpha, beta) with F(lower) = tail and F(upper) = 1 - tail.

    For Gamma(alpha, 1) the ratio of the two quantiles falls from ∞ to 1 as alpha
    grows, so alpha solves ``ratio(alpha) = upper / lower`` (one-dimensional, bracketed);
    the rate then scales the lower quantile onto ``lower``.
    """
    target = math.log(upper / lower)

    def gap(log_alpha: float) -> float:
        a = math.exp(log_alpha)
        return math.log(stats.gamma.ppf(1 - tail, a)) - math.log(stats.gamma.ppf(tail, a)) - target

    lo, hi = -3.0, 3.0
    while gap(lo) < 0 and lo > -30:
        lo -= 3.0
    while gap(hi) > 0 and hi < 40:
        hi += 3.0
    if not gap(lo) > 0 > gap(hi):
        raise SpecError(
            Problem(
                "from_interval", "family", f"no Gamma puts {1 - 2 * tail:.0%} between {lower} and {upper} with equal tails; try LogNormal"
            )
        )
    log_alpha = optimize.brentq(gap, lo, hi, xtol=1e-14, rtol=1e-14, maxiter=500)
    alpha = math.exp(log_alpha)
    rate = stats.gamma.ppf(tail, alpha) / lower
    return Prior("Gamma", alpha=float(alpha), beta=float(rate))


def beta_interval(lower: float, upper: float, tail: float) -> Prior:
    """Beta(alpha, beta) with F(lower) = tail and F(upper) = 1 - tail (2-D root, log scale)."""

    def equations(x: np.ndarray) -> np.ndarray:
        a, b = np.exp(x)
        return np.array([stats.beta.cdf(lower, a, b) - tail, stats.beta.sf(upper, a, b) - tail])

    # moment-matched start: mean at the interval's centre, sd from a normal approximation
    mean = (lower + upper) / 2
    sd = min((upper - lower) / (2 * stats.norm.ppf(1 - tail)), 0.99 * math.sqrt(mean * (1 - mean)))
    starts = [np.log(families.beta_from_mean_sd(mean, sd)), np.log([1.0, 1.0]), np.log([mean * 10, (1 - mean) * 10])]
    best = None
    for x0 in starts:
        sol = optimize.root(equations, x0, method="hybr", options={"xtol": 1e-14})
        resid = float(np.max(np.abs(equations(sol.x))))
        if best is None or resid < best[1]:
            best = (sol.x, resid)
        if resid < TOLERANCE / 10:
            break
    assert best is not None
    if not best[1] < TOLERANCE:
        ls = optimize.least_squares(equations, best[0], xtol=1e-15, ftol=1e-15, gtol=1e-15)
        best = (ls.x, float(np.max(np.abs(equations(ls.x)))))
    a, b = np.exp(best[0])
    return Prior("Beta", alpha=float(a), beta=float(b))
