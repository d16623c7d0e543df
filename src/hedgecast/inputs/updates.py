"""New years of data: the fitted history runs on to the last year the data cover.

The spec file's ``model.history`` (``[2000, 2025]``) is fixed: it is the **centring period**
(drivers are centred, indicators standardized over it, so a new year does not move the
scale of the parameters) and the least history a fit has. Data for later years extend the
fitted record automatically (:func:`extend_to_data`, called by
:meth:`hedgecast.workbench.Workbench.load`):

* the fitted history ends at the **last year with a coding of every continuous driver**
  (``drivers.csv``) **and a war state** (``war_states.csv``), every year before it included;
  indicator values (``series.csv``, raw files) and incidents (``incidents.csv``) of those years
  enter the fit, missing cells are filled by the latent state as any other gap;
* the **forecast keeps its length** (``model.forecast``: 10 years) and starts the year after
  the history: with 2026 data the forecast covers 2027–2036. Headline years that still lie in
  the forecast are kept (else the default ones). Questions keep their own dated windows:
  window years that are now observed are read from the record, not simulated
  (:func:`hedgecast.forecasting.questions.path_values`);
* a **partial year** — one not over yet, or one in which an indicator observed in any of the
  three years before has no value yet (or only a ``PARTIAL:`` one) — is accepted only if its ``war_states.csv`` row says so: a note
  starting ``PARTIAL:`` (e.g. ``PARTIAL: trade and visitors published, the rest pending``).
  Otherwise loading fails (exit 2) naming the file, the year and the indicators still missing.
  :func:`new_year_status` says, for every new year, which indicators are still missing (shown by
  ``hedgecast check``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hedgecast.config import LAST_HISTORY_YEAR, Paths
from hedgecast.errors import DataError, Problem
from hedgecast.inputs import flags
from hedgecast.inputs.curated import CURATED, load_driver_codings, load_war_states
from hedgecast.inputs.flags import PARTIAL, excluded_cells, flag_of
from hedgecast.inputs.processed import build_indicators
from hedgecast.inputs.spec import ModelSpec, default_headline_years
from hedgecast.inputs.table import display_path

LOOKBACK = 3
"""An indicator observed in any of the 3 years before a new year is expected in it: "still missing" until it has a value."""

__all__ = ["NewYear", "extend_to_data", "last_data_year", "new_year_status", "with_history_end"]


@dataclass(frozen=True)
class NewYear:
    """A year after the spec's history that the data cover, and what it still lacks."""

    year: int
    missing: tuple[str, ...]  # indicators observed in the LOOKBACK years before, without a (complete) value in this year
    declared_partial: bool  # its war_states.csv row's note starts with PARTIAL:
    not_over: bool  # the calendar year is not over yet

    @property
    def partial(self) -> bool:
        return bool(self.missing) or self.not_over

    def describe(self) -> str:
        if not self.partial:
            return f"{self.year}: every indicator observed in {self.year - LOOKBACK}–{self.year - 1} has a value"
        why = []
        if self.not_over:
            why.append("the year is not over")
        if self.missing:
            why.append("still missing: " + ", ".join(self.missing))
        flag = "declared PARTIAL" if self.declared_partial else "NOT declared partial"
        return f"{self.year} ({flag}): " + "; ".join(why)


def last_data_year(spec: ModelSpec, paths: Paths) -> int:
    """The last year with a coding of every continuous driver and a war state, every year before it too (≥ the spec's history end).

    Only a spec whose history ends with the base record (:data:`~hedgecast.config.LAST_HISTORY_YEAR`,
    2025) is extended: one that stops earlier (e.g. for a test) keeps its history.
    """
    end = spec.centring_period[1]
    if end < LAST_HISTORY_YEAR:
        return end
    codings = load_driver_codings(paths)
    wars = load_war_states(paths)
    coded = {int(y) for y in wars["year"]}
    for d in spec.continuous_drivers:
        coded &= {int(y) for y in codings.loc[codings["driver"] == d, "year"]}
    year = end
    while year + 1 in coded:
        year += 1
    return year


def with_history_end(spec: ModelSpec, last: int) -> ModelSpec:
    """``spec`` with its fitted history ending in ``last`` and the forecast (same length) after it."""
    centring = spec.centring_period
    if last == spec.history[1]:
        return spec if spec.centring else dataclasses.replace(spec, centring=centring)
    length = spec.forecast[1] - spec.forecast[0] + 1
    forecast = (last + 1, last + length)
    headline = tuple(y for y in spec.headline_years if forecast[0] <= y <= forecast[1]) or default_headline_years(forecast)
    return dataclasses.replace(spec, history=(spec.history[0], last), forecast=forecast, headline_years=headline, centring=centring)


def new_year_status(spec: ModelSpec, paths: Paths) -> list[NewYear]:
    """Every year after the spec's centring period up to :func:`last_data_year`, with the indicators it still lacks."""
    end, last = spec.centring_period[1], last_data_year(spec, paths)
    if last <= end:
        return []
    years = list(range(end - LOOKBACK + 1, last + 1))
    indicators = build_indicators(paths, years)[spec.indicator_names]
    excluded = excluded_cells(paths, spec.indicator_names)
    for indicator, year in zip(excluded["indicator"], excluded["year"], strict=True):
        if year in indicators.index:
            indicators.loc[year, indicator] = np.nan
    wars = load_war_states(paths).set_index("year")
    now = flags.today()
    out = []
    for year in range(end + 1, last + 1):
        before, this = indicators.loc[year - LOOKBACK : year - 1], indicators.loc[year]
        missing = tuple(i for i in spec.indicator_names if before[i].notna().any() and not np.isfinite(this[i]))
        note = wars.loc[year, "note"] if year in wars.index else ""
        declared = flag_of(note if isinstance(note, str) else "") == "partial"
        out.append(NewYear(year, missing, declared, year >= now.year))
    return out


def extend_to_data(spec: ModelSpec, paths: Paths) -> ModelSpec:
    """The spec whose history runs to the last year the data cover (see the module docstring).

    Raises
    ------
    DataError
        A partial new year whose ``war_states.csv`` row does not start its note with ``PARTIAL:``.

    """
    status = new_year_status(spec, paths)
    shown = display_path(paths.curated / CURATED["war_states"], paths)
    problems = [
        Problem(
            shown,
            f"year {y.year}",
            f"{y.describe()}; a year that is still coming in enters the fit only if its row's note starts with "
            f"'{PARTIAL}' (say what is in and what is pending)",
        )
        for y in status
        if y.partial and not y.declared_partial
    ]
    if problems:
        raise DataError(problems)
    return with_history_end(spec, status[-1].year if status else spec.centring_period[1])


def new_years_frame(status: list[NewYear]) -> pd.DataFrame:
    """``year, partial, declared_partial, missing`` per new year (for tables)."""
    return pd.DataFrame(
        [{"year": y.year, "partial": y.partial, "declared_partial": y.declared_partial, "missing": ", ".join(y.missing)} for y in status],
        columns=["year", "partial", "declared_partial", "missing"],
    )


def load_record(spec: ModelSpec, paths: Paths):
    """``(spec, history)``: the spec extended to the last year the data cover, and its :class:`~hedgecast.inputs.history.History`."""
    from hedgecast.inputs.history import load_history

    spec = extend_to_data(spec, paths)
    return spec, load_history(spec, paths)
