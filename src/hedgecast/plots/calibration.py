"""Calibration of the issued forecasts: forecast probability against the share that came true, with counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hedgecast.plots.style import OKABE_ITO, new_axes, styled


@styled
def calibration_plot(table: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Reliability diagram of :func:`hedgecast.forecasting.track_record.calibration`: one point per bin, its count written beside it.

    Bins without a forecast are left out; the diagonal is perfect calibration.
    """
    fig, ax = new_axes(ax, (5.0, 4.6))
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="perfectly calibrated")
    full = table[table["n"] > 0]
    ax.scatter(
        full["mean_p"],
        full["observed"],
        s=30 + 12 * np.sqrt(full["n"]),
        color=OKABE_ITO["sky_blue"],
        zorder=3,
        label="forecasts (area ∝ count)",
    )
    for _, r in full.iterrows():
        ax.annotate(f"n={int(r['n'])}", (r["mean_p"], r["observed"]), textcoords="offset points", xytext=(6, -10), fontsize=8)
    centres = (table["low"] + table["high"]) / 2
    ax.set_xticks(np.round(centres.to_numpy()[::2], 2))
    ax.set(xlim=(0, 1), ylim=(-0.05, 1.05), xlabel="forecast probability (bin mean)", ylabel="share that resolved YES")
    counts = ", ".join(f"{r['bin']}: {int(r['n'])}" for _, r in table.iterrows() if r["n"])
    ax.set_title(f"Calibration of the forecasts of record ({int(table['n'].sum())} scored)", fontsize=10)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    fig.text(0.01, 0.0, f"counts per bin: {counts or 'none'}", fontsize=7, color="0.3")
    return fig
