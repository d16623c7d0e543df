"""The variables trajectory rules are written in: observable quantities a reader can check.

Every variable is judged at one year ``Y`` (the year being classified), for one simulated
path or for the observed record, in the indicator's own unit:

``<indicator>``
    its value in ``Y``; count indicators (``transform = "log1p"``: leader meetings) are
    rounded to whole counts, halves up (``floor(x + 0.5)``), after the simulation's
    measurement noise, so 1.5 simulated meetings count as 2 and 1.49 as 1;
``<indicator>_mean_3y``, ``<indicator>_min_3y``
    its mean and its lowest value over the :data:`WINDOW` years ending in ``Y``
    (``Y-2 … Y``); years without a value (unobserved in the record) are left out, and
    the result is missing only when no year of the window has one. A simulated path's
    first windows reach back into the observed record (2024–2025 for 2026);
``<indicator>_low_2015_16``
    reference: its lowest *observed* value in 2015–2016, the 2015–16 rupture, read from
    the record (``data/curated/series.csv`` through the History: ``UNSOURCED:`` values
    are missing there, so a series with no sourced value in those years has no such
    reference, and ``hedgecast check`` rejects a rule that uses it);
``<indicator>_recent``
    reference: the mean of its observed values over the last :data:`RECENT_YEARS` years of
    the record the forecast starts from (2021–2025 for the full record);
``rupture_event``
    a rupture event in ``Y``: the forecast's per-path-year ``crisis`` flag; in the
    observed record, a year with at least one escalated incident of
    ``data/curated/incidents.csv`` (the escalation rule of ``data/curated/README.md``);
``rupture_events_window``
    a rupture event in any of the :data:`WINDOW` years ending in ``Y``.

Indicators marked ``in_rules = false`` in the spec (a series whose source has ended, such
as GDELT) have no variables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from hedgecast.forecasting.trajectories import TrajectoryClass, first_true, rule_names, rule_truths

#: years in a window ending at the classified year
WINDOW = 3
#: the years of the 2015–16 rupture, whose lows are references
RUPTURE_YEARS = (2015, 2016)
#: years at the end of the record whose mean is the ``_recent`` reference
RECENT_YEARS = 5
#: the variables that are conditions by themselves
EVENT_VARIABLES = frozenset({"rupture_event", "rupture_events_window"})
#: count indicators are those modelled with this transform (their simulated values are rounded)
COUNT_TRANSFORM = "log1p"

_PER_INDICATOR = (
    ("{i}", "{label} in the year", "{unit}"),
    ("{i}_mean_3y", "mean of {label} over the 3 years ending in the year (years without a value left out)", "{unit}"),
    ("{i}_min_3y", "lowest {label} in the 3 years ending in the year", "{unit}"),
    ("{i}_low_2015_16", "reference: lowest observed {label} in 2015–2016 (the 2015–16 rupture), from the record", "{unit}"),
    ("{i}_recent", "reference: mean of the observed {label} over {recent}, from the record", "{unit}"),
)
_EVENTS = (
    ("rupture_event", "a rupture event (at least one escalated incident) in the year", "true/false"),
    ("rupture_events_window", "a rupture event in any of the 3 years ending in the year", "true/false"),
)


def rule_indicators(indicators: Mapping) -> list[str]:
    """The indicators rules may use: every one not marked ``in_rules = false``, in the spec's order."""
    return [name for name, ind in indicators.items() if getattr(ind, "in_rules", True)]


def rule_variable_table(indicators: Mapping, history: tuple[int, int] = (2000, 2025)) -> list[tuple[str, str, str]]:
    """Every variable a rule may use: ``(name, meaning, unit)``, per indicator then the events.

    ``indicators`` maps names to the spec's :class:`~hedgecast.inputs.spec_parts.Indicator`
    (its ``label``, ``unit`` and ``in_rules`` are read); ``history`` is the spec's fitted
    years, which name the ``_recent`` reference's years.
    """
    recent = f"the last {RECENT_YEARS} years of the record ({history[1] - RECENT_YEARS + 1}–{history[1]} for the full record)"
    rows = []
    for name in rule_indicators(indicators):
        ind = indicators[name]
        label = _short_label(getattr(ind, "label", "") or name)
        unit = getattr(ind, "unit", "") or "as in the data"
        if getattr(ind, "transform", "") == COUNT_TRANSFORM:
            unit += " (whole counts: simulated values rounded, halves up)"
        rows += [(n.format(i=name), m.format(label=label, recent=recent), u.format(unit=unit)) for n, m, u in _PER_INDICATOR]
    return rows + list(_EVENTS)


def rule_variable_names(indicators: Mapping, history: tuple[int, int] = (2000, 2025)) -> dict[str, str]:
    """Every name a rule may use, with what it means and its unit (see :func:`rule_variable_table`)."""
    return {name: f"{meaning} [{unit}]" for name, meaning, unit in rule_variable_table(indicators, history)}


