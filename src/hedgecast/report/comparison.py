"""Lens comparison: the same scenarios seen through each paper's priors, side by side."""

from __future__ import annotations

import base64
import io

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from markupsafe import Markup, escape


def compare_lenses(fits, year: int | None = None, scenarios: list[str] | None = None) -> xr.Dataset:
    """P(trajectory class) at ``year`` (default the spec's first headline year) and P(crisis by ``year``) per lens and scenario.

    Returns
    -------
    Dataset
        ``probability`` (lens, scenario, trajectory) and ``p_crisis`` (lens, scenario).

    """
    year = fits[0].spec.headline_year if year is None else year
    probs, crisis = [], []
    names = [f.lens.name for f in fits]
    for f in fits:
        fc = f.forecast(scenarios)
        probs.append(fc.class_probabilities((year,)).sel(year=year, drop=True))
        crisis.append(fc.p_crisis_by(year))
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
    fig, axes = (plt.subplots(1, len(trajectories), figsize=(6 * len(trajectories), 0.45 * len(scenarios) + 1.6), sharey=True, squeeze=False) if ax is None else (ax.figure, np.array([[ax]])))
    colours = plt.get_cmap("tab10")
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


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def lens_section(fits, year: int | None = None) -> tuple[str, str]:
    """The report's ``Lenses`` section: a table per class and a chart (at the spec's first headline year by default)."""
    result = compare_lenses(fits, year)
    year = result.attrs["year"]
    failed = '<span style="color:#b00">failed</span>'
    parts = [
        "<p>Each lens is one paper's reading turned into priors, fitted to the same 2000–2025 record "
        "and simulated under the same scenarios and random numbers. Differences between columns are "
        "differences between the papers' assumptions. Diagnostics per lens: "
        + ", ".join(f"<b>{escape(f.lens.name)}</b> {'passed' if f.diagnostics.passed else failed}" for f in fits)
        + ".</p>",
        f'<img alt="Lens comparison" src="data:image/png;base64,{_png(lens_chart(result))}" style="max-width:100%">',
    ]
    for traj in result.trajectory.values:
        table = comparison_table(result, str(traj))
        parts.append(f"<h4>P({escape(str(traj))}) in {year}, % — by scenario and lens</h4>")
        parts.append(table.to_html(classes="table", border=0))
    crisis = (100 * result["p_crisis"]).transpose("scenario", "lens").to_pandas().round(1)
    parts.append(f"<h4>P(at least one rupture-scale crisis by {year}), %</h4>")
    parts.append(crisis.to_html(classes="table", border=0))
    summaries = "".join(f"<li><b>{escape(f.lens.name)}</b>: {escape(f.lens.summary)}</li>" for f in fits)
    parts.append(f"<h4>The lenses</h4><ul>{summaries}</ul>")
    return "Lenses", str(Markup("\n".join(parts)))
