"""The hand-curated files in ``data/curated/``: one row per value, each with its provenance.

``series.csv``, ``events.csv``, ``drivers.csv`` and ``war_states.csv`` each carry
``source``, ``quote`` and ``note``; a row citing a seed paper must quote it verbatim
(:func:`seed_quote_problems`). Every loader validates the whole file and raises one
:class:`~hedgecast.errors.DataError` listing every problem (see :mod:`hedgecast.inputs.table`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from hedgecast.config import FIRST_YEAR, HISTORY_YEARS, LAST_HISTORY_YEAR, Paths
from hedgecast.errors import Problem
from hedgecast.inputs.provenance import SEED_FILE, normalise_whitespace
from hedgecast.inputs.schemas import (
    CHANNELS,
    DRIVER_RANGES,
    DRIVERS,
    DRIVERS_SCHEMA,
    EVENTS_SCHEMA,
    INCIDENT_TYPES,
    INCIDENTS_SCHEMA,
    INCLUSION_LEVELS,
    SERIES_SCHEMA,
    SOURCE_SEPARATOR,
    WAR_STATES,
    WAR_STATES_SCHEMA,
)
from hedgecast.inputs.table import FileSpec, cell_problem, did_you_mean, display_path, load_all, load_table, show_value

CURATED = {
    "series": "series.csv",
    "events": "events.csv",
    "drivers": "drivers.csv",
    "war_states": "war_states.csv",
    "incidents": "incidents.csv",
}
"""File of each curated table, under ``data/curated/``."""

_SEEDISH = re.compile(r"(^\d{3}_)|(\.txt$)")


# ------------------------------------------------------------------------------------
# Checks across columns and rows
# ------------------------------------------------------------------------------------
def _provenance_check(frame: pd.DataFrame, shown: str) -> list[Problem]:
    """Check that a seed source has a quote, a quote has a seed source, and seed names are exact."""
    out = []
    for row, source, quote in zip(frame.index, frame["source"], frame["quote"], strict=True):
        source = source or ""
        quote = quote or ""
        if SEED_FILE.match(source):
            if not quote:
                out.append(
                    cell_problem(
                        shown,
                        row,
                        "quote",
                        f"source is the seed paper {source} but the quote is empty; copy a short verbatim passage",
                    )
                )
            elif "\n" in quote or "\r" in quote:
                out.append(cell_problem(shown, row, "quote", "quote spans several lines; choose a passage on one line"))
        elif _SEEDISH.search(source):
            out.append(
                cell_problem(
                    shown,
                    row,
                    "source",
                    f"'{source}' looks like a seed file name but is not one; write it exactly, e.g. 001_19e99d834b398c11.txt",
                )
            )
        elif quote:
            out.append(
                cell_problem(
                    shown,
                    row,
                    "quote",
                    f"a quote is only for seed-paper sources; '{source}' is not a seed file (move the text to note)",
                )
            )
    return out


def _duplicates(frame: pd.DataFrame, keys: list[str], shown: str) -> list[Problem]:
    out = []
    complete = frame[frame[keys].notna().all(axis=1)]  # an empty key is reported as empty, not as a duplicate
    dup = complete.duplicated(subset=keys, keep="first")
    for row in complete.index[dup]:
        first = complete.index[(complete[keys] == complete.loc[row, keys]).all(axis=1)][0]
        what = ", ".join(f"{k}={frame.loc[row, k]}" for k in keys)
        out.append(cell_problem(shown, row, keys[-1], f"duplicate of row {first} ({what}); one row per value"))
    return out


def _complete_years(frame: pd.DataFrame, shown: str, group: str | None) -> list[Problem]:
    years = set(HISTORY_YEARS)
    out = []
    groups = [(None, frame)] if group is None else [(g, frame[frame[group] == g]) for g in DRIVERS]
    for name, part in groups:
        have = set(pd.to_numeric(part["year"], errors="coerce").dropna().astype(int))
        gaps = sorted(years - have)
        if gaps:
            label = f"{group} {name}" if name else "year"
            out.append(
                Problem(
                    shown,
                    label,
                    f"no row for years {_ranges(gaps)}; every year {FIRST_YEAR}–{LAST_HISTORY_YEAR} needs one",
                )
            )
    return out


def _ranges(years: list[int]) -> str:
    parts, start = [], None
    for i, y in enumerate(years):
        if start is None:
            start = y
        if i + 1 == len(years) or years[i + 1] != y + 1:
            parts.append(str(start) if start == y else f"{start}–{y}")
            start = None
    return ", ".join(parts)


# ---- file-specific cross-column checks ------------------------------------------------
def _series_checks(frame: pd.DataFrame, shown: str) -> list[Problem]:
    out = _provenance_check(frame, shown) + _duplicates(frame, ["series", "year"], shown)
    value = pd.to_numeric(frame["value"], errors="coerce")
    for row, name, v in zip(frame.index, frame["series"], value, strict=True):
        if pd.isna(v) or not name:
            continue
        if name.endswith("_pct") and not 0 <= v <= 100:
            out.append(cell_problem(shown, row, "value", f"{name} is a percentage but the value is {v:g}; expected 0..100"))
        elif name.startswith("leader_") and (v < 0 or v != int(v)):
            out.append(cell_problem(shown, row, "value", f"{name} is a count but the value is {v:g}; expected a whole number >= 0"))
        elif v < 0:
            out.append(cell_problem(shown, row, "value", f"{name} is an amount, count or share but the value is negative ({v:g})"))
    return out


def _events_checks(frame: pd.DataFrame, shown: str) -> list[Problem]:
    out = _provenance_check(frame, shown) + _duplicates(frame, ["event_id"], shown)
    for row, rupture, size, direction in zip(frame.index, frame["rupture_scale"], frame["size"], frame["direction"], strict=True):
        if str(rupture).lower() == "true" and (size != "3" or direction != "-1"):
            out.append(
                cell_problem(
                    shown,
                    row,
                    "rupture_scale",
                    f"a rupture-scale event must have size 3 and direction -1 (found size {size}, direction {direction})",
                )
            )
    return out


def _drivers_checks(frame: pd.DataFrame, shown: str) -> list[Problem]:
    out = _provenance_check(frame, shown) + _duplicates(frame, ["driver", "year"], shown)
    value = pd.to_numeric(frame["value"], errors="coerce")
    for row, name, v in zip(frame.index, frame["driver"], value, strict=True):
        if name in DRIVER_RANGES and pd.notna(v):
            lo, hi = DRIVER_RANGES[name]
            if not lo <= v <= hi:
                out.append(cell_problem(shown, row, "value", f"{name} must be within {lo:g}..{hi:g} (found {v:g})"))
    return out + _complete_years(frame, shown, "driver")


def _incidents_checks(frame: pd.DataFrame, shown: str) -> list[Problem]:
    """One row per incident; an escalated incident cites at least two sources (README, Escalation rule)."""
    out = _duplicates(frame, ["incident_id"], shown)
    for row, escalated, sources in zip(frame.index, frame["escalated"], frame["sources"], strict=True):
        if str(escalated).lower() != "true" or not sources:
            continue
        cited = [s for s in str(sources).split(SOURCE_SEPARATOR) if s.strip()]
        if len(cited) < 2:
            out.append(
                cell_problem(
                    shown,
                    row,
                    "sources",
                    f"an escalated incident needs at least two independent sources separated by '{SOURCE_SEPARATOR}' "
                    f"(found {len(cited)})",
                )
            )
    return out


def _war_checks(frame: pd.DataFrame, shown: str) -> list[Problem]:
    out = _provenance_check(frame, shown) + _duplicates(frame, ["year"], shown)
    return out + _complete_years(frame, shown, None)


_SPECS = {
    "series": FileSpec(SERIES_SCHEMA, strict=True, extra_checks=[_series_checks]),
    "events": FileSpec(EVENTS_SCHEMA, strict=True, extra_checks=[_events_checks], hints={"channel": did_you_mean(CHANNELS)}),
    "drivers": FileSpec(DRIVERS_SCHEMA, strict=True, extra_checks=[_drivers_checks], hints={"driver": did_you_mean(DRIVERS)}),
    "war_states": FileSpec(WAR_STATES_SCHEMA, strict=True, extra_checks=[_war_checks], hints={"state": did_you_mean(WAR_STATES)}),
    "incidents": FileSpec(
        INCIDENTS_SCHEMA,
        strict=True,
        extra_checks=[_incidents_checks],
        hints={"type": did_you_mean(INCIDENT_TYPES), "inclusion": did_you_mean(INCLUSION_LEVELS)},
    ),
}


def _integers(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s).astype(int)


def _floats(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s).astype(float)


def _load_curated(paths: Paths, key: str, typed: dict[str, Callable[[pd.Series], pd.Series]]) -> pd.DataFrame:
    """Load and validate one curated file; convert the ``typed`` columns, the rest is text.

    Returns the schema's columns in order; text cells are ``""`` when empty and the
    index ``row`` is the spreadsheet row of each record (header = row 1).
    """
    spec = _SPECS[key]
    frame = load_table(paths.curated / CURATED[key], spec, paths)
    columns = list(spec.schema.columns)
    for c in columns:
        frame[c] = typed[c](frame[c]) if c in typed else frame[c].fillna("").astype(str)
    return frame[columns]


# ------------------------------------------------------------------------------------
# Public loaders
# ------------------------------------------------------------------------------------
def load_series(paths: Paths) -> pd.DataFrame:
    """Load and validate ``data/curated/series.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``series, year, value, unit, source, quote, note`` (``year`` int,
        ``value`` float, the rest text with ``""`` for empty). Index ``row``: the
        spreadsheet row of each value (header = row 1).

    Raises
    ------
    hedgecast.errors.DataError
        Listing every problem: file missing or not CSV, missing/unknown columns,
        non-numeric values, years outside 2000–2025, duplicate (series, year), a
        percentage outside 0..100, a seed source without a quote.

    """
    return _load_curated(paths, "series", {"year": _integers, "value": _floats})


def load_events(paths: Paths) -> pd.DataFrame:
    """Load and validate ``data/curated/events.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``event_id, date, title, channel, direction, size, rupture_scale,
        source, quote, note`` plus ``year``. ``date`` is a ``datetime64`` (a date
        ``YYYY-MM-01`` may stand for "that month", see the note), ``direction`` is
        +1 (warming) or -1 (cooling), ``size`` 1..3, ``rupture_scale`` bool.
        Index ``row`` (spreadsheet row, header = row 1).

    Raises
    ------
    hedgecast.errors.DataError
        Listing every problem (bad dates or dates outside 2000–2025, unknown
        channel, direction not ±1, size not 1..3, a rupture-scale event that is not
        size 3 / direction -1, duplicate ids, seed source without quote, …).

    """
    frame = _load_curated(
        paths,
        "events",
        {
            "date": lambda s: pd.to_datetime(s, format="%Y-%m-%d"),
            "direction": lambda s: s.map(lambda v: -1 if v == "-1" else 1).astype(int),
            "size": _integers,
            "rupture_scale": lambda s: s.str.lower().eq("true").astype(bool),
        },
    )
    frame["year"] = frame["date"].dt.year.astype(int)
    return frame


def load_driver_codings(paths: Paths) -> pd.DataFrame:
    """Load and validate ``data/curated/drivers.csv`` (one row per driver per year).

    Returns
    -------
    pandas.DataFrame
        Long format: ``driver, year, value, rationale, source, quote, note``.
        Index ``row`` (spreadsheet row, header = row 1).

    Raises
    ------
    hedgecast.errors.DataError
        Listing every problem: an unknown driver (the message lists the valid
        names, see :data:`~hedgecast.inputs.schemas.DRIVERS`), a value outside the
        driver's range (see :data:`~hedgecast.inputs.schemas.DRIVER_RANGES`), a year
        outside 2000–2025, a missing year for a driver, duplicates, a seed source
        without a quote, …

    """
    return _load_curated(paths, "drivers", {"year": _integers, "value": _floats})


def load_war_states(paths: Paths) -> pd.DataFrame:
    """Load and validate ``data/curated/war_states.csv`` (the ``ukraine_war`` history).

    Returns
    -------
    pandas.DataFrame
        ``year, state, rationale, source, quote, note``; one row per year
        2000–2025; ``state`` one of :data:`~hedgecast.inputs.schemas.WAR_STATES`.
        Index ``row``.

    Raises
    ------
    hedgecast.errors.DataError
        Listing every problem (unknown state, missing or duplicate years, …).

    """
    return _load_curated(paths, "war_states", {"year": _integers})


def load_incidents(paths: Paths) -> pd.DataFrame:
    """Load and validate ``data/curated/incidents.csv`` (serious bilateral incidents since 1992).

    The inclusion and escalation rules and the type vocabulary are in
    ``data/curated/README.md``.

    Returns
    -------
    pandas.DataFrame
        Columns ``incident_id, date, type, description, fatalities, escalated,
        inclusion, sources, note`` plus ``year``. ``date`` is a ``datetime64``
        (``YYYY-MM-01`` may stand for the month, ``YYYY-01-01`` for the year: see the
        note), ``fatalities`` a nullable integer (``<NA>`` when unknown), ``escalated``
        bool, ``inclusion`` one of :data:`~hedgecast.inputs.schemas.INCLUSION_LEVELS`.
        Index ``row`` (spreadsheet row, header = row 1).

    Raises
    ------
    hedgecast.errors.DataError
        Listing every problem: a missing or non-ISO date, an unknown type or
        inclusion level, ``escalated`` not true/false, empty sources, an escalated
        incident with fewer than two sources (separated by ``" | "``), negative or
        fractional fatalities, duplicate ids, …

    """
    frame = _load_curated(
        paths,
        "incidents",
        {
            "date": lambda s: pd.to_datetime(s, format="%Y-%m-%d"),
            "fatalities": lambda s: pd.to_numeric(s).astype("Int64"),
            "escalated": lambda s: s.str.lower().eq("true").astype(bool),
        },
    )
    frame["year"] = frame["date"].dt.year.astype(int)
    return frame


# ------------------------------------------------------------------------------------
# Quotes
# ------------------------------------------------------------------------------------
def seed_quote_problems(paths: Paths) -> list[Problem]:
    """Check every curated row that cites a seed paper against the paper's text.

    For each row of ``series.csv``, ``events.csv``, ``drivers.csv`` and
    ``war_states.csv`` whose ``source`` is a seed file name, the file must exist
    under ``paths.seeds`` and ``quote`` must occur in it verbatim. The only
    normalisation allowed is collapsing runs of whitespace to one space on both
    sides (line breaks in the papers are layout); quotes, dashes and case must match.

    Parameters
    ----------
    paths : hedgecast.config.Paths
        The project's folders (``paths.seeds`` is where the papers are).

    Returns
    -------
    list of hedgecast.errors.Problem
        Empty when every quote is found.

    Raises
    ------
    hedgecast.errors.DataError
        If a curated file itself fails validation.

    """
    problems: list[Problem] = []
    texts: dict[str, tuple[str, str] | None] = {}
    loaders = {"series": load_series, "events": load_events, "drivers": load_driver_codings, "war_states": load_war_states}
    frames = load_all(loaders, paths)
    for key, frame in frames.items():
        shown = display_path(paths.curated / CURATED[key], paths)
        for row, source, quote in zip(frame.index, frame["source"], frame["quote"], strict=True):
            if not SEED_FILE.match(source):
                continue
            if source not in texts:
                path = paths.seeds / source
                try:
                    raw = path.read_text(encoding="utf-8")
                    texts[source] = (raw, normalise_whitespace(raw))
                except (OSError, UnicodeDecodeError):
                    texts[source] = None
            text = texts[source]
            if text is None:
                problems.append(cell_problem(shown, row, "source", f"seed file {source} not found in {paths.seeds}"))
            elif quote not in text[0] and normalise_whitespace(quote) not in text[1]:
                problems.append(cell_problem(shown, row, "quote", f"quote not found verbatim in {source}: {show_value(quote)}"))
    return problems
