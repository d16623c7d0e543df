"""Plots of computed results: fan charts, class probabilities, prior vs posterior, checks.

Every function takes results (xarray/pandas objects with named dims), draws with
matplotlib's object API (no pyplot state, so it is safe in scripts, reports and
threads), accepts ``ax=None`` and returns the :class:`~matplotlib.figure.Figure`.

Inputs that still carry posterior draws (dims ``chain``/``draw``) are summarised into
quantiles here; inputs that already have a ``quantile`` dim (e.g. from
:meth:`hedgecast.forecast.Forecast.fan`) are used as they are.

Colours are the Okabe–Ito palette (safe for the common colour-vision deficiencies);
trajectory classes always get the same colour, in every figure.

    >>> from hedgecast import plots                                  # doctest: +SKIP
    >>> fig = plots.fan_chart(fit.idata.posterior["state"], fc.data["state"],
    ...                       "political", ["status_quo", "new_low"])  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Iterable, Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

__all__ = [
    "CLASS_COLOURS",
    "OKABE_ITO",
    "class_probability_bars",
    "fan_chart",
    "fan_grid",
    "indicator_fan",
    "ppc",
    "prior_posterior",
    "scenario_differences",
]

SAMPLE_DIMS = ("chain", "draw")
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
CLASS_ORDER = ("strategic_alignment", "transactional_equilibrium", "managed_erosion", "rupture")
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


def _styled(fn):
    """Run a plot function inside the house style (without touching global rcParams)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(STYLE):
            return fn(*args, **kwargs)

    return wrapper


# ------------------------------------------------------------------------------------
# small helpers
# ------------------------------------------------------------------------------------
def _figure_of(ax: Axes) -> Figure:
    return ax.get_figure(root=True)


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return _figure_of(ax), ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots()


def _bands(da: xr.DataArray, quantiles: Sequence[float] = QUANTILES) -> xr.DataArray:
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


def _q(b: xr.DataArray, q: float) -> np.ndarray:
    return np.asarray(b.sel(quantile=q, method="nearest").values, dtype=float)


def _label(labels: Mapping[str, str] | None, key: str) -> str:
    return (labels or {}).get(key, key.replace("_", " "))


def _draw_band(ax: Axes, years: np.ndarray, b: xr.DataArray, colour: str, *, label: str, filled: bool = True, zorder: int = 2) -> None:
    """Median line, 50% band and 90% band (filled, or dashed bounds when not ``filled``)."""
    lo90, lo50, mid, hi50, hi90 = (_q(b, q) for q in QUANTILES)
    if filled:
        ax.fill_between(years, lo90, hi90, color=colour, alpha=0.16, linewidth=0, zorder=zorder)
        ax.fill_between(years, lo50, hi50, color=colour, alpha=0.32, linewidth=0, zorder=zorder)
    else:
        ax.plot(years, lo90, color=colour, lw=0.9, ls="--", zorder=zorder)
        ax.plot(years, hi90, color=colour, lw=0.9, ls="--", zorder=zorder)
    ax.plot(years, mid, color=colour, lw=1.8, label=label, zorder=zorder + 1)


def _mark_forecast(ax: Axes, split: float = FORECAST_START) -> None:
    ax.axvline(split, color="#777777", lw=1, ls=":", zorder=1)
    ax.annotate(
        "forecast →",
        xy=(split, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, -3),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=8,
        color="#555555",
    )


def _history_channel(history_states: xr.DataArray, channel: str, start_year: int | None) -> xr.DataArray:
    h = history_states.sel(channel=channel) if "channel" in history_states.dims else history_states
    if start_year is not None:
        h = h.sel(year=slice(start_year, None))
    return h


def _joined(history_bands: xr.DataArray | None, forecast_bands: xr.DataArray) -> tuple[np.ndarray, xr.DataArray]:
    """Forecast bands preceded by the last history year, so the fan opens where history ends."""
    if history_bands is None:
        return np.asarray(forecast_bands["year"].values), forecast_bands
    last = history_bands.isel(year=[-1])
    if int(last["year"].values[0]) >= int(forecast_bands["year"].values[0]):
        return np.asarray(forecast_bands["year"].values), forecast_bands
    joined = xr.concat(
        [last.transpose(*forecast_bands.dims), forecast_bands], dim="year", coords="minimal", compat="override", join="outer"
    )
    return np.asarray(joined["year"].values), joined


