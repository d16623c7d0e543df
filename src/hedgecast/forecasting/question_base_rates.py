"""Base rates of the questions: the same rule applied to the project's own record.

Each question is decided on the record with :func:`hedgecast.forecasting.questions.judge` — the
function that decides it on simulated paths — and the share of YES is a
:class:`~hedgecast.forecasting.base_rates.Rate` with its Jeffreys interval
(Beta(k + ½, n − k + ½), central 90%).

The records:

* an indicator: its observed values over the history years (``History.indicators``: values
  flagged ``UNSOURCED:`` or ``PARTIAL:`` are missing there, as in the fit);
* rupture events: the years with at least one escalated incident, and serious incidents: the
  number per year under the question's inclusion rule, both from ``data/curated/incidents.csv``
  over complete years from :data:`~hedgecast.inputs.schemas.FIRST_INCIDENT_YEAR` (1992) to the
  last history year.

How the rate is computed depends on the question's window of ``L`` years:

* ``L = 1``: the share of record years in which the rule holds (years with the value observed);
* an event question "at least one … in L years": the yearly rate r of the event and
  1 − (1 − r)^L, with the interval mapped the same way (years independent), as the headline's
  base rates do (:meth:`Rate.within`);
* any other window: the share of the record's windows of L consecutive years, every year
  observed, in which the rule holds. Windows overlap (they share years), so they are not
  independent trials: the interval is narrower than the record justifies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hedgecast.forecasting.base_rates import Rate
from hedgecast.forecasting.questions import judge
from hedgecast.inputs.history import History, incident_counts
from hedgecast.inputs.questions_file import Question, QuestionSet
from hedgecast.inputs.schemas import FIRST_INCIDENT_YEAR

__all__ = ["BaseRate", "base_rate", "base_rates", "record_series"]


@dataclass(frozen=True)
class BaseRate:
    """A question's base rate: the estimate, its 90% Jeffreys interval, and how it was computed."""

    question: str
    rate: Rate | None
    probability: float
    low: float
    high: float
    method: str


def record_series(question: Question, history: History, incidents: pd.DataFrame) -> pd.Series:
    """The question's observable in the record, per year (NaN where not observed)."""
    last = history.years[-1]
    if question.kind == "indicator":
        return history.indicators[question.observable].astype(float)
    counts = incident_counts(incidents, list(range(FIRST_INCIDENT_YEAR, last + 1)))
    if question.observable == "rupture":
        return (counts["escalated"] > 0).astype(float)
    return counts[question.inclusion].astype(float)


def _span(years: list[int]) -> str:
    return f"{min(years)}–{max(years)}" if years else "no year"


def base_rate(question: Question, history: History, incidents: pd.DataFrame) -> BaseRate:
    """The base rate of one question from the record (see the module docstring for the method)."""
    series = record_series(question, history, incidents).sort_index()
    L = len(question.window)
    source = "incidents.csv" if question.kind == "event" else "the record (unsourced values missing)"
    if L == 1 or (question.kind == "event" and question.aggregate == "any"):
        one_year = question if L == 1 else _one_year(question)
        seen = series.dropna()
        years = [int(y) for y in seen.index]
        hits = judge(seen.to_numpy()[:, None], one_year)
        rate = Rate(question.id, question.title, int(hits.sum()), len(hits), "year", _span(years))
        if not rate.trials:
            return BaseRate(
                question.id, None, float("nan"), float("nan"), float("nan"), f"no observed year of {question.observable} in {source}"
            )
        if L == 1:
            lo, hi = rate.interval
            return BaseRate(question.id, rate, rate.estimate, lo, hi, f"share of observed years in {source}: {rate.describe()}")
        p, lo, hi = rate.within(L)
        text = f"yearly rate {rate.describe()}; P(at least one in {L} years) = 1 − (1 − rate)^{L}, years taken as independent"
        return BaseRate(question.id, rate, p, lo, hi, text)
    values = series.to_numpy(dtype=float)
    index = [int(y) for y in series.index]
    starts = [i for i in range(len(values) - L + 1) if index[i + L - 1] - index[i] == L - 1 and np.isfinite(values[i : i + L]).all()]
    if not starts:
        return BaseRate(
            question.id, None, float("nan"), float("nan"), float("nan"), f"no window of {L} consecutive observed years in {source}"
        )
    windows = np.stack([values[i : i + L] for i in starts])
    hits = judge(windows, question)
    covered = sorted({index[i + k] for i in starts for k in range(L)})
    rate = Rate(question.id, question.title, int(hits.sum()), len(hits), f"{L}-year window", _span(covered))
    lo, hi = rate.interval
    text = (
        f"share of the record's {L}-year windows (consecutive, fully observed) in {source}: {rate.describe()}; "
        "windows overlap, so the interval is too narrow"
    )
    return BaseRate(question.id, rate, rate.estimate, lo, hi, text)


def _one_year(question: Question) -> Question:
    """The yearly version of an "at least one event in L years" question (for the yearly rate)."""
    from dataclasses import replace

    return replace(question, years=(question.years[0], question.years[0]), aggregate="value")


def base_rates(qset: QuestionSet, history: History, incidents: pd.DataFrame) -> Mapping[str, BaseRate]:
    """Base rate of every question, by id."""
    return {q.id: base_rate(q, history, incidents) for q in qset.questions}