def _short_label(label: str) -> str:
    """``"Bilateral trade (USD bn)"`` → ``"Bilateral trade"``: the label without its unit in brackets."""
    return label.split(" (")[0].strip()


def reference_names(names: Sequence[str]) -> list[str]:
    """The names among ``names`` that are references read from the record."""
    return [n for n in names if n.endswith(("_low_2015_16", "_recent"))]


@dataclass(frozen=True)
class RuleRecord:
    """The observed record as the rules read it.

    Attributes
    ----------
    values : DataFrame
        year × rule indicator, own units (counts whole), NaN where not observed.
    events : Series
        year → 1.0 if a rupture event happened that year, 0.0 if none, NaN if unknown.

    """

    values: pd.DataFrame
    events: pd.Series

    @property
    def years(self) -> list[int]:
        return [int(y) for y in self.values.index]

    def recent_values(self, name: str) -> tuple[pd.Series, bool]:
        """The observed values behind ``<name>_recent``, and whether they come from the fallback.

        The last :data:`RECENT_YEARS` years of the record; when a series has no value there
        (its source ended before them, as UNGA voting data end in 2022 once the record runs to
        2027), the :data:`RECENT_YEARS` years ending at its last observed value instead, so a
        record extended by new data keeps a reference rather than leaving a rule undetermined.
        """
        column = self.values[name]
        last = column.iloc[-RECENT_YEARS:].dropna()
        if len(last) or not column.notna().any():
            return last, False
        end = column.last_valid_index()
        return column.loc[end - RECENT_YEARS + 1 : end].dropna(), True

    def references(self) -> dict[str, float]:
        """The reference values of every rule indicator (NaN where the record has none)."""
        out: dict[str, float] = {}
        rupture = self.values.reindex([y for y in RUPTURE_YEARS if y in self.values.index])
        for name in self.values.columns:
            low = rupture[name].dropna() if name in rupture else pd.Series(dtype=float)
            out[f"{name}_low_2015_16"] = float(low.min()) if len(low) else float("nan")
            last, _ = self.recent_values(name)
            out[f"{name}_recent"] = float(last.mean()) if len(last) else float("nan")
        return out

    def reference_sources(self) -> dict[str, str]:
        """Where each reference comes from: the record's years and values, or why it is missing."""
        out = {}
        span = f"{self.years[-RECENT_YEARS:][0]}–{self.years[-1]}" if self.years else ""
        for name in self.values.columns:
            low = self.values[name].reindex(list(RUPTURE_YEARS)).dropna()
            out[f"{name}_low_2015_16"] = (
                "lowest of " + ", ".join(f"{int(y)}: {_num(v)}" for y, v in low.items())
                if len(low)
                else f"no observed value in {RUPTURE_YEARS[0]}–{RUPTURE_YEARS[1]}: undetermined"
            )
            last, fallback = self.recent_values(name)
            where = f"{int(last.index[0])}–{int(last.index[-1])}, the last years observed (none in {span})" if fallback else span
            out[f"{name}_recent"] = (
                f"mean of {where}: " + ", ".join(f"{int(y)}: {_num(v)}" for y, v in last.items())
                if len(last)
                else f"no observed value in {span}: undetermined"
            )
        return out


def _num(v: float) -> str:
    return f"{v:g}" if abs(v) < 1e6 else f"{v:.4g}"


def round_counts(values: np.ndarray, is_count: Sequence[bool]) -> np.ndarray:
    """Whole counts (halves up, never below 0) in the last axis's count indicators; other indicators unchanged."""
    out = np.array(values, dtype=float, copy=True)
    for k, flag in enumerate(is_count):
        if flag:
            out[..., k] = np.floor(np.maximum(out[..., k], 0.0) + 0.5)
    return out


