"""Scoring one backtest window: every forecaster on every target, as rows of scored cells.

Targets (scores from :data:`hedgecast.validate.scoring.METRICS`, all lower-is-better):

* every indicator in every test year where it was observed: **CRPS**, in the model's
  standardized space of the *training window*, and whether the value fell inside each
  forecaster's central 50% and 90% predictive intervals (:data:`INTERVAL_LEVELS`; rows of the
  window's ``intervals``). Indicators with fewer than :data:`MIN_TRAIN_OBS` observations up
  to the cut-off are not scored (no baseline can be built for them) and are listed as exclusions;
* **crisis years**: log score and Brier, per year and for "at least one crisis in the
  window". The model's probability is the mean over draws of its crisis hazard;
* **trajectory classes** at the window's last year: log score, RPS and Brier, against the
  realised class: the spec's class rules applied to the observed record
  (:func:`hedgecast.forecasting.observed.realised_class`, with the references a forecast
  made at the cut-off would use). A window is not scored when its training record does not
  determine a reference the rules use (the 2015–16 lows, before 2016) or when the realised
  class is undetermined (an indicator the rules need was not observed); the exclusion says
  which.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from hedgecast.dims import SAMPLE_DIMS
from hedgecast.forecasting.observed import count_flags, realised_class, record_from_history, record_from_inputs, reference_problems
from hedgecast.forecasting.rule_variables import RuleRecord, classify
from hedgecast.forecasting.scenarios import common_noise
from hedgecast.forecasting.simulate import draw_parameters, indicator_draws
from hedgecast.forecasting.trajectories import class_order
from hedgecast.inputs.history import History, to_raw_units
from hedgecast.inputs.spec import ModelSpec
from hedgecast.model.equations import ModelInputs, model_inputs
from hedgecast.priors.lenses import Lens
from hedgecast.validate.baselines import (
    baseline_paths,
    climatology_ensemble,
    crisis_climatology,
    crisis_persistence,
    persistence_ensemble,
)
from hedgecast.validate.scoring import INTERVAL_LEVELS, METRICS, central_interval, crps_ensemble, smoothed_probabilities
from hedgecast.validate.windows import Window, simulate, standardize

MIN_TRAIN_OBS = 3
MODEL = "model_unconditional"
"""The model's forecast: drivers and war simulated from the cut-off, as the product forecasts."""
ORACLE = "model_conditional"
"""The same posterior with the realised drivers and war plugged in: a diagnostic, not a forecast (opt-in)."""
FORECASTERS = (MODEL, "persistence", "climatology", ORACLE)
"""Every forecaster a window can score, in display order; the oracle only when asked for."""


def cell(window: Window, target: str, year: int, forecaster: str, metric: str, value: float) -> dict:
    """Make one scored cell: a row of :attr:`hedgecast.validate.backtest.BacktestResult.cells`."""
    return {"window": window.name, "target": target, "year": int(year), "forecaster": forecaster, "metric": metric, "value": float(value)}


def exclusion(window: Window, target: str, reason: str) -> dict:
    """Record a target the window does not score, and why."""
    return {"window": window.name, "target": target, "reason": reason}


def class_labels(spec: ModelSpec, values: xr.DataArray, events: xr.DataArray, record: RuleRecord, year: int) -> np.ndarray:
    """Class of every simulated path at ``year``, as indices into the display order of the classes (:func:`class_order`).

    ``values`` are the simulated indicators in their own units, dims ``(..., year, indicator)``;
    ``events`` the simulated rupture events; ``record`` the training record (references, last years).
    """
    lab = classify(spec.trajectories, values, events, record, [year], count_flags(spec)).sel(year=year)
    order = class_order(spec.class_names)  # ordinal: the ranked probability score depends on it
    remap = np.array([order.index(c) for c in spec.class_names])
    return remap[np.asarray(lab.values, dtype=int)]


def own_units(z: xr.DataArray, scaling) -> xr.DataArray:
    """Standardized indicators ``(..., indicator)`` back in their own units, with the training window's ``scaling``."""
    names = [str(i) for i in z["indicator"].values]
    z = z.transpose(..., "indicator")
    return z.copy(data=np.stack([to_raw_units(z.sel(indicator=n).values, scaling.loc[n]) for n in names], axis=-1))


