"""Scenarios: interventions on future drivers and on the war's Markov chain, composed and
possibly uncertain, turned into sampled future paths (common random numbers across scenarios).
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from hedgecast.errors import SpecError, suggest
from hedgecast.inputs.scenario_compose import Composition, compose
from hedgecast.inputs.spec import ModelSpec
from hedgecast.inputs.spec_parts import Scenario, WarIntervention


def stable_key(name: str) -> int:
    """A process-independent integer for ``name`` (Python's ``hash`` is salted)."""
    return zlib.crc32(name.encode("utf-8"))


@dataclass(frozen=True)
class ResolvedScenario:
    """A scenario ready to simulate: its own settings, and the scenarios it includes as ``parts``.

    ``own`` is the scenario as the spec gives it; each part (and each branch of a mixture)
    is itself a :class:`ResolvedScenario`, so a composed scenario is a tree;
    :mod:`hedgecast.inputs.scenario_compose` says how the tree is applied (parts first, own
    settings last and winning; siblings add up).
    """

    own: Scenario
    parts: tuple[ResolvedScenario, ...] = ()
    branches: tuple[ResolvedScenario, ...] = ()

    @property
    def name(self) -> str:
        return self.own.name

    @property
    def probability(self) -> float | str | None:
        """``None`` (always applied), a fixed probability, or ``"lens"`` (a lens prior)."""
        return self.own.probability

    @property
    def children(self) -> tuple[ResolvedScenario, ...]:
        """The included parts, then a mixture's branches (each applied only on its own paths)."""
        return self.parts + self.branches

    def nodes(self) -> list[ResolvedScenario]:
        """Return the scenario and every part (and branch) below it, depth first, parts before their includer."""
        return [n for p in self.children for n in p.nodes()] + [self]

    @property
    def reads_path(self) -> bool:
        """Whether this scenario or a part has triggers or crisis interventions (simulated year by year)."""
        return any(n.own.conditional or n.own.crisis for n in self.nodes())

    @property
    def uncertain_parts(self) -> tuple[str, ...]:
        """Names of the included scenarios (at any depth) that happen only with a probability."""
        return tuple(n.name for n in self.nodes() if n is not self and n.probability is not None)

    def touches(self, driver: str) -> bool:
        """Whether this scenario or one of its parts moves ``driver``."""
        return any(driver in n.own.drivers for n in self.nodes())


def _resolved(node: Composition) -> ResolvedScenario:
    return ResolvedScenario(node.scenario, tuple(_resolved(p) for p in node.parts), tuple(_resolved(b) for b in node.branches))


def resolve(spec: ModelSpec, name: str) -> ResolvedScenario:
    """The scenario ``name`` with everything it includes, as a tree (each included scenario once)."""
    if name not in spec.scenarios:
        raise SpecError(f"unknown scenario '{name}': {suggest(name, list(spec.scenarios))}")
    tree, _ = compose(spec.scenarios, name)  # a spec that loaded has no cycles and no ambiguous parts
    return _resolved(tree)


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
    """Per draw, whether an uncertain scenario happens (all True if certain).

    The uniform numbers are keyed by the scenario's name and the seed, so a scenario's draw
    is the same whether it is forecast on its own or as a part of another (paired).
    """
    p = scenario.probability
    if p is None:
        return np.ones(n, dtype=bool)
    prob = probabilities[scenario.name] if p == "lens" else np.full(n, float(p))
    u = np.random.default_rng([seed, stable_key(scenario.name)]).random(n)
    return u < prob


def branch_key(name: str) -> str:
    """The key of a mixture's Dirichlet draws in the forecast's scenario probabilities."""
    return f"branches.{name}"


def branch_choice(scenario: ResolvedScenario, probabilities: dict[str, np.ndarray], seed: int, n: int) -> np.ndarray:
    """Per draw, the index of the branch a mixture's path follows.

    Each draw's branch probabilities are the lens's Dirichlet draw (``probabilities``, under
    :func:`branch_key`) or the spec's fixed numbers; the branch is picked with a uniform keyed
    by the mixture's name (the same whatever else is forecast).
    """
    k = len(scenario.branches)
    if scenario.own.branch_probabilities == "lens":
        weights = probabilities[branch_key(scenario.name)]
    else:
        weights = np.broadcast_to(np.asarray(scenario.own.branch_probabilities, dtype=float), (n, k))
    u = np.random.default_rng([seed, stable_key(branch_key(scenario.name))]).random(n)
    return np.minimum((u[:, None] > np.cumsum(weights, axis=1)).sum(axis=1), k - 1)


def joint_draw(scenario: ResolvedScenario, seed: int, n: int) -> dict[str, np.ndarray]:
    """Per draw, whether each event of a scenario's joint table happens: one outcome (row) per draw."""
    u = np.random.default_rng([seed, stable_key(f"joint.{scenario.name}")]).random(n)
    table = scenario.own.joint
    cum = np.cumsum([o.probability for o in table.outcomes])
    row = np.minimum((u[:, None] > cum[None, :]).sum(axis=1), len(table.outcomes) - 1)
    return {e: np.isin(row, [i for i, o in enumerate(table.outcomes) if e in o.happen]) for e in table.events}


def activations(
    spec: ModelSpec, scenario: ResolvedScenario, probabilities: dict[str, np.ndarray], seed: int, n: int
) -> dict[str, np.ndarray]:
    """Per draw, whether the scenario and each of its parts and branches is applied.

    A part is applied where its includer is and its own draw (:func:`activation`, drawn
    independently per part) says it happens: an uncertain part keeps its probability, and
    the includer's multiplies on top. Events of a joint table are drawn together instead
    (:func:`joint_draw`), and a mixture's branches by :func:`branch_choice`.
    """
    out: dict[str, np.ndarray] = {}

    def walk(node: ResolvedScenario, above: np.ndarray, forced: np.ndarray | None = None) -> None:
        own = activation(spec, node, probabilities, seed, n) if forced is None else forced
        out[node.name] = above & own
        joint = joint_draw(node, seed, n) if node.own.joint is not None else {}
        for part in node.parts:
            walk(part, out[node.name], joint.get(part.name))
        if node.branches:
            pick = branch_choice(node, probabilities, seed, n)
            for i, branch in enumerate(node.branches):
                walk(branch, out[node.name], pick == i)

    walk(scenario, np.ones(n, dtype=bool))
    return out


def scenario_masks(scenario: ResolvedScenario, active: np.ndarray, parts: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """Per node, the draws it is applied on (``parts`` from :func:`activations`; certain parts follow ``active``)."""
    out: dict[str, np.ndarray] = {}

    def walk(node: ResolvedScenario, above: np.ndarray) -> None:
        if node is scenario:
            out[node.name] = above
        elif parts is not None and node.name in parts:
            out[node.name] = above & parts[node.name]
        elif node.probability is None and not any(node in p.branches for p in scenario.nodes()):
            out[node.name] = above
        else:
            raise ValueError(f"scenario '{scenario.name}' includes the uncertain '{node.name}': pass parts=activations(...)")
        for part in node.children:
            walk(part, out[node.name])

    walk(scenario, active)
    return out


def ramp_weight(iv: DriverIntervention, years: list[int]) -> np.ndarray:
    """How much of the move is made in each year: 0 before ``from``, then linearly to 1 over ``ramp`` years."""
    return np.clip((np.array(years) - iv.from_year + 1) / iv.ramp, 0.0, 1.0)


def driver_paths(
    spec: ModelSpec,
    scenario: ResolvedScenario,
    last: np.ndarray,
    noise: CommonNoise,
    active: np.ndarray,
    years: list[int],
    parts: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Future driver values, ``(n, driver, year)``.

    Every driver drifts from its last observed value by a random walk with the spec's
    ``future_sd``. On the draws where a scenario (or part) is applied, its interventions
    move that path, reaching their full size after ``ramp`` years:

    * ``to``: the centre of the walk moves from the last value to a level drawn from
      Normal(``to``, ``sd``), i.e. the path moves by ``level − last``;
    * ``by``: the path moves by a change drawn from Normal(``by``, ``sd``);
    * ``factor``: the path moves by ``(f − 1) ×`` where it would otherwise be (the walk
      plus the parts' moves, within the range), ``f`` drawn from Normal(``factor``, ``sd``).

    Parts' moves add up; a node's own ``to`` replaces its parts' moves on that driver.
    Values are clipped to the driver's range at the end, so a move changes a path by exactly
    its size wherever neither path touches a bound. The ``sd`` draws of all interventions on
    one driver share the driver's standard-normal number of the common random numbers.
    ``parts`` (from :func:`activations`) says where each uncertain part is applied.
    """
    sds = np.array([spec.drivers[d].future_sd for d in spec.continuous_drivers])
    walk = np.cumsum(noise.driver_steps * sds[None, :, None], axis=2)
    paths = last[None, :, None] + walk
    lo = np.array([spec.drivers[d].range[0] for d in spec.continuous_drivers])
    hi = np.array([spec.drivers[d].range[1] for d in spec.continuous_drivers])
    masks = scenario_masks(scenario, active, parts) if any(n.own.drivers for n in scenario.nodes()) else {}
    for k, name in enumerate(spec.continuous_drivers):
        if scenario.touches(name):
            bounds = (lo[k], hi[k])
            paths[:, k, :] += _move(scenario, name, paths[:, k, :], last[k], noise.level_noise[:, k][:, None], bounds, masks, years)
    return np.clip(paths, lo[None, :, None], hi[None, :, None])


def _move(
    node: ResolvedScenario,
    name: str,
    walk: np.ndarray,
    last: float,
    z: np.ndarray,
    bounds: tuple[float, float],
    masks: dict[str, np.ndarray],
    years: list[int],
) -> np.ndarray:
    """How far ``node`` and its parts move driver ``name``'s paths ``walk`` (n, year), per draw and year."""
    below = sum((_move(p, name, walk, last, z, bounds, masks, years) for p in node.children), np.zeros_like(walk))
    iv = node.own.drivers.get(name)
    if iv is None:
        return below
    w = ramp_weight(iv, years)[None, :]
    on = masks[node.name][:, None]
    if iv.kind == "to":  # an own absolute target replaces the parts' moves
        return np.where(on, w * (iv.amount + iv.sd * z - last), 0.0)
    if iv.kind == "by":
        step = w * (iv.amount + iv.sd * z)
    else:
        factor = np.maximum(iv.amount + iv.sd * z, 0.0)
        step = w * (factor - 1.0) * np.clip(walk + below, *bounds)
    return below + np.where(on, step, 0.0)


def _war_settings(scenario: ResolvedScenario) -> list[tuple[str, WarIntervention]]:
    """Each node's war settings that apply, parts first; a node's own hold drops its parts' holds."""
    out: list[tuple[str, WarIntervention]] = []

    def walk(node: ResolvedScenario, held_above: bool) -> None:
        war = node.own.war
        for part in node.children:
            walk(part, held_above or bool(war.hold_state))
        out.append((node.name, war if not held_above or not war.hold_state else dataclasses.replace(war, hold_state="", hold_until=0)))

    walk(scenario, False)
    return [(name, war) for name, war in out if war.pin or war.hold_state or war.transition]


def war_paths(
    spec: ModelSpec,
    scenario: ResolvedScenario,
    start_state: str,
    transitions: np.ndarray,
    noise: CommonNoise,
    active: np.ndarray,
    years: list[int],
    parts: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Future war states as indices into ``spec.war_states``, ``(n, year)``.

    ``transitions`` is ``(n, from, to)`` over ``spec.future_war_states``. A pinned year
    sets the state; a hold keeps a state until its year; otherwise the chain moves.
    The reference state (no war) is absorbing unless a scenario pins another state.
    Each setting applies on the draws where its scenario (or part) is applied; parts
    first, so a scenario's own pins, hold and chain rows win over its parts'.
    """
    states = spec.war_states
    future = spec.future_war_states
    to_global = np.array([states.index(s) for s in future])
    n = transitions.shape[0]
    settings = _war_settings(scenario)
    masks = scenario_masks(scenario, active, parts) if settings else {}
    if any(war.transition for _, war in settings):  # fixed rows replace the lens's draws where the scenario is applied
        transitions = transitions.copy()
        for name, war in settings:
            for from_state, row in war.transition.items():
                fixed = np.array([row.get(s, 0.0) for s in future])
                transitions[masks[name], future.index(from_state), :] = fixed
    cum = np.cumsum(transitions, axis=2)
    cum[..., -1] = 1.0
    current = np.full(n, states.index(start_state))
    out = np.empty((n, len(years)), dtype=np.int16)
    local_of = {states.index(s): j for j, s in enumerate(future)}
    local_index = np.array([local_of.get(g, -1) for g in range(len(states))])
    for t, year in enumerate(years):
        local = local_index[current]
        moving = local >= 0
        nxt = current.copy()
        if moving.any():
            rows = cum[np.arange(n)[moving], local[moving]]
            pick = (noise.war_uniform[moving, t][:, None] > rows).sum(axis=1)
            nxt[moving] = to_global[np.minimum(pick, len(future) - 1)]
        for name, war in settings:
            if war.hold_state and year <= war.hold_until:
                nxt = np.where(masks[name], states.index(war.hold_state), nxt)
        for name, war in settings:
            if year in war.pin:
                nxt = np.where(masks[name], states.index(war.pin[year]), nxt)
        out[:, t] = nxt
        current = nxt
    return out


__all__ = [
    "CommonNoise",
    "ResolvedScenario",
    "WarIntervention",
    "activation",
    "activations",
    "branch_choice",
    "branch_key",
    "common_noise",
    "driver_paths",
    "ramp_weight",
    "joint_draw",
    "resolve",
    "scenario_masks",
    "war_paths",
]
