"""Scenario settings that read the simulated path: triggered driver moves and crisis interventions.

:func:`hedgecast.forecasting.simulate.simulate_states` asks a :class:`PathControl` three things
in every forecast year ``t``, vectorized over paths (draws):

1. :meth:`PathControl.before_year`: read year t−1 of each path (the war state, the drivers,
   whether a serious incident or a rupture event happened; for the first forecast year, the
   last fitted year), latch the triggers met there, and move this year's drivers where a
   triggered intervention is on;
2. :meth:`PathControl.scale`: multiply the year's incident rate and escalation probability
   where a crisis ``factor`` is on (a probability is capped at 1);
3. :meth:`PathControl.pin`: force at least one serious incident, or one that escalates, in
   a pinned year.

Every path uses the same common random numbers as without the control, so a trigger changes
a path only from the year after its condition was met on that path, and only where its
scenario (or part, or branch) is applied. A triggered move follows the grammar of
:func:`hedgecast.forecasting.scenarios.driver_paths`, its ramp counted from the year it switched
on; ``to`` moves the path by the distance from its value in the year the trigger was met to a
level drawn from Normal(``to``, ``sd``). Each triggered move is clipped to the driver's range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from hedgecast.forecasting.scenarios import CommonNoise, ResolvedScenario, scenario_masks
from hedgecast.inputs.spec import ModelSpec
from hedgecast.inputs.spec_parts import ConditionalIntervention, CrisisIntervention, Trigger


@dataclass
class Switch:
    """One intervention's state on every path: where it may apply, whether its trigger was met, and since when it is on."""

    scenario: str
    label: str
    when: Trigger | None
    from_year: int
    mask: np.ndarray  # (n,) bool: the paths its scenario is applied on
    met: np.ndarray  # (n,) bool: the trigger has held in some year so far (latched)
    onset: np.ndarray  # (n,) int: the year it switched on, 0 while off

    @property
    def on(self) -> np.ndarray:
        return self.onset > 0


@dataclass
class PathBefore:
    """Year t−1 of every path, as triggers read it."""

    year: int
    drivers: np.ndarray  # (n, driver)
    war: np.ndarray  # (n,) index into spec.war_states
    incidents: np.ndarray  # (n,)
    escalations: np.ndarray  # (n,)


def trigger_met(when: Trigger | None, before: PathBefore, spec: ModelSpec) -> np.ndarray:
    """Per path, whether every condition of ``when`` holds in ``before`` (all True without a trigger)."""
    met = np.ones(before.war.shape[0], dtype=bool)
    if when is None:
        return met
    if when.war_state:
        met &= np.isin(before.war, [spec.war_states.index(s) for s in when.war_state])
    if when.driver:
        value = before.drivers[:, spec.continuous_drivers.index(when.driver)]
        met &= value < when.below if when.below is not None else value > when.above
    if when.incident:
        met &= before.incidents > 0
    if when.rupture_event:
        met &= before.escalations > 0
    if when.year:
        met &= before.year >= when.year
    return met