def _windows(x: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``x (..., year)`` → ``(..., len(at), WINDOW)``: the window ending at each of ``at``, NaN before the first year."""
    padded = np.concatenate([np.full((*x.shape[:-1], WINDOW - 1), np.nan), x], axis=-1)
    idx = np.asarray(at)[:, None] + np.arange(WINDOW)[None, :]  # (len(at), WINDOW), in padded positions
    return padded[..., idx]


def rule_environment(
    values: np.ndarray, names: Sequence[str], events: np.ndarray, at, references: Mapping[str, float]
) -> dict[str, np.ndarray]:
    """The rule variables at the years ``at`` (indices into the year axis), all paths at once.

    ``values`` is ``(..., year, indicator)`` in own units (counts already whole) for the
    indicators ``names``; ``events`` ``(..., year)`` is 1/0 (NaN unknown). Every array
    returned is ``(..., len(at))`` or a scalar reference.
    """
    at = np.asarray(at, dtype=int)
    env: dict[str, np.ndarray] = {}
    for k, name in enumerate(names):
        x = np.asarray(values[..., k], dtype=float)
        win = _windows(x, at)
        seen = ~np.isnan(win)
        count = seen.sum(-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            env[name] = x[..., at]
            env[f"{name}_mean_3y"] = np.where(count > 0, np.where(seen, win, 0.0).sum(-1) / count, np.nan)
        env[f"{name}_min_3y"] = np.where(count > 0, np.where(seen, win, np.inf).min(-1), np.nan)
        env[f"{name}_low_2015_16"] = np.asarray(references.get(f"{name}_low_2015_16", np.nan))
        env[f"{name}_recent"] = np.asarray(references.get(f"{name}_recent", np.nan))
    e = np.asarray(events, dtype=float)
    env["rupture_event"] = e[..., at]
    win = _windows(e, at)
    env["rupture_events_window"] = np.where((win == 1).any(-1), 1.0, np.where(np.isnan(win).any(-1), np.nan, 0.0))
    return env


def undetermined_references(classes: Sequence[TrajectoryClass], references: Mapping[str, float]) -> list[tuple[int, str]]:
    """``(class index, reference name)`` for every reference a rule uses that the record does not determine."""
    return [
        (i, n) for i, c in enumerate(classes) for n in reference_names(rule_names(c.rule)) if not np.isfinite(references.get(n, np.nan))
    ]


def label_environment(classes: Sequence[TrajectoryClass], env: Mapping[str, np.ndarray]) -> np.ndarray:
    """The first class whose rule holds, for every path and year of ``env`` (int16; -1 where undetermined)."""
    return first_true(rule_truths(classes, env, booleans=EVENT_VARIABLES))


def path_values(values: np.ndarray, record: RuleRecord, names: Sequence[str], is_count: Sequence[bool]) -> tuple[np.ndarray, int]:
    """Simulated own-unit values ``(..., year, indicator)`` with the record's last ``WINDOW - 1`` years before them.

    Returns the joined array (counts rounded) and the number of record years put in front.
    """
    lead = min(WINDOW - 1, len(record.years))
    before = record.values[list(names)].to_numpy(dtype=float)[len(record.years) - lead :]
    before = np.broadcast_to(before, (*values.shape[:-2], lead, len(names)))
    return np.concatenate([before, round_counts(values, is_count)], axis=-2), lead


def path_events(events: np.ndarray, record: RuleRecord, lead: int) -> np.ndarray:
    """Simulated rupture events ``(..., year)`` with the record's last ``lead`` years before them."""
    before = np.broadcast_to(record.events.to_numpy(dtype=float)[len(record.years) - lead :], (*events.shape[:-1], lead))
    return np.concatenate([before, np.asarray(events, dtype=float)], axis=-1)


def classify(
    classes: Sequence[TrajectoryClass],
    values: xr.DataArray,
    events: xr.DataArray,
    record: RuleRecord,
    years,
    is_count: Sequence[bool] | None = None,
) -> xr.DataArray:
    """Give every simulated path exactly one class at each of ``years``.

    Parameters
    ----------
    values : DataArray
        Simulated indicators in their own units, dims ``(..., year, indicator)``, future
        years only (the record's last years are put in front for the first windows).
    events : DataArray
        Simulated rupture events (0/1), dims ``(..., year)``.
    record : RuleRecord
        The observed record the simulation starts from (its references, its last years).
    is_count : sequence of bool, optional
        Per indicator of ``record.values``: counts are rounded (default: none).

    Returns
    -------
    DataArray
        Integer class index (into ``classes``), dims ``(year, ...)`` with the class names in
        ``attrs['classes']``.

    """
    names = list(record.values.columns)
    flags = list(is_count) if is_count is not None else [False] * len(names)
    years = [int(y) for y in years]
    future = [int(y) for y in values["year"].values]
    template = xr.broadcast(values.isel(year=0, indicator=0, drop=True), events.isel(year=0, drop=True))[0]
    dims = template.dims

    def aligned(a: xr.DataArray, *trailing: str) -> np.ndarray:
        return np.asarray(xr.broadcast(a, template)[0].transpose(*dims, *trailing).values)

    joined, lead = path_values(aligned(values.sel(indicator=names), "year", "indicator"), record, names, flags)
    ev = path_events(aligned(events, "year"), record, lead)
    env = rule_environment(joined, names, ev, [lead + future.index(y) for y in years], record.references())
    coords = {**{d: template[d].values for d in dims if d in template.coords}, "year": years}
    result = xr.DataArray(label_environment(classes, env), dims=(*dims, "year"), coords=coords).transpose("year", ...)
    result.attrs["classes"] = [c.name for c in classes]
    return result


__all__ = [
    "EVENT_VARIABLES",
    "RECENT_YEARS",
    "RUPTURE_YEARS",
    "WINDOW",
    "RuleRecord",
    "classify",
    "label_environment",
    "path_events",
    "path_values",
    "reference_names",
    "round_counts",
    "rule_environment",
    "rule_indicators",
    "rule_variable_names",
    "rule_variable_table",
    "undetermined_references",
]
