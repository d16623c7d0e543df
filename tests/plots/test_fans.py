"""Plot details a reader relies on, checked on small synthetic draws (no fit needed)."""

import numpy as np
import xarray as xr
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.patches import Patch

from hedgecast import plots
from hedgecast.plots.style import HISTORY_COLOUR


def _states():
    rng = np.random.default_rng(3)
    hy, fy = np.arange(2000, 2026), np.arange(2026, 2036)
    history = xr.DataArray(
        np.cumsum(rng.normal(0, 0.3, (2, 40, 2, hy.size)), -1),
        dims=("chain", "draw", "channel", "year"),
        coords={"channel": ["economic", "political"], "year": hy},
    )
    scenarios = ["status_quo", "new_low"]
    steps = np.cumsum(rng.normal(0, 0.3, (2, 40, len(scenarios), fy.size, 2)), 3)
    forecast = xr.DataArray(
        history.isel(year=-1).values[:, :, None, None, :] + steps,
        dims=("chain", "draw", "scenario", "year", "channel"),
        coords={"scenario": scenarios, "year": fy, "channel": ["economic", "political"]},
    )
    return history, forecast


def test_fan_chart_band_matches_its_legend_and_the_legend_leaves_the_history_free():
    history, forecast = _states()
    fig = plots.fan_chart(history, forecast, "political", ["status_quo", "new_low"], labels={"status_quo": "Status quo"}, start_year=2010)
    ax = fig.axes[0]
    fills = [c for c in ax.collections if type(c).__name__ in ("PolyCollection", "FillBetweenPolyCollection")]
    history_colour = to_hex(fills[0].get_facecolor()[0], keep_alpha=False)
    band_colour = to_hex(fills[-1].get_facecolor()[0], keep_alpha=False)  # status quo's 50% band
    assert history_colour == HISTORY_COLOUR.lower()
    assert band_colour != history_colour and band_colour not in ("#444444", "#333333")
    legend = ax.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[1].startswith("Status quo") and texts[2].startswith("new low")
    # the status quo's legend entry shows its band, in the band's colour
    entry = legend.legend_handles[1]  # for a (band, median) pair, the band's patch
    assert isinstance(entry, Patch) and to_hex(entry.get_facecolor(), keep_alpha=False) == band_colour
    # the legend sits below the axes, not over the history
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    assert legend.get_window_extent(renderer).y1 <= ax.get_window_extent(renderer).y0
