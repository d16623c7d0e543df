"""Base rates beside the headline: each headline probability against the record's base rate and the prior alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from hedgecast.forecasting.headline_rates import REFERENCE, headline_rates
from hedgecast.report.contracts import Bullets, FitLike, Paragraph, ReportConfig, Section, Table
from hedgecast.report.sections.common import DEFAULT, headline_years

__all__ = ["base_rates_section"]


def base_rates_section(fit: FitLike, forecast: Any, config: ReportConfig = DEFAULT, rates: Callable[[list[int]], pd.DataFrame] | None = None) -> Section:
    """The headline's probabilities (status quo) with base rate, prior only, posterior and plain flags.

    ``rates(years)``: :func:`~hedgecast.forecasting.headline_rates.headline_rates` of this fit and forecast, if the
    caller keeps it (the report shares it with the table ``hedgecast report`` prints).
    """
    if REFERENCE not in forecast.scenarios:
        return Section("base-rates", "Headline against base rates", (Paragraph(f"No '{REFERENCE}' scenario in this forecast: no base rates shown.", "note"),))
    years = headline_years(forecast, config)
    frame = headline_rates(fit, forecast, years) if rates is None else rates(years)
    shown = frame.drop(columns=["flags", "base-rate source"]).copy()
    shown["base-rate interval"] = [f"{100 * lo:.1f}–{100 * hi:.1f}%" for lo, hi in frame["base-rate interval"]]
    flags = [s for row in frame["flags"] for s in row]
    sources = sorted(set(frame["base-rate source"]))
    blocks = [
        Paragraph(
            "Each headline probability (status quo) beside the rate a sceptical reader reaches for first — how often it "
            "happened in the project's own record — and beside the same forecast from the lens's prior draws alone. "
            "The odds ratio is posterior odds over prior-only odds: how far the record moved the number. " + frame.attrs["rules"]
        ),
        Table(
            frame=shown,
            formats={"base rate": "pct.1%", "prior only": "pct.1%", "posterior": "pct.1%", "odds ratio": "num.2"},
            css="small",
        ),
    ]
    if flags:
        blocks.append(Bullets(tuple(flags), callout=True, warn=True))
        blocks.append(Paragraph("The stress section ranks the assumptions that carry these numbers (tornado and “what would you have to believe”).", "note"))
    else:
        blocks.append(Paragraph("No headline probability is flagged: each moved from its prior and stays within twice its base rate.", "note"))
    blocks.append(Paragraph("Base rates: " + "; ".join(sources) + ".", "note"))
    return Section("base-rates", "Headline against base rates", tuple(blocks), status="warn" if flags else "ok")
