"""The waterfall chart of a change attribution (hedgecast.plots.waterfall)."""

from __future__ import annotations

import pytest

from hedgecast.plots.waterfall import plot_waterfall


def test_each_step_starts_where_the_last_ended_and_the_end_bar_is_the_sum():
    steps = [("escalation_intercept", 0.047, 0.004), ("escalation_ties", -0.005, 0.008), ("not attributable (Monte Carlo)", -0.018, 0.018)]
    fig = plot_waterfall(0.321, steps, start_label="run A", end_label="run B")
    ax = fig.axes[0]
    bars = ax.patches[: len(steps) + 2]
    assert bars[0].get_width() == pytest.approx(32.1)
    assert bars[1].get_x() == pytest.approx(32.1) and bars[1].get_width() == pytest.approx(4.7)
    assert bars[2].get_x() == pytest.approx(36.8) and bars[2].get_width() == pytest.approx(-0.5)
    assert bars[-1].get_width() == pytest.approx(100 * (0.321 + sum(s[1] for s in steps)))
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "run A",
        "escalation_intercept",
        "escalation_ties",
        "not attributable (Monte Carlo)",
        "run B",
    ]
    assert ax.get_xlim()[0] > 0 and "axis starts at" in ax.get_xlabel()  # zoomed on the steps