# ------------------------------------------------------------------------------------
# fan charts
# ------------------------------------------------------------------------------------
@_styled
def fan_chart(
    history_states: xr.DataArray | None,
    forecast_states: xr.DataArray,
    channel: str,
    scenarios: Sequence[str] | None = None,
    ax: Axes | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    colours: Sequence[str] | None = None,
    channel_label: str | None = None,
    start_year: int | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Figure:
    """History (posterior median, 50% and 90% bands) then forecast bands per scenario.

    Parameters
    ----------
    history_states : DataArray or None
        Fitted latent states, dims ``(chain, draw, channel, year)`` in any order
        (``fit.idata.posterior["state"]``), or precomputed with a ``quantile`` dim.
    forecast_states : DataArray
        Forecast states, dims ``(chain, draw, scenario, year, channel)``
        (``forecast.data["state"]``), or with a ``quantile`` dim.
    channel : str
        The channel to show.
    scenarios : list of str, optional
        Scenarios to overlay; the first is drawn with filled 50% and 90% bands, the
        others with their median and dashed 90% bounds. Default: all.
    ax : Axes, optional
        Where to draw; default: a new figure.
    labels : mapping, optional
        Display names of the scenarios.
    colours : list of str, optional
        One colour per scenario (default: blue, then other Okabe–Ito colours; never the history's grey).
    channel_label : str, optional
        Display name of the channel (e.g. the spec's label).
    start_year : int, optional
        First history year shown.
    title : str, optional
        Axes title.
    legend : bool
        Draw a legend.

    Returns
    -------
    Figure
        The figure holding ``ax``.

    """
    from matplotlib.lines import Line2D

    fig, ax = _new_axes(ax, (8, 4.2))
    scenarios = list(scenarios) if scenarios is not None else [str(s) for s in forecast_states["scenario"].values]
    # not the history's grey: the first (filled) scenario is blue, the others the remaining Okabe–Ito colours
    colours = list(colours) if colours is not None else [POSTERIOR_COLOUR, *(c for c in SCENARIO_COLOURS[1:] if c != POSTERIOR_COLOUR)]
    handles: list = []
    hb = None
    if history_states is not None:
        hb = _bands(_history_channel(history_states, channel, start_year))
        years = np.asarray(hb["year"].values)
        lo90, lo50, mid, hi50, hi90 = (_q(hb, q) for q in QUANTILES)
        ax.fill_between(years, lo90, hi90, color=HISTORY_COLOUR, alpha=0.12, linewidth=0)
        ax.fill_between(years, lo50, hi50, color=HISTORY_COLOUR, alpha=0.25, linewidth=0)
        ax.plot(years, mid, color=HISTORY_COLOUR, lw=1.6)
        band = Patch(color=HISTORY_COLOUR, alpha=0.25, linewidth=0)
        handles.append(((band, Line2D([], [], color=HISTORY_COLOUR, lw=1.6)), "history (fitted): median, 50% and 90% bands"))
    fsel = forecast_states.sel(channel=channel) if "channel" in forecast_states.dims else forecast_states
    for i, s in enumerate(scenarios):
        fb = _bands(fsel.sel(scenario=s))
        yrs, fb = _joined(hb, fb)
        colour = colours[i % len(colours)]
        _draw_band(ax, yrs, fb, colour, label="_nolegend_", filled=i == 0)
        median = Line2D([], [], color=colour, lw=1.8)
        if i == 0:  # the legend shows the band as drawn, not only its median line
            handles.append(((Patch(color=colour, alpha=0.32, linewidth=0), median), f"{_label(labels, s)}: median, 50% and 90% bands"))
        else:
            handles.append(((median, Line2D([], [], color=colour, lw=0.9, ls="--")), f"{_label(labels, s)}: median, 90% dashed"))
    _mark_forecast(ax)
    ax.set_xlabel("Year")
    ax.set_ylabel(f"{channel_label or channel.capitalize()}\n({CHANNEL_UNITS})")
    ax.set_title(title or f"{channel_label or channel.capitalize()}: history and forecast")
    if legend:  # below the axes, so it never covers the history or the fan
        ax.legend(
            [h for h, _ in handles], [t for _, t in handles], loc="upper left", bbox_to_anchor=(0.0, -0.16), ncols=2 if len(handles) <= 2 else 1, handlelength=2.4, borderaxespad=0.0
        )
    return fig


@_styled
def fan_grid(
    history_states: xr.DataArray | None,
    forecast_states: xr.DataArray,
    channel: str,
    scenarios: Sequence[str] | None = None,
    *,
    reference: str | None = "status_quo",
    labels: Mapping[str, str] | None = None,
    channel_label: str | None = None,
    start_year: int | None = 2010,
    ncols: int = 5,
    title: str | None = None,
) -> Figure:
    """Small multiples: one panel per scenario (history + that scenario's fan), shared axes.

    The reference scenario's forecast median is drawn as a dashed grey line in every
    other panel, so each panel reads as "this scenario versus the status quo".
    """
    scenarios = list(scenarios) if scenarios is not None else [str(s) for s in forecast_states["scenario"].values]
    n = len(scenarios)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(2.6 * ncols + 0.6, 2.5 * nrows + 0.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)).ravel()
    fsel = forecast_states.sel(channel=channel) if "channel" in forecast_states.dims else forecast_states
    ref_mid = None
    if reference is not None and reference in [str(s) for s in fsel["scenario"].values]:
        rb = _bands(fsel.sel(scenario=reference), (0.5,))
        ref_mid = (np.asarray(rb["year"].values), _q(rb, 0.5))
    hb = _bands(_history_channel(history_states, channel, start_year)) if history_states is not None else None
    for i, (ax, s) in enumerate(zip(axes, scenarios)):
        if hb is not None:
            years = np.asarray(hb["year"].values)
            ax.fill_between(years, _q(hb, 0.05), _q(hb, 0.95), color=HISTORY_COLOUR, alpha=0.12, linewidth=0)
            ax.fill_between(years, _q(hb, 0.25), _q(hb, 0.75), color=HISTORY_COLOUR, alpha=0.25, linewidth=0)
            ax.plot(years, _q(hb, 0.5), color=HISTORY_COLOUR, lw=1.3)
        yrs, fb = _joined(hb, _bands(fsel.sel(scenario=s)))
        _draw_band(ax, yrs, fb, POSTERIOR_COLOUR, label=_label(labels, s))
        if ref_mid is not None and s != reference:
            ax.plot(*ref_mid, color="#555555", lw=1.1, ls="--", zorder=5)
        ax.axvline(FORECAST_START, color="#777777", lw=1, ls=":", zorder=1)
        ax.set_title(_label(labels, s), fontsize=9.5)
        if i % ncols == 0:
            ax.set_ylabel("level (sd units)")
        if i // ncols == nrows - 1:
            ax.set_xlabel("Year")
    for ax in axes[n:]:
        ax.set_visible(False)
    handles = [
        Patch(color=HISTORY_COLOUR, alpha=0.3, label="history (fitted latent state): median, 50%, 90%"),
        Patch(color=POSTERIOR_COLOUR, alpha=0.4, label="forecast: median, 50%, 90%"),
    ]
    if ref_mid is not None:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color="#555555", ls="--", label=f"{_label(labels, reference)} forecast median (for comparison)"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    fig.suptitle(title or f"{channel_label or channel.capitalize()} ({CHANNEL_UNITS}), per scenario", fontweight="bold")
    return fig


