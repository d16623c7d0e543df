"""The house style of every figure: palette, fixed class colours, rcParams, and small helpers.

Colours are the Okabe–Ito palette (safe for the common colour-vision deficiencies);
trajectory classes always get the same colour, in every figure.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from hedgecast.dims import SAMPLE_DIMS

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
FORECAST_START = 2025.5

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
#: colours for scenarios overlaid in one panel, in order (the first is the reference)
SCENARIO_COLOURS = (
    "#444444",
    OKABE_ITO["vermillion"],
    OKABE_ITO["blue"],
    OKABE_ITO["green"],
    OKABE_ITO["purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky_blue"],
)
#: fixed colour of each trajectory class (other class names get the remaining palette colours)
CLASS_COLOURS = {
    "strategic_alignment": OKABE_ITO["blue"],
    "transactional_equilibrium": OKABE_ITO["sky_blue"],
    "managed_erosion": OKABE_ITO["orange"],
    "rupture": OKABE_ITO["vermillion"],
}
#: stacking order for the bars: from closest to furthest apart
HISTORY_COLOUR = "#333333"
PRIOR_COLOUR = "#A0A0A0"
POSTERIOR_COLOUR = OKABE_ITO["blue"]
CHANNEL_UNITS = "sd of its anchor indicator, 2000–2025"

STYLE = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.6,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}


#: numpydoc sections that several plot functions share, written once: a line ``%(name)s`` in a
#: plot function's docstring stands for one (its lines take that line's indentation)
SHARED_DOCS = {
    "returns_ax": "Returns\n-------\nFigure\n    The figure holding ``ax``.",
    "returns_figure": "Returns\n-------\nFigure\n    The figure.",
}
_SLOT = re.compile(r"%\((\w+)\)s")


def fill_shared_docs(doc: str | None) -> str | None:
    """Return ``doc`` with each ``%(name)s`` replaced by ``SHARED_DOCS[name]``."""
    if not doc:
        return doc
    out = []
    for line in doc.split("\n"):
        slot = _SLOT.search(line)
        if slot is None:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        first, *rest = SHARED_DOCS[slot.group(1)].split("\n")
        out.append(line[: slot.start()] + first + line[slot.end() :])
        out.extend(indent + r if r else "" for r in rest)
    return "\n".join(out)


def styled(fn):
    """Run a plot function inside the house style (without touching global rcParams).

    Its docstring's shared sections (``%(name)s`` lines, see :data:`SHARED_DOCS`) are filled in.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(STYLE):
            return fn(*args, **kwargs)

    wrapper.__doc__ = fill_shared_docs(fn.__doc__)
    return wrapper


def figure_of(ax: Axes) -> Figure:
    return ax.get_figure(root=True)


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return figure_of(ax), ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots()


def panel_grid(n: int, ncols: int, panel: tuple[float, float], margin: tuple[float, float], **share: bool) -> tuple[Figure, np.ndarray]:
    """Make a new figure of ``n`` small multiples in rows of ``ncols`` (fewer when ``n`` is smaller).

    Each panel takes ``panel`` inches (width, height), the figure ``margin`` more; ``share``
    goes to ``subplots`` (``sharex``, ``sharey``). Panels past the ``n``-th are hidden.
    Returns the figure and its axes, rows × columns.
    """
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(panel[0] * ncols + margin[0], panel[1] * nrows + margin[1]), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **share)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes


def figure_key(fig: Figure, handles: Sequence, title: str) -> None:
    """Add the legend of a figure of small multiples, in one row below the panels, and its bold title."""
    fig.legend(handles=list(handles), loc="outside lower center", ncols=len(handles))
    fig.suptitle(title, fontweight="bold")


def draw_bands(
    ax: Axes,
    years: np.ndarray,
    b: xr.DataArray,
    colour: str,
    *,
    alphas: tuple[float, float],
    lw: float,
    label: str | None = None,
    zorder: float | None = None,
) -> None:
    """Draw filled 90% and 50% bands (opacities ``alphas``) and the median line (width ``lw``) of the quantiles ``b``.

    ``zorder``: of the bands, the median line one above (default: matplotlib's); ``label``: of the line.
    """
    fill = {} if zorder is None else {"zorder": zorder}
    for (lo, hi), alpha in zip(((0.05, 0.95), (0.25, 0.75)), alphas, strict=True):
        ax.fill_between(years, band_values(b, lo), band_values(b, hi), color=colour, alpha=alpha, linewidth=0, **fill)
    line = {} if zorder is None else {"zorder": zorder + 1}
    if label is not None:
        line["label"] = label
    ax.plot(years, band_values(b, 0.5), color=colour, lw=lw, **line)


def bands(da: xr.DataArray, quantiles: Sequence[float] = QUANTILES) -> xr.DataArray:
    """Quantiles over the sample dims, or ``da`` itself if it already has a ``quantile`` dim."""
    if "quantile" in da.dims:
        missing = [q for q in quantiles if not np.isclose(da["quantile"].values, q).any()]
        if missing:
            raise ValueError(f"precomputed quantiles lack {missing}; need {list(quantiles)}")
        return da.sel(quantile=list(quantiles), method="nearest")
    dims = [d for d in SAMPLE_DIMS if d in da.dims]
    if not dims:
        raise ValueError(f"expected posterior draws (dims {SAMPLE_DIMS}) or a 'quantile' dim, got dims {da.dims}")
    return da.quantile(list(quantiles), dim=dims)


def band_values(b: xr.DataArray, q: float) -> np.ndarray:
    return np.asarray(b.sel(quantile=q, method="nearest").values, dtype=float)


def display_label(labels: Mapping[str, str] | None, key: str) -> str:
    return (labels or {}).get(key, key.replace("_", " "))


def class_colours(names: Sequence[str]) -> dict[str, str]:
    """Colour of each class: the fixed colour of a known class, the spare palette for the others."""
    spare = [c for c in (OKABE_ITO["green"], OKABE_ITO["purple"], OKABE_ITO["yellow"], "#999999") if c not in CLASS_COLOURS.values()]
    out, k = {}, 0
    for n in names:
        if n in CLASS_COLOURS:
            out[n] = CLASS_COLOURS[n]
        else:
            out[n] = spare[k % len(spare)]
            k += 1
    return out
