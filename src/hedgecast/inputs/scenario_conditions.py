"""Conditions, crisis interventions, mixtures and joint tables of ``[scenarios]``, validated.

The grammar (see also the comments above ``[scenarios]`` in models/turkiye_russia.toml)::

    [[scenarios.X.interventions]]          # one table per intervention, in any number
    driver = "sanctions_enforcement"       # a driver intervention: to / by / factor, from, ramp, sd, direction
    by = -0.2
    when = { war_state = "frozen" }        # optional trigger, read on each simulated path

    [[scenarios.X.interventions]]
    crisis = "incident_rate"               # or "escalation": scale the crisis model by a factor
    factor = 1.5                           # from = year, when = {…} as for drivers

    [[scenarios.X.interventions]]
    crisis = "rupture_event"               # or "incident": pin one in a year
    year = 2027

    [scenarios.X]
    branches = ["a", "b", "c"]             # a mixture: each path follows exactly one branch
    branch_probabilities = "lens"          # a Dirichlet lens prior branch_probability.X, or [0.5, 0.3, 0.2]

    [scenarios.X.joint]                    # dependent uncertain events (scenarios X includes)
    events = ["a", "b"]
    outcomes = [ { happen = ["a", "b"], p = 0.2 }, { happen = ["a"], p = 0.1 }, { happen = [], p = 0.7 } ]

A trigger (``when``) tests year t−1 of the path and switches its intervention on from year t:
``war_state = "frozen"`` (or a list of states), ``driver = "leader_ties"`` with ``below = 0.3`` or
``above = 0.5``, ``incident = true`` (a serious incident), ``rupture_event = true`` (an incident
that escalated), ``year = 2027`` (that year or later). Conditions in one ``when`` must hold in the
same year. A trigger latches: once met, the intervention stays on to the end of the horizon, its
ramp counted from the year it switched on.

Every problem is recorded under its dotted field (``scenarios.X.interventions[0].when.war_state``),
so ``hedgecast check`` names the file, line and field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hedgecast.errors import ProblemCollector, suggest
from hedgecast.inputs.spec_parts import (
    CRISIS_FACTORS,
    CRISIS_PINS,
    TRIGGER_KEYS,
    CrisisIntervention,
    Driver,
    JointOutcome,
    JointTable,
    Scenario,
    Trigger,
)
from hedgecast.inputs.spec_toml import check_keys, check_number, check_table, check_year

PROBABILITY_TOLERANCE = 1e-6
"""How far branch probabilities or a joint table may sum from 1 (and a marginal from its event's probability)."""


def parse_trigger(raw: Any, g: str, drivers: Mapping[str, Driver], forecast: tuple[int, int], problems: ProblemCollector) -> Trigger | None:
    """One ``when = {…}`` table; None (with problems recorded) if it is wrong or can never fire."""
    first, last = forecast
    when = check_table(raw, g, problems)
    if not when:
        if isinstance(raw, dict):
            problems.add(g, f"empty trigger: give at least one of {', '.join(TRIGGER_KEYS)}")
        return None
    n0 = len(problems.problems)
    for key in when:
        if key not in TRIGGER_KEYS:
            problems.add(f"{g}.{key}", f"unknown trigger '{key}': {suggest(key, TRIGGER_KEYS)}")
    discrete = next((d for d in drivers.values() if d.kind == "discrete"), None)
    states: tuple[str, ...] = ()
    if "war_state" in when:
        raw_states = when["war_state"]
        given = [raw_states] if isinstance(raw_states, str) else raw_states
        if not isinstance(given, list) or not given or not all(isinstance(s, str) for s in given):
            problems.add(f"{g}.war_state", f"must be a war state in quotes or a list of them, got {raw_states!r}")
        elif discrete is not None:
            for s in given:
                if s not in discrete.states:
                    problems.add(f"{g}.war_state", f"unknown war state '{s}': {suggest(s, list(discrete.states))}")
                elif s == discrete.reference and len(given) == 1:
                    problems.add(
                        f"{g}.war_state",
                        f"can never fire: '{s}' is the reference (no-war) state, which the forecast chain never enters",
                    )
            states = tuple(given)
    name, below, above = "", None, None
    if "driver" in when or "below" in when or "above" in when:
        name = when.get("driver", "")
        if not isinstance(name, str) or not name:
            problems.add(f"{g}.driver", 'missing: below/above need driver = "<name>" (the driver whose level is tested)')
        elif name not in drivers or drivers[name].kind != "continuous":
            problems.add(
                f"{g}.driver", f"unknown driver '{name}': {suggest(name, [d for d, v in drivers.items() if v.kind == 'continuous'])}"
            )
        else:
            levels = [k for k in ("below", "above") if k in when]
            if len(levels) != 1:
                problems.add(f"{g}.below", "give exactly one of below = level or above = level with driver")
            else:
                value = check_number(when[levels[0]], f"{g}.{levels[0]}", problems)
                lo, hi = drivers[name].range
                if value is not None and ((levels[0] == "below" and value <= lo) or (levels[0] == "above" and value >= hi)):
                    problems.add(
                        f"{g}.{levels[0]}",
                        f"can never fire: {name} is kept within [{lo:g}, {hi:g}], so it is never {levels[0]} {value:g}",
                    )
                below, above = (value, None) if levels[0] == "below" else (None, value)
    flags = {}
    for key in ("incident", "rupture_event"):
        value = when.get(key, False)
        if not isinstance(value, bool):
            problems.add(f"{g}.{key}", f"must be true (no quotes), got {value!r}")
        elif key in when and not value:
            problems.add(f"{g}.{key}", f"{key} = false is not a trigger: write {key} = true, or leave it out")
        flags[key] = value is True
    year = 0
    if "year" in when:
        year = check_year(when["year"], f"{g}.year", problems, first - 1, last) or 0
        if year and year >= last:
            problems.add(
                f"{g}.year",
                f"can never fire within the horizon: a trigger read in {year} switches on in {year + 1}, after the last forecast year {last}",
            )
    if len(problems.problems) > n0:
        return None
    return Trigger(states, name, below, above, flags["incident"], flags["rupture_event"], year)


def parse_crisis(
    iv: dict, g: str, drivers: Mapping[str, Driver], forecast: tuple[int, int], problems: ProblemCollector
) -> CrisisIntervention | None:
    """One ``[[scenarios.X.interventions]]`` table with ``crisis = …``."""
    first, last = forecast
    target = iv.get("crisis")
    if target not in (*CRISIS_FACTORS, *CRISIS_PINS):
        problems.add(f"{g}.crisis", f"unknown crisis target {target!r}: {suggest(str(target), [*CRISIS_FACTORS, *CRISIS_PINS])}")
        return None
    if target in CRISIS_PINS:
        check_keys(iv, {"crisis", "year"}, g, problems)
        if "year" not in iv:
            problems.add(f"{g}.year", f"missing: the forecast year ({first}–{last}) the {target.replace('_', ' ')} is pinned in")
            return None
        year = check_year(iv["year"], f"{g}.year", problems, first, last)
        return CrisisIntervention(target, year=year) if year else None
    check_keys(iv, {"crisis", "factor", "from", "when"}, g, problems)
    if "factor" not in iv:
        problems.add(f"{g}.factor", f"missing: {target} is scaled by factor = multiplier (e.g. 1.5)")
        return None
    factor = check_number(iv["factor"], f"{g}.factor", problems, positive=True)
    if factor is not None and factor == 1.0:
        problems.add(f"{g}.factor", "factor = 1 changes nothing; give a multiplier, or remove the intervention")
        return None
    start = check_year(iv.get("from", first), f"{g}.from", problems, first, last) or first
    when = parse_trigger(iv["when"], f"{g}.when", drivers, forecast, problems) if "when" in iv else None
    if factor is None or ("when" in iv and when is None):
        return None
    return CrisisIntervention(target, from_year=start, factor=float(factor), when=when)


def parse_branches(s: dict, f: str, problems: ProblemCollector) -> tuple[tuple[str, ...], tuple[float, ...] | str]:
    """``branches`` and ``branch_probabilities`` of a mixture scenario."""
    raw = s.get("branches", [])
    if not isinstance(raw, list) or not all(isinstance(b, str) for b in raw):
        problems.add(f"{f}.branches", f"must be a list of scenario names in quotes, got {raw!r}")
        return (), ()
    if not raw:
        if "branch_probabilities" in s:
            problems.add(f"{f}.branch_probabilities", 'only a mixture has branch probabilities: give branches = ["…", …] too')
        return (), ()
    if len(raw) < 2:
        problems.add(f"{f}.branches", "a mixture needs at least two branches")
    dupes = sorted({b for b in raw if raw.count(b) > 1})
    if dupes:
        problems.add(f"{f}.branches", f"lists {', '.join(dupes)} more than once")
    probs = s.get("branch_probabilities")
    if probs is None:
        problems.add(
            f"{f}.branch_probabilities",
            f'missing: "lens" (a Dirichlet prior branch_probability.{f.split(".")[-1]} in the lens) or one probability per branch',
        )
        return tuple(raw), ()
    if probs == "lens":
        return tuple(raw), "lens"
    if not isinstance(probs, list) or not all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in probs):
        problems.add(f"{f}.branch_probabilities", f'must be "lens" or a list of numbers, one per branch, got {probs!r}')
        return tuple(raw), ()
    if len(probs) != len(raw):
        problems.add(f"{f}.branch_probabilities", f"gives {len(probs)} probabilities for {len(raw)} branches ({', '.join(raw)})")
        return tuple(raw), ()
    if any(not 0.0 <= p <= 1.0 for p in probs):
        problems.add(f"{f}.branch_probabilities", f"each probability must lie in [0, 1], got {probs}")
        return tuple(raw), ()
    total = math.fsum(probs)
    if abs(total - 1.0) > PROBABILITY_TOLERANCE:
        problems.add(
            f"{f}.branch_probabilities", f"branch probabilities must sum to 1, got {total:.6g} ({' + '.join(f'{p:g}' for p in probs)})"
        )
        return tuple(raw), ()
    return tuple(raw), tuple(float(p) for p in probs)