@_styled
def indicator_fan(
    observed: pd.Series | None,
    forecast_values: xr.DataArray,
    indicator: str,
    scenarios: Sequence[str] | None = None,
    ax: Axes | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    indicator_label: str | None = None,
    ylabel: str | None = None,
    log_scale: bool = False,
    start_year: int | None = None,
    colours: Sequence[str] | None = None,
    legend: bool = True,
) -> Figure:
    """Observed values (raw units) and forecast bands per scenario for one indicator.

    Parameters
    ----------
    observed : Series or None
        Raw observed values indexed by year (NaN where not observed; those years are skipped).
    forecast_values : DataArray
        ``forecast.data["indicator_value"]`` (raw units; dims ``chain, draw, scenario,
        year, indicator``), or already selected to one indicator.
    indicator : str
        The indicator to show.
    scenarios : list of str, optional
        Scenarios to overlay (the first with filled bands). Default: all.
    ax : Axes, optional
        Where to draw; default: a new figure.
    labels : mapping, optional
        Display names of the scenarios.
    indicator_label : str, optional
        Display name of the indicator (title).
    ylabel : str, optional
        Axis label (the units); default: the indicator label.
    log_scale : bool
        Use a logarithmic y axis (for series modelled on the log scale).
    start_year : int, optional
        First year shown (default: the first observed year).
    colours : list of str, optional
        One colour per scenario.
    legend : bool
        Draw a legend.

    Returns
    -------
    Figure
        The figure holding ``ax``.

    """
    fig, ax = _new_axes(ax, (8, 4))
    fv = forecast_values.sel(indicator=indicator) if "indicator" in forecast_values.dims else forecast_values
    scenarios = list(scenarios) if scenarios is not None else [str(s) for s in fv["scenario"].values]
    colours = list(colours) if colours is not None else list(SCENARIO_COLOURS)
    name = indicator_label or indicator
    if observed is not None:
        obs = observed.dropna()
        if start_year is not None:
            obs = obs[obs.index >= start_year]
        ax.plot(obs.index.to_numpy(), obs.to_numpy(dtype=float), "o", color="black", ms=3.8, label="observed", zorder=6)
        ax.plot(obs.index.to_numpy(), obs.to_numpy(dtype=float), "-", color="black", lw=0.6, alpha=0.5, zorder=5)
    for i, s in enumerate(scenarios):
        fb = _bands(fv.sel(scenario=s))
        _draw_band(ax, np.asarray(fb["year"].values), fb, colours[i % len(colours)], label=_label(labels, s), filled=i == 0)
    if log_scale:
        ax.set_yscale("log")
    last = int(np.max(fv["year"].values))
    if start_year is not None:
        ax.set_xlim(start_year - 0.5, last + 0.5)
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    _mark_forecast(ax)
    ax.set_xlabel("Year")
    ax.set_ylabel((ylabel or name) + (", log scale" if log_scale else ""))
    ax.set_title(name)
    if legend:
        ax.legend(loc="best", fontsize=8)
    return fig


