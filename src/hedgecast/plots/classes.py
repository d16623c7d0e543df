"""Trajectory class probabilities as stacked bars, in the fixed class colours and order."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hedgecast.forecasting.trajectories import class_order
from hedgecast.plots.style import class_colours, display_label, new_axes, styled


def _text_colour(hex_colour: str) -> str:
    r, g, b = (int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "white"


@styled
def class_probability_bars(
    probs: xr.DataArray,
    year: int | None = None,
    ax: Axes | None = None,
    *,
    scenario_labels: Mapping[str, str] | None = None,
    class_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Figure:
    """Stacked horizontal bars: P(each trajectory class) per scenario at ``year``.

    Parameters
    ----------
    probs : DataArray
        ``forecast.class_probabilities(...)``: dims ``trajectory``, ``scenario`` and
        (optionally) ``year``, in any order.
    year : int, optional
        The year to show (required when ``probs`` has a ``year`` dim).
    ax : Axes, optional
        Where to draw; default: a new figure.
    scenario_labels, class_labels : mapping, optional
        Display names of scenarios and classes.
    title : str, optional
        Axes title.
    legend : bool
        Draw the class legend above the bars.

    %(returns_ax)s

    """
    if "year" in probs.dims:
        if year is None:
            raise ValueError("probs has a 'year' dim: pass the year to show")
        probs = probs.sel(year=year)
    scenarios = [str(s) for s in probs["scenario"].values]
    classes = class_order([str(c) for c in probs["trajectory"].values])
    colours = class_colours(classes)
    fig, ax = new_axes(ax, (8, 0.42 * len(scenarios) + 1.6))
    y = np.arange(len(scenarios))
    left = np.zeros(len(scenarios))
    for c in classes:
        vals = 100 * np.asarray(probs.sel(trajectory=c).transpose("scenario").values, dtype=float)
        ax.barh(y, vals, left=left, color=colours[c], edgecolor="white", linewidth=0.6, height=0.72, label=display_label(class_labels, c))
        for yi, (lft, v) in enumerate(zip(left, vals)):
            if v >= 7:
                ax.text(lft + v / 2, yi, f"{v:.0f}", ha="center", va="center", fontsize=8, color=_text_colour(colours[c]))
        left += vals
    ax.set_yticks(y, [display_label(scenario_labels, s) for s in scenarios])
    if not ax.yaxis_inverted():  # first scenario on top (shared axes are inverted once)
        ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("Probability (%)")
    ax.grid(axis="y", visible=False)
    ax.set_title(title or (f"Trajectory class in {year}" if year is not None else "Trajectory class"), pad=24 if legend else 6)
    if legend:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(classes), fontsize=8, handlelength=1.2, borderaxespad=0.2)
    return fig