class PathControl:
    """The triggered driver moves, crisis factors and pins of one resolved scenario, applied year by year."""

    def __init__(
        self,
        spec: ModelSpec,
        scenario: ResolvedScenario,
        masks: Mapping[str, np.ndarray],
        noise: CommonNoise,
        years: list[int],
        last: PathBefore,
    ) -> None:
        self.spec, self.noise, self.years, self.last = spec, noise, years, last
        n = last.war.shape[0]
        self.moves: list[tuple[Switch, ConditionalIntervention, int, np.ndarray]] = []  # (switch, intervention, driver index, anchor)
        self.factors: list[tuple[Switch, CrisisIntervention]] = []
        self.pins: list[tuple[np.ndarray, CrisisIntervention]] = []

        def switch(node: str, label: str, when: Trigger | None, start: int) -> Switch:
            return Switch(node, label, when, start, masks[node], np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int32))

        for node in scenario.nodes():
            for i, c in enumerate(node.own.conditional):
                k = spec.continuous_drivers.index(c.intervention.driver)
                label = f"{node.name}: {c.intervention.driver} [{i}]"
                self.moves.append((switch(node.name, label, c.when, c.intervention.from_year), c, k, np.zeros(n)))
            for c in node.own.crisis:
                if c.is_pin:
                    self.pins.append((masks[node.name], c))
                else:
                    self.factors.append((switch(node.name, f"{node.name}: {c.target}", c.when, c.from_year), c))

    @property
    def switches(self) -> list[Switch]:
        """Every triggered or timed intervention's per-path state (for tests and reports)."""
        return [m[0] for m in self.moves] + [f[0] for f in self.factors]

    def _latch(self, sw: Switch, before: PathBefore, year: int) -> np.ndarray:
        """Latch ``sw``'s trigger on the paths that meet it in ``before``; switch it on from ``year``; the paths switched on now."""
        sw.met |= trigger_met(sw.when, before, self.spec)
        new = sw.met & sw.mask & (sw.onset == 0) & (year >= sw.from_year)
        sw.onset[new] = year
        return new

    def before_year(self, t: int, x: np.ndarray, w: np.ndarray, incidents: np.ndarray, escalations: np.ndarray) -> None:
        """Latch the triggers met in year t−1 and move the drivers ``x[:, :, t]`` (in place) where one is on."""
        year = self.years[t]
        before = self.last if t == 0 else PathBefore(year - 1, x[:, :, t - 1], w[:, t - 1], incidents[:, t - 1], escalations[:, t - 1])
        for sw, _, k, anchor in self.moves:
            new = self._latch(sw, before, year)
            anchor[new] = before.drivers[new, k]  # where the path was when it switched on (for ``to``)
        for sw, _ in self.factors:
            self._latch(sw, before, year)
        for sw, c, k, anchor in self.moves:
            iv = c.intervention
            weight = np.where(sw.on, np.clip((year - sw.onset + 1) / iv.ramp, 0.0, 1.0), 0.0)
            z = self.noise.level_noise[:, k]
            base = x[:, k, t]
            if iv.kind == "by":
                move = iv.amount + iv.sd * z
            elif iv.kind == "to":
                move = iv.amount + iv.sd * z - anchor
            else:
                move = (np.maximum(iv.amount + iv.sd * z, 0.0) - 1.0) * base
            lo, hi = self.spec.drivers[iv.driver].range
            x[:, k, t] = np.clip(base + weight * move, lo, hi)

    def scale(self, t: int, rate: np.ndarray, escalation_p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The year's incident rate and escalation probability with the crisis factors that are on."""
        for sw, c in self.factors:
            factor = np.where(sw.on, c.factor, 1.0)
            if c.target == "incident_rate":
                rate = rate * factor
            else:
                escalation_p = np.minimum(escalation_p * factor, 1.0)
        return rate, escalation_p

    def pin(self, t: int, incidents: np.ndarray, escalations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The year's incidents and escalations with the pinned events of year t."""
        for mask, c in self.pins:
            if c.year != self.years[t]:
                continue
            incidents = np.where(mask, np.maximum(incidents, 1), incidents)
            if c.target == "rupture_event":
                escalations = np.where(mask, np.maximum(escalations, 1), escalations)
        return incidents, escalations


def path_control(
    spec: ModelSpec,
    scenario: ResolvedScenario,
    active: np.ndarray,
    parts: Mapping[str, np.ndarray] | None,
    noise: CommonNoise,
    years: list[int],
    last: PathBefore,
) -> PathControl | None:
    """The :class:`PathControl` of ``scenario`` (None when it reads nothing of the path)."""
    if not scenario.reads_path:
        return None
    return PathControl(spec, scenario, scenario_masks(scenario, active, parts), noise, years, last)


__all__ = ["PathBefore", "PathControl", "Switch", "path_control", "trigger_met"]
