"""Load, validate and combine the project's data files (one import for all of them).

Three layers (see ``DESIGN.md``, section Data):

``data/raw/``
    Public extracts exactly as obtained (UNGA voting, COW trade, GDELT daily edge,
    COW militarized disputes); provenance in ``data/raw/SOURCE.md``. Loaders and the
    indicators read from them: :mod:`hedgecast.inputs.raw`.
``data/curated/``
    Hand-curated CSV files, one row per value, each with ``source``, ``quote`` and
    ``note``: ``series.csv``, ``events.csv``, ``drivers.csv``, ``war_states.csv``; and
    ``incidents.csv`` (serious bilateral incidents since 1992, with ``sources``).
    Loaders and the seed-quote check: :mod:`hedgecast.inputs.curated`.
``data/processed/``
    Built by :func:`build_processed` from the two above, never by hand
    (:mod:`hedgecast.inputs.processed`).

Every file is validated against a pandera schema (:mod:`hedgecast.inputs.schemas`)
when it is loaded. All problems in a file are collected and raised together as one
:class:`~hedgecast.errors.DataError`; each problem names the file and, for a bad
value, ``row N, column C`` where rows are counted as in a spreadsheet (the header is
row 1, the first data row is row 2). No pandas, pandera or csv exception escapes
(:mod:`hedgecast.inputs.table`).

Loaded frames keep that spreadsheet row number as their index (named ``row``), so a
later check can still point at the line to fix.

Examples
--------
>>> from hedgecast.config import Paths
>>> from hedgecast.inputs import data
>>> paths = Paths.discover()                      # doctest: +SKIP
>>> data.build_indicators(paths).loc[2022]         # doctest: +SKIP

"""

from __future__ import annotations

from hedgecast.inputs.curated import (
    CURATED,
    load_driver_codings,
    load_events,
    load_incidents,
    load_series,
    load_war_states,
    seed_quote_problems,
)
from hedgecast.inputs.processed import (
    INDICATORS,
    SERIES_INDICATORS,
    build_crisis,
    build_driver_table,
    build_indicators,
    build_processed,
)
from hedgecast.inputs.raw import (
    RAW,
    gdelt_tone,
    load_cow_trade,
    load_gdelt,
    load_mid,
    load_unga,
    mid_hostility,
    unga_agreement,
)
from hedgecast.inputs.schemas import CHANNELS, DRIVER_RANGES, DRIVERS, INCIDENT_TYPES, INCLUSION_LEVELS, WAR_STATES
from hedgecast.inputs.table import ROW_CONVENTION

__all__ = [
    "CHANNELS",
    "CURATED",
    "DRIVERS",
    "DRIVER_RANGES",
    "INCIDENT_TYPES",
    "INCLUSION_LEVELS",
    "INDICATORS",
    "RAW",
    "ROW_CONVENTION",
    "SERIES_INDICATORS",
    "WAR_STATES",
    "build_crisis",
    "build_driver_table",
    "build_indicators",
    "build_processed",
    "gdelt_tone",
    "load_cow_trade",
    "load_driver_codings",
    "load_events",
    "load_gdelt",
    "load_incidents",
    "load_mid",
    "load_series",
    "load_unga",
    "load_war_states",
    "mid_hostility",
    "seed_quote_problems",
    "unga_agreement",
]
