"""The metric registry of the backtests: proper scoring rules, all negatively oriented (lower is better).

Each :class:`Metric` names a scoring rule, what kind of forecast it scores (an ensemble of
samples, or probabilities over categories) and how; :data:`METRICS` is the registry the
backtest looks them up in (as Prophet's ``performance_metrics`` and ArviZ's ``lfo_cv`` do).

Besides the scores, the calibration of intervals: :func:`central_interval` (an ensemble's
central predictive interval) and :func:`coverage_interval` (a binomial confidence interval
for the share of held-out values inside it).

CRPS is computed here (:func:`crps_ensemble`, the estimator of ``properscoring.crps_ensemble``);
neither properscoring nor scoringrules is among the project's dependencies, and the
estimator is tested against the closed-form CRPS of a Normal (:func:`crps_normal`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats


def crps_ensemble(samples: np.ndarray, observed: np.ndarray | float) -> np.ndarray:
    """CRPS of the empirical distribution of ``samples`` (last axis) at ``observed``.

    ``E|X - y| - ½ E|X - X'|`` with both expectations over the ensemble (the same
    estimator as ``properscoring.crps_ensemble``); ``E|X - X'|`` is computed from the
    sorted ensemble in ``O(m log m)``: ``(2 / m²) Σ_i (2i - m - 1) x_(i)``.
    """
    x = np.sort(np.asarray(samples, dtype=float), axis=-1)
    y = np.asarray(observed, dtype=float)[..., None]
    m = x.shape[-1]
    abs_err = np.abs(x - y).mean(axis=-1)
    weights = 2.0 * np.arange(1, m + 1) - m - 1
    spread = 2.0 * (x * weights).sum(axis=-1) / m**2
    return abs_err - 0.5 * spread


def crps_normal(mu: np.ndarray | float, sigma: np.ndarray | float, observed: np.ndarray | float) -> np.ndarray:
    """Closed-form CRPS of ``Normal(mu, sigma)`` at ``observed`` (for checking :func:`crps_ensemble`)."""
    z = (np.asarray(observed, dtype=float) - mu) / sigma
    return sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))


def _onehot(outcome: np.ndarray, k: int) -> np.ndarray:
    outcome = np.asarray(outcome, dtype=int)
    if ((outcome < 0) | (outcome >= k)).any():
        raise ValueError(f"outcome indices must be in 0..{k - 1}")
    return np.eye(k)[outcome]


def log_score(probs: np.ndarray, outcome: np.ndarray | int) -> np.ndarray:
    """Negative log probability of the outcome: ``-log p[outcome]`` (categories on the last axis)."""
    probs = np.asarray(probs, dtype=float)
    o = np.asarray(outcome, dtype=int)
    p = np.take_along_axis(probs, o[..., None], axis=-1)[..., 0]
    with np.errstate(divide="ignore"):
        return -np.log(p)


def rps(probs: np.ndarray, outcome: np.ndarray | int) -> np.ndarray:
    """Score ordered categories by the ranked probability score.

    ``Σ_k (P_k - O_k)²`` over cumulative probabilities ``k = 1..K-1`` (unnormalized;
    for a yes/no event it is ``(p - o)²``).
    """
    probs = np.asarray(probs, dtype=float)
    o = _onehot(outcome, probs.shape[-1])
    return ((np.cumsum(probs, axis=-1) - np.cumsum(o, axis=-1))[..., :-1] ** 2).sum(axis=-1)


def brier(probs: np.ndarray, outcome: np.ndarray | int) -> np.ndarray:
    """Brier's (1950) score: ``Σ_k (p_k - o_k)²`` over all categories (for a yes/no event, ``2 (p - o)²``)."""
    probs = np.asarray(probs, dtype=float)
    o = _onehot(outcome, probs.shape[-1])
    return ((probs - o) ** 2).sum(axis=-1)


@dataclass(frozen=True)
class Metric:
    """A proper scoring rule: ``fn(forecast, outcome)``; ``kind`` says what the forecast is."""

    name: str
    label: str
    kind: str  # "ensemble": samples on the last axis; "probabilities": categories on the last axis
    fn: Callable[..., np.ndarray]
    lower_is_better: bool = True

    def __call__(self, forecast: np.ndarray, outcome: Any) -> np.ndarray:
        return self.fn(forecast, outcome)


METRICS: dict[str, Metric] = {
    "crps": Metric("crps", "CRPS", "ensemble", crps_ensemble),
    "log_score": Metric("log_score", "log score (−log p)", "probabilities", log_score),
    "rps": Metric("rps", "ranked probability score", "probabilities", rps),
    "brier": Metric("brier", "Brier score", "probabilities", brier),
}


def smoothed_probabilities(labels: np.ndarray, k: int) -> np.ndarray:
    """Turn labels (last axis) into Jeffreys-smoothed class probabilities, ``(count + ½) / (n + k/2)``.

    No class a forecaster simulated zero times gets probability 0 (an infinite log score).
    """
    labels = np.asarray(labels, dtype=int)
    counts = np.stack([(labels == j).sum(axis=-1) for j in range(k)], axis=-1)
    return (counts + 0.5) / (labels.shape[-1] + 0.5 * k)


INTERVAL_LEVELS = (0.5, 0.9)
"""The central predictive intervals whose coverage the backtests check."""


def central_interval(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the central ``level`` interval of ``samples`` (last axis): its ``(1 − level)/2`` and ``(1 + level)/2`` quantiles."""
    x = np.asarray(samples, dtype=float)
    lo, hi = np.quantile(x, [(1 - level) / 2, (1 + level) / 2], axis=-1)
    return lo, hi


def coverage_interval(covered: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a coverage of ``covered`` of ``n`` (SciPy's ``binomtest``); ``(nan, nan)`` when ``n`` is 0."""
    if n == 0:
        return float("nan"), float("nan")
    ci = stats.binomtest(int(covered), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


__all__ = [
    "INTERVAL_LEVELS",
    "METRICS",
    "Metric",
    "brier",
    "central_interval",
    "coverage_interval",
    "crps_ensemble",
    "crps_normal",
    "log_score",
    "rps",
    "smoothed_probabilities",
]