def parse_joint(raw: Any, f: str, problems: ProblemCollector) -> JointTable | None:
    """``[scenarios.X.joint]``: its events and joint probability table, checked for feasibility."""
    g = f"{f}.joint"
    joint = check_table(raw, g, problems)
    if not joint:
        return None
    check_keys(joint, {"events", "outcomes"}, g, problems)
    events = joint.get("events")
    if not isinstance(events, list) or len(events) < 2 or not all(isinstance(e, str) for e in events):
        problems.add(f"{g}.events", f"must list two or more included uncertain scenarios in quotes, got {events!r}")
        return None
    rows = joint.get("outcomes")
    if not isinstance(rows, list) or not rows:
        problems.add(f"{g}.outcomes", 'missing: a list of { happen = ["…"], p = probability }, one per combination of events')
        return None
    out: list[JointOutcome] = []
    seen: set[frozenset[str]] = set()
    ok = True
    for i, row in enumerate(rows):
        h = f"{g}.outcomes[{i}]"
        if not isinstance(row, dict):
            problems.add(h, f'must be {{ happen = ["…"], p = probability }}, got {row!r}')
            ok = False
            continue
        check_keys(row, {"happen", "p"}, h, problems)
        happen = row.get("happen")
        if not isinstance(happen, list) or not all(isinstance(e, str) for e in happen):
            problems.add(f"{h}.happen", f"must be a list of the events that happen together (maybe empty), got {happen!r}")
            ok = False
            continue
        for e in happen:
            if e not in events:
                problems.add(f"{h}.happen", f"'{e}' is not one of the table's events: {suggest(e, events)}")
                ok = False
        p = row.get("p")
        if not isinstance(p, (int, float)) or isinstance(p, bool):
            problems.add(f"{h}.p", f"must be a probability, got {p!r}")
            ok = False
            continue
        if p < 0 or p > 1:
            problems.add(f"{h}.p", f"infeasible joint table: a probability must lie in [0, 1], got {p:g}")
            ok = False
        key = frozenset(happen)
        if key in seen:
            problems.add(f"{h}.happen", f"the combination {sorted(key) or '(none)'} is listed twice")
            ok = False
        seen.add(key)
        out.append(JointOutcome(key, float(p)))
    if not ok:
        return None
    total = math.fsum(o.probability for o in out)
    if abs(total - 1.0) > PROBABILITY_TOLERANCE:
        problems.add(f"{g}.outcomes", f"infeasible joint table: the probabilities must sum to 1, got {total:.6g}")
        return None
    return JointTable(tuple(dict.fromkeys(events)), tuple(out))


