"""The vocabulary of the data files and the pandera schema of each file.

The schemas check the string cells as read (see :mod:`hedgecast.inputs.table`), each
with a message a user can act on; checks across columns and rows live with the
loaders (:mod:`hedgecast.inputs.curated`, :mod:`hedgecast.inputs.raw`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from hedgecast.config import FIRST_YEAR, LAST_DATA_YEAR

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

INCIDENT_TYPES: tuple[str, ...] = (
    "shootdown",
    "lethal_strike",
    "assassination",
    "shipping_strike",
    "seizure",
    "airspace_clash",
    "airspace_violation",
    "show_of_force",
    "militarized_dispute",
)
"""Types of a bilateral incident in ``incidents.csv`` (``data/curated/README.md``, Type vocabulary)."""

INCLUSION_LEVELS: tuple[str, ...] = ("strict", "main", "loose")
"""Inclusion rules of ``incidents.csv``, strictest first: strict ⊂ main ⊂ loose."""

FIRST_INCIDENT_YEAR = 1992
"""``incidents.csv`` records incidents since 1992 (the first year of the Russian Federation)."""

LAST_YEAR = 2100
"""No year in a data file is later than this (a typo guard)."""

SOURCE_SEPARATOR = " | "
"""Separates several sources in one ``source``/``sources`` cell."""

_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
_EVENT_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ------------------------------------------------------------------------------------
# Checks on the string cells, with user-facing messages
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
    """Return a text column; ``required`` means every cell must be non-empty."""
    return pa.Column(None, checks=list(checks), nullable=not required)


def _number(*checks: pa.Check, required: bool = True) -> pa.Column:
    return pa.Column(None, checks=[_check(_is_number, "must be a number"), *checks], nullable=not required)


def _integer(*checks: pa.Check, required: bool = True) -> pa.Column:
    return pa.Column(None, checks=[_check(_is_integer, "must be a whole number"), *checks], nullable=not required)


def _year(lo: int = FIRST_YEAR, hi: int = LAST_DATA_YEAR) -> pa.Column:
    return _integer(_check(_within(lo, hi), f"year must be within {lo}–{hi}"))


def _identifier(column: str) -> pa.Column:
    return _text(_check(_matches(_EVENT_ID), f"{column} must use only a-z, 0-9 and _ (e.g. 2015_su24_shootdown)"))


def _date(first: int | None = None, last: int | None = None, *, hint: str = "") -> pa.Column:
    """Return an ISO date column whose year is ``first`` to ``last`` (open-ended: to :data:`LAST_YEAR`).

    ``hint``: how to write a date known only in part.
    """
    checks = [_check(_valid_date, f"date must be an ISO date YYYY-MM-DD{hint}")]
    if first is not None:
        within = f"date must fall within {first}–{last}" if last is not None else f"date must be in {first} or later"
        checks.append(_check(_date_year_within(first, LAST_YEAR if last is None else last), within))
    return _text(*checks)


def _provenance_columns() -> dict[str, pa.Column]:
    return {
        "source": _text(),
        "quote": _text(required=False),
        "note": _text(required=False),
    }


def _schema(name: str, columns: dict[str, pa.Column], *, sourced: bool = False) -> pa.DataFrameSchema:
    """Return the schema of the file ``name``: ``columns`` in file order, then (``sourced``) the provenance columns."""
    return pa.DataFrameSchema({**columns, **(_provenance_columns() if sourced else {})}, name=name)


# ------------------------------------------------------------------------------------
# One schema per file
# ------------------------------------------------------------------------------------
SERIES_SCHEMA = _schema(
    "series",
    {
        "series": _text(_check(_matches(_SNAKE), "series name must be snake_case (a-z, 0-9, _)")),
        "year": _year(),
        "value": _number(),
        "unit": _text(),
    },
    sourced=True,
)

EVENTS_SCHEMA = _schema(
    "events",
    {
        "event_id": _identifier("event_id"),
        "date": _date(FIRST_YEAR, LAST_DATA_YEAR, hint=" (use YYYY-MM-01 when only the month is known)"),
        "title": _text(),
        "channel": _text(_check(_one_of(CHANNELS), f"channel must be one of {', '.join(CHANNELS)}")),
        "direction": _text(_check(_one_of(("+1", "-1", "1")), "direction must be +1 (warming) or -1 (cooling)")),
        "size": _text(_check(_one_of(("1", "2", "3")), "size must be 1, 2 or 3 (3 = rupture-scale)")),
        "rupture_scale": _text(_check(_one_of(("true", "false"), case=False), "rupture_scale must be true or false")),
    },
    sourced=True,
)

DRIVERS_SCHEMA = _schema(
    "drivers",
    {
        "driver": _text(_check(_one_of(DRIVERS), f"unknown driver; the valid drivers are {', '.join(DRIVERS)}")),
        "year": _year(),
        "value": _number(_check(_within(-1.0, 1.0), "value must be within -1..1 (0..1 for most drivers)")),
        "rationale": _text(),
    },
    sourced=True,
)

INCIDENTS_SCHEMA = _schema(
    "incidents",
    {
        "incident_id": _identifier("incident_id"),
        "date": _date(FIRST_INCIDENT_YEAR, hint=" (YYYY-MM-01 when only the month is known, YYYY-01-01 the year)"),
        "type": _text(_check(_one_of(INCIDENT_TYPES), f"unknown incident type; valid types are {', '.join(INCIDENT_TYPES)}")),
        "description": _text(),
        "fatalities": _integer(
            _check(_within(0, 1e9), "fatalities must be 0 or more (leave the cell empty when unknown)"), required=False
        ),
        "escalated": _text(_check(_one_of(("true", "false"), case=False), "escalated must be true or false")),
        "inclusion": _text(
            _check(_one_of(INCLUSION_LEVELS), f"inclusion must be one of {', '.join(INCLUSION_LEVELS)} (the rule the incident meets)")
        ),
        "sources": _text(),
        "note": _text(required=False),
    },
)

WAR_STATES_SCHEMA = _schema(
    "war_states",
    {
        "year": _year(),
        "state": _text(_check(_one_of(WAR_STATES), f"unknown war state; valid states are {', '.join(WAR_STATES)}")),
        "rationale": _text(),
    },
    sourced=True,
)

UNGA_SCHEMA = _schema(
    "unga",
    {
        "ccode": _integer(),
        "session": _integer(_check(_within(1, 200), "session must be a positive session number")),
        "RUSSAgree": _number(_check(_within(0.0, 1.0), "RUSSAgree must be a share within 0..1"), required=False),
        "year_session_start": _integer(_check(_within(1946, LAST_YEAR), "year_session_start must be a year from 1946")),
    },
)

COW_TRADE_SCHEMA = _schema(
    "cow_trade",
    {
        "ccode1": _integer(),
        "ccode2": _integer(),
        "year": _integer(_check(_within(1800, LAST_YEAR), "year out of range")),
        "flow1": _number(_check(_within(-9, 1e9), "flow1 must be >= 0 (or -9 = missing)"), required=False),
        "flow2": _number(_check(_within(-9, 1e9), "flow2 must be >= 0 (or -9 = missing)"), required=False),
    },
)

MID_SCHEMA = _schema(
    "mid",
    {
        "dispnum": _integer(),
        "ccode1": _integer(),
        "ccode2": _integer(),
        "year": _integer(_check(_within(1800, LAST_YEAR), "year out of range")),
        "hostlev1": _integer(_check(_within(-9, 5), "hostlev1 must be 1..5 (or -9 = missing)")),
        "hostlev2": _integer(_check(_within(-9, 5), "hostlev2 must be 1..5 (or -9 = missing)")),
    },
)

GDELT_SCHEMA = _schema(
    "gdelt",
    {
        "date": _date(),
        "tur_rus_edge": _number(),
        "tur_all_partners_rowsum": _number(),
    },
)
