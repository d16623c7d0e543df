"""Scenarios: interventions on future drivers and on the war's Markov chain, composed and
possibly uncertain, turned into sampled future paths (common random numbers across scenarios).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from hedgecast.errors import SpecError, suggest
from hedgecast.inputs.spec import ModelSpec
from hedgecast.inputs.spec_parts import DriverIntervention, Scenario, WarIntervention


def stable_key(name: str) -> int:
    """A process-independent integer for ``name`` (Python's ``hash`` is salted)."""
    return zlib.crc32(name.encode("utf-8"))


@dataclass(frozen=True)
class ResolvedScenario:
    """A scenario with its ``includes`` merged in (its own settings win)."""

    name: str
    probability: float | str | None
    pins: dict[int, str] = field(default_factory=dict)
    hold_state: str = ""
    hold_until: int = 0
    drivers: dict[str, DriverIntervention] = field(default_factory=dict)
    uncertain_parts: tuple[str, ...] = ()
    transition: dict[str, dict[str, float]] = field(default_factory=dict)


def resolve(spec: ModelSpec, name: str) -> ResolvedScenario:
    """Merge a scenario with everything it includes (depth first, own settings last)."""
    if name not in spec.scenarios:
        raise SpecError(f"unknown scenario '{name}': {suggest(name, list(spec.scenarios))}")
    pins: dict[int, str] = {}
    hold_state, hold_until = "", 0
    drivers: dict[str, DriverIntervention] = {}
    uncertain: list[str] = []
    transition: dict[str, dict[str, float]] = {}

    def merge(s: Scenario) -> None:
        nonlocal hold_state, hold_until
        for inc in s.includes:
            merge(spec.scenarios[inc])
        pins.update(s.war.pin)
        if s.war.hold_state:
            hold_state, hold_until = s.war.hold_state, s.war.hold_until
        drivers.update(s.drivers)
        transition.update(getattr(s.war, "transition", {}) or {})
        if s.probability is not None and s.name != name:
            uncertain.append(s.name)

    scenario = spec.scenarios[name]
    merge(scenario)
    return ResolvedScenario(name, scenario.probability, pins, hold_state, hold_until, drivers, tuple(uncertain), transition)


@dataclass
class CommonNoise:
    """Random numbers shared by every scenario, so scenario differences are not noise."""

    driver_steps: np.ndarray  # (n, driver, year) standard normal
    level_noise: np.ndarray  # (n, driver) standard normal, for intervention levels
    war_uniform: np.ndarray  # (n, year)
    incident_uniform: np.ndarray  # (n, year): the year's incidents, by the Poisson inverse CDF
    shock: np.ndarray  # (n, year, channel) standard Student-t with the draw's nu
    measurement: np.ndarray  # (n, year, indicator) standard normal
    escalation_uniform: np.ndarray  # (n, year): how many of them escalate, by the Binomial inverse CDF


def common_noise(spec: ModelSpec, nu: np.ndarray, seed: int, n_years: int) -> CommonNoise:
    """Draw the shared random numbers for ``len(nu)`` posterior draws."""
    rng = np.random.default_rng([seed, 0])
    n = len(nu)
    k, c, i = len(spec.continuous_drivers), len(spec.channel_names), len(spec.indicator_names)
    return CommonNoise(
        driver_steps=rng.standard_normal((n, k, n_years)),
        level_noise=rng.standard_normal((n, k)),
        war_uniform=rng.random((n, n_years)),
        incident_uniform=rng.random((n, n_years)),
        shock=rng.standard_t(np.repeat(nu[:, None, None], n_years, 1).repeat(c, 2)),
        measurement=rng.standard_normal((n, n_years, i)),
        escalation_uniform=rng.random((n, n_years)),
    )


def activation(spec: ModelSpec, scenario: ResolvedScenario, probabilities: dict[str, np.ndarray], seed: int, n: int) -> np.ndarray:
    """Per draw, whether an uncertain scenario's intervention happens (all True if certain)."""
    p = scenario.probability
    if p is None:
        return np.ones(n, dtype=bool)
    prob = probabilities[scenario.name] if p == "lens" else np.full(n, float(p))
    u = np.random.default_rng([seed, stable_key(scenario.name)]).random(n)
    return u < prob


def driver_paths(spec: ModelSpec, scenario: ResolvedScenario, last: np.ndarray, noise: CommonNoise, active: np.ndarray, years: list[int]) -> np.ndarray:
    """Future driver values, ``(n, driver, year)``.

    Every driver drifts from its last observed value by a random walk with the spec's
    ``future_sd``; an intervention moves its mean linearly (over ``ramp`` years) to a
    level drawn from Normal(``to``, ``sd``). Values are clipped to the driver's range.
    """
    noise.driver_steps.shape[0]
    sds = np.array([spec.drivers[d].future_sd for d in spec.continuous_drivers])
    walk = np.cumsum(noise.driver_steps * sds[None, :, None], axis=2)
    paths = last[None, :, None] + walk
    yr = np.array(years)
    for k, name in enumerate(spec.continuous_drivers):
        iv = scenario.drivers.get(name)
        if iv is None:
            continue
        level = iv.to + iv.sd * noise.level_noise[:, k]
        weight = np.clip((yr - iv.from_year + 1) / iv.ramp, 0.0, 1.0)
        shifted = paths[:, k, :] + weight[None, :] * (level[:, None] - last[k])
        paths[:, k, :] = np.where(active[:, None], shifted, paths[:, k, :])
    lo = np.array([spec.drivers[d].range[0] for d in spec.continuous_drivers])
    hi = np.array([spec.drivers[d].range[1] for d in spec.continuous_drivers])
    return np.clip(paths, lo[None, :, None], hi[None, :, None])


def war_paths(spec: ModelSpec, scenario: ResolvedScenario, start_state: str, transitions: np.ndarray, noise: CommonNoise, active: np.ndarray, years: list[int]) -> np.ndarray:
    """Future war states as indices into ``spec.war_states``, ``(n, year)``.

    ``transitions`` is ``(n, from, to)`` over ``spec.future_war_states``. A pinned year
    sets the state; a hold keeps a state until its year; otherwise the chain moves.
    The reference state (no war) is absorbing unless a scenario pins another state.
    """
    states = spec.war_states
    future = spec.future_war_states
    to_global = np.array([states.index(s) for s in future])
    n = transitions.shape[0]
    if scenario.transition:  # fixed rows replace the lens's draws where the scenario is active
        transitions = transitions.copy()
        for from_state, row in scenario.transition.items():
            j = future.index(from_state)
            fixed = np.array([row.get(s, 0.0) for s in future])
            transitions[active, j, :] = fixed
    cum = np.cumsum(transitions, axis=2)
    cum[..., -1] = 1.0
    current = np.full(n, states.index(start_state))
    out = np.empty((n, len(years)), dtype=np.int16)
    local_of = {states.index(s): j for j, s in enumerate(future)}
    for t, year in enumerate(years):
        local = np.array([local_of.get(int(g), -1) for g in range(len(states))])[current]
        moving = local >= 0
        nxt = current.copy()
        if moving.any():
            rows = cum[np.arange(n)[moving], local[moving]]
            pick = (noise.war_uniform[moving, t][:, None] > rows).sum(axis=1)
            nxt[moving] = to_global[np.minimum(pick, len(future) - 1)]
        if scenario.hold_state and year <= scenario.hold_until:
            nxt = np.where(active, states.index(scenario.hold_state), nxt)
        if year in scenario.pins:
            nxt = np.where(active, states.index(scenario.pins[year]), nxt)
        out[:, t] = nxt
        current = nxt
    return out


__all__ = ["CommonNoise", "ResolvedScenario", "WarIntervention", "activation", "common_noise", "driver_paths", "resolve", "war_paths"]
