"""The trajectory classes of the observed record: the same rules, applied to what happened.

:func:`realised_class` reads the History (indicators in their own units, ``UNSOURCED:``
values missing as everywhere else; rupture events as years with at least one escalated
incident of ``data/curated/incidents.csv``) and returns the class of a past year, or
``undetermined`` with the inputs the record lacks. The backtests score their class
forecasts against it. :func:`record_from_inputs` gives a forecast the same record from its
model inputs, whose indicators it maps back to their own units with
:func:`hedgecast.inputs.history.to_raw_units`, the map the fan charts use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hedgecast.errors import Problem
from hedgecast.forecasting.rule_variables import (
    COUNT_TRANSFORM,
    EVENT_VARIABLES,
    RuleRecord,
    round_counts,
    rule_environment,
    rule_indicators,
    undetermined_references,
)
from hedgecast.forecasting.trajectories import rule_names, rule_truths
from hedgecast.inputs.history import History, to_raw_units
from hedgecast.inputs.spec import ModelSpec
from hedgecast.model.equations import ModelInputs

UNDETERMINED = "undetermined"


def count_flags(spec: ModelSpec) -> list[bool]:
    """Per rule indicator: whether it is a count (rounded to whole counts in the rules)."""
    return [spec.indicators[n].transform == COUNT_TRANSFORM for n in rule_indicators(spec.indicators)]


def record_from_history(spec: ModelSpec, history: History) -> RuleRecord:
    """The record the rules read, from the History: own-unit indicators and escalated incidents."""
    names = rule_indicators(spec.indicators)
    values = history.indicators.reindex(history.years)[names].astype(float)
    values = pd.DataFrame(round_counts(values.to_numpy(), count_flags(spec)), index=values.index, columns=names)
    if "escalated" in history.incidents and len(history.incidents):
        events = (history.incidents["escalated"].reindex(history.years) > 0).astype(float)
        events[history.incidents["escalated"].reindex(history.years).isna()] = np.nan
    else:  # no incidents file read: events unknown
        events = pd.Series(np.nan, index=history.years)
    return RuleRecord(values, events.rename("rupture_event"))


def record_from_inputs(spec: ModelSpec, inputs: ModelInputs) -> RuleRecord:
    """The record a fit saw, from its model inputs: indicators back in their own units, the crisis years as events."""
    names = rule_indicators(spec.indicators)
    z = inputs.standardized.reindex(inputs.years)
    raw = (
        np.stack([to_raw_units(z[n].to_numpy(dtype=float), inputs.scaling.loc[n]) for n in names], axis=-1)
        if names
        else np.empty((len(inputs.years), 0))
    )
    values = pd.DataFrame(round_counts(raw, count_flags(spec)), index=pd.Index(inputs.years, name="year"), columns=names)
    events = pd.Series(np.asarray(inputs.crisis, dtype=float), index=inputs.years, name="rupture_event")
    return RuleRecord(values, events)


def reference_problems(spec: ModelSpec, record: RuleRecord) -> list[Problem]:
    """A problem for every reference a class rule uses that ``record`` does not determine (its comparisons would be unknown)."""
    sources = record.reference_sources()
    return [
        Problem(
            spec.path,
            f"trajectories[{i}].rule",
            f"class '{spec.trajectories[i].name}' uses '{name}', which the observed record does not determine "
            f"({sources.get(name, 'not a reference of a rule indicator')}); UNSOURCED values in data/curated/series.csv are missing",
        )
        for i, name in undetermined_references(spec.trajectories, record.references())
    ]


@dataclass(frozen=True)
class RealisedClass:
    """The class of one observed year, or ``undetermined`` and the inputs the record lacks."""

    year: int
    name: str
    missing: tuple[str, ...] = ()

    @property
    def determined(self) -> bool:
        return self.name != UNDETERMINED

    def __str__(self) -> str:
        return self.name if self.determined else f"{UNDETERMINED} ({'; '.join(self.missing)})"


def _missing(name: str, year: int) -> str:
    """Say which input a missing rule variable stands for."""
    if name.endswith("_low_2015_16"):
        return f"{name}: no observed value in 2015–2016"
    if name.endswith("_recent"):
        return f"{name}: no observed value in the record's last years"
    if name.endswith(("_mean_3y", "_min_3y")) or name == "rupture_events_window":
        return f"{name}: nothing observed in {year - 2}–{year}"
    return f"{name}: not observed in {year}"


def realised_class(spec: ModelSpec, history: History, year: int, *, as_of: int | None = None) -> RealisedClass:
    """Apply the spec's class rules to the observed record at ``year``.

    Parameters
    ----------
    history : History
        The observed record (its indicators, with ``UNSOURCED:`` values missing, and its
        incidents).
    year : int
        A year of the record.
    as_of : int, optional
        Read the references (``_recent``, ``_low_2015_16``) from the record up to this
        year, as a forecast made then would (a backtest's cut-off); default the whole record,
        whose ``_recent`` references are the last five years' levels (so 2018–2022, with trade
        or visitors well below their 2021–2025 level, come out as managed erosion).

    Returns
    -------
    RealisedClass
        The first class whose rule holds; ``undetermined`` (with the missing inputs) when a
        rule before it, or its own, depends on a value the record does not have.

    """
    if year not in history.years:
        raise ValueError(f"{year} is not a year of the record ({history.years[0]}–{history.years[-1]})")
    record = record_from_history(spec, history)
    ref_record = record if as_of is None else record_from_history(spec, history.truncate(as_of))
    names = list(record.values.columns)
    at = record.years.index(year)
    env = rule_environment(record.values.to_numpy(dtype=float), names, record.events.to_numpy(dtype=float), [at], ref_record.references())
    truths = rule_truths(spec.trajectories, env, booleans=EVENT_VARIABLES)[:, 0]
    for cls, t in zip(spec.trajectories, truths, strict=True):
        if t == 1:
            return RealisedClass(year, cls.name)
        if np.isnan(t):
            lacking = [_missing(n, year) for n in rule_names(cls.rule) if np.isnan(np.asarray(env[n], dtype=float)).all()]
            return RealisedClass(year, UNDETERMINED, (f"rule of '{cls.name}' undetermined", *lacking))
    raise AssertionError("the last rule is 'otherwise': unreachable")  # pragma: no cover


__all__ = [
    "UNDETERMINED",
    "RealisedClass",
    "count_flags",
    "realised_class",
    "record_from_history",
    "record_from_inputs",
    "reference_problems",
]
