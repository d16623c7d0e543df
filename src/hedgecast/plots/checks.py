"""Checks of a fit: prior vs posterior intervals, scenario differences, posterior predictive bands."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from hedgecast.dims import SAMPLE_DIMS
from hedgecast.priors.groups import EFFECT_GROUPS
from hedgecast.plots.style import (
    OKABE_ITO,
    POSTERIOR_COLOUR,
    PRIOR_COLOUR,
    band_values,
    bands,
    display_label,
    draw_bands,
    figure_key,
    figure_of,
    new_axes,
    panel_grid,
    styled,
)


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


@styled
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

    %(returns_ax)s

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
    fig, ax = new_axes(ax, (8, 0.26 * max(len(iv), 1) + 1.4))
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
@styled
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

    %(returns_figure)s

    """
    measures = list(dict.fromkeys(diffs["measure"]))
    if measure is not None:
        measures = [measure]
    if ax is not None and len(measures) != 1:
        raise ValueError(f"an ax holds one measure; pass measure= one of {measures}")
    scenarios = list(dict.fromkeys(diffs["scenario"]))
    if ax is None:
        fig, grid = panel_grid(len(measures), len(measures), (2.7, 0.36 * len(scenarios)), (2.2, 1.6), sharey=True)
        axes = grid.ravel()
    else:
        fig, axes = figure_of(ax), np.array([ax])
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
        a.set_yticks(y, [display_label(labels, s) for s in scenarios])
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
@styled
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

    %(returns_figure)s

    """
    indicators = list(indicators) if indicators is not None else [str(i) for i in y_rep["indicator"].values]
    if ax is None:
        fig, grid = panel_grid(len(indicators), ncols, (3.4, 2.6), (0.4, 0.8), sharex=True)
        axes = grid.ravel()
    else:
        axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
        if len(axes) < len(indicators):
            raise ValueError(f"need one axes per indicator ({len(indicators)}), got {len(axes)}")
        fig = figure_of(axes[0])
    q = bands(y_rep)
    for a, name in zip(axes, indicators):
        b = q.sel(indicator=name)
        years = np.asarray(b["year"].values)
        draw_bands(a, years, b, POSTERIOR_COLOUR, alphas=(0.18, 0.32), lw=1.2)
        obs = observed[name].dropna() if name in observed else pd.Series(dtype=float)
        lo, hi = pd.Series(band_values(b, 0.05), index=years), pd.Series(band_values(b, 0.95), index=years)
        inside = (obs >= lo.reindex(obs.index)) & (obs <= hi.reindex(obs.index))
        a.plot(obs.index[inside.to_numpy()], obs[inside].to_numpy(), "o", color="black", ms=3.5, zorder=5)
        a.plot(obs.index[~inside.to_numpy()], obs[~inside].to_numpy(), "x", color=OKABE_ITO["vermillion"], ms=6, mew=1.8, zorder=6)
        t = textwrap.fill(display_label(labels, name), 42)
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
        figure_key(fig, handles, title or "Posterior predictive check (standardized units)")
    return fig
