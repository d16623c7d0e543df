"""Load, validate and combine the project's data files.

Three layers (see ``DESIGN.md``, section Data):

``data/raw/``
    Public extracts exactly as obtained (UNGA voting, COW trade, GDELT daily edge,
    COW militarized disputes); provenance in ``data/raw/SOURCE.md``.
``data/curated/``
    Hand-curated CSV files, one row per value, each with ``source``, ``quote`` and
    ``note``: ``series.csv``, ``events.csv``, ``drivers.csv``, ``war_states.csv``.
``data/processed/``
    Built by :func:`build_processed` from the two above, never by hand.

Every file is validated against a pandera schema when it is loaded. All problems in
a file are collected and raised together as one :class:`~hedgecast.errors.DataError`;
each problem names the file and, for a bad value, ``row N, column C`` where rows are
counted as in a spreadsheet (the header is row 1, the first data row is row 2). No
pandas, pandera or csv exception escapes from this module.

Loaded frames keep that spreadsheet row number as their index (named ``row``), so a
later check can still point at the line to fix.

Examples
--------
>>> from hedgecast.config import Paths
>>> from hedgecast import data
>>> paths = Paths.discover()                      # doctest: +SKIP
>>> data.build_indicators(paths).loc[2022]         # doctest: +SKIP

"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from hedgecast.config import FIRST_YEAR, HISTORY_YEARS, LAST_HISTORY_YEAR, Paths
from hedgecast.errors import DataError, Problem, suggest
from hedgecast.files import write_atomic
from hedgecast.inputs.provenance import SEED_FILE, normalise_whitespace

__all__ = [
    "CHANNELS",
    "DRIVERS",
    "DRIVER_RANGES",
    "INDICATORS",
    "WAR_STATES",
    "build_indicators",
    "build_processed",
    "gdelt_tone",
    "load_cow_trade",
    "load_driver_codings",
    "load_events",
    "load_gdelt",
    "load_mid",
    "load_series",
    "load_unga",
    "load_war_states",
    "mid_hostility",
    "seed_quote_problems",
    "unga_agreement",
]

# ------------------------------------------------------------------------------------
# Vocabulary
# ------------------------------------------------------------------------------------
DRIVER_RANGES: dict[str, tuple[float, float]] = {
    "energy_leverage": (0.0, 1.0),
    "leader_ties": (-1.0, 1.0),
    "nato_pressure": (0.0, 1.0),
    "regional_friction": (0.0, 1.0),
    "turkish_domestic": (-1.0, 1.0),
    "sanctions_enforcement": (0.0, 1.0),
}
"""Continuous drivers coded per year in ``drivers.csv`` and the range of each."""

DRIVERS: tuple[str, ...] = tuple(DRIVER_RANGES)
"""Names of the continuous drivers, in file order."""

WAR_STATES: tuple[str, ...] = ("none", "frozen", "attrition", "settlement", "russian_gains", "russian_setback")
"""States of the ``ukraine_war`` driver (history uses the first three)."""

CHANNELS: tuple[str, ...] = ("economic", "political", "both")
"""Channel an event acts on."""

INDICATORS: tuple[str, ...] = (
    "trade_usd_bn",
    "gas_share_russia_pct",
    "crude_share_russia_pct",
    "russian_tourists_k",
    "leader_contacts",
    "leader_meetings",
    "unga_agreement",
    "gdelt_tone",
    "mid_hostility",
)
"""Columns of :func:`build_indicators`, in order."""

#: indicator -> curated series it is read from
SERIES_INDICATORS = {
    "trade_usd_bn": "trade_total_usd_bn",
    "gas_share_russia_pct": "gas_share_russia_pct",
    "crude_share_russia_pct": "crude_share_russia_pct",
    "russian_tourists_k": "russian_tourists_k",
    "leader_contacts": "leader_contacts",
    "leader_meetings": "leader_meetings",
}

ROW_CONVENTION = "row numbers as in a spreadsheet: header = row 1"

CURATED = {"series": "series.csv", "events": "events.csv", "drivers": "drivers.csv", "war_states": "war_states.csv"}
RAW = {
    "unga": "unga_idealpoints_TUR_RUS_bsv_jun2024.csv",
    "cow_trade": "peacesciencer_cow_trade_v4_TUR_RUS.csv",
    "gdelt": "gdelt_graph_daily_TUR_RUS_edge_2018_2024.csv",
    "mid": "peacesciencer_cow_mid5_dirdisps_TUR_RUS.csv",
}

TUR, RUS = 640, 365  # COW country codes
UNGA_DROP_SESSIONS = (78,)  # only 2 TUR votes (see data/raw/SOURCE.md)
MID_LAST_YEAR = 2014  # COW MID 5.0 coverage ends here

_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
_EVENT_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SEEDISH = re.compile(r"(^\d{3}_)|(\.txt$)")


# ------------------------------------------------------------------------------------
# Reading CSV text into a frame of strings, with clean errors
# ------------------------------------------------------------------------------------
def _display(path: Path, paths: Paths | None) -> str:
    """The path as the user would type it (relative to the project root if inside it)."""
    if paths is not None:
        try:
            return str(path.resolve().relative_to(paths.root.resolve()))
        except ValueError:
            pass
    return str(path)


def _read_text_table(path: Path, shown: str, na_values: Iterable[str] = ("",)) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse ``path`` strictly as UTF-8 CSV into a frame of strings (None = empty).

    The index is the spreadsheet row number of each record (header = row 1; blank
    lines count as rows, as they do in a spreadsheet, but yield no record).

    Returns
    -------
    frame, problems
        ``problems`` is non-empty when the file cannot be read as a table at all, or
        when some rows have the wrong number of fields (those rows are left out).

    """
    if not path.exists():
        return pd.DataFrame(), [Problem(shown, "", "file not found")]
    if not path.is_file():
        return pd.DataFrame(), [Problem(shown, "", "is not a file")]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return pd.DataFrame(), [Problem(shown, "", f"cannot be read: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return pd.DataFrame(), [
            Problem(
                shown, f"line {line}", f"is not valid UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV", line
            )
        ]
    if not text.strip():
        return pd.DataFrame(), [Problem(shown, "", "is empty; expected a header row and data rows")]
    if "\x00" in text:
        return pd.DataFrame(), [Problem(shown, "", "is not a text CSV file (it contains NUL bytes)")]

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    try:
        for number, record in enumerate(reader, start=1):
            records.append((number, record))
    except csv.Error as exc:
        where = len(records) + 1
        return pd.DataFrame(), [
            Problem(shown, f"row {where}", f"is not valid CSV: {exc} ({ROW_CONVENTION})", reader.line_num or None)
        ]

    problems: list[Problem] = []
    header_no, header = next(((n, r) for n, r in records if r), (0, []))
    header = [h.strip() for h in header]
    if header_no != 1:
        problems.append(Problem(shown, f"row {header_no}", f"the header must be on row 1 ({ROW_CONVENTION})"))
    dupes = sorted({h for h in header if header.count(h) > 1})
    for h in dupes:
        problems.append(Problem(shown, f"column {h}", f"column '{h}' appears more than once in the header"))
    blanks = [i + 1 for i, h in enumerate(header) if not h]
    if blanks:
        problems.append(Problem(shown, "header", f"header field(s) {blanks} are empty; every column needs a name"))
    if dupes or blanks:
        return pd.DataFrame(), problems

    missing_values = set(na_values)
    rows, index = [], []
    for number, record in records:
        if number <= header_no or not record or all(not c.strip() for c in record):
            continue
        if len(record) != len(header):
            problems.append(
                Problem(
                    shown,
                    f"row {number}",
                    f"has {len(record)} fields but the header has {len(header)} "
                    f"(an unquoted comma, or a missing separator?) ({ROW_CONVENTION})",
                )
            )
            continue
        cells = [c.strip() for c in record]
        rows.append([None if c in missing_values else c for c in cells])
        index.append(number)
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(index, name="row"), dtype=object)
    return frame, problems


