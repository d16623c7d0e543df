"""Pareto-smoothed importance weights (PSIS) and weighted summaries over posterior draws.

Changing a prior from ``p_old`` to ``p_new`` changes the posterior by the factor
``p_new(θ) / p_old(θ)``, so the draws already at hand, weighted by that ratio, stand for the
edited posterior. :func:`psis` smooths the weights (Vehtari et al. 2024); their Pareto k̂ says
whether the old draws cover the new posterior (trusted while k̂ ≤ :data:`K_THRESHOLD`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import arviz as az
import numpy as np
import xarray as xr

from hedgecast.dims import SAMPLE_DIMS

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.forecasting.forecast import Forecast

__all__ = [
    "K_THRESHOLD",
    "Reweighting",
    "Weights",
    "psis",
    "weighted_da_quantiles",
    "weighted_fan",
    "weighted_mean_se",
    "weighted_quantiles",
]

K_THRESHOLD = 0.7
"""Above this Pareto k̂ the importance-sampling estimate is not trusted (Vehtari et al. 2024)."""


@dataclass(frozen=True)
class Weights:
    """Normalised (PSIS-smoothed) importance weights over the draws, with their diagnostics."""

    weights: np.ndarray  # (n,), sums to 1
    pareto_k: float  # nan when nothing was reweighted (uniform weights)
    ess: float  # Kish effective sample size, 1 / sum(w^2)

    @property
    def n(self) -> int:
        return int(self.weights.size)

    @property
    def reliable(self) -> bool:
        return not self.pareto_k > K_THRESHOLD

    @property
    def uniform(self) -> bool:
        return bool(np.isnan(self.pareto_k))

    @classmethod
    def flat(cls, n: int) -> Weights:
        return cls(np.full(n, 1.0 / n), float("nan"), float(n))


@dataclass(frozen=True, eq=False)
class Reweighting:
    """How a fit's posterior was made from another fit's draws: PSIS weights for edited priors, then resampling.

    A report of such a fit says so (header, headline, diagnostics). ``source`` holds the draws
    that were reweighted: their sampler diagnostics are the ones that apply.
    """

    source_lens: str  # the lens whose fit's draws were reweighted
    changes: tuple[str, ...]  # the fitted priors the weights account for
    forecast_changes: tuple[str, ...]  # forecast-only priors changed (the forecast was re-run)
    pareto_k: float
    ess: float
    n_draws: int
    source: az.InferenceData

    @property
    def method(self) -> str:
        """One line for the headline: how the numbers were made."""
        s = "s" if len(self.changes) > 1 else ""
        line = (
            f"Method: PSIS reweighting, not a refit: lens {self.source_lens}'s {self.n_draws:,} posterior draws weighted to the "
            f"edited prior{s} ({', '.join(self.changes)}); Pareto k̂ = {self.pareto_k:.2f} (≤ {K_THRESHOLD}), "
            f"effective sample size {self.ess:.0f}."
        )
        if self.forecast_changes:
            line += f" Forecast-only priors changed ({', '.join(self.forecast_changes)}): the forecast was re-run."
        return line

    @property
    def summary(self) -> str:
        """The note for the report's header: what was done and what it means for the numbers."""
        return (
            f"{self.method} The weighted draws were resampled to {self.n_draws:,}, so every number below is an average over "
            f"them; Monte Carlo errors are those of about {self.ess:.0f} independent draws, and the sampler diagnostics are "
            f"those of lens {self.source_lens}'s fit. A k̂ above {K_THRESHOLD} would not be reported: refit instead."
        )


def psis(log_ratio: np.ndarray, reff: float = 1.0) -> Weights:
    """Smooth ``log_ratio`` (one value per draw) with PSIS; uniform weights if it is constant."""
    lr = np.asarray(log_ratio, dtype=float).ravel()
    n = lr.size
    finite = np.isfinite(lr)
    if not finite.any():
        return Weights(np.full(n, 1.0 / n), float("inf"), 0.0)
    if np.ptp(lr[finite]) < 1e-12 and finite.all():
        return Weights.flat(n)
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # log ratios of -inf (draws outside the new prior's support) make ArviZ's tail fit warn
        # about invalid values; those draws get weight 0, which is what is meant
        warnings.simplefilter("ignore", RuntimeWarning)
        lw, k = az.psislw(np.where(finite, lr, -np.inf), reff=reff)
    w = np.exp(np.asarray(lw) - np.max(lw))
    w /= w.sum()
    return Weights(w, float(k), float(1.0 / np.sum(w**2)))


def weighted_mean_se(values: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Self-normalised weighted mean over the last axis and its Monte Carlo standard error.

    ``se^2 = sum_i w_i^2 (f_i - mean)^2`` (the delta-method variance of the self-normalised
    estimator; with uniform weights it is ``var / n``). Autocorrelation between MCMC draws
    is ignored: forecast indicators mostly vary through the forecast's own random numbers.
    """
    mean = values @ w
    se = np.sqrt(((values - mean[..., None]) ** 2) @ (w**2))
    return mean, se


def weighted_quantiles(values: np.ndarray, w: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Weighted quantiles over axis 0 of ``values`` (``(n, ...)``); returns ``(len(qs), ...)``."""
    v = np.asarray(values, dtype=float)
    flat = v.reshape(v.shape[0], -1)
    order = np.argsort(flat, axis=0)
    sorted_v = np.take_along_axis(flat, order, axis=0)
    cw = np.cumsum(np.asarray(w)[order], axis=0)
    cw = (cw - 0.5 * np.asarray(w)[order]) / cw[-1]
    out = np.empty((len(qs), flat.shape[1]))
    for j in range(flat.shape[1]):
        out[:, j] = np.interp(qs, cw[:, j], sorted_v[:, j])
    return out.reshape((len(qs), *v.shape[1:]))


def weighted_da_quantiles(da: xr.DataArray, weights: np.ndarray | None, quantiles: Sequence[float]) -> xr.DataArray:
    other = [d for d in da.dims if d not in SAMPLE_DIMS]
    vals = da.transpose(*SAMPLE_DIMS, *other).values
    n = vals.shape[0] * vals.shape[1]
    w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights)
    q = weighted_quantiles(vals.reshape(n, *vals.shape[2:]), w, quantiles)
    return xr.DataArray(q, dims=("quantile", *other), coords={"quantile": list(quantiles), **{d: da[d].values for d in other}})


def weighted_fan(
    forecast: Forecast, weights: np.ndarray | None, var: str = "state", quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)
) -> xr.DataArray:
    """Weighted quantiles of ``forecast.data[var]`` over draws, with a ``quantile`` dim."""
    return weighted_da_quantiles(forecast.data[var], weights, quantiles)
