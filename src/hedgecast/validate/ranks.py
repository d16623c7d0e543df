"""Rank statistics of simulation-based calibration, and the tests of their uniformity.

Pure NumPy/SciPy, tested on synthetic ranks. If the sampler and the model are right, each
parameter's ranks are uniform on ``0..L`` (Talts et al. 2018). Uniformity is tested two ways:

* the **ECDF test** (Säilynoja, Bürkner & Vehtari 2022): at every rank value the ECDF
  count is Binomial under uniformity; the statistic ``gamma`` is the smallest two-sided
  pointwise tail probability, and its p-value comes from simulating ``gamma`` under exact
  uniformity (so it accounts for testing at all ``L`` points). The same simulation gives
  the simultaneous band drawn on the ECDF-difference plots;
* a **chi-square** test on the rank histogram, for reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

NULL_SIMULATIONS = 4000  # draws of the ECDF statistic under exact uniformity (for p-values and bands)
BAND_PROB = 0.95


def thin_indices(n_total: int, n_keep: int) -> np.ndarray:
    """``n_keep`` evenly spaced indices into ``n_total`` draws (all of them if fewer)."""
    if n_keep >= n_total:
        return np.arange(n_total)
    return np.round(np.linspace(0, n_total - 1, n_keep)).astype(int)


def rank_statistic(truth: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Rank of each true value among the draws: ``#(draw < truth)``, in ``0..len(draws)``.

    ``truth`` is ``(P,)``, ``draws`` is ``(L, P)``. A draw equal to the truth (which has
    probability zero for continuous parameters) does not count as less.
    """
    truth = np.asarray(truth, dtype=float)
    draws = np.asarray(draws, dtype=float)
    return (draws < truth[None, :]).sum(axis=0).astype(int)


