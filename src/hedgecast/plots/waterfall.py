"""The waterfall chart of a change attribution: from run A's probability, one bar per cause, to run B's."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from hedgecast.plots.style import HISTORY_COLOUR, OKABE_ITO, PRIOR_COLOUR, new_axes, styled


@styled
def plot_waterfall(
    start: float,
    steps: Sequence[tuple[str, float, float]],
    ax: Axes | None = None,
    *,
    start_label: str = "run A",
    end_label: str = "run B",
    title: str = "",
) -> Figure:
    """Horizontal waterfall in points of probability: ``start``, each ``(cause, change, mcse)`` in turn, the end.

    Rises are vermillion, falls blue, the Monte Carlo remainder grey; each step's whisker is
    ± 2 Monte Carlo standard errors. The end bar is ``start`` plus every step.

    %(returns_ax)s
    """
    labels = [start_label, *(s[0] for s in steps), end_label]
    fig, ax = new_axes(ax, (8, 0.42 * len(labels) + 1.5))
    level = 100 * float(start)
    y = np.arange(len(labels))
    ends = [level]
    ax.barh(0, level, color=HISTORY_COLOUR, height=0.6)
    ax.text(level, 0, f" {level:.1f}%", va="center", fontsize=8)
    for k, (name, change, se) in enumerate(steps, start=1):
        d = 100 * float(change)
        colour = PRIOR_COLOUR if name.startswith("not attributable") else (OKABE_ITO["vermillion"] if d > 0 else OKABE_ITO["blue"])
        ax.barh(k, d, left=level, color=colour, height=0.6)
        ax.errorbar(level + d, k, xerr=200 * float(se), color="#333333", capsize=3, lw=1)
        ax.text(max(level, level + d) + 200 * float(se), k, f" {d:+.1f} ± {100 * float(se):.1f}", va="center", fontsize=8)
        ax.plot([level + d, level + d], [k - 0.3, k + 0.7], color="#777777", lw=0.6, ls=":")
        level += d
        ends += [level - d - 200 * float(se), level + 200 * float(se)]
    ax.barh(len(labels) - 1, level, color=HISTORY_COLOUR, height=0.6)
    ax.text(level, len(labels) - 1, f" {level:.1f}%", va="center", fontsize=8)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    lo, hi = min(ends), max(ends)
    span = max(hi - lo, 1.0)
    left = max(0.0, lo - 0.3 * span)
    ax.set_xlim(left, hi + 0.45 * span)
    ax.set_xlabel(
        "probability, % (steps in points; whiskers ± 2 Monte Carlo s.e.)" + (f"; the axis starts at {left:.0f}%" if left > 0 else "")
    )
    handles = [
        Patch(color=OKABE_ITO["vermillion"], label="raises it"),
        Patch(color=OKABE_ITO["blue"], label="lowers it"),
        Patch(color=PRIOR_COLOUR, label="Monte Carlo remainder"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.5 / len(labels)), ncols=3, fontsize=8)
    ax.set_title(title or "Why the number moved")
    return fig
