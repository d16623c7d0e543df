"""Assumptions a stress test moves: a prior's location or scale, a scenario probability, a war state's persistence.

Each :class:`Assumption` knows its base value, the range a tornado chart sweeps and the
wider range a "what would you have to believe" search may reach; :func:`changes_for` turns
settings of assumptions into changed priors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from pymc_extras.prior import Prior

from hedgecast.priors import families
from hedgecast.priors.groups import FIT_GROUPS, STRESS_GROUPS
from hedgecast.priors.lenses import Lens
from hedgecast.stress.reweight import Evaluation, Reweighter

__all__ = ["Assumption", "changes_for", "default_assumptions", "evaluate", "with_tornado"]

TORNADO_SCALE = (2 / 3, 3 / 2)
"""Tornado range of a scale assumption: the prior sd times 2/3 … 3/2 (wider ranges push k̂ past 0.7 for priors the data barely update)."""
PLAUSIBLE_LOCATION_SD = 3.0
PLAUSIBLE_SCALE = (0.25, 4.0)
PLAUSIBLE_PROBABILITY = (0.01, 0.99)


@dataclass(frozen=True)
class Assumption:
    """One knob of one prior that a stress test moves.

    ``knob`` is ``location`` (the prior's mean; the value is the new location),
    ``scale`` (the value multiplies the prior's scale), ``mean`` (the mean of a Beta prior
    on a scenario probability, concentration kept) or ``persistence`` (the expected
    probability that a war state persists a year, in its Dirichlet transition row,
    concentration kept and the other states scaled in proportion).

    ``tornado`` is the one-at-a-time and Sobol range, ``plausible`` the wider range a
    "what would you have to believe" search may go to; ``unit`` turns a shift into
    prior standard deviations (for ``scale``, shifts are in doublings: log2 of the factor).
    """

    prior: str
    knob: str
    base: float
    unit: float
    tornado: tuple[float, float]
    plausible: tuple[float, float]
    index: int = -1  # persistence: the state's own position in its transition row

    @property
    def name(self) -> str:
        return f"{self.prior} ({self.knob})"

    @property
    def is_forecast_only(self) -> bool:
        return self.knob in ("mean", "persistence")

    def coordinate(self, value: float) -> float:
        """Where ``value`` lies on the scale the knob is searched and sampled on (log2 for scale)."""
        return math.log2(value) if self.knob == "scale" else float(value)

    def value(self, coordinate: float) -> float:
        return 2.0**coordinate if self.knob == "scale" else float(coordinate)

    def shift(self, value: float) -> float:
        """Signed size of the move from the base: prior sds (location, mean, persistence) or doublings (scale)."""
        if self.knob == "scale":
            return math.log2(value)
        return (value - self.base) / self.unit

    def shift_text(self, value: float) -> str:
        if self.knob == "scale":
            return f"prior sd × {value:.2f}"
        return f"{self.shift(value):+.2f} prior sd"

    def apply(self, prior: Prior, value: float) -> Prior:
        """``prior`` with this knob set to ``value`` (other parameters kept)."""
        p = dict(prior.parameters)
        d = prior.distribution
        fam = families.family(d)
        if self.knob == "location":
            p[fam.location] = float(value)
        elif self.knob == "scale":
            if fam.scale is not None and fam.scale in p:
                p[fam.scale] = float(p[fam.scale]) * float(value)
            elif "tau" in p:
                p["tau"] = float(p["tau"]) / float(value) ** 2
            elif "lam" in p:
                p["lam"] = float(p["lam"]) / float(value) ** 2
            else:
                raise ValueError(f"no scale parameter in {d}({p})")
        elif self.knob == "mean":
            a, b = families.beta_ab(prior.parameters)
            kappa = a + b
            p = {"alpha": float(value) * kappa, "beta": (1 - float(value)) * kappa}
        elif self.knob == "persistence":
            a = np.asarray(p["a"], dtype=float)
            j = self.index
            m = a[j] / a.sum()
            new = a * (1 - float(value)) / (1 - m)
            new[j] = float(value) * a.sum()
            p = {"a": new.tolist()}
        else:  # pragma: no cover - validated at construction
            raise ValueError(self.knob)
        return Prior(d, **p)

    def describe(self, value: float) -> str:
        if self.knob == "scale":
            return f"scale × {value:.3g}"
        return f"{self.knob} {self.base:.3g} → {value:.3g} ({self.shift(value):+.2f} prior sd)"


def _clip(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


def default_assumptions(
    lens: Lens, groups: Sequence[str] = STRESS_GROUPS, *, scale: bool = True, forecast: bool = True
) -> list[Assumption]:
    """List the assumptions a stress test moves.

    They are the location (and scale) of every effect prior, the mean of every
    scenario-probability prior and the persistence of every war state.

    Ranges: location ± 1 prior sd (tornado) and ± 3 sd (plausible); scale × 2/3 … 3/2
    (tornado) and × 1/4 … 4 (plausible); probabilities ± 1 prior sd (tornado) and
    0.01 … 0.99 (plausible).
    """
    out: list[Assumption] = []
    for name, lp in lens.priors.items():
        group = name.split(".")[0]
        prior = lp.prior
        if group in groups and group in FIT_GROUPS:
            fam = families.family(prior.distribution)
            if fam.location is not None:
                mu, sd = float(prior.parameters[fam.location]), families.location_sd(prior)
                out.append(
                    Assumption(
                        name, "location", mu, sd, (mu - sd, mu + sd), (mu - PLAUSIBLE_LOCATION_SD * sd, mu + PLAUSIBLE_LOCATION_SD * sd)
                    )
                )
            if scale and fam.scale is not None:
                out.append(Assumption(name, "scale", 1.0, 1.0, TORNADO_SCALE, PLAUSIBLE_SCALE))
        elif forecast and group == "scenario_probability" and prior.distribution == "Beta":
            m, sd = families.beta_mean_sd(*families.beta_ab(prior.parameters))
            out.append(Assumption(name, "mean", m, sd, (_clip(m - sd, 0.02, 0.98), _clip(m + sd, 0.02, 0.98)), PLAUSIBLE_PROBABILITY))
        elif forecast and group == "war_transition":
            state = name.split(".", 1)[1]
            future = lens.spec.future_war_states
            if state not in future:
                continue
            a = np.asarray(prior.parameters["a"], dtype=float)
            j = future.index(state)
            m = a[j] / a.sum()
            sd = math.sqrt(m * (1 - m) / (a.sum() + 1))
            out.append(
                Assumption(name, "persistence", m, sd, (_clip(m - sd, 0.02, 0.98), _clip(m + sd, 0.02, 0.98)), PLAUSIBLE_PROBABILITY, j)
            )
    return out


def changes_for(lens: Lens, settings: Mapping[Assumption, float]) -> dict[str, Prior]:
    """Return the priors that result from setting each assumption to its value (knobs of one prior combine)."""
    out: dict[str, Prior] = {}
    for a, v in settings.items():
        out[a.prior] = a.apply(out.get(a.prior, lens.priors[a.prior].prior), v)
    return out


def evaluate(
    rw: Reweighter, settings: Mapping[Assumption, float], *, forecast_priors: str = "rerun", scenarios: Sequence[str] | None = None
) -> Evaluation:
    """Headline probabilities with the assumptions set to the given values (reweighting / re-run)."""
    return rw.evaluate(changes_for(rw.lens, settings), forecast_priors=forecast_priors, scenarios=scenarios)


def with_tornado(a: Assumption, lo: float, hi: float) -> Assumption:
    """Copy ``a`` with another tornado range."""
    return replace(a, tornado=(lo, hi))
