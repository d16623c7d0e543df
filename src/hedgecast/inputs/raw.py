"""The public extracts in ``data/raw/``, exactly as obtained, and the indicators read from them.

UNGA voting (Bailey–Strezhnev–Voeten ideal points), COW trade, the GDELT daily
Türkiye–Russia edge and COW militarized disputes; provenance in ``data/raw/SOURCE.md``.
Each file is validated on load (see :mod:`hedgecast.inputs.table`); columns the model
does not read are kept as text.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from hedgecast.config import HISTORY_YEARS, Paths
from hedgecast.errors import Problem
from hedgecast.inputs.schemas import COW_TRADE_SCHEMA, GDELT_SCHEMA, MID_SCHEMA, UNGA_SCHEMA
from hedgecast.inputs.table import FileSpec, cell_problem, load_table

RAW = {
    "unga": "unga_idealpoints_TUR_RUS_bsv_jun2024.csv",
    "cow_trade": "peacesciencer_cow_trade_v4_TUR_RUS.csv",
    "gdelt": "gdelt_graph_daily_TUR_RUS_edge_2018_2024.csv",
    "mid": "peacesciencer_cow_mid5_dirdisps_TUR_RUS.csv",
}
"""File of each raw extract, under ``data/raw/``."""

TUR, RUS = 640, 365  # COW country codes
UNGA_DROP_SESSIONS = (78,)  # only 2 TUR votes (see data/raw/SOURCE.md)
MID_LAST_YEAR = 2014  # COW MID 5.0 coverage ends here


def _unga_checks(frame: pd.DataFrame, shown: str) -> list[Problem]:
    out = []
    for row, session, year in zip(frame.index, frame["session"], frame["year_session_start"], strict=True):
        s, y = pd.to_numeric(session, errors="coerce"), pd.to_numeric(year, errors="coerce")
        if pd.notna(s) and pd.notna(y) and y != s + 1945:
            out.append(cell_problem(shown, row, "year_session_start", f"should be session + 1945 = {int(s) + 1945} (found {int(y)})"))
    return out


_SPECS = {
    "unga": FileSpec(UNGA_SCHEMA, strict=False, na_values=("", "NA"), extra_checks=[_unga_checks]),
    "cow_trade": FileSpec(COW_TRADE_SCHEMA, strict=False, na_values=("", "NA")),
    "gdelt": FileSpec(GDELT_SCHEMA, strict=False, na_values=("", "NA")),
    "mid": FileSpec(MID_SCHEMA, strict=False, na_values=("", "NA")),
}


def _load_raw(paths: Paths, key: str, *, ints: Iterable[str] = (), floats: Iterable[str] = ()) -> pd.DataFrame:
    """Load and validate one raw file; ``ints`` and ``floats`` columns become numbers, the rest stays text."""
    frame = load_table(paths.raw / RAW[key], _SPECS[key], paths)
    for c in ints:
        frame[c] = pd.to_numeric(frame[c]).astype(int)
    for c in floats:
        frame[c] = pd.to_numeric(frame[c]).astype(float)
    return frame


# ------------------------------------------------------------------------------------
# Public loaders
# ------------------------------------------------------------------------------------
def load_unga(paths: Paths) -> pd.DataFrame:
    """Load and validate the UNGA ideal-point file (``data/raw/unga_…csv``).

    Returns all rows (both countries, all sessions) with ``ccode``, ``session``,
    ``year_session_start`` as int and ``RUSSAgree`` as float (NaN for ``NA``); other
    columns are kept as text. Raises :class:`~hedgecast.errors.DataError` on problems.
    """
    return _load_raw(paths, "unga", ints=("ccode", "session", "year_session_start"), floats=("RUSSAgree",))


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
    frame = _load_raw(paths, "cow_trade", ints=("ccode1", "ccode2", "year"))
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
    frame = _load_raw(paths, "gdelt", floats=("tur_rus_edge", "tur_all_partners_rowsum"))
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    return frame


def load_mid(paths: Paths) -> pd.DataFrame:
    """Load and validate the COW MID 5.0 directed dispute-year file (all years)."""
    return _load_raw(paths, "mid", ints=("dispnum", "ccode1", "ccode2", "year", "hostlev1", "hostlev2"))


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
