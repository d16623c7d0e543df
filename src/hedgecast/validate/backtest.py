"""Backtests: fit on the record up to a cut-off year, forecast the years after it, score.

Leave-future-out, with explicit windows (never "now"): :data:`WINDOWS` fits on
2000–2014 and forecasts 2015–2019, on 2000–2019 → 2020–2024, on 2000–2021 → 2022–2025.
Fits run in parallel on a dask cluster (:mod:`hedgecast.parallel`); forecasting and
scoring are cheap and run where the results are gathered.

Forecasters scored on the same cells:

``model_unconditional``
    the model as used for the real forecast: drivers follow their random walk from the
    cut-off year and the war follows the lens's Markov chain from its cut-off state
    (the status-quo forecast; checked against :func:`hedgecast.forecast.forecast`).
``model_conditional``
    the same posterior, but the realised driver codings and war states of the test
    years are plugged in (an oracle for the exogenous inputs: it scores the model's
    dynamics and measurement given the drivers, not its ability to foresee them).
    Crises, shocks and measurement noise are still simulated. Its scores flatter the
    model: the codings were made after the fact, and a crisis year's coding partly
    records the crisis itself (leader ties collapse and friction peaks in 2015).
``persistence``
    the last observed value carried forward, spread as a random walk whose annual step
    is the root-mean-square of the observed year-to-year changes up to the cut-off.
``climatology``
    the indicator's observed values up to the cut-off, as an empirical distribution.

Targets and scores (all negatively oriented: **lower is better**), from :data:`METRICS`:

* every indicator in every test year where it was observed: **CRPS**, in the model's
  standardized space of the *training window* (the indicator transformed — log, log1p
  or identity — then z-scored with the cut-off history's mean and sd), so one unit is
  one training-period standard deviation of the transformed series. Indicators with
  fewer than :data:`MIN_TRAIN_OBS` observations up to the cut-off are not scored (no
  baseline can be built for them) and are listed as exclusions;
* **crisis years** (a rupture-scale crisis began in that year): log score and Brier,
  per year, and for the event "at least one crisis in the window". The model's
  probability is the mean over draws of its crisis hazard (Rao-Blackwellized, never
  exactly 0 or 1); the baselines use the Jeffreys-smoothed crisis frequency up to the
  cut-off (climatology) or after a year with the cut-off year's status (persistence);
* **trajectory classes** at the window's last year: log score, RPS (classes ordered
  from coldest to warmest: rupture, managed erosion, transactional equilibrium,
  strategic alignment) and Brier. The realised class is that of the realised path:
  the posterior-mean latent path of a fit on the full record, re-expressed in the
  training window's units, classified by the spec's rules. Only windows whose training
  history contains 2014–2016 are scored, because the rupture rule measures depth
  against the 2015–16 fall; in the 2014 window that fall *is* the test data.
  Baselines simulate channel paths: a random walk from the cut-off state
  (persistence) or years resampled from the training path (climatology).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from hedgecast.forecasting.scenarios import ResolvedScenario, common_noise, driver_paths, war_paths
from hedgecast.inputs.history import TRANSFORMS, History
from hedgecast.inputs.spec import ModelSpec
from hedgecast.model.equations import ModelInputs, model_inputs
from hedgecast.priors.lenses import Lens
from hedgecast.validate.parallel import map_tasks, task_seed

SECTION_TITLE = "Backtests: leave-future-out forecasts against baselines"
MIN_TRAIN_OBS = 3
FORECASTERS = ("model_conditional", "model_unconditional", "persistence", "climatology")
BASELINES = ("persistence", "climatology")
CLASS_ORDER = ("rupture", "managed_erosion", "transactional_equilibrium", "strategic_alignment")
SAMPLE_DIMS = ("chain", "draw")


# ------------------------------------------------------------------------------------
# windows and settings
# ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """Fit on the record up to ``cutoff``; forecast and score ``first..last`` (``first = cutoff + 1``)."""

    cutoff: int
    first: int
    last: int

    def __post_init__(self) -> None:
        if self.first != self.cutoff + 1 or self.last < self.first:
            raise ValueError(
                f"a window forecasts the years right after its cut-off: got cutoff {self.cutoff}, years {self.first}–{self.last}"
            )

    @property
    def years(self) -> list[int]:
        return list(range(self.first, self.last + 1))

    @property
    def name(self) -> str:
        return f"≤{self.cutoff} → {self.first}–{self.last}"


WINDOWS = (Window(2014, 2015, 2019), Window(2019, 2020, 2024), Window(2021, 2022, 2025))


@dataclass(frozen=True)
class BacktestSettings:
    """How each backtest fit samples, and which windows."""

    draws: int = 500
    tune: int = 1000
    chains: int = 4
    seed: int = 2026
    target_accept: float = 0.95
    sampler: str = "nutpie"  # or "mock" for tests
    windows: tuple[Window, ...] = WINDOWS

    def sampler_settings(self, index: int):
        from hedgecast.model.fit import SamplerSettings

        return SamplerSettings(
            draws=self.draws,
            tune=self.tune,
            chains=self.chains,
            seed=task_seed(self.seed, index),
            target_accept=self.target_accept,
            sampler=self.sampler,
        )


# ------------------------------------------------------------------------------------
# the metric registry: proper scoring rules, all "lower is better"
# ------------------------------------------------------------------------------------
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


# ------------------------------------------------------------------------------------
# baselines
# ------------------------------------------------------------------------------------
def _normal_quantile_ensemble(m: int) -> np.ndarray:
    """``m`` evenly spaced standard-normal quantiles: a noise-free ensemble of a Normal."""
    return stats.norm.ppf((np.arange(m) + 0.5) / m)


def persistence_ensemble(train: pd.Series, years: list[int], m: int) -> np.ndarray:
    """Last observed value carried forward as a random walk: ``(year, m)``.

    The annual step sd is the root-mean-square of the observed changes per year (a change
    over a gap of ``g`` years counts as ``g`` annual steps: divided by ``√g``); the
    ``h``-years-ahead spread is ``√h`` times that. The ensemble is ``m`` evenly spaced
    Normal quantiles (no Monte Carlo noise).
    """
    obs = train.dropna()
    if len(obs) < 2:
        raise ValueError("persistence needs at least two observations")
    yrs = np.asarray(obs.index, dtype=float)
    vals = obs.to_numpy(dtype=float)
    steps = np.diff(vals) / np.sqrt(np.diff(yrs))
    sd = float(np.sqrt(np.mean(steps**2)))
    last_year, last = yrs[-1], vals[-1]
    q = _normal_quantile_ensemble(m)
    return np.stack([last + sd * np.sqrt(y - last_year) * q for y in years])


def climatology_ensemble(train: pd.Series, years: list[int]) -> np.ndarray:
    """Return the observed values up to the cut-off as every year's ensemble: ``(year, n_obs)``."""
    obs = train.dropna().to_numpy(dtype=float)
    return np.broadcast_to(obs, (len(years), len(obs)))


