"""Fan charts: channel states and indicators, history and forecast, per scenario."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from hedgecast.plots.style import (
    CHANNEL_UNITS,
    FORECAST_START,
    HISTORY_COLOUR,
    POSTERIOR_COLOUR,
    SCENARIO_COLOURS,
    band_values,
    bands,
    display_label,
    draw_bands,
    figure_key,
    new_axes,
    panel_grid,
    styled,
)


def _draw_band(ax: Axes, years: np.ndarray, b: xr.DataArray, colour: str, *, label: str, filled: bool = True, zorder: int = 2) -> None:
    """Median line, 50% band and 90% band (filled, or dashed 90% bounds when not ``filled``)."""
    if filled:
        draw_bands(ax, years, b, colour, alphas=(0.16, 0.32), lw=1.8, label=label, zorder=zorder)
        return
    for q in (0.05, 0.95):
        ax.plot(years, band_values(b, q), color=colour, lw=0.9, ls="--", zorder=zorder)
    ax.plot(years, band_values(b, 0.5), color=colour, lw=1.8, label=label, zorder=zorder + 1)


def _draw_history(ax: Axes, hb: xr.DataArray, lw: float) -> None:
    """Draw the fitted history's median and bands, in the history's grey."""
    draw_bands(ax, np.asarray(hb["year"].values), hb, HISTORY_COLOUR, alphas=(0.12, 0.25), lw=lw)


def forecast_start(da: xr.DataArray) -> float:
    """Where the forecast starts on a year axis: half a year before its first year (from the data, not a fixed year)."""
    return float(np.min(da["year"].values)) - 0.5 if "year" in da.coords else FORECAST_START


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
@styled
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

    %(returns_ax)s

    """
    from matplotlib.lines import Line2D

    fig, ax = new_axes(ax, (8, 4.2))
    scenarios = list(scenarios) if scenarios is not None else [str(s) for s in forecast_states["scenario"].values]
    # not the history's grey: the first (filled) scenario is blue, the others the remaining Okabe–Ito colours
    colours = list(colours) if colours is not None else [POSTERIOR_COLOUR, *(c for c in SCENARIO_COLOURS[1:] if c != POSTERIOR_COLOUR)]
    handles: list = []
    hb = None
    if history_states is not None:
        hb = bands(_history_channel(history_states, channel, start_year))
        _draw_history(ax, hb, 1.6)
        band = Patch(color=HISTORY_COLOUR, alpha=0.25, linewidth=0)
        handles.append(((band, Line2D([], [], color=HISTORY_COLOUR, lw=1.6)), "history (fitted): median, 50% and 90% bands"))
    fsel = forecast_states.sel(channel=channel) if "channel" in forecast_states.dims else forecast_states
    for i, s in enumerate(scenarios):
        fb = bands(fsel.sel(scenario=s))
        yrs, fb = _joined(hb, fb)
        colour = colours[i % len(colours)]
        _draw_band(ax, yrs, fb, colour, label="_nolegend_", filled=i == 0)
        median = Line2D([], [], color=colour, lw=1.8)
        if i == 0:  # the legend shows the band as drawn, not only its median line
            handles.append(((Patch(color=colour, alpha=0.32, linewidth=0), median), f"{display_label(labels, s)}: median, 50% and 90% bands"))
        else:
            handles.append(((median, Line2D([], [], color=colour, lw=0.9, ls="--")), f"{display_label(labels, s)}: median, 90% dashed"))
    _mark_forecast(ax, forecast_start(fsel))
    ax.set_xlabel("Year")
    ax.set_ylabel(f"{channel_label or channel.capitalize()}\n({CHANNEL_UNITS})")
    ax.set_title(title or f"{channel_label or channel.capitalize()}: history and forecast")
    if legend:  # below the axes, so it never covers the history or the fan
        ax.legend(
            [h for h, _ in handles],
            [t for _, t in handles],
            loc="upper left",
            bbox_to_anchor=(0.0, -0.16),
            ncols=2 if len(handles) <= 2 else 1,
            handlelength=2.4,
            borderaxespad=0.0,
        )
    return fig


@styled
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
    fig, grid = panel_grid(len(scenarios), ncols, (2.6, 2.5), (0.6, 0.8), sharex=True, sharey=True)
    nrows, ncols = grid.shape
    fsel = forecast_states.sel(channel=channel) if "channel" in forecast_states.dims else forecast_states
    ref_mid = None
    if reference is not None and reference in [str(s) for s in fsel["scenario"].values]:
        rb = bands(fsel.sel(scenario=reference), (0.5,))
        ref_mid = (np.asarray(rb["year"].values), band_values(rb, 0.5))
    hb = bands(_history_channel(history_states, channel, start_year)) if history_states is not None else None
    for i, (ax, s) in enumerate(zip(grid.ravel(), scenarios)):
        if hb is not None:
            _draw_history(ax, hb, 1.3)
        yrs, fb = _joined(hb, bands(fsel.sel(scenario=s)))
        _draw_band(ax, yrs, fb, POSTERIOR_COLOUR, label=display_label(labels, s))
        if ref_mid is not None and s != reference:
            ax.plot(*ref_mid, color="#555555", lw=1.1, ls="--", zorder=5)
        ax.axvline(forecast_start(fsel), color="#777777", lw=1, ls=":", zorder=1)
        ax.set_title(display_label(labels, s), fontsize=9.5)
        if i % ncols == 0:
            ax.set_ylabel("level (sd units)")
        if i // ncols == nrows - 1:
            ax.set_xlabel("Year")
    handles = [
        Patch(color=HISTORY_COLOUR, alpha=0.3, label="history (fitted latent state): median, 50%, 90%"),
        Patch(color=POSTERIOR_COLOUR, alpha=0.4, label="forecast: median, 50%, 90%"),
    ]
    if ref_mid is not None:
        from matplotlib.lines import Line2D

        handles.append(
            Line2D([], [], color="#555555", ls="--", label=f"{display_label(labels, reference)} forecast median (for comparison)")
        )
    figure_key(fig, handles, title or f"{channel_label or channel.capitalize()} ({CHANNEL_UNITS}), per scenario")
    return fig


@styled
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

    %(returns_ax)s

    """
    fig, ax = new_axes(ax, (8, 4))
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
        fb = bands(fv.sel(scenario=s))
        _draw_band(ax, np.asarray(fb["year"].values), fb, colours[i % len(colours)], label=display_label(labels, s), filled=i == 0)
    if log_scale:
        ax.set_yscale("log")
    last = int(np.max(fv["year"].values))
    if start_year is not None:
        ax.set_xlim(start_year - 0.5, last + 0.5)
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    _mark_forecast(ax, forecast_start(fv))
    ax.set_xlabel("Year")
    ax.set_ylabel((ylabel or name) + (", log scale" if log_scale else ""))
    ax.set_title(name)
    if legend:
        ax.legend(loc="best", fontsize=8)
    return fig
