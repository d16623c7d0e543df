"""The record as the model sees it (2000–2025, or to the last year the data cover, :mod:`hedgecast.inputs.updates`): driver codings, war states, serious incidents
and their escalations (which define the crisis years), and indicators (transformed and
standardized), with the scaling kept for the way back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hedgecast.config import Paths
from hedgecast.errors import DataError, Problem
from hedgecast.inputs.flags import EXCLUDED_COLUMNS, excluded_cells
from hedgecast.inputs.schemas import INCLUSION_LEVELS
from hedgecast.inputs.spec import ModelSpec

TRANSFORMS = {"identity": (lambda x: x, lambda y: y), "log": (np.log, np.exp), "log1p": (np.log1p, np.expm1)}


@dataclass
class History:
    """Everything observed over the history years, aligned on ``years``.

    Attributes
    ----------
    drivers : DataFrame
        year × continuous driver codings (``drivers.csv``, the shared reading; a lens's fit
        uses :meth:`with_present` with the lens's own reading of the last years).
    war : Series
        year → war state name.
    indicators : DataFrame
        year × indicator, raw units, NaN where unobserved (never dropped). These are the
        cells the model observes: a value flagged ``UNSOURCED:`` or ``PARTIAL:`` in
        ``series.csv``, and a GDELT year whose data stop before the year ends (2024), are
        treated as **missing** (NaN here, listed in ``excluded``), so the latent state fills
        them as it fills any other gap and they do not enter the standardization either.
    incidents : DataFrame
        year × :data:`INCIDENT_COUNTS`: the number of serious bilateral incidents of
        ``incidents.csv`` that began in the year under each inclusion rule (``strict``,
        ``main``, ``loose``; nested: ``main`` counts the strict ones too, ``loose`` all of
        them), how many of those escalated to a rupture under each rule
        (``escalated_<rule>``), and ``escalated``, every escalated incident (README of
        ``data/curated``). The crisis model is fitted to one rule's pair
        (:meth:`incident_data`).
    excluded : DataFrame
        The indicator cells left out of ``indicators`` and why
        (:func:`hedgecast.inputs.flags.excluded_cells`: ``indicator, year, reason, value,
        file, row, note``).
    inclusion : str
        The inclusion rule the crisis model counts (the spec's ``[crisis_model] inclusion``).

    """

    years: list[int]
    drivers: pd.DataFrame
    war: pd.Series
    indicators: pd.DataFrame
    incidents: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=INCIDENT_COUNTS))
    excluded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EXCLUDED_COLUMNS))
    inclusion: str = "main"
    centring_end: int | None = None
    """The last year of the spec's centring period: indicators are standardized (and drivers centred,
    :func:`hedgecast.model.equations.model_inputs`) over the years up to it; None = every year."""

    @property
    def centre_years(self) -> list[int]:
        """The years the standardization and the drivers' centring use (the centring period within this record)."""
        end = self.years[-1] if self.centring_end is None else self.centring_end
        return [y for y in self.years if y <= end] or list(self.years)

    def incident_data(self, inclusion: str | None = None) -> tuple[pd.Series, pd.Series]:
        """``(incidents, escalations)`` per year under ``inclusion`` (default :attr:`inclusion`)."""
        level = self.inclusion if inclusion is None else inclusion
        if level not in INCLUSION_LEVELS:
            raise ValueError(f"unknown inclusion rule {level!r}: valid are {', '.join(INCLUSION_LEVELS)}")
        counts = self.incidents.reindex(self.years, fill_value=0)
        return counts[level].astype(int), counts[f"escalated_{level}"].astype(int)

    @property
    def crisis(self) -> pd.Series:
        """year → 1 in a rupture year (at least one escalated incident under :attr:`inclusion`), else 0."""
        return pd.Series(rupture_indicator(self.incident_data()[1].to_numpy()), index=list(self.years), name="crisis")

    def with_inclusion(self, inclusion: str) -> History:
        """This record with the crisis model counting incidents under another rule (strict, main, loose)."""
        self.incident_data(inclusion)  # checks the name
        return self if inclusion == self.inclusion else dataclasses.replace(self, inclusion=inclusion)

    def standardized(self, spec: ModelSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Transform then z-score every indicator; return ``(values, scaling)``.

        ``scaling`` has one row per indicator with ``mean`` and ``sd`` of the
        transformed series over its observed years in the centring period (:attr:`centre_years`:
        a new year of data does not move the scale), for mapping forecasts back.
        """
        out, rows = {}, []
        centre = self.centre_years
        for name, ind in spec.indicators.items():
            forward, _ = TRANSFORMS[ind.transform]
            raw = self.indicators[name].astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                x = forward(raw)
            x = x.where(np.isfinite(x))
            base = x.loc[[y for y in x.index if y in centre]]
            mean, sd = float(base.mean()), float(base.std(ddof=0))
            if not np.isfinite(sd) or sd == 0:
                sd = 1.0
            out[name] = (x - mean) / sd
            rows.append({"indicator": name, "mean": mean, "sd": sd, "transform": ind.transform, "n_observed": int(base.notna().sum())})
        return pd.DataFrame(out, index=self.indicators.index), pd.DataFrame(rows).set_index("indicator")

    def with_present(self, codings: Mapping[tuple[str, int], float]) -> History:
        """This record with some driver codings replaced: a lens's reading of the present.

        ``codings`` maps ``(driver, year)`` to a value (:meth:`hedgecast.priors.lenses.Lens.present_codings`);
        years outside this record (e.g. after a backtest's cutoff) are ignored. Returns
        ``self`` when nothing changes.
        """
        keep = {(d, y): v for (d, y), v in codings.items() if y in self.drivers.index and d in self.drivers.columns}
        if not keep:
            return self
        drivers = self.drivers.copy()
        for (driver, year), value in keep.items():
            drivers.loc[year, driver] = float(value)
        return dataclasses.replace(self, drivers=drivers)

    def truncate(self, last_year: int) -> History:
        """The record up to and including ``last_year`` (for backtests)."""
        keep = [y for y in self.years if y <= last_year]
        return History(
            keep,
            self.drivers.loc[keep],
            self.war.loc[keep],
            self.indicators.loc[keep],
            self.incidents.reindex(keep, fill_value=0),
            self.excluded[self.excluded["year"] <= last_year].reset_index(drop=True),
            self.inclusion,
            self.centring_end,
        )


def to_raw_units(z: np.ndarray, scaling: pd.Series) -> np.ndarray:
    """Map standardized values of one indicator back to its raw units."""
    _, inverse = TRANSFORMS[scaling["transform"]]
    with np.errstate(over="ignore"):
        return inverse(np.asarray(z) * scaling["sd"] + scaling["mean"])


INCIDENT_COUNTS = [*INCLUSION_LEVELS, "escalated", *(f"escalated_{level}" for level in INCLUSION_LEVELS)]
"""Columns of :attr:`History.incidents`."""


def rupture_indicator(escalations) -> np.ndarray:
    """1 where a year has at least one escalated incident (a rupture year), else 0: the one definition.

    The crisis years that hit the channels in the state equation, the forecast's ``crisis``
    and the SBC's simulated crisis years are all this function of the escalation counts.
    """
    return (np.asarray(escalations) > 0).astype(np.int8)


def incident_counts(incidents: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Per year: incidents under each inclusion rule (nested, strict ⊂ main ⊂ loose) and escalations.

    ``incidents`` as returned by :func:`hedgecast.inputs.curated.load_incidents`; incidents
    in years outside ``years`` are not counted. ``escalated_<rule>`` counts the escalated
    incidents the rule includes (so it never exceeds the rule's incidents); ``escalated``
    every escalated incident.
    """
    out = pd.DataFrame(0, index=pd.Index(list(years), name="year"), columns=INCIDENT_COUNTS, dtype=int)
    rank = {level: i for i, level in enumerate(INCLUSION_LEVELS)}
    for year, inclusion, escalated in zip(incidents["year"], incidents["inclusion"], incidents["escalated"], strict=True):
        if year not in out.index:
            continue
        for level in INCLUSION_LEVELS[rank[inclusion] :]:  # a strict incident is also a main and a loose one
            out.loc[year, level] += 1
            out.loc[year, f"escalated_{level}"] += int(bool(escalated))
        out.loc[year, "escalated"] += int(bool(escalated))
    return out


def load_history(spec: ModelSpec, paths: Paths | None = None, *, unsourced_as_missing: bool = True) -> History:
    """Read the curated and raw data (validated on load) into a :class:`History`.

    Cells flagged ``PARTIAL:`` (and GDELT years cut short) are always left out of the
    observed indicators; cells flagged ``UNSOURCED:`` too unless
    ``unsourced_as_missing=False`` (for a sensitivity comparison). See :class:`History`.
    """
    from hedgecast.inputs import data

    paths = paths or Paths.discover()
    years = spec.history_years
    indicators = data.build_indicators(paths, years).reindex(years)
    excluded = excluded_cells(paths, [i for i in spec.indicator_names if i in indicators.columns])
    if not unsourced_as_missing:
        excluded = excluded[excluded["reason"] != "unsourced"].reset_index(drop=True)
    excluded = excluded[excluded["year"].isin(years)].reset_index(drop=True)
    for indicator, year in zip(excluded["indicator"], excluded["year"], strict=True):
        indicators.loc[year, indicator] = np.nan
    missing_cols = [i for i in spec.indicator_names if i not in indicators.columns]
    if missing_cols:
        raise DataError([Problem("data/curated", i, "the spec names this indicator but no data file provides it") for i in missing_cols])
    codings = data.load_driver_codings(paths)
    wide = codings.pivot(index="year", columns="driver", values="value").reindex(years)
    problems = []
    for d in spec.continuous_drivers:
        if d not in wide.columns:
            problems.append(Problem(str(paths.curated / "drivers.csv"), d, "no codings for this driver"))
        elif wide[d].isna().any():
            gaps = [int(y) for y in wide.index[wide[d].isna()]]
            problems.append(Problem(str(paths.curated / "drivers.csv"), d, f"no coding for years {gaps}"))
    war = data.load_war_states(paths).set_index("year")["state"].reindex(years)
    if war.isna().any():
        problems.append(Problem(str(paths.curated / "war_states.csv"), "state", f"no state for years {[int(y) for y in war.index[war.isna()]]}"))
    bad = sorted(set(war.dropna()) - set(spec.war_states))
    if bad:
        problems.append(Problem(str(paths.curated / "war_states.csv"), "state", f"unknown states {bad}; valid: {spec.war_states}"))
    if problems:
        raise DataError(problems)
    incidents = incident_counts(data.load_incidents(paths), years)
    return History(
        years,
        wide[spec.continuous_drivers],
        war,
        indicators[spec.indicator_names],
        incidents,
        excluded,
        spec.crisis_inclusion,
        spec.centring_period[1],
    )