def simulate_models(
    post: xr.Dataset,
    spec: ModelSpec,
    lens: Lens,
    inputs: ModelInputs,
    history: History,
    years: list[int],
    seed: int,
    *,
    oracle: bool = False,
) -> dict:
    """Simulate the test years from the window's posterior: the forecast, and with ``oracle`` the realised drivers and war.

    The forecast reads nothing of ``history`` after the cut-off: drivers drift from their
    cut-off values and the war follows ``lens``'s chain (as known at the cut-off). Only the
    oracle reads the codings and war states of the test years.
    """
    out = {MODEL: simulate(post, spec, lens, inputs, years, seed=seed)}
    if oracle:
        out[ORACLE] = simulate(
            post,
            spec,
            lens,
            inputs,
            years,
            drivers=history.drivers.loc[years, spec.continuous_drivers].to_numpy(dtype=float).T,
            war=np.array([spec.war_states.index(s) for s in history.war.loc[years]]),
            seed=seed,
        )
    return out


def interval_rows(window: Window, target: str, year: int, forecaster: str, samples: np.ndarray, observed: float) -> list[dict]:
    """Whether ``observed`` lies inside each central predictive interval of ``samples`` (:data:`INTERVAL_LEVELS`)."""
    rows = []
    for level in INTERVAL_LEVELS:
        lo, hi = central_interval(samples, level)
        rows.append(
            {
                "window": window.name,
                "target": target,
                "year": int(year),
                "forecaster": forecaster,
                "level": level,
                "lower": float(lo),
                "upper": float(hi),
                "observed": float(observed),
                "covered": bool(lo <= observed <= hi),
            }
        )
    return rows


def score_indicators(
    window: Window, sims: dict, spec: ModelSpec, history: History, inputs: ModelInputs, m: int
) -> tuple[list, list, list]:
    """CRPS and interval coverage of every forecaster for every observed indicator cell, in the training window's standardized space.

    Returns ``(cells, exclusions, intervals)``.
    """
    years = window.years
    truth = standardize(history, spec, inputs.scaling, years)
    train_z = inputs.standardized
    cells: list[dict] = []
    exclusions: list[dict] = []
    intervals: list[dict] = []
    for name in spec.indicator_names:
        n_train = int(train_z[name].notna().sum())
        if n_train < MIN_TRAIN_OBS:
            reason = f"{n_train} observation(s) up to {window.cutoff}: fewer than {MIN_TRAIN_OBS}, no baseline"
            exclusions.append(exclusion(window, name, reason))
            continue
        observed = truth[name].dropna()
        if observed.empty:
            exclusions.append(exclusion(window, name, f"not observed in {window.first}–{window.last}"))
            continue
        ens = {
            "persistence": dict(zip(years, persistence_ensemble(train_z[name], years, m))),
            "climatology": dict(zip(years, climatology_ensemble(train_z[name], years))),
        }
        for label, sim in sims.items():
            z = sim["z"].sel(indicator=name).stack(sample=SAMPLE_DIMS).transpose("year", "sample")
            ens[label] = {y: z.sel(year=y).values for y in years}
        labels = [f for f in FORECASTERS if f in ens]
        for year, y in observed.items():
            cells.extend(cell(window, name, year, label, "crps", crps_ensemble(ens[label][year], y)) for label in labels)
            for label in labels:
                intervals.extend(interval_rows(window, name, year, label, ens[label][year], float(y)))
    return cells, exclusions, intervals


def score_crises(window: Window, sims: dict, history: History, train_hist: History) -> tuple[list, dict]:
    """Log score and Brier of every forecaster for crisis per year and for any crisis in the window."""
    years = window.years
    outcome = history.crisis.loc[years].to_numpy(dtype=int)
    p_year = {label: sim["hazard"].mean(SAMPLE_DIMS).values for label, sim in sims.items()}
    p_any = {label: float((1 - (1 - sim["hazard"]).prod("year")).mean()) for label, sim in sims.items()}
    for label, p in (("climatology", crisis_climatology(train_hist.crisis)), ("persistence", crisis_persistence(train_hist.crisis))):
        p_year[label] = np.full(len(years), p)
        p_any[label] = 1 - (1 - p) ** len(years)
    cells: list[dict] = []
    labels = [f for f in FORECASTERS if f in p_year]
    for label in labels:
        probs = np.stack([1 - p_year[label], p_year[label]], axis=-1)
        for metric in ("log_score", "brier"):
            cells.extend(cell(window, "crisis_year", year, label, metric, v) for year, v in zip(years, METRICS[metric](probs, outcome)))
        any_outcome = int(outcome.max())
        for metric in ("log_score", "brier"):
            v = METRICS[metric](np.array([1 - p_any[label], p_any[label]]), any_outcome)
            cells.append(cell(window, "crisis_any", window.last, label, metric, v))
    info = {label: {"p_by_year": [float(v) for v in p_year[label]], "p_any": p_any[label]} for label in labels}
    return cells, info


