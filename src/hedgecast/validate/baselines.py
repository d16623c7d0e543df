"""The baseline forecasters the model is scored against: persistence and climatology.

``persistence``
    the last observed value carried forward, spread as a random walk whose annual step
    is the root-mean-square of the observed year-to-year changes up to the cut-off.
``climatology``
    the indicator's observed values up to the cut-off, as an empirical distribution.

Crisis years: the Jeffreys-smoothed crisis frequency up to the cut-off (climatology) or
after a year with the cut-off year's status (persistence). Trajectory classes: channel
paths simulated as a random walk from the cut-off state (persistence) or as years
resampled from the training path (climatology).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

BASELINES = ("persistence", "climatology")


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


def baseline_paths(train_path: xr.DataArray, years: list[int], m: int, kind: str, rng: np.random.Generator) -> xr.DataArray:
    """Channel paths ``(draw, year, channel)`` for the class baselines (see the module docstring)."""
    vals = train_path.values  # (year, channel)
    if kind == "persistence":
        steps = np.diff(vals, axis=0)
        sd = np.sqrt((steps**2).mean(axis=0))
        paths = vals[-1] + np.cumsum(rng.standard_normal((m, len(years), vals.shape[1])) * sd, axis=1)
    else:
        idx = rng.integers(0, vals.shape[0], size=(m, len(years)))
        paths = vals[idx]
    return xr.DataArray(paths, dims=("draw", "year", "channel"), coords={"year": years, "channel": train_path["channel"].values})


__all__ = [
    "BASELINES",
    "baseline_paths",
    "climatology_ensemble",
    "crisis_climatology",
    "crisis_persistence",
    "persistence_ensemble",
]
