"""``data/processed/``: built from the raw and curated files by :func:`build_processed`, never by hand."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from hedgecast.config import HISTORY_YEARS, Paths
from hedgecast.files import write_atomic
from hedgecast.inputs.curated import load_driver_codings, load_events, load_series, load_war_states
from hedgecast.inputs.raw import gdelt_tone, load_gdelt, load_mid, load_unga, mid_hostility, unga_agreement
from hedgecast.inputs.schemas import DRIVERS
from hedgecast.inputs.table import load_all

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


# ------------------------------------------------------------------------------------
# Indicators table and processed files
# ------------------------------------------------------------------------------------
def build_indicators(paths: Paths, years: Iterable[int] = HISTORY_YEARS) -> pd.DataFrame:
    """All model indicators per year, in raw units.

    Returns
    -------
    pandas.DataFrame
        Index ``year`` = ``years``, default 2000..2025 (every year present, never dropped); columns
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
    years = pd.Index(list(years), name="year")
    loaded = load_all({"series": load_series, "unga": load_unga, "gdelt": load_gdelt, "mid": load_mid}, paths)
    series: pd.DataFrame = loaded["series"]
    out = pd.DataFrame(index=years)
    for indicator, name in SERIES_INDICATORS.items():
        part = series[series["series"] == name]
        out[indicator] = pd.Series(part["value"].to_numpy(float), index=part["year"].to_numpy()).reindex(years).to_numpy()
    out["unga_agreement"] = unga_agreement(loaded["unga"]).reindex(years).to_numpy()
    out["gdelt_tone"] = gdelt_tone(loaded["gdelt"]).reindex(years).to_numpy()
    out["mid_hostility"] = mid_hostility(loaded["mid"], years).to_numpy()
    return out[list(INDICATORS)].astype(float)


def build_driver_table(paths: Paths) -> pd.DataFrame:
    """Return the driver codings in wide form, one row per year 2000..2025.

    One column per driver (:data:`~hedgecast.inputs.schemas.DRIVERS`) plus
    ``ukraine_war`` (the war-state name).
    """
    loaded = load_all({"drivers": load_driver_codings, "war_states": load_war_states}, paths)
    codings, wars = loaded["drivers"], loaded["war_states"]
    years = pd.Index(HISTORY_YEARS, name="year")
    wide = codings.pivot(index="year", columns="driver", values="value").reindex(index=years, columns=list(DRIVERS))
    wide["ukraine_war"] = wars.set_index("year")["state"].reindex(years)
    wide.columns.name = None
    return wide


def build_crisis(paths: Paths) -> pd.DataFrame:
    """``year`` 2000..2025 and ``rupture_crisis`` (1 in a year with a rupture-scale event)."""
    events = load_events(paths)
    rupture_years = set(events.loc[events["rupture_scale"], "year"].astype(int))
    return pd.DataFrame({"year": list(HISTORY_YEARS), "rupture_crisis": [int(y in rupture_years) for y in HISTORY_YEARS]})


def _csv_text(frame: pd.DataFrame, index: bool) -> str:
    return frame.to_csv(index=index, float_format="%.10g", na_rep="", lineterminator="\n")


def build_processed(paths: Paths) -> Path:
    r"""Build ``data/processed/`` from the raw and curated files.

    Writes (UTF-8, ``\n`` line ends, floats with 10 significant digits, empty cell
    for missing):

    - ``indicators.csv`` — :func:`build_indicators`, one row per year 2000–2025;
    - ``drivers.csv`` — year × driver codings plus ``ukraine_war`` (state name);
    - ``crisis.csv`` — ``year, rupture_crisis`` (1 in years with a rupture-scale
      event in ``events.csv``).

    Everything is validated and computed before anything is written, and each file
    is replaced atomically, so a failure leaves the previous outputs intact. The same
    inputs give byte-identical outputs.

    Returns
    -------
    pathlib.Path
        The ``data/processed`` folder.

    Raises
    ------
    hedgecast.errors.DataError
        With the problems of every input file that fails validation.

    """
    results = load_all({"indicators": build_indicators, "drivers": build_driver_table, "crisis": build_crisis}, paths)
    texts = {
        "indicators.csv": _csv_text(results["indicators"], index=True),
        "drivers.csv": _csv_text(results["drivers"], index=True),
        "crisis.csv": _csv_text(results["crisis"], index=False),
    }
    for name, text in texts.items():
        write_atomic(paths.processed / name, text)
    return paths.processed
