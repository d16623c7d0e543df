"""SBC's rank statistic and uniformity tests, on synthetic ranks."""

import numpy as np
import pytest
from scipy import stats

from hedgecast.validate.ranks import chi2_uniformity, ecdf_gamma, ecdf_null, ecdf_pvalue, rank_histogram, rank_statistic, uniformity_table

L = 99


def test_rank_statistic_counts_draws_below_the_truth():
    draws = np.array([[0.1, 5.0], [0.2, 6.0], [0.3, 7.0], [0.4, 8.0]])
    np.testing.assert_array_equal(rank_statistic([0.25, 4.0], draws), [2, 0])
    np.testing.assert_array_equal(rank_statistic([1.0, 7.5], draws), [4, 3])


def test_ecdf_gamma_matches_a_direct_binomial_computation():
    rng = np.random.default_rng(1)
    ranks = rng.integers(0, 10, size=30)
    best = 1.0
    for j in range(1, 10):
        k = int((ranks < j).sum())
        z = j / 10
        p = 2 * min(stats.binom.cdf(k, 30, z), stats.binom.sf(k - 1, 30, z))
        best = min(best, min(1.0, p))
    assert ecdf_gamma(ranks, 9)[0] == pytest.approx(best, rel=1e-12)


def test_uniform_ranks_pass_and_miscalibrated_ranks_fail():
    rng = np.random.default_rng(2)
    n = 200
    uniform = rng.integers(0, L + 1, size=n)
    # too-narrow posterior: the truth is often outside the draws (U shape)
    u_shaped = np.where(rng.random(n) < 0.5, rng.integers(0, 8, n), rng.integers(L - 7, L + 1, n))
    # biased posterior: the truth sits low among the draws
    biased = np.minimum(L, (rng.beta(1, 2.5, n) * (L + 1)).astype(int))
    ranks = np.stack([uniform, u_shaped, biased], axis=1)
    table = uniformity_table(ranks, ["uniform", "u_shaped", "biased"], L, seed=3)
    assert table.loc["uniform", "ecdf_p"] > 0.05 and table.loc["uniform", "chi2_p"] > 0.01
    for bad in ("u_shaped", "biased"):
        assert table.loc[bad, "ecdf_p"] < 0.001
        assert table.loc[bad, "chi2_p"] < 0.001
    assert table.loc["biased", "mean_rank"] < 0.4


def test_ecdf_pvalues_are_uniform_under_uniformity():
    """The p-value accounts for testing at every rank: ~5% of uniform rank sets fall below 0.05."""
    rng = np.random.default_rng(4)
    n = 60
    null = ecdf_null(n, L, n_null=2000, seed=5)
    ranks = rng.integers(0, L + 1, size=(n, 400))
    p = ecdf_pvalue(ecdf_gamma(ranks, L), null)
    assert 0.02 < (p < 0.05).mean() < 0.09
    assert 0.4 < np.median(p) < 0.6


def test_rank_histogram_and_chi_square_with_unequal_bins():
    ranks = np.arange(L + 1)  # every rank once: a perfectly flat histogram
    counts, expected = rank_histogram(ranks, L, 10)
    np.testing.assert_array_equal(counts, np.full(10, 10))
    np.testing.assert_allclose(expected, 10)
    counts, expected = rank_histogram(np.arange(8), 7, 3)  # 8 rank values in 3 bins: 3, 3, 2
    np.testing.assert_array_equal(counts, [3, 3, 2])
    np.testing.assert_allclose(expected, [3, 3, 2])
    stat, p = chi2_uniformity(np.arange(8), 7, 3)
    assert stat[0] == pytest.approx(0.0) and p[0] == pytest.approx(1.0)