# ------------------------------------------------------------------------------------
# Schemas: pandera checks on the string cells, with user-facing messages
# ------------------------------------------------------------------------------------
def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.astype(object), errors="coerce")


def _is_number(s: pd.Series) -> pd.Series:
    x = _num(s)
    return x.notna() & np.isfinite(x.astype(float))


def _is_integer(s: pd.Series) -> pd.Series:
    x = _num(s).astype(float)
    return x.notna() & np.isfinite(x) & (np.floor(x) == x)


def _within(lo: float, hi: float) -> Callable[[pd.Series], pd.Series]:
    def check(s: pd.Series) -> pd.Series:
        x = _num(s).astype(float)
        return x.isna() | ((x >= lo) & (x <= hi))  # non-numbers are reported by the number check

    return check


def _matches(pattern: re.Pattern) -> Callable[[pd.Series], pd.Series]:
    return lambda s: s.astype(str).map(lambda v: bool(pattern.match(v)))


def _one_of(values: Iterable[str], *, case: bool = True) -> Callable[[pd.Series], pd.Series]:
    allowed = set(values) if case else {v.lower() for v in values}
    return lambda s: s.astype(str).map(lambda v: (v if case else v.lower()) in allowed)


def _valid_date(s: pd.Series) -> pd.Series:
    text = s.astype(str)
    ok = text.map(lambda v: bool(_ISO_DATE.match(v)))
    parsed = pd.to_datetime(text.where(ok), format="%Y-%m-%d", errors="coerce")
    return ok & parsed.notna()


def _date_year_within(lo: int, hi: int) -> Callable[[pd.Series], pd.Series]:
    def check(s: pd.Series) -> pd.Series:
        year = pd.to_numeric(s.astype(str).str[:4], errors="coerce")
        return year.isna() | ((year >= lo) & (year <= hi))

    return check


def _check(fn: Callable[[pd.Series], pd.Series], message: str) -> pa.Check:
    return pa.Check(fn, error=message)


def _text(*checks: pa.Check, required: bool = True) -> pa.Column:
    """A text column; ``required`` means every cell must be non-empty."""
    return pa.Column(None, checks=list(checks), nullable=not required)


def _number(*checks: pa.Check, required: bool = True) -> pa.Column:
    return pa.Column(None, checks=[_check(_is_number, "must be a number"), *checks], nullable=not required)


def _integer(*checks: pa.Check, required: bool = True) -> pa.Column:
    return pa.Column(None, checks=[_check(_is_integer, "must be a whole number"), *checks], nullable=not required)


