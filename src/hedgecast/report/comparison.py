"""Lens comparison: the same scenarios seen through each paper's priors, side by side (data and a chart).

The report section is :func:`hedgecast.report.sections.lenses.lenses_section`.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure


def lens_probabilities(fit, year: int, scenarios: list[str] | None = None) -> tuple[xr.DataArray, xr.DataArray]:
    """One lens's part of :func:`compare_lenses`: P(class) at ``year`` (scenario, trajectory) and P(rupture event by ``year``)."""
    fc = fit.forecast(scenarios)
    return fc.class_probabilities((year,)).sel(year=year, drop=True), fc.p_rupture_event_by(year)


def compare_lenses(fits, year: int | None = None, scenarios: list[str] | None = None, one=None) -> xr.Dataset:
    """P(trajectory class) at ``year`` (default the spec's first headline year) and P(rupture event by ``year``) per lens and scenario.

    Returns
    -------
    Dataset
        ``probability`` (lens, scenario, trajectory) and ``p_crisis`` (lens, scenario).

    ``one(fit, year, scenarios)`` gives each lens's part (default :func:`lens_probabilities`; the
    report passes one that reads unchanged lenses from its cache, so an edit re-forecasts one lens).
    """
    year = fits[0].spec.headline_year if year is None else year
    one = lens_probabilities if one is None else one
    probs, crisis = zip(*(one(f, year, scenarios) for f in fits), strict=True) if fits else ((), ())
    names = [f.lens.name for f in fits]
    lens_dim = xr.DataArray(names, dims="lens", name="lens")
    return xr.Dataset({"probability": xr.concat(probs, dim=lens_dim), "p_crisis": xr.concat(crisis, dim=lens_dim)}, attrs={"year": year})


def comparison_table(result: xr.Dataset, trajectory: str) -> pd.DataFrame:
    """Scenario × lens table of P(``trajectory``) (percent)."""
    return (100 * result["probability"].sel(trajectory=trajectory)).transpose("scenario", "lens").to_pandas().round(1)


def lens_chart(result: xr.Dataset, trajectories=("rupture", "transactional_equilibrium"), ax=None):
    """Dot plot: for each scenario, each lens's P(class); one panel per class. Returns the Figure."""
    year = result.attrs["year"]
    lenses = list(result.lens.values)
    scenarios = list(result.scenario.values)
    if ax is None:
        fig = Figure(figsize=(6 * len(trajectories), 0.45 * len(scenarios) + 1.6))
        axes = fig.subplots(1, len(trajectories), sharey=True, squeeze=False)
    else:
        fig, axes = ax.figure, np.array([[ax]])
    colours = matplotlib.colormaps["tab10"]
    y = np.arange(len(scenarios))
    for k, traj in enumerate(trajectories):
        a = axes[0, k]
        for j, lens in enumerate(lenses):
            p = result["probability"].sel(trajectory=traj, lens=lens).sel(scenario=scenarios).values
            a.scatter(100 * p, y + (j - (len(lenses) - 1) / 2) * 0.1, s=28, color=colours(j), label=lens, zorder=3)
        a.set_yticks(y, scenarios)
        a.invert_yaxis()
        a.set_xlabel(f"P({traj}) in {year}, %")
        a.grid(axis="x", alpha=0.3)
        a.set_title(f"P({traj}, {year}) by lens")
    axes[0, -1].legend(loc="lower right", fontsize=8, frameon=True)
    fig.tight_layout()
    return fig
