"""Figures of the stress test: tornado, Sobol indices, power-scaling sensitivity matrix.

They take the stress test's tables (as :mod:`hedgecast.stress.sensitivity` computes them, or as
``reports/stress.json`` keeps them) and return a Figure.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from hedgecast.plots.style import OKABE_ITO, new_axes, styled


@styled
def plot_tornado(tornado: pd.DataFrame, ax: Axes | None = None, *, k: int = 12, title: str = "", xlabel: str = "probability") -> Figure:
    """Horizontal bars from the probability at the low end to the high end of each assumption.

    Ends that are unreliable (k̂ > 0.7, not refitted) are not drawn: a grey cross at the
    base marks them. Refitted ends are outlined in black.
    """
    data = tornado.head(k).iloc[::-1]
    fig, ax = new_axes(ax, (8, 0.38 * len(data) + 1.4))
    base = float(tornado["base"].iloc[0]) if len(tornado) else 0.0
    for y, (_, r) in enumerate(data.iterrows()):
        for end, colour, dy in (("low", OKABE_ITO["blue"], -0.19), ("high", OKABE_ITO["vermillion"], 0.19)):
            p = r.get(f"p_{end}", np.nan)
            if np.isfinite(p):
                refit = r.get(f"method_{end}") == "refit"
                ax.barh(
                    y + dy,
                    p - base,
                    left=base,
                    height=0.38,
                    color=colour,
                    alpha=0.9,
                    edgecolor="black" if refit else "none",
                    linewidth=1.2 if refit else 0,
                )
            elif f"p_{end}" in r and isinstance(r.get(f"method_{end}"), str):
                ax.plot([base], [y + dy], marker="x", color="#777777", markersize=7)
    ax.axvline(base, color="#333333", lw=1)
    ax.set_yticks(range(len(data)), [f"{r['prior']} · {r['knob']}" for _, r in data.iterrows()])
    ax.set_xlabel(xlabel)
    handles = [
        Patch(color=OKABE_ITO["blue"], label="assumption at the low end of its range"),
        Patch(color=OKABE_ITO["vermillion"], label="assumption at the high end of its range"),
        Patch(facecolor="white", edgecolor="black", label="refitted (k̂ > 0.7)"),
        Line2D([], [], marker="x", color="#777777", lw=0, label="k̂ > 0.7, not refitted: not shown"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.5 / max(len(data), 1)), ncols=2, fontsize=8)
    ax.set_title(title or "Tornado: one assumption at a time")
    return fig


@styled
def plot_sobol(table: pd.DataFrame, ax: Axes | None = None, *, title: str = "") -> Figure:
    """First-order and total Sobol indices of one headline probability, with 95% intervals."""
    data = table.sort_values("ST", ascending=True)
    fig, ax = new_axes(ax, (8, 0.38 * len(data) + 1.4))
    y = np.arange(len(data))
    for index, colour, dy, label in (
        ("ST", OKABE_ITO["vermillion"], 0.2, "total (ST)"),
        ("S1", OKABE_ITO["blue"], -0.2, "first order (S1)"),
    ):
        ax.barh(y + dy, data[index], height=0.38, xerr=data[f"{index}_conf"], color=colour, alpha=0.85, label=label, error_kw={"lw": 0.8})
    ax.set_yticks(y, list(data["assumption"]))
    ax.set_xlabel("share of the variance of the probability")
    ax.set_xlim(left=min(0.0, float(np.nanmin(data["S1"] - data["S1_conf"])) if len(data) else 0.0))
    ax.legend(loc="lower right")
    ax.set_title(title or "Sobol indices")
    return fig


@styled
def plot_power_scaling(result, ax: Axes | None = None, *, title: str = "") -> Figure:
    """Heat map: power-scaling sensitivity of each posterior group (columns) to each prior group (rows).

    ``result``: a :class:`~hedgecast.stress.sensitivity.PowerScaling` or its ``matrix`` (a DataFrame).
    """
    with mpl.rc_context({"axes.grid": False}):  # a heat map: no grid over the cells
        m = result if isinstance(result, pd.DataFrame) else result.matrix
        fig, ax = new_axes(ax, (0.6 * m.shape[1] + 3, 0.4 * m.shape[0] + 1.8))
        vals = m.to_numpy(dtype=float)
        im = ax.imshow(vals, cmap="Oranges", vmin=0, vmax=max(0.1, float(np.nanmax(vals)) if vals.size else 0.1), aspect="auto")
        ax.set_xticks(range(m.shape[1]), list(m.columns), rotation=45, ha="right")
        ax.set_yticks(range(m.shape[0]), list(m.index))
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                v = vals[i, j]
                if np.isfinite(v) and v >= 0.01:
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="black" if v < 0.6 * np.nanmax(vals) else "white")
        ax.set_xlabel("posterior quantity (largest over its elements)")
        ax.set_ylabel("power-scaled prior group")
        fig.colorbar(im, ax=ax, label="sensitivity (≥ 0.05: influential)")
        ax.set_title(title or "Which priors dominate which posterior quantities")
        return fig