def rank_histogram(ranks: np.ndarray, ranks_max: int, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Count ``ranks`` (``(N,)`` or ``(N, P)``) in ``bins`` bins over ``0..L``; also return expected counts.

    Bin ``b`` holds rank values ``r`` with ``floor(r * bins / (L + 1)) == b``; when
    ``bins`` does not divide ``L + 1`` the bins hold unequal numbers of values and the
    expected counts say so.
    """
    ranks = np.asarray(ranks)
    values = np.arange(ranks_max + 1)
    which = (values * bins) // (ranks_max + 1)
    width = np.bincount(which, minlength=bins)
    b = (ranks * bins) // (ranks_max + 1)
    if ranks.ndim == 1:
        counts = np.bincount(b, minlength=bins)
    else:
        counts = np.stack([np.bincount(b[:, j], minlength=bins) for j in range(ranks.shape[1])], axis=1)
    expected = ranks.shape[0] * width / (ranks_max + 1)
    return counts, expected


def default_bins(n_sims: int, ranks_max: int) -> int:
    """Bins for the histogram/chi-square: about 5+ expected per bin, at most 20, dividing ``L+1`` if possible."""
    target = int(np.clip(n_sims // 5, 2, 20))
    divisors = [b for b in range(2, 21) if (ranks_max + 1) % b == 0 and b <= target]
    return max(divisors) if divisors else target


def chi2_uniformity(ranks: np.ndarray, ranks_max: int, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Chi-square statistic and p-value of the rank histogram, per column of ``ranks``."""
    counts, expected = rank_histogram(ranks, ranks_max, bins)
    if counts.ndim == 1:
        counts = counts[:, None]
    stat = (((counts - expected[:, None]) ** 2) / expected[:, None]).sum(axis=0)
    return stat, stats.chi2.sf(stat, bins - 1)


def ecdf_counts(ranks: np.ndarray, ranks_max: int) -> np.ndarray:
    """``#(rank < j)`` for ``j = 1..L``, per column: ``(L, P)``."""
    ranks = np.asarray(ranks)
    if ranks.ndim == 1:
        ranks = ranks[:, None]
    hist = np.stack([np.bincount(ranks[:, j], minlength=ranks_max + 1) for j in range(ranks.shape[1])], axis=1)
    return np.cumsum(hist, axis=0)[:-1]


def ecdf_gamma(ranks: np.ndarray, ranks_max: int) -> np.ndarray:
    """Compute the ECDF-test statistic per column: the smallest two-sided pointwise Binomial tail probability.

    At ``z_j = j / (L + 1)``, under uniformity ``#(rank < j) ~ Binomial(N, z_j)``.
    Small ``gamma`` = the ECDF strays far from the diagonal somewhere.
    """
    counts = ecdf_counts(ranks, ranks_max)
    n = np.asarray(ranks).shape[0]
    z = (np.arange(1, ranks_max + 1) / (ranks_max + 1))[:, None]
    lower = stats.binom.cdf(counts, n, z)
    upper = stats.binom.sf(counts - 1, n, z)
    return np.minimum(1.0, 2.0 * np.minimum(lower, upper)).min(axis=0)


def ecdf_null(n_sims: int, ranks_max: int, n_null: int = NULL_SIMULATIONS, seed: int = 0) -> np.ndarray:
    """``gamma`` under exact uniformity, ``n_null`` times (deterministic for a seed)."""
    rng = np.random.default_rng([seed, n_sims, ranks_max, 5])
    out = np.empty(n_null)
    chunk = 500
    for start in range(0, n_null, chunk):
        m = min(chunk, n_null - start)
        fake = rng.integers(0, ranks_max + 1, size=(n_sims, m))
        out[start : start + m] = ecdf_gamma(fake, ranks_max)
    return out


def ecdf_pvalue(gamma: np.ndarray, null: np.ndarray) -> np.ndarray:
    """P(gamma under uniformity <= observed gamma), with the +1 Monte Carlo correction."""
    gamma = np.atleast_1d(gamma)
    return (1 + (null[None, :] <= gamma[:, None] + 1e-15).sum(axis=1)) / (len(null) + 1)


def ecdf_band(n_sims: int, ranks_max: int, null: np.ndarray, prob: float = BAND_PROB) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simultaneous ``prob`` band for the ECDF minus the uniform CDF: ``(z, lower, upper)``."""
    crit = float(np.quantile(null, 1 - prob))
    z = np.arange(1, ranks_max + 1) / (ranks_max + 1)
    lo = stats.binom.ppf(crit / 2, n_sims, z) / n_sims - z
    hi = stats.binom.ppf(1 - crit / 2, n_sims, z) / n_sims - z
    return z, lo, hi


def uniformity_table(ranks: np.ndarray, parameters: list[str], ranks_max: int, *, bins: int | None = None, seed: int = 0) -> pd.DataFrame:
    """Per parameter: ECDF ``gamma`` and its p-value, chi-square and its p-value."""
    n = ranks.shape[0]
    bins = bins or default_bins(n, ranks_max)
    gamma = ecdf_gamma(ranks, ranks_max)
    null = ecdf_null(n, ranks_max, seed=seed)
    chi, chi_p = chi2_uniformity(ranks, ranks_max, bins)
    table = pd.DataFrame(
        {
            "ecdf_gamma": gamma,
            "ecdf_p": ecdf_pvalue(gamma, null),
            "chi2": chi,
            "chi2_p": chi_p,
            "bins": bins,
            "mean_rank": ranks.mean(axis=0) / ranks_max,
        },
        index=pd.Index(parameters, name="parameter"),
    )
    return table


__all__ = [
    "BAND_PROB",
    "NULL_SIMULATIONS",
    "chi2_uniformity",
    "default_bins",
    "ecdf_band",
    "ecdf_counts",
    "ecdf_gamma",
    "ecdf_null",
    "ecdf_pvalue",
    "rank_histogram",
    "rank_statistic",
    "thin_indices",
    "uniformity_table",
]
