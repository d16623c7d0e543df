"""A reweighted prior edit as a fit the report can read: the importance-weighted posterior, resampled.

PSIS weights (:mod:`hedgecast.stress.psis`) make a fit's draws stand for the posterior under
edited priors. The report averages over draws without weights, so the weighted draws are
resampled (systematic resampling: a draw of weight ``w`` is kept ``n w`` times, rounded up
or down) in every group indexed by draws — posterior, log-likelihood, posterior predictive,
sample stats — and in the forecast, with the same indices: a plain average over the
resampled draws is then the weighted average. The prior group is drawn from the edited lens
and the log prior recomputed, both by the PyMC model. The new fit keeps the source fit's
sampler diagnostics and says what was done (:class:`~hedgecast.stress.psis.Reweighting`).

Refused, with :class:`~hedgecast.errors.ReweightingRefused`: a k̂ above 0.7 (the draws do not
cover the edited posterior) and an edit that changes which variables the model samples
(a family change in a group that mixes families). Both are reported by refitting instead.

    >>> res = edit_prior(fit, fc, {"escalation_intercept": Prior("Normal", mu=-1.5, sigma=1)})  # doctest: +SKIP
    >>> res.report()               # the same sections as fit.report(), with a note on the method  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import arviz as az
import numpy as np
import xarray as xr

from hedgecast.dims import SAMPLE_DIMS
from hedgecast.errors import ReweightingRefused
from hedgecast.forecasting.forecast import Forecast
from hedgecast.model.fit import compiled_model, complete_inference_data, prior_draws
from hedgecast.priors.lenses import Lens
from hedgecast.stress.psis import K_THRESHOLD, Reweighting, Weights

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.workbench import Fit

__all__ = ["refuse_unreliable", "resample_draws", "reweighted_fit", "systematic_resample"]

#: groups a reweighted fit gets anew from the edited lens, or not at all (a saved forecast)
REDRAWN_GROUPS = ("prior", "prior_predictive", "log_prior", "predictions", "predictions_constant_data")


def refuse_unreliable(pareto_k: float, threshold: float = K_THRESHOLD) -> None:
    """Raise :class:`~hedgecast.errors.ReweightingRefused` if ``pareto_k`` is above ``threshold``."""
    if pareto_k > threshold:
        raise ReweightingRefused(
            f"k̂ = {pareto_k:.2f} > {threshold}: the reweighted draws do not stand for the edited posterior, so this edit is "
            "not reported. Refit the edited lens: edit_prior(fit, forecast, changes) refits it when k̂ is this high "
            "(refit='auto', the default), and that result's .report() reports the refit."
        )


def systematic_resample(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return the indices of ``len(weights)`` draws, draw ``i`` kept ``n w_i`` times rounded up or down (systematic resampling)."""
    w = np.asarray(weights, dtype=float)
    cumulative = np.cumsum(w / w.sum())
    cumulative[-1] = 1.0  # no position may fall past the last draw through rounding
    positions = (rng.random() + np.arange(w.size)) / w.size
    return np.searchsorted(cumulative, positions, side="right")


def resample_draws(ds: xr.Dataset, idx: np.ndarray) -> xr.Dataset:
    """Return ``ds`` with its draws replaced by draws ``idx`` of its chain-major flattened draws (same chains × draws)."""
    chains, draws = ds.sizes["chain"], ds.sizes["draw"]
    if idx.size != chains * draws:
        raise ValueError(f"{idx.size} indices for {chains} × {draws} draws")
    chain, draw = np.divmod(np.asarray(idx).reshape(chains, draws), draws)
    coords = {d: ds[d].values for d in SAMPLE_DIMS}
    picked = ds.drop_vars(list(SAMPLE_DIMS), errors="ignore").isel(chain=xr.DataArray(chain, dims=SAMPLE_DIMS), draw=xr.DataArray(draw, dims=SAMPLE_DIMS))
    return picked.assign_coords(coords)


def reweighted_fit(
    fit: Fit,
    forecast: Forecast,
    lens: Lens,
    weights: Weights,
    *,
    changes: Sequence[str],
    forecast_changes: Sequence[str] = (),
) -> tuple[Fit, Forecast]:
    """Return the posterior of ``fit`` reweighted by ``weights`` for ``lens`` (an edit of ``fit.lens``), as a fit and its forecast.

    Parameters
    ----------
    fit, forecast : Fit, Forecast
        The fit whose draws were weighted and a forecast from the same draws (with the edited
        lens's forecast-only priors when those changed too).
    lens : Lens
        The edited lens.
    weights : Weights
        PSIS weights over the draws, chains first (:meth:`hedgecast.stress.reweight.Reweighter.weights`).
    changes, forecast_changes : list of str
        The fitted priors the weights account for, and the forecast-only priors changed.

    Returns
    -------
    Fit, Forecast
        Resampled draws under ``lens`` (``fit.reweighting`` says how they were made) and the
        forecast resampled with them (also what ``fit.forecast`` returns for its scenarios).

    Raises
    ------
    ReweightingRefused
        If k̂ > 0.7, or the edited lens's model samples other variables than ``fit``'s.

    """
    refuse_unreliable(weights.pareto_k)
    n = forecast.data.sizes["chain"] * forecast.data.sizes["draw"]
    if weights.n != n or fit.idata.posterior.sizes["chain"] * fit.idata.posterior.sizes["draw"] != n:
        raise ValueError(f"{weights.n} weights for a fit and forecast of {n} draws: they must come from the same draws")
    cm = compiled_model(fit.spec, lens, fit.inputs)  # holds the edited lens's hyperparameters
    sampled = sorted(fit.idata.attrs.get("free_rvs", []))
    if sorted(rv.name for rv in cm.model.free_RVs) != sampled:
        raise ReweightingRefused(
            f"the edit changes which variables the model samples (a prior family changed in {', '.join(changes)}), so lens "
            f"{fit.lens.name}'s draws cannot be relabelled for it: refit the edited lens to report it (edit_prior(..., refit='always'))."
        )
    seed = int(forecast.data.attrs.get("seed", fit.settings.seed))
    idx = systematic_resample(weights.weights, np.random.default_rng([fit.settings.seed, seed]))
    groups = {
        g: (resample_draws(fit.idata[g], idx) if set(SAMPLE_DIMS) <= set(fit.idata[g].dims) else fit.idata[g])
        for g in fit.idata.groups()
        if g not in REDRAWN_GROUPS
    }
    idata = az.InferenceData(**groups)
    idata.attrs.update(fit.idata.attrs)
    idata.add_groups({"prior": prior_draws(cm, fit.settings)})
    complete_inference_data(cm, idata, fit.settings.seed)  # the log prior under the edited lens
    note = Reweighting(
        source_lens=fit.lens.name,
        changes=tuple(changes),
        forecast_changes=tuple(forecast_changes),
        pareto_k=float(weights.pareto_k),
        ess=float(weights.ess),
        n_draws=n,
        source=fit.idata,
    )
    out = dataclasses.replace(fit, lens=lens, idata=idata, reused_from=None, reweighting=note, _forecasts={})
    fc = Forecast(resample_draws(forecast.data, idx), forecast.spec)
    out.keep_forecast(fc, seed)
    return out, fc