def _year(lo: int = FIRST_YEAR, hi: int = LAST_HISTORY_YEAR) -> pa.Column:
    return _integer(_check(_within(lo, hi), f"year must be within {lo}–{hi}"))


def _provenance_columns() -> dict[str, pa.Column]:
    return {
        "source": _text(),
        "quote": _text(required=False),
        "note": _text(required=False),
    }


SERIES_SCHEMA = pa.DataFrameSchema(
    {
        "series": _text(_check(_matches(_SNAKE), "series name must be snake_case (a-z, 0-9, _)")),
        "year": _year(),
        "value": _number(),
        "unit": _text(),
        **_provenance_columns(),
    },
    name="series",
)

EVENTS_SCHEMA = pa.DataFrameSchema(
    {
        "event_id": _text(
            _check(_matches(_EVENT_ID), "event_id must use only a-z, 0-9 and _ (e.g. 2015_su24_shootdown)")
        ),
        "date": _text(
            _check(_valid_date, "date must be an ISO date YYYY-MM-DD (use YYYY-MM-01 when only the month is known)"),
            _check(
                _date_year_within(FIRST_YEAR, LAST_HISTORY_YEAR),
                f"date must fall within {FIRST_YEAR}–{LAST_HISTORY_YEAR}",
            ),
        ),
        "title": _text(),
        "channel": _text(_check(_one_of(CHANNELS), f"channel must be one of {', '.join(CHANNELS)}")),
        "direction": _text(_check(_one_of(("+1", "-1", "1")), "direction must be +1 (warming) or -1 (cooling)")),
        "size": _text(_check(_one_of(("1", "2", "3")), "size must be 1, 2 or 3 (3 = rupture-scale)")),
        "rupture_scale": _text(_check(_one_of(("true", "false"), case=False), "rupture_scale must be true or false")),
        **_provenance_columns(),
    },
    name="events",
)

DRIVERS_SCHEMA = pa.DataFrameSchema(
    {
        "driver": _text(_check(_one_of(DRIVERS), f"unknown driver; the valid drivers are {', '.join(DRIVERS)}")),
        "year": _year(),
        "value": _number(_check(_within(-1.0, 1.0), "value must be within -1..1 (0..1 for most drivers)")),
        "rationale": _text(),
        **_provenance_columns(),
    },
    name="drivers",
)

WAR_STATES_SCHEMA = pa.DataFrameSchema(
    {
        "year": _year(),
        "state": _text(_check(_one_of(WAR_STATES), f"unknown war state; valid states are {', '.join(WAR_STATES)}")),
        "rationale": _text(),
        **_provenance_columns(),
    },
    name="war_states",
)

UNGA_SCHEMA = pa.DataFrameSchema(
    {
        "ccode": _integer(),
        "session": _integer(_check(_within(1, 200), "session must be a positive session number")),
        "RUSSAgree": _number(_check(_within(0.0, 1.0), "RUSSAgree must be a share within 0..1"), required=False),
        "year_session_start": _integer(_check(_within(1946, 2100), "year_session_start must be a year from 1946")),
    },
    name="unga",
)

COW_TRADE_SCHEMA = pa.DataFrameSchema(
    {
        "ccode1": _integer(),
        "ccode2": _integer(),
        "year": _integer(_check(_within(1800, 2100), "year out of range")),
        "flow1": _number(_check(_within(-9, 1e9), "flow1 must be >= 0 (or -9 = missing)"), required=False),
        "flow2": _number(_check(_within(-9, 1e9), "flow2 must be >= 0 (or -9 = missing)"), required=False),
    },
    name="cow_trade",
)

MID_SCHEMA = pa.DataFrameSchema(
    {
        "dispnum": _integer(),
        "ccode1": _integer(),
        "ccode2": _integer(),
        "year": _integer(_check(_within(1800, 2100), "year out of range")),
        "hostlev1": _integer(_check(_within(-9, 5), "hostlev1 must be 1..5 (or -9 = missing)")),
        "hostlev2": _integer(_check(_within(-9, 5), "hostlev2 must be 1..5 (or -9 = missing)")),
    },
    name="mid",
)

GDELT_SCHEMA = pa.DataFrameSchema(
    {
        "date": _text(_check(_valid_date, "date must be an ISO date YYYY-MM-DD")),
        "tur_rus_edge": _number(),
        "tur_all_partners_rowsum": _number(),
    },
    name="gdelt",
)


def _did_you_mean(valid: Iterable[str]) -> Callable[[str], str]:
    valid = list(valid)

    def hint(value: str) -> str:
        close = difflib.get_close_matches(str(value), valid, n=1, cutoff=0.6)
        return f"; did you mean '{close[0]}'?" if close else ""

    return hint


def _pandera_problems(
    schema: pa.DataFrameSchema, frame: pd.DataFrame, shown: str, hints: dict[str, Callable[[str], str]] | None = None
) -> list[Problem]:
    """Validate ``frame`` (strings) lazily; turn every failure into a Problem."""
    present = [c for c in schema.columns if c in frame.columns]
    sub = schema.select_columns(present) if present != list(schema.columns) else schema
    try:
        sub.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _failure_problems(exc.failure_cases, shown, hints or {})
    except pa.errors.SchemaError as exc:  # not expected with lazy=True, but never let it escape
        return [Problem(shown, "", f"failed validation: {exc}")]
    except Exception as exc:
        return [Problem(shown, "", f"could not be validated ({type(exc).__name__}: {exc})")]
    return []