def mixture_problems(scenarios: Mapping[str, Scenario]) -> list[tuple[str, str]]:
    """``(field, message)`` for branches and joint tables that do not fit the other scenarios."""
    out: list[tuple[str, str]] = []
    for s in scenarios.values():
        f = f"scenarios.{s.name}"
        for b in s.branches:
            if b not in scenarios:
                out.append((f"{f}.branches", f"unknown branch '{b}': {suggest(b, [n for n in scenarios if n != s.name])}"))
            elif b == s.name:
                out.append((f"{f}.branches", "a mixture cannot be its own branch"))
            elif scenarios[b].probability is not None:
                out.append(
                    (f"{f}.branches", f"branch '{b}' has a probability of its own; the mixture chooses its branches, so remove it there")
                )
        if s.joint is None:
            continue
        for e in s.joint.events:
            if e not in s.includes:
                out.append((f"{f}.joint.events", f"'{e}' is not included by {s.name}: list it in includes too"))
                continue
            if e not in scenarios:
                continue
            p = scenarios[e].probability
            if p is None:
                out.append((f"{f}.joint.events", f"'{e}' is certain (it has no probability): a joint table is for uncertain events"))
            elif p == "lens":
                out.append(
                    (
                        f"{f}.joint.events",
                        f"'{e}' takes its probability from the lens; a joint table needs each event's fixed probability (a number)",
                    )
                )
            elif abs(s.joint.marginal(e) - float(p)) > PROBABILITY_TOLERANCE:
                out.append(
                    (
                        f"{f}.joint.outcomes",
                        f"infeasible joint table: its marginal P({e}) = {s.joint.marginal(e):.6g} differs from "
                        f"{e}'s own probability {float(p):g}",
                    )
                )
    return out


__all__ = ["PROBABILITY_TOLERANCE", "mixture_problems", "parse_branches", "parse_crisis", "parse_joint", "parse_trigger"]
