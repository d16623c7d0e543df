"""Plots of computed results: fan charts, class probabilities, prior vs posterior, checks, stress.

Every function takes results (xarray/pandas objects with named dims), draws with
matplotlib's object API (no pyplot state, so it is safe in scripts, reports and
threads), accepts ``ax=None`` and returns the :class:`~matplotlib.figure.Figure`.

Inputs that still carry posterior draws (dims ``chain``/``draw``) are summarised into
quantiles here; inputs that already have a ``quantile`` dim (e.g. from
:meth:`hedgecast.forecasting.forecast.Forecast.fan`) are used as they are.

Colours are the Okabe–Ito palette (safe for the common colour-vision deficiencies);
trajectory classes always get the same colour, in every figure.

    >>> from hedgecast import plots                                  # doctest: +SKIP
    >>> fig = plots.fan_chart(fit.idata.posterior["state"], fc.data["state"],
    ...                       "political", ["status_quo", "new_low"])  # doctest: +SKIP
"""

from hedgecast.plots.checks import ppc, prior_posterior, scenario_differences
from hedgecast.plots.classes import class_probability_bars
from hedgecast.plots.fans import fan_chart, fan_grid, indicator_fan
from hedgecast.plots.stress import plot_power_scaling, plot_sobol, plot_tornado
from hedgecast.plots.style import CLASS_COLOURS, OKABE_ITO, STYLE, class_colours

__all__ = [
    "CLASS_COLOURS",
    "OKABE_ITO",
    "STYLE",
    "class_colours",
    "class_probability_bars",
    "fan_chart",
    "fan_grid",
    "indicator_fan",
    "plot_power_scaling",
    "plot_sobol",
    "plot_tornado",
    "ppc",
    "prior_posterior",
    "scenario_differences",
]