def crisis_climatology(crisis: pd.Series) -> float:
    """Jeffreys-smoothed share of years with a crisis: ``(k + ½) / (n + 1)``."""
    return float((crisis.sum() + 0.5) / (len(crisis) + 1))


def crisis_persistence(crisis: pd.Series) -> float:
    """P(crisis | the previous year had the cut-off year's status), Jeffreys-smoothed."""
    c = crisis.to_numpy(dtype=int)
    prev, nxt = c[:-1], c[1:]
    same = nxt[prev == c[-1]]
    return float((same.sum() + 0.5) / (len(same) + 1))


# ------------------------------------------------------------------------------------
# simulating the test years from a posterior
# ------------------------------------------------------------------------------------
def simulate(
    posterior: xr.Dataset,
    spec: ModelSpec,
    lens: Lens,
    inputs: ModelInputs,
    years: list[int],
    *,
    drivers: np.ndarray | None = None,
    war: np.ndarray | None = None,
    seed: int = 2026,
) -> xr.Dataset:
    """Simulate ``years`` (right after ``inputs``' last year) from every posterior draw.

    With ``drivers`` (``(driver, year)``) and ``war`` (``(year,)`` indices into
    ``spec.war_states``) the realised exogenous inputs are used (conditional); without,
    they are simulated as in the status-quo forecast (unconditional: the same random
    numbers and formulas as :func:`hedgecast.forecast.forecast`, which a test checks
    number for number, so the two cannot drift apart unnoticed).
    Returns standardized indicators ``z``, latent ``state``, ``crisis`` (0/1) and the
    crisis ``hazard``, with dims ``(chain, draw, year, …)``.
    """
    from hedgecast.forecasting.forecast import draw_parameters, forecast_priors, indicator_draws, simulate_states

    post = posterior
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    n = n_chain * n_draw
    if years[0] != inputs.years[-1] + 1:
        raise ValueError(f"simulation must start the year after the history ({inputs.years[-1] + 1}), not {years[0]}")
    F, K = len(years), len(spec.continuous_drivers)
    p = draw_parameters(post, spec)
    noise = common_noise(spec, p.nu, seed, F)
    transitions, _ = forecast_priors(lens, n, seed)
    unconditional = ResolvedScenario("unconditional", None)
    active = np.ones(n, dtype=bool)
    if drivers is None:
        x = driver_paths(spec, unconditional, inputs.drivers[:, -1], noise, active, years)
    else:
        x = np.broadcast_to(np.asarray(drivers, dtype=float)[None], (n, K, F)).copy()
    if war is None:
        w = war_paths(spec, unconditional, spec.war_states[int(inputs.war_index[-1])], transitions, noise, active, years)
    else:
        w = np.broadcast_to(np.asarray(war, dtype=np.int16)[None], (n, F)).copy()
    centre = np.asarray(getattr(inputs, "driver_means", np.zeros(K)), dtype=float)
    states, crises, hazards = simulate_states(p, spec, x, w, noise, centre, years)
    z = indicator_draws(p, spec, states, noise)

    def shaped(a: np.ndarray) -> np.ndarray:
        return a.reshape(n_chain, n_draw, *a.shape[1:])

    return xr.Dataset(
        {
            "z": (("chain", "draw", "year", "indicator"), shaped(z)),
            "state": (("chain", "draw", "year", "channel"), shaped(states)),
            "crisis": (("chain", "draw", "year"), shaped(crises)),
            "hazard": (("chain", "draw", "year"), shaped(hazards)),
            "war": (("chain", "draw", "year"), shaped(w)),
        },
        coords={
            "chain": post.chain.values,
            "draw": post.draw.values,
            "year": years,
            "channel": spec.channel_names,
            "indicator": spec.indicator_names,
        },
        attrs={"seed": seed, "conditional": drivers is not None},
    )


