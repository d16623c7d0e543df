"""Small helpers the section modules share: labels, years, number formats for prose."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from hedgecast.report.contracts import Bullets, Paragraph, ReportConfig, Section

DEFAULT = ReportConfig()


def scenario_labels(spec: Any) -> dict[str, str]:
    return {k: (s.label or k) for k, s in spec.scenarios.items()}


def class_labels(spec: Any) -> dict[str, str]:
    return {t.name: (t.label or t.name) for t in spec.trajectories}


def reference(forecast: Any, config: ReportConfig = DEFAULT) -> str:
    """The reference scenario: ``config.reference`` when forecast, else the first."""
    return config.reference if config.reference in forecast.scenarios else forecast.scenarios[0]


def n_paths(forecast: Any) -> int:
    return int(forecast.data.sizes["chain"] * forecast.data.sizes["draw"])


def headline_years(forecast: Any, config: ReportConfig = DEFAULT) -> list[int]:
    years = [int(y) for y in forecast.data["year"].values]
    chosen = [y for y in (config.headline_years or forecast.spec.headline_years) if y in years]
    return chosen or [years[-1]]


def pct(p: float | None, digits: int = 1) -> str:
    """``0.1234`` → ``"12.3"`` (no % sign; "–" when missing)."""
    return "–" if p is None or not np.isfinite(p) else f"{100 * p:.{digits}f}"


def num(x: float | None, digits: int = 2) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def year_ranges(years: Sequence[int]) -> str:
    """``[2000, 2001, 2002, 2005]`` → ``"2000–2002, 2005"``."""
    years = sorted(int(y) for y in years)
    if not years:
        return "none"
    parts, start, prev = [], years[0], years[0]
    for y in [*years[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(parts)


def short(label: str) -> str:
    """Strip a label's parenthetical and lower-case it for prose: "Rupture (2015–16 scale)" → "rupture"."""
    return re.sub(r"\s*\(.*?\)", "", label).strip().lower()


def sig(x: float | None, digits: int = 3) -> str:
    """``x`` to about ``digits`` significant figures, without scientific notation."""
    if x is None or not np.isfinite(x):
        return "–"
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - int(np.floor(np.log10(abs(x)))))
    return f"{x:,.{decimals}f}"


def interval_text(mid: float, lo: float, hi: float) -> str:
    return f"{sig(mid)} [{sig(lo)} – {sig(hi)}]"


def units(label: str) -> str:
    """Return the units in a label's last parenthesis: "Bilateral trade (USD bn)" → "USD bn"."""
    found = re.findall(r"\(([^()]*)\)\s*$", label)
    return found[-1] if found else label


def clean_parameter(name: str) -> str:
    """``"rho.('economic',)"`` → ``"rho.economic"`` (one-dim groups in prior_vs_posterior)."""
    return re.sub(r"\('([^']*)',?\)", r"\1", str(name))


def problems_section(section_id: str, title: str, lead: str, err: Any, status: str = "fail") -> Section:
    """A section that says why it could not be built: ``lead`` and each problem of a :class:`~hedgecast.errors.HedgecastError`."""
    items = tuple(str(p) for p in err.problems)
    return Section(section_id, title, (Paragraph(lead, style="warn"), Bullets(items, warn=True)), status=status)
