"""Base rates: the reference-class frequencies a sceptical reader reaches for first.

Every headline probability is shown beside

* the **base rate** from the project's own record: how often the event happened per year (or
  per incident, or the share of past years in a class), with a Jeffreys interval — the
  Beta(k + ½, n − k + ½) posterior of a binomial rate, which behaves sensibly at k = 0 and
  k = 1, where the record sits;
* the **prior-only** probability: the same forecast from prior draws, no data;
* the **posterior**.

and two plain flags, each with a number behind it:

* the posterior **barely moved** from the prior when the odds changed by less than a factor
  :data:`BARELY_MOVED_ODDS` (1.25) either way — the record taught the headline little and the
  assumptions carry it;
* the posterior sits **more than :data:`FAR_ABOVE_BASE` (2) times the base rate** — a claim that
  the future differs from the record, which the reader should see argued.

The base rate of "at least one event in h years" from a yearly rate r is 1 − (1 − r)^h; its
interval maps the rate's interval through the same (monotone) function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hedgecast.inputs.schemas import INCLUSION_LEVELS

__all__ = [
    "BARELY_MOVED_ODDS",
    "FAR_ABOVE_BASE",
    "INTERVAL",
    "Rate",
    "class_base_rates",
    "flag_sentences",
    "odds_ratio",
    "reference_rates",
]

INTERVAL = 0.9
"""Central probability of every base-rate interval."""

BARELY_MOVED_ODDS = 1.25
"""The posterior "barely moved" from the prior when its odds are within this factor of the prior's."""

FAR_ABOVE_BASE = 2.0
"""A posterior more than this multiple of the base rate is flagged."""


@dataclass(frozen=True)
class Rate:
    """``events`` in ``trials`` (years or incidents), with a Jeffreys interval at :data:`INTERVAL`."""

    name: str
    label: str
    events: int
    trials: int
    unit: str  # what a trial is: "year", "incident"
    period: str  # e.g. "1992–2025"

    @property
    def estimate(self) -> float:
        """The observed frequency events / trials."""
        return self.events / self.trials if self.trials else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        """Jeffreys interval: central :data:`INTERVAL` of Beta(events + ½, trials − events + ½)."""
        if not self.trials:
            return (float("nan"), float("nan"))
        a, b = self.events + 0.5, self.trials - self.events + 0.5
        tail = (1.0 - INTERVAL) / 2.0
        lo = 0.0 if self.events == 0 else float(stats.beta.ppf(tail, a, b))
        hi = 1.0 if self.events == self.trials else float(stats.beta.ppf(1.0 - tail, a, b))
        return (lo, hi)

    def within(self, years: int) -> tuple[float, float, float]:
        """P(at least one event in ``years`` years) at the estimate and at the interval's ends."""
        if self.unit != "year":
            raise ValueError(f"{self.name} is a rate per {self.unit}, not per year: it has no 'within {years} years'")
        lo, hi = self.interval
        return tuple(1.0 - (1.0 - r) ** years for r in (self.estimate, lo, hi))  # type: ignore[return-value]

    def describe(self) -> str:
        """One line: "1 in 34 years (1992–2025): 2.9% (90% interval 0.3–11.5%)"."""
        lo, hi = self.interval
        return (
            f"{self.events} in {self.trials} {self.unit}s ({self.period}): {100 * self.estimate:.1f}% "
            f"({100 * INTERVAL:.0f}% interval {100 * lo:.1f}–{100 * hi:.1f}%)"
        )


def reference_rates(incidents: pd.DataFrame, first_year: int, last_year: int, inclusion: str = "main") -> dict[str, Rate]:
    """The crisis record's reference classes from the incidents table, over complete years.

    Parameters
    ----------
    incidents
        As returned by :func:`hedgecast.inputs.curated.load_incidents` (``year``, ``inclusion``,
        ``escalated``).
    first_year, last_year
        The record's span (both included); incidents outside it are not counted (a year not yet
        over is not a trial).
    inclusion
        Which incidents count as incidents (``strict`` ⊂ ``main`` ⊂ ``loose``).

    Returns
    -------
    dict
        ``rupture_years`` (years with at least one escalated incident, per year),
        ``incident_years`` (years with at least one incident, per year) and
        ``escalated_share`` (escalated incidents per incident).
    """
    if inclusion not in INCLUSION_LEVELS:
        raise ValueError(f"unknown inclusion rule {inclusion!r}; expected one of {', '.join(INCLUSION_LEVELS)}")
    if last_year < first_year:
        raise ValueError(f"last_year {last_year} is before first_year {first_year}")
    rank = INCLUSION_LEVELS.index(inclusion)
    inside = incidents[(incidents["year"] >= first_year) & (incidents["year"] <= last_year)]
    counted = inside[[INCLUSION_LEVELS.index(str(i)) <= rank for i in inside["inclusion"]]]
    n_years = last_year - first_year + 1
    period = f"{first_year}–{last_year}"
    escalated = counted[counted["escalated"].astype(bool)]
    return {
        "rupture_years": Rate(
            "rupture_years", "Years with a rupture event (an escalated incident)", int(escalated["year"].nunique()), n_years, "year", period
        ),
        "incident_years": Rate(
            "incident_years", f"Years with a serious incident ({inclusion} rule)", int(counted["year"].nunique()), n_years, "year", period
        ),
        "escalated_share": Rate(
            "escalated_share", f"Incidents that escalated ({inclusion} rule)", len(escalated), len(counted), "incident", period
        ),
    }


def class_base_rates(realised: pd.Series, classes: Sequence[str]) -> dict[str, Rate]:
    """Share of past years in each class, from the realised class per year (undetermined years left out)."""
    known = realised[realised.isin(list(classes))]
    years = [int(y) for y in known.index]
    period = f"{min(years)}–{max(years)}" if years else "no year"
    return {c: Rate(c, f"Past years in class {c}", int((known == c).sum()), len(known), "year", period) for c in classes}


def odds_ratio(prior: float, posterior: float) -> float:
    """Posterior odds over prior odds (clipped away from 0 and 1 so that certainties stay finite)."""
    p0, p1 = (float(np.clip(p, 1e-6, 1 - 1e-6)) for p in (prior, posterior))
    return (p1 / (1 - p1)) / (p0 / (1 - p0))


def flag_sentences(
    what: str, posterior: float, prior: float, base: float | None, carriers: Mapping[str, str] | None = None
) -> list[str]:
    """Plain sentences for one headline probability (empty when neither flag applies).

    ``carriers`` names the assumptions that carry the number (e.g. the largest swings of the
    stress section), as ``{name: text}``; they are cited when a flag is raised.
    """
    out: list[str] = []
    ratio = odds_ratio(prior, posterior)
    carried = ""
    if carriers:
        carried = " It rests on " + "; ".join(f"{k} ({v})" for k, v in carriers.items()) + " — see the stress section."
    if 1 / BARELY_MOVED_ODDS <= ratio <= BARELY_MOVED_ODDS:
        out.append(
            f"{what}: the record barely moved it from the prior ({100 * prior:.1f}% → {100 * posterior:.1f}%, odds × {ratio:.2f}, "
            f"within × {BARELY_MOVED_ODDS:g} either way), so it reflects the lens's assumptions more than the evidence.{carried}"
        )
    if base is not None and np.isfinite(base) and base > 0 and posterior > FAR_ABOVE_BASE * base:
        out.append(
            f"{what}: {100 * posterior:.1f}% is {posterior / base:.1f} times the base rate ({100 * base:.1f}%), "
            f"more than the × {FAR_ABOVE_BASE:g} that calls for an argument why the future differs from the record.{carried}"
        )
    return out