def _failure_problems(cases: pd.DataFrame, shown: str, hints: dict[str, Callable[[str], str]]) -> list[Problem]:
    out: list[Problem] = []
    seen: set[tuple] = set()
    for case in cases.itertuples(index=False):
        column = getattr(case, "column", None)
        check = str(getattr(case, "check", ""))
        value = getattr(case, "failure_case", None)
        row = getattr(case, "index", None)
        if check == "column_in_dataframe":
            key = ("missing", value)
            if key not in seen:
                seen.add(key)
                out.append(Problem(shown, f"column {value}", f"missing column '{value}'"))
            continue
        if row is None or (isinstance(row, float) and math.isnan(row)):
            key = (column, check)
            if key not in seen:
                seen.add(key)
                out.append(Problem(shown, f"column {column}" if column else "", f"failed check {check}"))
            continue
        row = int(row)
        key = (row, column)
        if key in seen:  # one message per cell is enough
            continue
        seen.add(key)
        if check == "not_nullable":
            message = "is empty; a value is required"
        else:
            hint = hints[column](value) if column in hints else ""
            message = f"{check} (found {_show(value)}{hint})"
        out.append(_at(shown, row, column, message))
    return sorted(out, key=_problem_order)


def _show(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _problem_order(p: Problem) -> tuple:
    m = re.match(r"row (\d+)", p.field)
    return (0, 0, p.field) if not m else (1, int(m.group(1)), p.field)


# ------------------------------------------------------------------------------------
# Loading one file
# ------------------------------------------------------------------------------------
@dataclass
class _Spec:
    schema: pa.DataFrameSchema
    strict: bool  # True: no extra columns allowed (curated files)
    na_values: tuple[str, ...] = ("",)
    extra_checks: list[Callable[[pd.DataFrame, str], list[Problem]]] = field(default_factory=list)
    hints: dict[str, Callable[[str], str]] = field(default_factory=dict)  # column -> extra advice for a bad value


def _load(path: Path, spec: _Spec, paths: Paths | None) -> pd.DataFrame:
    """Read, validate (collecting all problems) and return the frame of strings."""
    shown = _display(path, paths)
    frame, problems = _read_text_table(path, shown, spec.na_values)
    if frame.empty and problems and not len(frame.columns):
        raise DataError(problems)
    expected = list(spec.schema.columns)
    missing = [c for c in expected if c not in frame.columns]
    extra = [c for c in frame.columns if c not in expected]
    for c in missing:
        hint = ""
        close = [e for e in extra if suggest(e, [c]).endswith(f"'{c}'?")] if extra else []
        if close:
            hint = f" (is '{close[0]}' a misspelling of it?)"
        problems.append(
            Problem(shown, f"column {c}", f"missing column '{c}'{hint}; the file needs columns {', '.join(expected)}")
        )
    if spec.strict:
        for c in extra:
            problems.append(Problem(shown, f"column {c}", f"unexpected column '{c}'; {suggest(c, expected)}"))
    if frame.empty and not missing:
        problems.append(Problem(shown, "", "has no data rows"))
    if not frame.empty:
        problems += _pandera_problems(spec.schema, frame, shown, spec.hints)
        if not missing:
            bad_cells = {(p.field) for p in problems}
            for extra_check in spec.extra_checks:
                problems += [p for p in extra_check(frame, shown) if p.field not in bad_cells]
    if problems:
        raise DataError(problems)
    return frame


def _cell(row: int, column: str) -> str:
    return f"row {row}, column {column}"


def _at(shown: str, row: int, column: str, message: str) -> Problem:
    """A problem in one cell, with the row-numbering convention spelled out."""
    return Problem(shown, _cell(row, column), f"{message} [{ROW_CONVENTION}]")


def _provenance_check(frame: pd.DataFrame, shown: str) -> list[Problem]:
    """A seed source needs a quote; a quote needs a seed source; seed names must be exact."""
    out = []
    for row, source, quote in zip(frame.index, frame["source"], frame["quote"], strict=True):
        source = source or ""
        quote = quote or ""
        if SEED_FILE.match(source):
            if not quote:
                out.append(
                    _at(
                        shown,
                        row,
                        "quote",
                        f"source is the seed paper {source} but the quote is empty; copy a short verbatim passage",
                    )
                )
            elif "\n" in quote or "\r" in quote:
                out.append(_at(shown, row, "quote", "quote spans several lines; choose a passage on one line"))
        elif _SEEDISH.search(source):
            out.append(
                _at(
                    shown,
                    row,
                    "source",
                    f"'{source}' looks like a seed file name but is not one; "
                    "write it exactly, e.g. 001_19e99d834b398c11.txt",
                )
            )
        elif quote:
            out.append(
                _at(
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
        out.append(_at(shown, row, keys[-1], f"duplicate of row {first} ({what}); one row per value"))
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
            out.append(_at(shown, row, "value", f"{name} is a percentage but the value is {v:g}; expected 0..100"))
        elif name.startswith("leader_") and (v < 0 or v != int(v)):
            out.append(
                _at(shown, row, "value", f"{name} is a count but the value is {v:g}; expected a whole number >= 0")
            )
        elif v < 0:
            out.append(
                _at(shown, row, "value", f"{name} is an amount, count or share but the value is negative ({v:g})")
            )
    return out


def _events_checks(frame: pd.DataFrame, shown: str) -> list[Problem]:
    out = _provenance_check(frame, shown) + _duplicates(frame, ["event_id"], shown)
    for row, rupture, size, direction in zip(
        frame.index, frame["rupture_scale"], frame["size"], frame["direction"], strict=True
    ):
        if str(rupture).lower() == "true" and (size != "3" or direction != "-1"):
            out.append(
                _at(
                    shown,
                    row,
                    "rupture_scale",
                    "a rupture-scale event must have size 3 and direction -1 "
                    f"(found size {size}, direction {direction})",
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
                out.append(_at(shown, row, "value", f"{name} must be within {lo:g}..{hi:g} (found {v:g})"))
    return out + _complete_years(frame, shown, "driver")


def _war_checks(frame: pd.DataFrame, shown: str) -> list[Problem]:
    out = _provenance_check(frame, shown) + _duplicates(frame, ["year"], shown)
    return out + _complete_years(frame, shown, None)


def _unga_checks(frame: pd.DataFrame, shown: str) -> list[Problem]:
    out = []
    for row, session, year in zip(frame.index, frame["session"], frame["year_session_start"], strict=True):
        s, y = pd.to_numeric(session, errors="coerce"), pd.to_numeric(year, errors="coerce")
        if pd.notna(s) and pd.notna(y) and y != s + 1945:
            out.append(
                _at(shown, row, "year_session_start", f"should be session + 1945 = {int(s) + 1945} (found {int(y)})")
            )
    return out


_CURATED_SPECS = {
    "series": _Spec(SERIES_SCHEMA, strict=True, extra_checks=[_series_checks]),
    "events": _Spec(
        EVENTS_SCHEMA, strict=True, extra_checks=[_events_checks], hints={"channel": _did_you_mean(CHANNELS)}
    ),
    "drivers": _Spec(
        DRIVERS_SCHEMA, strict=True, extra_checks=[_drivers_checks], hints={"driver": _did_you_mean(DRIVERS)}
    ),
    "war_states": _Spec(
        WAR_STATES_SCHEMA, strict=True, extra_checks=[_war_checks], hints={"state": _did_you_mean(WAR_STATES)}
    ),
}
_RAW_SPECS = {
    "unga": _Spec(UNGA_SCHEMA, strict=False, na_values=("", "NA"), extra_checks=[_unga_checks]),
    "cow_trade": _Spec(COW_TRADE_SCHEMA, strict=False, na_values=("", "NA")),
    "gdelt": _Spec(GDELT_SCHEMA, strict=False, na_values=("", "NA")),
    "mid": _Spec(MID_SCHEMA, strict=False, na_values=("", "NA")),
}


def _text_columns(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    for c in columns:
        frame[c] = frame[c].fillna("").astype(str)
    return frame


# ------------------------------------------------------------------------------------
# Public loaders: curated files
# ------------------------------------------------------------------------------------
def load_series(paths: Paths) -> pd.DataFrame:
    """Load and validate ``data/curated/series.csv``.

    Parameters
    ----------
    paths : hedgecast.config.Paths
        The project's folders.

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
    frame = _load(paths.curated / CURATED["series"], _CURATED_SPECS["series"], paths)
    frame["year"] = pd.to_numeric(frame["year"]).astype(int)
    frame["value"] = pd.to_numeric(frame["value"]).astype(float)
    return _text_columns(frame, ["series", "unit", "source", "quote", "note"])[list(SERIES_SCHEMA.columns)]


def load_events(paths: Paths) -> pd.DataFrame:
    """Load and validate ``data/curated/events.csv``.

    Parameters
    ----------
    paths : hedgecast.config.Paths
        The project's folders.

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
    frame = _load(paths.curated / CURATED["events"], _CURATED_SPECS["events"], paths)
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    frame["direction"] = frame["direction"].map(lambda v: -1 if v == "-1" else 1).astype(int)
    frame["size"] = pd.to_numeric(frame["size"]).astype(int)
    frame["rupture_scale"] = frame["rupture_scale"].str.lower().eq("true").astype(bool)
    frame = _text_columns(frame, ["event_id", "title", "channel", "source", "quote", "note"])
    frame = frame[list(EVENTS_SCHEMA.columns)]
    frame["year"] = frame["date"].dt.year.astype(int)
    return frame


def load_driver_codings(paths: Paths) -> pd.DataFrame:
    """Load and validate ``data/curated/drivers.csv`` (one row per driver per year).

    Parameters
    ----------
    paths : hedgecast.config.Paths
        The project's folders.

    Returns
    -------
    pandas.DataFrame
        Long format: ``driver, year, value, rationale, source, quote, note``.
        Index ``row`` (spreadsheet row, header = row 1).

    Raises
    ------
    hedgecast.errors.DataError
        Listing every problem: an unknown driver (the message lists the valid
        names, see :data:`DRIVERS`), a value outside the driver's range (see
        :data:`DRIVER_RANGES`), a year outside 2000–2025, a missing year for a
        driver, duplicates, a seed source without a quote, …

    """
    frame = _load(paths.curated / CURATED["drivers"], _CURATED_SPECS["drivers"], paths)
    frame["year"] = pd.to_numeric(frame["year"]).astype(int)
    frame["value"] = pd.to_numeric(frame["value"]).astype(float)
    return _text_columns(frame, ["driver", "rationale", "source", "quote", "note"])[list(DRIVERS_SCHEMA.columns)]


def load_war_states(paths: Paths) -> pd.DataFrame:
    """Load and validate ``data/curated/war_states.csv`` (the ``ukraine_war`` history).

    Parameters
    ----------
    paths : hedgecast.config.Paths
        The project's folders.

    Returns
    -------
    pandas.DataFrame
        ``year, state, rationale, source, quote, note``; one row per year
        2000–2025; ``state`` one of :data:`WAR_STATES`. Index ``row``.

    Raises
    ------
    hedgecast.errors.DataError
        Listing every problem (unknown state, missing or duplicate years, …).

    """
    frame = _load(paths.curated / CURATED["war_states"], _CURATED_SPECS["war_states"], paths)
    frame["year"] = pd.to_numeric(frame["year"]).astype(int)
    return _text_columns(frame, ["state", "rationale", "source", "quote", "note"])[list(WAR_STATES_SCHEMA.columns)]


# ------------------------------------------------------------------------------------
# Public loaders: raw files
# ------------------------------------------------------------------------------------
def _load_raw(paths: Paths, key: str) -> pd.DataFrame:
    return _load(paths.raw / RAW[key], _RAW_SPECS[key], paths)


def load_unga(paths: Paths) -> pd.DataFrame:
    """Load and validate the UNGA ideal-point file (``data/raw/unga_…csv``).

    Returns all rows (both countries, all sessions) with ``ccode``, ``session``,
    ``year_session_start`` as int and ``RUSSAgree`` as float (NaN for ``NA``); other
    columns are kept as text. Raises :class:`~hedgecast.errors.DataError` on problems.
    """
    frame = _load_raw(paths, "unga")
    for c in ("ccode", "session", "year_session_start"):
        frame[c] = pd.to_numeric(frame[c]).astype(int)
    frame["RUSSAgree"] = pd.to_numeric(frame["RUSSAgree"]).astype(float)
    return frame


def load_cow_trade(paths: Paths) -> pd.DataFrame:
    """Load and validate the COW trade file and return TUR–RUS trade per year.

    Returns
    -------
    pandas.DataFrame
        Index ``year``; columns ``rus_exports_to_tur_usd_bn`` (flow2),
        ``tur_exports_to_rus_usd_bn`` (flow1) and ``trade_total_usd_bn``, in billions
        of current USD (the file is in millions). Rows are those with
        ccode1 = 365 (RUS), ccode2 = 640 (TUR); COW's missing code -9 becomes NaN.

    """
    frame = _load_raw(paths, "cow_trade")
    for c in ("ccode1", "ccode2", "year"):
        frame[c] = pd.to_numeric(frame[c]).astype(int)
    frame = frame[(frame["ccode1"] == RUS) & (frame["ccode2"] == TUR)]
    flows = {c: pd.to_numeric(frame[c]).astype(float) for c in ("flow1", "flow2")}
    flows = {c: v.where(v >= 0) / 1000.0 for c, v in flows.items()}
    out = pd.DataFrame(
        {
            "rus_exports_to_tur_usd_bn": flows["flow2"].to_numpy(),
            "tur_exports_to_rus_usd_bn": flows["flow1"].to_numpy(),
        },
        index=pd.Index(frame["year"].to_numpy(), name="year"),
    )
    out["trade_total_usd_bn"] = out.sum(axis=1, min_count=2)
    return out.sort_index()


def load_gdelt(paths: Paths) -> pd.DataFrame:
    """Load and validate the GDELT daily edge file.

    Returns ``date`` (datetime64), ``tur_rus_edge`` and ``tur_all_partners_rowsum``
    (float) plus the file's other columns as text.
    """
    frame = _load_raw(paths, "gdelt")
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    for c in ("tur_rus_edge", "tur_all_partners_rowsum"):
        frame[c] = pd.to_numeric(frame[c]).astype(float)
    return frame


def load_mid(paths: Paths) -> pd.DataFrame:
    """Load and validate the COW MID 5.0 directed dispute-year file (all years)."""
    frame = _load_raw(paths, "mid")
    for c in ("dispnum", "ccode1", "ccode2", "year", "hostlev1", "hostlev2"):
        frame[c] = pd.to_numeric(frame[c]).astype(int)
    return frame


# ------------------------------------------------------------------------------------
# Indicators from raw files
# ------------------------------------------------------------------------------------
def unga_agreement(unga: pd.DataFrame) -> pd.Series:
    """Türkiye's UNGA voting agreement with Russia per year.

    Parameters
    ----------
    unga : pandas.DataFrame
        As returned by :func:`load_unga`.

    Returns
    -------
    pandas.Series
        ``RUSSAgree`` of the TUR rows (ccode 640), indexed by ``year_session_start``
        (the year a session opens). Session 78 (2023) is dropped: it has only two
        Turkish votes (see ``data/raw/SOURCE.md``).

    """
    tur = unga[(unga["ccode"] == TUR) & ~unga["session"].isin(UNGA_DROP_SESSIONS)]
    return pd.Series(
        tur["RUSSAgree"].to_numpy(dtype=float),
        index=pd.Index(tur["year_session_start"].to_numpy(), name="year"),
        name="unga_agreement",
    ).sort_index()


def gdelt_tone(gdelt: pd.DataFrame, method: str = "ratio_of_sums") -> pd.Series:
    """Yearly GDELT Türkiye–Russia interaction score, % of Türkiye's total.

    Parameters
    ----------
    gdelt : pandas.DataFrame
        As returned by :func:`load_gdelt` (daily, 2018-01-01 → 2024-02-23, 96 days
        missing).
    method : {"ratio_of_sums", "mean_of_daily_ratios"}
        ``"ratio_of_sums"`` (default): ``100 × Σ tur_rus_edge / Σ
        tur_all_partners_rowsum`` over the available days of the year, i.e. the ratio
        of the yearly means. ``"mean_of_daily_ratios"``: the yearly mean of the daily
        ``100 × tur_rus_edge / tur_all_partners_rowsum``.

    Returns
    -------
    pandas.Series
        Indexed by year, 2018–2024.

    Notes
    -----
    The default differs from the daily-ratio mean on purpose. The daily denominator
    (Türkiye's Goldstein-weighted row sum) is close to zero or negative on about
    one day in seventeen (126 of 2,149 days), where the daily ratio explodes or flips
    sign (it reaches 21,605 % on 2019-10-09); a handful of such days then dominate a
    yearly mean (2019 would read 84 against a median day of 23). The ratio of sums is
    the same quantity weighted by each day's activity and is stable.

    2024 is kept although only 1 January – 23 February are available (54 days), so
    that year's value is noisier and seasonally unrepresentative.

    """
    year = gdelt["date"].dt.year
    if method == "ratio_of_sums":
        sums = gdelt.groupby(year)[["tur_rus_edge", "tur_all_partners_rowsum"]].sum()
        out = 100.0 * sums["tur_rus_edge"] / sums["tur_all_partners_rowsum"]
    elif method == "mean_of_daily_ratios":
        with np.errstate(divide="ignore", invalid="ignore"):
            daily = 100.0 * gdelt["tur_rus_edge"] / gdelt["tur_all_partners_rowsum"]
        out = daily.replace([np.inf, -np.inf], np.nan).groupby(year).mean()
    else:
        raise ValueError(f"unknown method {method!r}; use 'ratio_of_sums' or 'mean_of_daily_ratios'")
    out.index = pd.Index(out.index.astype(int), name="year")
    return out.rename("gdelt_tone").astype(float)


def mid_hostility(mid: pd.DataFrame, years: Iterable[int] = HISTORY_YEARS) -> pd.Series:
    """Highest hostility level of a Türkiye–Russia militarized dispute, per year.

    Parameters
    ----------
    mid : pandas.DataFrame
        As returned by :func:`load_mid` (directed dispute-years; both directions).
    years : iterable of int
        Years to report.

    Returns
    -------
    pandas.Series
        The maximum of ``hostlev1``/``hostlev2`` over the TUR–RUS dispute-years of
        each year (1 = no militarized action … 5 = war), 0 when there was none, for
        years up to 2014; NaN after 2014, where COW MID 5.0 coverage ends (absence of
        a dispute is then unknown, not zero).

    """
    dyad = mid[mid["ccode1"].isin([TUR, RUS]) & mid["ccode2"].isin([TUR, RUS]) & (mid["ccode1"] != mid["ccode2"])]
    level = dyad[["hostlev1", "hostlev2"]].where(dyad[["hostlev1", "hostlev2"]] > 0).max(axis=1)
    by_year = level.groupby(dyad["year"]).max()
    years = list(years)
    values = [float(by_year.get(y, 0.0)) if y <= MID_LAST_YEAR else np.nan for y in years]
    return pd.Series(values, index=pd.Index(years, name="year"), name="mid_hostility", dtype=float)


# ------------------------------------------------------------------------------------
# Indicators table and processed files
# ------------------------------------------------------------------------------------
def build_indicators(paths: Paths) -> pd.DataFrame:
    """All model indicators per year, in raw units.

    Parameters
    ----------
    paths : hedgecast.config.Paths
        The project's folders.

    Returns
    -------
    pandas.DataFrame
        Index ``year`` = 2000..2025 (every year present, never dropped); columns
        :data:`INDICATORS`; NaN where a year is unobserved:

        - ``trade_usd_bn`` — bilateral trade, both directions, current USD bn
          (curated series ``trade_total_usd_bn``);
        - ``gas_share_russia_pct``, ``crude_share_russia_pct`` — Russia's share of
          Türkiye's gas / crude-oil imports, %;
        - ``russian_tourists_k`` — Russian visitor arrivals, thousands;
        - ``leader_contacts`` — Putin–Erdoğan meetings + calls per year;
        - ``unga_agreement`` — TUR–RUS UNGA voting agreement (share), 2000–2022;
        - ``gdelt_tone`` — GDELT interaction score, % of Türkiye's total, 2018–2024
          (2024 from 1 Jan–23 Feb only; see :func:`gdelt_tone`);
        - ``mid_hostility`` — highest TUR–RUS MID hostility level, 0 if none,
          2000–2014 only (NaN after: COW coverage ends).

    Raises
    ------
    hedgecast.errors.DataError
        If any curated or raw file fails validation (all problems of all files).

    """
    years = pd.Index(HISTORY_YEARS, name="year")
    problems: list[Problem] = []
    loaded: dict[str, object] = {}
    for key, loader in (("series", load_series), ("unga", load_unga), ("gdelt", load_gdelt), ("mid", load_mid)):
        try:
            loaded[key] = loader(paths)
        except DataError as exc:
            problems += exc.problems
    if problems:
        raise DataError(problems)
    series: pd.DataFrame = loaded["series"]  # type: ignore[assignment]
    out = pd.DataFrame(index=years)
    for indicator, name in SERIES_INDICATORS.items():
        part = series[series["series"] == name]
        out[indicator] = (
            pd.Series(part["value"].to_numpy(float), index=part["year"].to_numpy()).reindex(years).to_numpy()
        )
    out["unga_agreement"] = unga_agreement(loaded["unga"]).reindex(years).to_numpy()  # type: ignore[arg-type]
    out["gdelt_tone"] = gdelt_tone(loaded["gdelt"]).reindex(years).to_numpy()  # type: ignore[arg-type]
    out["mid_hostility"] = mid_hostility(loaded["mid"], years).to_numpy()  # type: ignore[arg-type]
    return out[list(INDICATORS)].astype(float)


def build_driver_table(paths: Paths) -> pd.DataFrame:
    """Driver codings in wide form: index ``year`` 2000..2025, one column per driver
    (:data:`DRIVERS`) plus ``ukraine_war`` (the war-state name).
    """
    problems: list[Problem] = []
    codings = wars = None
    try:
        codings = load_driver_codings(paths)
    except DataError as exc:
        problems += exc.problems
    try:
        wars = load_war_states(paths)
    except DataError as exc:
        problems += exc.problems
    if problems:
        raise DataError(problems)
    years = pd.Index(HISTORY_YEARS, name="year")
    wide = codings.pivot(index="year", columns="driver", values="value").reindex(index=years, columns=list(DRIVERS))
    wide["ukraine_war"] = wars.set_index("year")["state"].reindex(years)
    wide.columns.name = None
    return wide


def build_crisis(paths: Paths) -> pd.DataFrame:
    """``year`` 2000..2025 and ``rupture_crisis`` (1 in a year with a rupture-scale event)."""
    events = load_events(paths)
    rupture_years = set(events.loc[events["rupture_scale"], "year"].astype(int))
    return pd.DataFrame(
        {"year": list(HISTORY_YEARS), "rupture_crisis": [int(y in rupture_years) for y in HISTORY_YEARS]}
    )


def _csv_text(frame: pd.DataFrame, index: bool) -> str:
    return frame.to_csv(index=index, float_format="%.10g", na_rep="", lineterminator="\n")


def build_processed(paths: Paths) -> Path:
    """Build ``data/processed/`` from the raw and curated files.

    Writes (UTF-8, ``\\n`` line ends, floats with 10 significant digits, empty cell
    for missing):

    - ``indicators.csv`` — :func:`build_indicators`, one row per year 2000–2025;
    - ``drivers.csv`` — year × driver codings plus ``ukraine_war`` (state name);
    - ``crisis.csv`` — ``year, rupture_crisis`` (1 in years with a rupture-scale
      event in ``events.csv``).

    Everything is validated and computed before anything is written, and each file
    is replaced atomically, so a failure leaves the previous outputs intact. The same
    inputs give byte-identical outputs.

    Parameters
    ----------
    paths : hedgecast.config.Paths
        The project's folders.

    Returns
    -------
    pathlib.Path
        The ``data/processed`` folder.

    Raises
    ------
    hedgecast.errors.DataError
        With the problems of every input file that fails validation.

    """
    problems: list[Problem] = []
    results: dict[str, pd.DataFrame] = {}
    for key, builder in (("indicators", build_indicators), ("drivers", build_driver_table), ("crisis", build_crisis)):
        try:
            results[key] = builder(paths)
        except DataError as exc:
            problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise DataError(problems)
    texts = {
        "indicators.csv": _csv_text(results["indicators"], index=True),
        "drivers.csv": _csv_text(results["drivers"], index=True),
        "crisis.csv": _csv_text(results["crisis"], index=False),
    }
    for name, text in texts.items():
        write_atomic(paths.processed / name, text)
    return paths.processed


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
    frames = {}
    errors: list[Problem] = []
    for key, loader in (
        ("series", load_series),
        ("events", load_events),
        ("drivers", load_driver_codings),
        ("war_states", load_war_states),
    ):
        try:
            frames[key] = loader(paths)
        except DataError as exc:
            errors += exc.problems
    if errors:
        raise DataError(errors)
    for key, frame in frames.items():
        shown = _display(paths.curated / CURATED[key], paths)
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
                problems.append(_at(shown, row, "source", f"seed file {source} not found in {paths.seeds}"))
            elif quote not in text[0] and normalise_whitespace(quote) not in text[1]:
                problems.append(_at(shown, row, "quote", f"quote not found verbatim in {source}: {_show(quote)}"))
    return problems