# ------------------------------------------------------------------------------------
# probabilities
# ------------------------------------------------------------------------------------
def _class_order(names: Sequence[str]) -> list[str]:
    known = [c for c in CLASS_ORDER if c in names]
    return known + [c for c in names if c not in known]


def _class_colours(names: Sequence[str]) -> dict[str, str]:
    spare = [c for c in (OKABE_ITO["green"], OKABE_ITO["purple"], OKABE_ITO["yellow"], "#999999") if c not in CLASS_COLOURS.values()]
    out, k = {}, 0
    for n in names:
        if n in CLASS_COLOURS:
            out[n] = CLASS_COLOURS[n]
        else:
            out[n] = spare[k % len(spare)]
            k += 1
    return out


def _text_colour(hex_colour: str) -> str:
    r, g, b = (int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "white"


@_styled
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

    Returns
    -------
    Figure
        The figure holding ``ax``.

    """
    if "year" in probs.dims:
        if year is None:
            raise ValueError("probs has a 'year' dim: pass the year to show")
        probs = probs.sel(year=year)
    scenarios = [str(s) for s in probs["scenario"].values]
    classes = _class_order([str(c) for c in probs["trajectory"].values])
    colours = _class_colours(classes)
    fig, ax = _new_axes(ax, (8, 0.42 * len(scenarios) + 1.6))
    y = np.arange(len(scenarios))
    left = np.zeros(len(scenarios))
    for c in classes:
        vals = 100 * np.asarray(probs.sel(trajectory=c).transpose("scenario").values, dtype=float)
        ax.barh(y, vals, left=left, color=colours[c], edgecolor="white", linewidth=0.6, height=0.72, label=_label(class_labels, c))
        for yi, (lft, v) in enumerate(zip(left, vals)):
            if v >= 7:
                ax.text(lft + v / 2, yi, f"{v:.0f}", ha="center", va="center", fontsize=8, color=_text_colour(colours[c]))
        left += vals
    ax.set_yticks(y, [_label(scenario_labels, s) for s in scenarios])
    if not ax.yaxis_inverted():  # first scenario on top (shared axes are inverted once)
        ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("Probability (%)")
    ax.grid(axis="y", visible=False)
    ax.set_title(title or (f"Trajectory class in {year}" if year is not None else "Trajectory class"), pad=24 if legend else 6)
    if legend:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(classes), fontsize=8, handlelength=1.2, borderaxespad=0.2)
    return fig


# ------------------------------------------------------------------------------------
# prior vs posterior
# ------------------------------------------------------------------------------------
EFFECT_GROUPS = ("beta", "leverage_shift", "war_effect", "crisis_effect", "cushion", "rho", "hazard_friction", "hazard_ties")


def _intervals_from_idata(idata, groups: Iterable[str], prob: float = 0.9) -> pd.DataFrame:
    """5/50/95% (for ``prob`` = 0.9) of prior and posterior, one row per parameter element."""
    lo, hi = (1 - prob) / 2, 1 - (1 - prob) / 2
    rows = []
    for group in groups:
        if group not in idata.posterior or group not in idata.prior:
            continue
        post, prior = idata.posterior[group], idata.prior[group]
        other = [d for d in post.dims if d not in SAMPLE_DIMS]
        pq = post.quantile([lo, 0.5, hi], dim=list(SAMPLE_DIMS))
        qq = prior.quantile([lo, 0.5, hi], dim=[d for d in SAMPLE_DIMS if d in prior.dims])
        if other:
            pq, qq = pq.stack(_k=other), qq.stack(_k=other)
            keys = [k if isinstance(k, tuple) else (k,) for k in pq["_k"].values]
        else:
            pq, qq = pq.expand_dims(_k=[0]), qq.expand_dims(_k=[0])
            keys = [()]
        for j, key in enumerate(keys):
            p, q = pq.isel(_k=j).values, qq.isel(_k=j).values
            rows.append(
                {
                    "parameter": ".".join((group, *(str(k) for k in key))),
                    "group": group,
                    "prior_lo": float(q[0]),
                    "prior_mid": float(q[1]),
                    "prior_hi": float(q[2]),
                    "post_lo": float(p[0]),
                    "post_mid": float(p[1]),
                    "post_hi": float(p[2]),
                }
            )
    return pd.DataFrame(rows)


def _intervals_from_table(table: pd.DataFrame) -> pd.DataFrame:
    """Mean ± 1.645 sd (a normal 90% interval) from a prior-vs-posterior summary table."""
    z = 1.6448536269514722
    out = pd.DataFrame(
        {
            "parameter": table["parameter"],
            "group": table["parameter"].str.split(".").str[0],
            "prior_lo": table["prior_mean"] - z * table["prior_sd"],
            "prior_mid": table["prior_mean"],
            "prior_hi": table["prior_mean"] + z * table["prior_sd"],
            "post_lo": table["posterior_mean"] - z * table["posterior_sd"],
            "post_mid": table["posterior_mean"],
            "post_hi": table["posterior_mean"] + z * table["posterior_sd"],
        }
    )
    return out


@_styled
def prior_posterior(
    table_or_idata,
    ax: Axes | None = None,
    *,
    groups: Sequence[str] | None = None,
    parameters: Sequence[str] | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    legend: bool = True,
) -> Figure:
    """Prior and posterior 90% intervals, one row per effect: how much the history taught us.

    Parameters
    ----------
    table_or_idata : InferenceData or DataFrame
        A fit's ``idata`` (with ``prior`` and ``posterior`` groups; exact 5–95%
        quantiles are used), or ``fit.prior_vs_posterior()`` (intervals are then
        mean ± 1.645 sd).
    ax : Axes, optional
        Where to draw; default: a new figure.
    groups : list of str, optional
        Parameter groups to show (default: the effects, ``EFFECT_GROUPS``).
    parameters : list of str, optional
        Exact parameter names to keep (after ``groups``).
    title, xlabel : str, optional
        Axes title and x-axis label.
    legend : bool
        Draw a legend.

    Returns
    -------
    Figure
        The figure holding ``ax``.

    """
    groups = list(groups) if groups is not None else list(EFFECT_GROUPS)
    if isinstance(table_or_idata, pd.DataFrame):
        iv = _intervals_from_table(table_or_idata)
        iv = iv[iv["group"].isin(groups)]
        kind = "mean ± 1.645 sd"
    else:
        iv = _intervals_from_idata(table_or_idata, groups)
        kind = "5–95% quantiles"
    if parameters is not None:
        iv = iv[iv["parameter"].isin(list(parameters))]
    iv = iv.reset_index(drop=True)
    fig, ax = _new_axes(ax, (8, 0.26 * max(len(iv), 1) + 1.4))
    y = np.arange(len(iv))
    ax.hlines(y, iv["prior_lo"], iv["prior_hi"], color=PRIOR_COLOUR, lw=6, alpha=0.7, label="prior 90%", zorder=2)
    ax.plot(iv["prior_mid"], y, "|", color="#666666", ms=9, zorder=3)
    ax.hlines(y, iv["post_lo"], iv["post_hi"], color=POSTERIOR_COLOUR, lw=2.2, label="posterior 90%", zorder=4)
    ax.plot(iv["post_mid"], y, "o", color=POSTERIOR_COLOUR, ms=4, label="posterior median", zorder=5)
    ax.axvline(0, color="#444444", lw=0.8, zorder=1)
    ax.set_yticks(y, list(iv["parameter"]), fontsize=8)
    if not ax.yaxis_inverted():
        ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    # light separators between groups
    for j in range(1, len(iv)):
        if iv["group"].iloc[j] != iv["group"].iloc[j - 1]:
            ax.axhline(j - 0.5, color="#CCCCCC", lw=0.6)
    ax.set_xlabel(xlabel or f"Parameter value ({kind})")
    ax.set_title(title or "Prior vs posterior")
    if legend and len(iv):
        ax.legend(loc="lower right", fontsize=8)
    return fig


# ------------------------------------------------------------------------------------
# scenario differences
# ------------------------------------------------------------------------------------
@_styled
def scenario_differences(
    diffs: pd.DataFrame,
    ax: Axes | None = None,
    *,
    measure: str | None = None,
    labels: Mapping[str, str] | None = None,
    reference_label: str = "status quo",
    title: str | None = None,
) -> Figure:
    """Differences from the reference scenario with their uncertainty, one panel per measure.

    Parameters
    ----------
    diffs : DataFrame
        Columns ``scenario, measure, estimate, lower, upper`` (and optionally
        ``unit``): one row per scenario and measure. Intervals that exclude zero are
        drawn in colour, the others in grey.
    ax : Axes, optional
        Draw one measure (``measure``, or the only one in ``diffs``) into ``ax``.
    measure : str, optional
        The measure to draw (default: all, one panel each).
    labels : mapping, optional
        Display names of the scenarios.
    reference_label : str
        Display name of the reference scenario.
    title : str, optional
        Figure title (when a new figure is made).

    Returns
    -------
    Figure
        The figure.

    """
    measures = list(dict.fromkeys(diffs["measure"]))
    if measure is not None:
        measures = [measure]
    if ax is not None and len(measures) != 1:
        raise ValueError(f"an ax holds one measure; pass measure= one of {measures}")
    scenarios = list(dict.fromkeys(diffs["scenario"]))
    if ax is None:
        fig = Figure(figsize=(2.7 * len(measures) + 2.2, 0.36 * len(scenarios) + 1.6), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(measures), sharey=True, squeeze=False)).ravel()
    else:
        fig, axes = _figure_of(ax), np.array([ax])
    y = np.arange(len(scenarios))
    for a, m in zip(axes, measures):
        d = diffs[diffs["measure"] == m].set_index("scenario").reindex(scenarios)
        est, lo, hi = (d[c].to_numpy(dtype=float) for c in ("estimate", "lower", "upper"))
        clear = (lo > 0) | (hi < 0)
        for yi in range(len(scenarios)):
            if not np.isfinite(est[yi]):
                continue
            colour = POSTERIOR_COLOUR if clear[yi] else "#8C8C8C"
            a.hlines(yi, lo[yi], hi[yi], color=colour, lw=2)
            a.plot(est[yi], yi, "o", color=colour, ms=5)
        a.axvline(0, color="#444444", lw=0.8)
        a.set_yticks(y, [_label(labels, s) for s in scenarios])
        if not a.yaxis_inverted():  # first scenario on top (shared axes are inverted once)
            a.invert_yaxis()
        a.grid(axis="y", visible=False)
        unit = str(d["unit"].dropna().iloc[0]) if "unit" in d and d["unit"].notna().any() else ""
        a.set_title(m, fontsize=9.5)
        a.set_xlabel(unit or "difference")
    if ax is None:
        fig.suptitle(
            title or f"Difference from {reference_label} (point: estimate; line: interval; blue: excludes zero)",
            fontweight="bold",
            fontsize=10.5,
        )
    return fig


# ------------------------------------------------------------------------------------
# posterior predictive checks
# ------------------------------------------------------------------------------------
@_styled
def ppc(
    observed: pd.DataFrame,
    y_rep: xr.DataArray,
    indicators: Sequence[str] | None = None,
    ax: Axes | Sequence[Axes] | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    coverage: Mapping[str, float] | None = None,
    ncols: int = 3,
    title: str | None = None,
) -> Figure:
    """Observed standardized indicators against the posterior-predictive 50% and 90% bands.

    Parameters
    ----------
    observed : DataFrame
        Standardized observations, year × indicator (NaN where unobserved),
        e.g. ``fit.inputs.standardized``.
    y_rep : DataArray
        Replicated indicators, dims ``(chain, draw, indicator, year)``
        (``fit.posterior_predictive()``), or with a ``quantile`` dim.
    indicators : list of str, optional
        Indicators to show (default: all in ``y_rep``).
    ax : Axes or list of Axes, optional
        One axes per indicator; default: a new grid of small multiples.
    labels : mapping, optional
        Display names of the indicators.
    coverage : mapping, optional
        Share of observed points inside the 90% band, per indicator, shown in titles.
    ncols : int
        Columns of the grid.
    title : str, optional
        Figure title (when a new figure is made).

    Returns
    -------
    Figure
        The figure.

    """
    indicators = list(indicators) if indicators is not None else [str(i) for i in y_rep["indicator"].values]
    if ax is None:
        ncols = max(1, min(ncols, len(indicators)))
        nrows = int(np.ceil(len(indicators) / ncols))
        fig = Figure(figsize=(3.4 * ncols + 0.4, 2.6 * nrows + 0.8), layout="constrained")
        axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, squeeze=False)).ravel()
    else:
        axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
        if len(axes) < len(indicators):
            raise ValueError(f"need one axes per indicator ({len(indicators)}), got {len(axes)}")
        fig = _figure_of(axes[0])
    bands = _bands(y_rep)
    for a, name in zip(axes, indicators):
        b = bands.sel(indicator=name)
        years = np.asarray(b["year"].values)
        a.fill_between(years, _q(b, 0.05), _q(b, 0.95), color=POSTERIOR_COLOUR, alpha=0.18, linewidth=0)
        a.fill_between(years, _q(b, 0.25), _q(b, 0.75), color=POSTERIOR_COLOUR, alpha=0.32, linewidth=0)
        a.plot(years, _q(b, 0.5), color=POSTERIOR_COLOUR, lw=1.2)
        obs = observed[name].dropna() if name in observed else pd.Series(dtype=float)
        lo, hi = pd.Series(_q(b, 0.05), index=years), pd.Series(_q(b, 0.95), index=years)
        inside = (obs >= lo.reindex(obs.index)) & (obs <= hi.reindex(obs.index))
        a.plot(obs.index[inside.to_numpy()], obs[inside].to_numpy(), "o", color="black", ms=3.5, zorder=5)
        a.plot(obs.index[~inside.to_numpy()], obs[~inside].to_numpy(), "x", color=OKABE_ITO["vermillion"], ms=6, mew=1.8, zorder=6)
        t = textwrap.fill(_label(labels, name), 42)
        if coverage is not None and name in coverage and np.isfinite(coverage[name]):
            t += f"\n{100 * coverage[name]:.0f}% of {len(obs)} points inside 90%"
        a.set_title(t, fontsize=9)
        a.set_ylabel("standardized (sd)")
    for a in axes[len(indicators) :]:
        a.set_visible(False)
    if ax is None:
        from matplotlib.lines import Line2D

        handles = [
            Patch(color=POSTERIOR_COLOUR, alpha=0.3, label="posterior predictive 50% / 90%"),
            Line2D([], [], marker="o", ls="", color="black", label="observed, inside 90%"),
            Line2D([], [], marker="x", ls="", color=OKABE_ITO["vermillion"], mew=1.8, label="observed, outside 90%"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
        fig.suptitle(title or "Posterior predictive check (standardized units)", fontweight="bold")
    return fig
