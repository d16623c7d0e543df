"""Per-draw values a what-if is computed from: a fitted parameter's draws, the headline events per draw."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from hedgecast.dims import SAMPLE_DIMS
from hedgecast.forecasting.forecast import rupture_event_key
from hedgecast.priors.groups import parameter_groups
from hedgecast.priors.lenses import Lens

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.forecasting.forecast import Forecast

__all__ = ["element_draws", "headline_draws", "metric_name"]


def _flat(da: xr.DataArray) -> np.ndarray:
    """Flatten a scalar-per-draw DataArray to ``(n,)``, chains first (the forecast's draw order)."""
    return da.transpose(*SAMPLE_DIMS).values.ravel()


def element_draws(posterior: xr.Dataset, lens: Lens, name: str) -> np.ndarray:
    """Posterior draws ``(n,)`` of the fitted parameter behind the prior called ``name``."""
    group, *coords = name.split(".")
    dims, elements = parameter_groups(lens.spec)[group]
    if group in posterior:
        da = posterior[group]
        if dims:
            da = da.sel(dict(zip(dims, coords, strict=True)))
        return _flat(da)
    # a group mixing families is stored per family (group_<Family>, flat over its members)
    fam = lens.priors[name].prior.distribution
    members = [c for c in elements if lens.priors[".".join((group, *c))].prior.distribution == fam]
    var = f"{group}_{fam}"
    if var not in posterior:
        raise KeyError(f"the posterior has no draws of '{group}' (nor '{var}'): is this a fit of this model?")
    da = posterior[var]
    other = [d for d in da.dims if d not in SAMPLE_DIMS]
    return da.isel({other[0]: members.index(tuple(coords))}).transpose(*SAMPLE_DIMS).values.ravel()


def headline_draws(forecast: Forecast, year: int | None = None, scenarios: Sequence[str] | None = None) -> xr.DataArray:
    """Per-draw indicators of the headline events, dims ``(quantity, scenario, sample)``.

    ``year`` defaults to the spec's first headline year.

    Quantities: ``P(<class>, <year>)`` for every trajectory class (the class at ``year``:
    where the relationship is then) and ``P(rupture event by <year>)`` (at least one rupture
    event from the first forecast year to ``year``), named as in :meth:`Forecast.headline`.
    """
    year = forecast.spec.headline_year if year is None else year
    data = forecast.data if scenarios is None else forecast.data.sel(scenario=list(scenarios))
    labels = data["trajectory"].sel(year=year).transpose(*SAMPLE_DIMS, "scenario").values
    crisis = data["crisis"].sel(year=slice(None, year)).max("year").transpose(*SAMPLE_DIMS, "scenario").values
    n = labels.shape[0] * labels.shape[1]
    labels, crisis = labels.reshape(n, -1).T, crisis.reshape(n, -1).T  # (scenario, sample)
    names = [f"P({c}, {year})" for c in forecast.spec.class_names] + [metric_name("rupture_event", year)]
    values = np.stack([(labels == i).astype(float) for i in range(len(forecast.spec.class_names))] + [(crisis > 0).astype(float)])
    return xr.DataArray(
        values, dims=("quantity", "scenario", "sample"), coords={"quantity": names, "scenario": [str(s) for s in data["scenario"].values]}
    )


def metric_name(kind: str, year: int) -> str:
    """``("rupture", 2030)`` → ``"P(rupture, 2030)"``; ``("rupture_event", 2030)`` → ``"P(rupture event by 2030)"``
    (``"crisis"``, its former name, gives the same)."""
    return rupture_event_key(year) if kind in ("rupture_event", "crisis") else f"P({kind}, {year})"
