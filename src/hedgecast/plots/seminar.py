"""Figures of a seminar room: each participant's forecast as an anonymous dot, the pool, the lens's own forecast.

They take a seminar summary (:meth:`hedgecast.seminar.results.SeminarResults.summary` or
:meth:`hedgecast.seminar.engine.Room.summary`) and return a Figure.
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from hedgecast.plots.style import OKABE_ITO, new_axes, styled

__all__ = ["plot_room", "plot_spread"]


@styled
def plot_room(summary: dict, ax: Axes | None = None, *, title: str = "", wrap: int = 48) -> Figure:
    """One row per headline question: participants' probabilities as grey dots, the linear pool, the lens's forecast.

    Dots of one question are jittered vertically (deterministically) so that equal forecasts stay visible.
    """
    qs = summary["questions"]
    fig, ax = new_axes(ax, (8.6, 0.72 * len(qs) + 1.5))
    base = (summary.get("baseline") or {}).get("probabilities", {})
    pooled_prior = (summary.get("pooled_prior") or {}).get("probabilities", {}) or {}
    rng = np.random.default_rng(0)
    for y, q in enumerate(reversed(qs)):
        vals = np.array([v for v in q["participants"].values() if v is not None], dtype=float)
        jitter = rng.uniform(-0.18, 0.18, vals.size)
        ax.scatter(100 * vals, y + jitter, s=26, color="#8a8a8a", alpha=0.75, edgecolor="white", linewidth=0.4, zorder=2)
        if q.get("pooled") is not None:
            ax.plot([100 * q["pooled"]], [y], marker="D", color=OKABE_ITO["vermillion"], markersize=9, zorder=4)
        if base.get(q["id"]) is not None:
            ax.plot([100 * base[q["id"]]], [y], marker="|", color="#222222", markersize=16, mew=2.2, zorder=3)
        if pooled_prior.get(q["id"]) is not None:
            ax.plot([100 * pooled_prior[q["id"]]], [y], marker="o", mfc="none", mec=OKABE_ITO["blue"], markersize=10, mew=1.6, zorder=3)
    ax.set_yticks(range(len(qs)), ["\n".join(textwrap.wrap(q["title"], wrap)) for q in reversed(qs)], fontsize=8.5)
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.6, len(qs) - 0.4)
    ax.set_xlabel("probability of YES, %")
    ax.grid(axis="x", color="#e5e5e5", lw=0.8)
    handles = [
        Line2D([], [], marker="o", ls="", color="#8a8a8a", label="a participant (anonymous)"),
        Line2D([], [], marker="D", ls="", color=OKABE_ITO["vermillion"], label="room (linear pool)"),
        Line2D([], [], marker="o", ls="", mfc="none", mec=OKABE_ITO["blue"], label="pooled priors (log pool)"),
        Line2D([], [], marker="|", ls="", color="#222222", markersize=12, mew=2, label="the lens, no answers"),
    ]
    ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.25 / max(len(qs), 1)), ncol=2, frameon=False, fontsize=8.5
    )
    if title:
        ax.set_title(title, loc="left")
    return fig


@styled
def plot_spread(summary: dict, ax: Axes | None = None, *, title: str = "") -> Figure:
    """Per question, the variance of the YES outcome split into between participants (disagreement) and within (uncertainty)."""
    qs = [q for q in summary["questions"] if q.get("total") is not None]
    fig, ax = new_axes(ax, (8.6, 0.5 * len(qs) + 1.3))
    for y, q in enumerate(reversed(qs)):
        total = q["total"] or 1.0
        b = 100 * q["between"] / total if total > 0 else 0.0
        ax.barh(y, b, color=OKABE_ITO["vermillion"], height=0.6)
        ax.barh(y, 100 - b, left=b, color="#cfcfcf", height=0.6)
        ax.text(min(b, 92) + 1.5, y, f"{b:.0f}% between", va="center", fontsize=8.5)
    ax.set_yticks(range(len(qs)), [textwrap.shorten(q["title"], 60) for q in reversed(qs)], fontsize=8.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the outcome's variance, %  (red: between participants; grey: within)")
    if title:
        ax.set_title(title, loc="left")
    return fig
