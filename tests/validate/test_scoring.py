"""The backtests' metric registry: the scoring rules against closed forms and known cases."""

import numpy as np
import pytest

from hedgecast.validate.scoring import METRICS, brier, crps_ensemble, crps_normal, log_score, rps, smoothed_probabilities


def test_metric_registry_names_the_four_scores():
    assert set(METRICS) == {"crps", "log_score", "rps", "brier"}
    assert all(m.lower_is_better for m in METRICS.values())
    assert METRICS["crps"].kind == "ensemble" and METRICS["rps"].kind == "probabilities"
    assert METRICS["log_score"](np.array([0.25, 0.75]), 1) == pytest.approx(-np.log(0.75))


@pytest.mark.parametrize("y", [-2.5, -0.3, 0.0, 0.7, 3.1])
def test_ensemble_crps_matches_the_normal_closed_form(y):
    mu, sigma, m = 0.4, 1.7, 20000
    from scipy import stats

    ens = mu + sigma * stats.norm.ppf((np.arange(m) + 0.5) / m)
    assert crps_ensemble(ens, y) == pytest.approx(float(crps_normal(mu, sigma, y)), abs=2e-4)
    rng = np.random.default_rng(1)
    draws = rng.normal(mu, sigma, 40000)  # Monte Carlo: within a few standard errors
    assert crps_ensemble(draws, y) == pytest.approx(float(crps_normal(mu, sigma, y)), rel=0.03)


def test_ensemble_crps_equals_the_pairwise_definition():
    rng = np.random.default_rng(2)
    x = rng.standard_t(3, size=(3, 57))
    y = np.array([0.1, -1.0, 4.0])
    direct = np.abs(x - y[:, None]).mean(-1) - 0.5 * np.abs(x[:, :, None] - x[:, None, :]).mean((-1, -2))
    np.testing.assert_allclose(crps_ensemble(x, y), direct, rtol=1e-12)
    assert crps_ensemble(np.full(10, 2.0), 2.0) == pytest.approx(0.0)
    assert crps_ensemble(np.array([5.0]), 2.0) == pytest.approx(3.0)  # one member: absolute error


def test_log_score_rps_and_brier_on_known_cases():
    p = np.array([0.2, 0.5, 0.3])
    assert log_score(p, 1) == pytest.approx(-np.log(0.5))
    assert rps(p, 1) == pytest.approx(0.2**2 + (0.7 - 1) ** 2)  # cumulative: (0.2 - 0)² + (0.7 - 1)²
    assert brier(p, 1) == pytest.approx(0.2**2 + 0.5**2 + 0.3**2)
    assert rps(p, 0) > rps(p, 1) and rps(p, 2) < rps(p, 0)  # rps rewards being close in the order
    assert rps(np.array([0, 1, 0.0]), 1) == 0 and brier(np.array([0, 1, 0.0]), 1) == 0
    binary = np.array([[0.9, 0.1], [0.3, 0.7]])
    np.testing.assert_allclose(rps(binary, [1, 1]), [(0.1 - 1) ** 2, (0.7 - 1) ** 2])
    np.testing.assert_allclose(brier(binary, [0, 1]), [2 * 0.1**2, 2 * 0.3**2])
    assert np.isinf(log_score(np.array([1.0, 0.0]), 1))
    with pytest.raises(ValueError):
        rps(p, 3)


def test_smoothed_probabilities_never_give_zero():
    probs = smoothed_probabilities(np.array([0, 0, 0, 2]), 3)
    np.testing.assert_allclose(probs, [3.5 / 5.5, 0.5 / 5.5, 1.5 / 5.5])


def test_central_interval_and_wilson_coverage_interval_on_hand_built_cases():
    from hedgecast.validate.scoring import central_interval, coverage_interval

    lo, hi = central_interval(np.arange(11.0), 0.8)  # quantiles 0.1 and 0.9 of 0..10
    np.testing.assert_allclose((lo, hi), (1.0, 9.0))
    # Wilson (1927) by hand: (p + z²/2n ± z √(p(1−p)/n + z²/4n²)) / (1 + z²/n)
    k, n, z = 7, 10, 1.959963984540054
    p = k / n
    centre, half = p + z**2 / (2 * n), z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    np.testing.assert_allclose(coverage_interval(k, n), ((centre - half) / (1 + z**2 / n), (centre + half) / (1 + z**2 / n)), rtol=1e-9)
    low, high = coverage_interval(0, 4)
    assert low == 0.0 and 0.4 < high < 0.5
    assert np.isnan(coverage_interval(0, 0)).all()