def standardize(history: History, spec: ModelSpec, scaling: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Transform and z-score the observed indicators in ``years`` with ``scaling`` (a training window's)."""
    out = {}
    for name in spec.indicator_names:
        forward, _ = TRANSFORMS[spec.indicators[name].transform]
        raw = history.indicators[name].reindex(years).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = forward(raw)
        x = x.where(np.isfinite(x))
        out[name] = (x - scaling.loc[name, "mean"]) / scaling.loc[name, "sd"]
    return pd.DataFrame(out, index=years)


# ------------------------------------------------------------------------------------
# fits (dask tasks)
# ------------------------------------------------------------------------------------
def backtest_fit(spec: ModelSpec, lens: Lens, history: History, cutoff: int, sampler_settings) -> dict:
    """Fit ``lens`` on the record up to ``cutoff`` (a dask task). Returns the posterior and diagnostics."""
    from hedgecast.model.fit import diagnose, sample_posterior
    from hedgecast.validate.sbc import _quiet_pymc

    t0 = time.perf_counter()
    inputs = model_inputs(spec, history.truncate(cutoff))
    with _quiet_pymc():
        idata = sample_posterior(spec, lens, inputs, sampler_settings)
    diag = diagnose(idata, idata.attrs["free_rvs"])
    return {
        "cutoff": cutoff,
        "posterior": idata.posterior.load(),
        "diagnostics": diag.to_dict(),
        "seed": sampler_settings.seed,
        "seconds": time.perf_counter() - t0,
    }


# ------------------------------------------------------------------------------------
# scoring one window
# ------------------------------------------------------------------------------------
def class_order(spec: ModelSpec) -> list[str]:
    """Classes from coldest to warmest when the spec uses the standard names, else spec order."""
    return list(CLASS_ORDER) if sorted(CLASS_ORDER) == sorted(spec.class_names) else list(spec.class_names)


def _labels(spec: ModelSpec, states: xr.DataArray, crisis: xr.DataArray, history_states: xr.DataArray, year: int) -> np.ndarray:
    from hedgecast.forecasting.trajectories import classify

    lab = classify(spec.trajectories, states, crisis, history_states, [year]).sel(year=year)
    order = class_order(spec)
    remap = np.array([order.index(c) for c in spec.class_names])
    return remap[np.asarray(lab.values, dtype=int)]


def realised_path(full_posterior: xr.Dataset, full_inputs: ModelInputs, train_inputs: ModelInputs, spec: ModelSpec) -> xr.DataArray:
    """Return the posterior-mean latent path of a full-record fit, in the training window's channel units.

    A channel's unit is one sd of its anchor indicator over the fitted years, so the
    two fits' units differ; the anchor's two scalings map one onto the other.
    """
    mean = full_posterior["state"].mean(SAMPLE_DIMS)
    out = []
    for c in spec.channel_names:
        anchor = spec.channels[c].anchor
        f, t = full_inputs.scaling.loc[anchor], train_inputs.scaling.loc[anchor]
        out.append((mean.sel(channel=c) * f["sd"] + f["mean"] - t["mean"]) / t["sd"])
    return xr.concat(out, dim="channel").transpose("year", "channel")


def _baseline_paths(train_path: xr.DataArray, years: list[int], m: int, kind: str, rng: np.random.Generator) -> xr.DataArray:
    """Channel paths ``(draw, year, channel)`` for the class baselines (see module docstring)."""
    vals = train_path.values  # (year, channel)
    if kind == "persistence":
        steps = np.diff(vals, axis=0)
        sd = np.sqrt((steps**2).mean(axis=0))
        paths = vals[-1] + np.cumsum(rng.standard_normal((m, len(years), vals.shape[1])) * sd, axis=1)
    else:
        idx = rng.integers(0, vals.shape[0], size=(m, len(years)))
        paths = vals[idx]
    return xr.DataArray(paths, dims=("draw", "year", "channel"), coords={"year": years, "channel": train_path["channel"].values})


def score_window(
    window: Window,
    fit: dict,
    spec: ModelSpec,
    lens: Lens,
    history: History,
    *,
    seed: int,
    full_fit: dict | None = None,
) -> dict:
    """Forecast ``window`` from its fit with every forecaster and score every target."""
    train_hist = history.truncate(window.cutoff)
    inputs = model_inputs(spec, train_hist)
    years = window.years
    post = fit["posterior"]
    sims = {
        "model_unconditional": simulate(post, spec, lens, inputs, years, seed=seed),
        "model_conditional": simulate(
            post,
            spec,
            lens,
            inputs,
            years,
            drivers=history.drivers.loc[years, spec.continuous_drivers].to_numpy(dtype=float).T,
            war=np.array([spec.war_states.index(s) for s in history.war.loc[years]]),
            seed=seed,
        ),
    }
    m = post.sizes["chain"] * post.sizes["draw"]
    cells: list[dict] = []
    exclusions: list[dict] = []

    # --- indicators: CRPS in the training window's standardized space
    truth = standardize(history, spec, inputs.scaling, years)
    train_z = inputs.standardized
    for name in spec.indicator_names:
        n_train = int(train_z[name].notna().sum())
        if n_train < MIN_TRAIN_OBS:
            exclusions.append(
                {
                    "window": window.name,
                    "target": name,
                    "reason": f"{n_train} observation(s) up to {window.cutoff}: fewer than {MIN_TRAIN_OBS}, no baseline",
                }
            )
            continue
        observed = truth[name].dropna()
        if observed.empty:
            exclusions.append({"window": window.name, "target": name, "reason": f"not observed in {window.first}–{window.last}"})
            continue
        ens = {
            "persistence": dict(zip(years, persistence_ensemble(train_z[name], years, m))),
            "climatology": dict(zip(years, climatology_ensemble(train_z[name], years))),
        }
        for label, sim in sims.items():
            z = sim["z"].sel(indicator=name).stack(sample=SAMPLE_DIMS).transpose("year", "sample")
            ens[label] = {y: z.sel(year=y).values for y in years}
        for year, y in observed.items():
            for label in FORECASTERS:
                cells.append(
                    {
                        "window": window.name,
                        "target": name,
                        "year": int(year),
                        "forecaster": label,
                        "metric": "crps",
                        "value": float(crps_ensemble(ens[label][year], y)),
                    }
                )

    # --- crisis years
    outcome = history.crisis.loc[years].to_numpy(dtype=int)
    p_year = {label: sim["hazard"].mean(SAMPLE_DIMS).values for label, sim in sims.items()}
    p_any = {label: float((1 - (1 - sim["hazard"]).prod("year")).mean()) for label, sim in sims.items()}
    for label, p in (("climatology", crisis_climatology(train_hist.crisis)), ("persistence", crisis_persistence(train_hist.crisis))):
        p_year[label] = np.full(len(years), p)
        p_any[label] = 1 - (1 - p) ** len(years)
    for label in FORECASTERS:
        probs = np.stack([1 - p_year[label], p_year[label]], axis=-1)
        for metric in ("log_score", "brier"):
            vals = METRICS[metric](probs, outcome)
            for year, v in zip(years, vals):
                cells.append(
                    {"window": window.name, "target": "crisis_year", "year": year, "forecaster": label, "metric": metric, "value": float(v)}
                )
        any_outcome = int(outcome.max())
        for metric in ("log_score", "brier"):
            v = METRICS[metric](np.array([1 - p_any[label], p_any[label]]), any_outcome)
            cells.append(
                {
                    "window": window.name,
                    "target": "crisis_any",
                    "year": window.last,
                    "forecaster": label,
                    "metric": metric,
                    "value": float(v),
                }
            )
    crisis_info = {label: {"p_by_year": [float(v) for v in p_year[label]], "p_any": p_any[label]} for label in FORECASTERS}

    # --- trajectory classes at the window's last year
    classes: dict[str, Any] = {}
    if not {2014, 2015, 2016} <= set(inputs.years):
        exclusions.append(
            {
                "window": window.name,
                "target": "trajectory_class",
                "reason": "the rupture rule measures depth against the 2015–16 fall, which lies in the test years",
            }
        )
    elif full_fit is None:
        exclusions.append({"window": window.name, "target": "trajectory_class", "reason": "no full-record fit to define the realised path"})
    else:
        order = class_order(spec)
        full_inputs = model_inputs(spec, history.truncate(full_fit["cutoff"]))
        realised = realised_path(full_fit["posterior"], full_inputs, inputs, spec)
        hist_real = realised.sel(year=inputs.years)
        real_crisis = xr.DataArray(outcome, dims="year", coords={"year": years})
        real_label = int(_labels(spec, realised.sel(year=years), real_crisis, hist_real, window.last))
        probs = {}
        for label, sim in sims.items():
            lab = _labels(spec, sim["state"], sim["crisis"], post["state"].transpose("chain", "draw", "year", "channel"), window.last)
            probs[label] = smoothed_probabilities(lab.reshape(-1), len(order))
        rng = np.random.default_rng([seed, 99])
        train_path = post["state"].mean(SAMPLE_DIMS).transpose("year", "channel")
        for label, p_c in (("persistence", crisis_persistence(train_hist.crisis)), ("climatology", crisis_climatology(train_hist.crisis))):
            paths = _baseline_paths(train_path, years, m, label, rng)
            crisis = xr.DataArray((rng.random((m, len(years))) < p_c).astype(np.int8), dims=("draw", "year"), coords={"year": years})
            lab = _labels(spec, paths, crisis, train_path, window.last)
            probs[label] = smoothed_probabilities(lab.reshape(-1), len(order))
        for label in FORECASTERS:
            for metric in ("log_score", "rps", "brier"):
                cells.append(
                    {
                        "window": window.name,
                        "target": "trajectory_class",
                        "year": window.last,
                        "forecaster": label,
                        "metric": metric,
                        "value": float(METRICS[metric](probs[label], real_label)),
                    }
                )
        classes = {
            "order": order,
            "realised": order[real_label],
            "probabilities": {k: dict(zip(order, map(float, v))) for k, v in probs.items()},
        }

    return {
        "window": window.name,
        "cutoff": window.cutoff,
        "years": years,
        "cells": cells,
        "exclusions": exclusions,
        "crisis": crisis_info,
        "classes": classes,
        "diagnostics": fit["diagnostics"],
    }


# ------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------
@dataclass
class BacktestResult:
    """Every scored cell, the aggregated score table, and what was left out and why."""

    settings: BacktestSettings
    lens: str
    cells: pd.DataFrame  # window, target, year, forecaster, metric, value
    windows: list[dict]  # per window: exclusions, crisis probabilities, class probabilities, diagnostics
    seconds: float = float("nan")
    workers: int = 0
    created: str = ""
    fit_seconds: dict = field(default_factory=dict)

    def scores(self) -> pd.DataFrame:
        """Mean score per (window, target, metric, forecaster); indicators also pooled as ``all_indicators``."""
        c = self.cells
        keys = ["window", "target", "metric", "forecaster"]
        per = c.groupby(keys, sort=False)["value"].agg(["mean", "count"]).reset_index()
        ind = c[c["metric"] == "crps"].assign(target="all_indicators")
        pooled = ind.groupby(keys, sort=False)["value"].agg(["mean", "count"]).reset_index()
        return pd.concat([per, pooled], ignore_index=True).rename(columns={"mean": "value", "count": "n"})

    def table(self) -> pd.DataFrame:
        """Rows ``(window, target, metric)``, columns: forecasters, ``n``, and which forecaster is best."""
        s = self.scores()
        wide = s.pivot_table(index=["window", "target", "metric"], columns="forecaster", values="value", sort=False)
        wide = wide[[f for f in FORECASTERS if f in wide.columns]]
        wide["n"] = s.groupby(["window", "target", "metric"], sort=False)["n"].max()
        wide["best"] = wide[[f for f in FORECASTERS if f in wide.columns]].idxmin(axis=1)
        return wide

    def losses(self) -> pd.DataFrame:
        """Rows where a model variant scores worse than a baseline: by how much."""
        t = self.table()
        rows = []
        for idx, r in t.iterrows():
            for model in ("model_unconditional", "model_conditional"):
                for base in BASELINES:
                    if np.isfinite(r[model]) and np.isfinite(r[base]) and r[model] > r[base]:
                        rows.append(
                            {
                                "window": idx[0],
                                "target": idx[1],
                                "metric": idx[2],
                                "model": model,
                                "baseline": base,
                                "model_score": r[model],
                                "baseline_score": r[base],
                                "skill": 1 - r[model] / r[base] if r[base] else float("-inf"),
                            }
                        )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        table = self.table().reset_index()
        return {
            "kind": "hedgecast.backtest",
            "version": 1,
            "created": self.created,
            "lens": self.lens,
            "settings": {**asdict(self.settings), "windows": [asdict(w) for w in self.settings.windows]},
            "seconds": self.seconds,
            "workers": self.workers,
            "fit_seconds": self.fit_seconds,
            "space": (
                "CRPS in each training window's standardized space (transformed, then z-scored with the "
                "cut-off history's mean and sd); all scores lower-is-better"
            ),
            "table": table.to_dict("records"),
            "losses": self.losses().to_dict("records"),
            "windows": self.windows,
            "cells": self.cells.to_dict("records"),
        }

    @classmethod
    def from_dict(cls, data: dict) -> BacktestResult:
        if data.get("kind") != "hedgecast.backtest":
            raise ValueError("not a backtest result (expected kind 'hedgecast.backtest')")
        s = dict(data["settings"])
        s["windows"] = tuple(Window(**w) for w in s["windows"])
        return cls(
            BacktestSettings(**s),
            data["lens"],
            pd.DataFrame(data["cells"]),
            data["windows"],
            data.get("seconds", float("nan")),
            data.get("workers", 0),
            data.get("created", ""),
            data.get("fit_seconds", {}),
        )


def save_backtest(result: BacktestResult, path: str | Path) -> Path:
    """Write ``result`` as JSON, atomically."""
    from hedgecast.files import write_atomic

    return write_atomic(Path(path), json.dumps(result.to_dict(), indent=1, default=_json_default, allow_nan=True))


def load_backtest(path: str | Path) -> BacktestResult:
    return BacktestResult.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"cannot serialize {type(o).__name__}")


def run_backtest(
    spec: ModelSpec,
    lens: Lens,
    history: History,
    settings: BacktestSettings,
    client: Any,
    *,
    on_done: Callable[[int, dict], None] | None = None,
) -> BacktestResult:
    """Run the backtest: fit every window on the dask ``client``, then forecast and score it.

    The full record is fitted too when a window scores trajectory classes (it defines
    the realised path).
    """
    t0 = time.perf_counter()
    windows = list(settings.windows)
    full_cutoff = history.years[-1]
    need_full = any({2014, 2015, 2016} <= set(range(history.years[0], w.cutoff + 1)) for w in windows)
    cutoffs = [w.cutoff for w in windows] + ([full_cutoff] if need_full else [])
    args = [(spec, lens, history, cutoff, settings.sampler_settings(i)) for i, cutoff in enumerate(cutoffs)]
    fits = map_tasks(client, backtest_fit, args, on_done=on_done, key_prefix="backtest")
    full = fits[-1] if need_full else None
    scored = [
        score_window(w, fits[i], spec, lens, history, seed=task_seed(settings.seed, 1000 + i), full_fit=full) for i, w in enumerate(windows)
    ]
    cells = pd.DataFrame([c for s in scored for c in s.pop("cells")])
    workers = len(client.scheduler_info().get("workers", {})) if hasattr(client, "scheduler_info") else 0
    return BacktestResult(
        settings,
        lens.name,
        cells,
        scored,
        seconds=time.perf_counter() - t0,
        workers=workers,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        fit_seconds={str(f["cutoff"]): f["seconds"] for f in fits},
    )


# ------------------------------------------------------------------------------------
# plot; the report section is hedgecast.report.sections.validation
# ------------------------------------------------------------------------------------
COLORS = {"model_conditional": "#4c72b0", "model_unconditional": "#55a868", "persistence": "#c44e52", "climatology": "#8172b2"}


def plot_indicator_crps(result: BacktestResult):
    """CRPS per indicator and window, one bar per forecaster."""
    from matplotlib.figure import Figure

    s = result.scores()
    s = s[s["metric"] == "crps"]
    wins = list(dict.fromkeys(s["window"]))
    fig = Figure(figsize=(4.2 * len(wins), 3.4), layout="constrained")
    axes = fig.subplots(1, len(wins), squeeze=False)[0]
    for ax, w in zip(axes, wins):
        sw = s[s["window"] == w]
        targets = list(dict.fromkeys(sw["target"]))
        x = np.arange(len(targets))
        width = 0.8 / len(FORECASTERS)
        for k, f in enumerate(FORECASTERS):
            vals = [
                float(sw[(sw["target"] == t) & (sw["forecaster"] == f)]["value"].iloc[0])
                if ((sw["target"] == t) & (sw["forecaster"] == f)).any()
                else np.nan
                for t in targets
            ]
            ax.bar(x + (k - 1.5) * width, vals, width, color=COLORS[f], label=f.replace("_", " "))
        ax.set_xticks(x, [t.replace("_", " ") for t in targets], rotation=35, ha="right", fontsize=7)
        ax.set_title(w, fontsize=9)
        ax.set_ylabel("CRPS (training sd units)", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    axes[0].legend(fontsize=7, frameon=False)
    return fig


__all__ = [
    "BASELINES",
    "FORECASTERS",
    "METRICS",
    "WINDOWS",
    "BacktestResult",
    "BacktestSettings",
    "Metric",
    "Window",
    "brier",
    "climatology_ensemble",
    "crps_ensemble",
    "crps_normal",
    "load_backtest",
    "log_score",
    "persistence_ensemble",
    "rps",
    "run_backtest",
    "save_backtest",
    "score_window",
    "simulate",
]