def class_exclusion(window: Window, spec: ModelSpec, history: History) -> dict | None:
    """Why the window cannot score trajectory classes, or None if it can."""
    lacking = reference_problems(spec, record_from_history(spec, history.truncate(window.cutoff)))
    if lacking:
        reason = f"the record up to {window.cutoff} does not determine the rules' references: " + "; ".join(p.message for p in lacking)
        return exclusion(window, "trajectory_class", reason)
    real = realised_class(spec, history, window.last, as_of=window.cutoff)
    if not real.determined:
        return exclusion(window, "trajectory_class", f"the realised class of {window.last} is undetermined: {'; '.join(real.missing)}")
    return None


def score_classes(window: Window, sims: dict, post: xr.Dataset, spec: ModelSpec, history: History, inputs: ModelInputs, seed: int) -> tuple[list, dict]:
    """Log score, RPS and Brier of every forecaster's class probabilities at the window's last year."""
    years = window.years
    train_hist = history.truncate(window.cutoff)
    m = post.sizes["chain"] * post.sizes["draw"]
    order = class_order(spec.class_names)  # ordinal: the ranked probability score depends on it
    real = realised_class(spec, history, window.last, as_of=window.cutoff)
    real_label = order.index(real.name)
    record = record_from_inputs(spec, inputs)
    probs = {}
    for label, sim in sims.items():
        lab = class_labels(spec, own_units(sim["z"], inputs.scaling), sim["crisis"], record, window.last)
        probs[label] = smoothed_probabilities(lab.reshape(-1), len(order))
    rng = np.random.default_rng([seed, 99])
    train_path = post["state"].mean(SAMPLE_DIMS).transpose("year", "channel")
    # the baselines' channel paths, read through the window posterior's measurement equation
    p = draw_parameters(post, spec)
    noise = common_noise(spec, p.nu, seed, len(years))
    for label, p_c in (("persistence", crisis_persistence(train_hist.crisis)), ("climatology", crisis_climatology(train_hist.crisis))):
        paths = baseline_paths(train_path, years, m, label, rng)
        z = xr.DataArray(
            indicator_draws(p, spec, paths.values, noise),
            dims=("draw", "year", "indicator"),
            coords={"year": years, "indicator": spec.indicator_names},
        )
        crisis = xr.DataArray((rng.random((m, len(years))) < p_c).astype(np.int8), dims=("draw", "year"), coords={"year": years})
        lab = class_labels(spec, own_units(z, inputs.scaling), crisis, record, window.last)
        probs[label] = smoothed_probabilities(lab.reshape(-1), len(order))
    cells = [
        cell(window, "trajectory_class", window.last, label, metric, METRICS[metric](probs[label], real_label))
        for label in FORECASTERS
        if label in probs
        for metric in ("log_score", "rps", "brier")
    ]
    classes = {
        "order": order,
        "realised": real.name,
        "probabilities": {k: dict(zip(order, map(float, v))) for k, v in probs.items()},
    }
    return cells, classes


def score_window(
    window: Window,
    fit: dict,
    spec: ModelSpec,
    lens: Lens,
    history: History,
    *,
    seed: int,
    oracle: bool = False,
    fallbacks: list[dict] | None = None,
) -> dict:
    """Forecast ``window`` from its fit with every forecaster and score every target.

    ``lens`` is the lens as known at the cut-off (:func:`hedgecast.priors.known_by.known_at`),
    the one the window was fitted with; ``fallbacks`` lists its priors that fell back, and
    is kept with the window's result.
    """
    train_hist = history.truncate(window.cutoff)
    inputs = model_inputs(spec, train_hist)
    post = fit["posterior"]
    m = post.sizes["chain"] * post.sizes["draw"]
    sims = simulate_models(post, spec, lens, inputs, history, window.years, seed, oracle=oracle)
    cells, exclusions, intervals = score_indicators(window, sims, spec, history, inputs, m)
    crisis_cells, crisis_info = score_crises(window, sims, history, train_hist)
    cells += crisis_cells
    classes: dict[str, Any] = {}
    skip = class_exclusion(window, spec, history)
    if skip is not None:
        exclusions.append(skip)
    else:
        class_cells, classes = score_classes(window, sims, post, spec, history, inputs, seed)
        cells += class_cells
    return {
        "window": window.name,
        "cutoff": window.cutoff,
        "years": window.years,
        "cells": cells,
        "intervals": intervals,
        "fallbacks": list(fallbacks or []),
        "exclusions": exclusions,
        "crisis": crisis_info,
        "classes": classes,
        "diagnostics": fit["diagnostics"],
    }


__all__ = [
    "FORECASTERS",
    "MIN_TRAIN_OBS",
    "MODEL",
    "ORACLE",
    "class_exclusion",
    "class_labels",
    "interval_rows",
    "own_units",
    "score_classes",
    "score_crises",
    "score_indicators",
    "score_window",
]
