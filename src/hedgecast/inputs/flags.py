"""How well each curated value is sourced, and which values cover only part of a year.

``data/curated/README.md`` (Citation conventions) flags a series value whose note starts
with ``UNSOURCED:`` (the analyst's recollection of a publisher's figure, found in no stored
public source) or ``PARTIAL:`` (it covers only part of the year). The model treats both as
**missing**: :func:`excluded_cells` lists the cells of the model's indicators they remove,
and :func:`hedgecast.inputs.history.load_history` leaves them out of the observed cells (the
latent state fills those years as it fills any other gap). A year of a raw daily series
whose data stop before the year ends (GDELT 2024: 1 January – 23 February, 54 days) is
partial in the same way.

A value for a year that is not over yet is obviously incomplete: :func:`partial_year_problems`
rejects one that is not flagged ``PARTIAL:``.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from hedgecast.config import Paths
from hedgecast.errors import Problem
from hedgecast.inputs.curated import CURATED, load_driver_codings, load_events, load_series, load_war_states
from hedgecast.inputs.processed import INDICATORS, SERIES_INDICATORS
from hedgecast.inputs.provenance import SEED_FILE
from hedgecast.inputs.raw import RAW, gdelt_tone, load_gdelt
from hedgecast.inputs.table import cell_problem, display_path

UNSOURCED = "UNSOURCED:"
"""Flag at the start of a note: the value was found in no stored public source."""

PARTIAL = "PARTIAL:"
"""Flag at the start of a note: the value covers only part of the year."""

_URL = re.compile(r"https?://")


def flag_of(note: str) -> str:
    """``"unsourced"``, ``"partial"`` or ``""`` from a note's leading flag."""
    text = (note or "").lstrip()
    if text.startswith(UNSOURCED):
        return "unsourced"
    if text.startswith(PARTIAL):
        return "partial"
    return ""


def cites_a_source(source: str) -> bool:
    """Whether ``source`` names something a reader can open: a seed paper, a stored page or a data file.

    ``"public record (news reports …)"`` or ``"hedgecast project coding (analyst judgement …)"``
    name none.
    """
    parts = [p.strip() for p in (source or "").split(" | ") if p.strip()]
    return any(SEED_FILE.match(p) or _URL.search(p) or p.startswith(("data/", "../shared/")) for p in parts)


def today() -> dt.date:
    """Today's date (one place, so tests can move the clock)."""
    return dt.date.today()


# ------------------------------------------------------------------------------------
# Cells the model leaves out
# ------------------------------------------------------------------------------------
EXCLUDED_COLUMNS = ["indicator", "year", "reason", "value", "file", "row", "note"]


def gdelt_partial_years(gdelt: pd.DataFrame) -> dict[int, str]:
    """Years of the daily GDELT file whose data start after January or stop before December.

    Returns ``year -> "1 Jan – 23 Feb 2024 (54 days)"``. Scattered missing days inside a
    year (2023 has 297 of 365) do not make it partial: the yearly ratio of sums is still
    taken over the whole year.
    """
    out = {}
    for year, dates in gdelt.groupby(gdelt["date"].dt.year)["date"]:
        first, last = dates.min(), dates.max()
        if first.month > 1 or last.month < 12:
            out[int(year)] = f"{first:%-d %b} – {last:%-d %b %Y} ({dates.size} days)"
    return out


def excluded_cells(paths: Paths, indicators: list[str] | None = None) -> pd.DataFrame:
    """The indicator cells the model treats as missing, and why.

    Parameters
    ----------
    paths : hedgecast.config.Paths
    indicators : list of str, optional
        Only these indicators (default: every indicator of
        :data:`~hedgecast.inputs.processed.INDICATORS`).

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator, year, reason, value, file, row, note``; ``reason`` is
        ``"unsourced"`` (a ``series.csv`` note starting ``UNSOURCED:``) or ``"partial"``
        (a note starting ``PARTIAL:``, or a GDELT year not covered to its end); ``row`` is
        the spreadsheet row in ``series.csv`` (0 for a raw file).

    """
    wanted = list(indicators) if indicators is not None else list(INDICATORS)
    rows = []
    series = load_series(paths)
    shown = display_path(paths.curated / CURATED["series"], paths)
    for indicator, name in SERIES_INDICATORS.items():
        if indicator not in wanted:
            continue
        part = series[series["series"] == name]
        for row, year, value, note in zip(part.index, part["year"], part["value"], part["note"], strict=True):
            reason = flag_of(note)
            if reason:
                rows.append([indicator, int(year), reason, float(value), shown, int(row), note])
    if "gdelt_tone" in wanted:
        gdelt = load_gdelt(paths)
        tone = gdelt_tone(gdelt)
        raw_shown = display_path(paths.raw / RAW["gdelt"], paths)
        for year, covered in gdelt_partial_years(gdelt).items():
            rows.append(["gdelt_tone", year, "partial", float(tone.get(year, float("nan"))), raw_shown, 0, f"covers {covered}"])
    frame = pd.DataFrame(rows, columns=EXCLUDED_COLUMNS)
    return frame.sort_values(["indicator", "year"], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------------------
# Checks and summaries for ``hedgecast check``
# ------------------------------------------------------------------------------------
def partial_year_problems(paths: Paths) -> list[Problem]:
    """A ``series.csv`` value for a year that is not over yet must be flagged ``PARTIAL:``."""
    series = load_series(paths)
    shown = display_path(paths.curated / CURATED["series"], paths)
    now = today()
    out = []
    for row, name, year, note in zip(series.index, series["series"], series["year"], series["note"], strict=True):
        if int(year) >= now.year and flag_of(note) != "partial":
            out.append(
                cell_problem(
                    shown,
                    int(row),
                    "note",
                    f"{name} {year}: the year is not over (today is {now:%Y-%m-%d}), so the value covers part of it; "
                    f"start the note with '{PARTIAL}' and say which months it covers",
                )
            )
    return out


def unsourced_summary(paths: Paths) -> str:
    """One line: how many curated values are unsourced (not an error)."""
    series = load_series(paths)
    flagged = int(series["note"].map(flag_of).eq("unsourced").sum())
    parts = [f"{flagged} of {len(series)} series values are {UNSOURCED.rstrip(':')}"]
    for label, frame in (
        ("driver codings", load_driver_codings(paths)),
        ("events", load_events(paths)),
        ("war states", load_war_states(paths)),
    ):
        bare = int((~frame["source"].map(cites_a_source)).sum())
        parts.append(f"{bare} of {len(frame)} {label}")
    return (
        f"unsourced values: {parts[0]}; cite no seed paper, stored page or data file: {', '.join(parts[1:])} "
        "(the model treats UNSOURCED series values as missing)"
    )
