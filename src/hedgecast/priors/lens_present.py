"""A lens's reading of the present: its own codings of the recent driver years, with provenance.

The shared codings (``data/curated/drivers.csv``) are one reading of 2023–2025; a paper may
read the present differently (warmer leader ties, calmer friction). A lens file may override
those years, driver by driver, in a ``[present.<driver>]`` table::

    [present.leader_ties]                     # the years below share this provenance
    2023 = 0.7
    2024 = 0.7
    source = "002_a8cae03e785edc1d.txt"
    quote = "a verbatim passage"
    reason = "how the passage maps to the number"

    [present.leader_ties.2025]                # a year with its own provenance
    value = 0.7
    source = "002_a8cae03e785edc1d.txt"
    quote = "another passage"
    reason = "the paper's last reading, carried forward"

Only the last years of the history may be read (:func:`present_years`: 2023–2025 for a
history ending in 2025), each value within the driver's range, and every year needs a source
and verbatim quote or a reason (its own, or its table's). A lens that extends another inherits
its readings; its own replace them year by year. The fit of a lens uses its readings in place of
the shared codings, and so does its forecast, which starts from the last year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hedgecast.errors import ProblemCollector, suggest
from hedgecast.inputs.provenance import PROVENANCE_KEYS, Provenance
from hedgecast.inputs.spec import ModelSpec
from hedgecast.inputs.spec_toml import is_finite_number

PRESENT_SPAN = 3
"""How many of the last history years a lens may read (2023–2025 for a history ending in 2025)."""


@dataclass(frozen=True)
class PresentReading:
    """One lens's coding of one driver in one recent year, with where it came from."""

    value: float
    provenance: Provenance

    def to_toml(self) -> dict[str, Any]:
        return {"value": self.value, **self.provenance.to_dict()}


def present_years(spec: ModelSpec) -> list[int]:
    """The history years a lens may read: the last :data:`PRESENT_SPAN` of the centring period and any later year of the history."""
    end = getattr(spec, "centring_period", spec.history)[1]
    return [y for y in spec.history_years if y > end - PRESENT_SPAN]


def parse_present(
    raw: Any, spec: ModelSpec, problems: ProblemCollector, base: Mapping[tuple[str, int], PresentReading]
) -> dict[tuple[str, int], PresentReading]:
    """Resolve a ``[present]`` table: ``(driver, year) -> PresentReading``; ``base`` (the parent lens) fills the rest.

    Every problem is recorded in ``problems`` with its dotted field (``present.<driver>.<year>``).
    """
    found: dict[tuple[str, int], PresentReading] = dict(base)
    if raw is None:
        return found
    if not isinstance(raw, dict):
        problems.add("present", f"must be a table of drivers ([present.leader_ties] …), got {raw!r}")
        return found
    drivers = list(spec.continuous_drivers)
    years = present_years(spec)
    span = f"{years[0]}–{years[-1]}"
    for driver, node in raw.items():
        field = f"present.{driver}"
        if driver not in drivers:
            problems.add(field, f"unknown driver '{driver}': {suggest(driver, drivers)} (a lens reads the continuous drivers)")
            continue
        if not isinstance(node, dict):
            problems.add(field, f"must be a table of years ({years[0]} = 0.5 …) with a source + quote or a reason, got {node!r}")
            continue
        lo, hi = spec.drivers[driver].range
        shared = {k: node[k] for k in PROVENANCE_KEYS if k in node}
        entries = {k: v for k, v in node.items() if k not in PROVENANCE_KEYS}
        if not entries:
            problems.add(field, f"reads no year: give {years[0]} = value … for years in {span}")
            continue
        for key, entry in entries.items():
            where = f"{field}.{key}"
            year = int(key) if str(key).isdigit() else None
            if year is None:
                problems.add(where, f"'{key}' is neither a year ({span}) nor source, quote or reason")
                continue
            if year not in years:
                problems.add(where, f"year {year} is outside {span}: a lens reads only the present (the last {PRESENT_SPAN} history years)")
                continue
            own = entry if isinstance(entry, dict) else {}
            value = own.get("value") if isinstance(entry, dict) else entry
            vfield = f"{where}.value" if isinstance(entry, dict) else where
            if isinstance(entry, dict):
                for extra in sorted(set(own) - {"value", *PROVENANCE_KEYS}):
                    problems.add(f"{where}.{extra}", f"unknown key '{extra}': {suggest(extra, ['value', *PROVENANCE_KEYS])}")
            if not is_finite_number(value):
                hint = " (remove the quotes)" if isinstance(value, str) else ""
                problems.add(vfield, f"must be a number within {lo:g}..{hi:g}, got {value!r}{hint}")
                continue
            if not lo <= float(value) <= hi:
                problems.add(vfield, f"{driver} must be within {lo:g}..{hi:g} (found {float(value):g})")
                continue
            table = {**shared, **{k: own[k] for k in PROVENANCE_KEYS if k in own}}
            provenance, wrong = Provenance.from_table(table)
            if wrong:
                for pfield, message in wrong:
                    problems.add(f"{where}.{pfield}", message)
                continue
            found[(driver, year)] = PresentReading(float(value), provenance)
    return found


def present_toml(present: Mapping[tuple[str, int], PresentReading]) -> dict[str, Any]:
    """Return ``[present]`` as a TOML-ready dict: one sub-table per year, each with its provenance."""
    tree: dict[str, Any] = {}
    for (driver, year), reading in sorted(present.items()):
        tree.setdefault(driver, {})[str(year)] = reading.to_toml()
    return tree


def present_fingerprint(present: Mapping[tuple[str, int], PresentReading]) -> dict[str, Any]:
    """What a lens fingerprint adds for its readings (nothing when it has none)."""
    return {"present": present_toml(present)} if present else {}
