"""How scenarios compose through ``includes``, and what makes a composition wrong.

A scenario is applied as a tree: the scenarios it includes (each with its own includes)
first, in the order listed, then its own settings. Own settings win: a scenario's own
absolute target (``to``) or war hold replaces what its parts set for that driver, its own
pins and fixed chain rows replace theirs for the same year or state, and its own relative
moves (``by``, ``factor``) act on top of its parts. Parts that do not include each other
are siblings: their moves on one driver add up, measured from the same path, so the
order of ``includes`` does not matter. Siblings must not contradict each other: two
different absolute targets for one driver, moves in opposite directions, different war
states for the same year, or different fixed rows for one state of the war's chain. An
intervention holds from its ``from`` year to the end of the horizon, so two on one
driver always overlap.

An included scenario keeps its own probability: it is applied on that share of the
paths on which its includer is applied (see :func:`hedgecast.forecasting.scenarios.activations`).
A mixture's branches (``branches``) are alternatives, not siblings: each path follows
exactly one, so they are never checked against each other (nor against the includes).
A scenario reached twice (through two includes) is applied once; reaching it through
parts that make it uncertain differently is an error, since "once" would be ambiguous.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from hedgecast.inputs.spec_parts import Driver, DriverIntervention, Scenario


@dataclass(frozen=True)
class Composition:
    """A scenario and the scenarios it includes, each once, in include order."""

    scenario: Scenario
    parts: tuple[Composition, ...] = ()
    branches: tuple[Composition, ...] = ()  # a mixture's branches: each path follows exactly one

    @property
    def name(self) -> str:
        return self.scenario.name

    def walk(self) -> Iterator[tuple[Composition, tuple[str, ...]]]:
        """Every node (this one first, then its parts depth first), with its uncertain parts.

        The uncertain parts are those on the way to the node below the top (the node itself
        included when it is uncertain and not the top).
        """
        yield self, ()
        for part in self.parts:
            own = (part.name,) if part.scenario.probability is not None else ()
            for node, gates in part.walk():
                yield node, own + gates
        for branch in self.branches:
            for node, gates in branch.walk():
                yield node, (f"{self.name}:{branch.name}", *gates)


def include_cycles(scenarios: Mapping[str, Scenario]) -> list[list[str]]:
    """Every cycle through ``includes`` once, from its first member in file order back to it."""
    graph = {name: tuple(i for i in (*s.includes, *s.branches) if i in scenarios) for name, s in scenarios.items()}
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for start in graph:
        stack = [(start, [start])]
        while stack:
            cur, path = stack.pop()
            for nxt in graph[cur]:
                if nxt == start:
                    if frozenset(path) not in seen:
                        seen.add(frozenset(path))
                        cycles.append([*path, start])
                elif nxt not in path:
                    stack.append((nxt, [*path, nxt]))
    return cycles


def reaches_cycle(scenarios: Mapping[str, Scenario], cycles: list[list[str]]) -> set[str]:
    """Names of the scenarios on a cycle or including one (they cannot be composed)."""
    bad = {n for c in cycles for n in c}
    changed = True
    while changed:
        changed = False
        for name, s in scenarios.items():
            if name not in bad and any(i in bad for i in (*s.includes, *s.branches)):
                bad.add(name)
                changed = True
    return bad


def compose(scenarios: Mapping[str, Scenario], name: str) -> tuple[Composition, list[str]]:
    """The include tree of ``name`` (no cycles allowed) and what is wrong with reaching a part twice.

    Unknown includes are skipped (the spec reports them). A part reached again through parts
    that make it uncertain in the same way is applied once (where it was first reached).
    """
    first: dict[str, tuple[tuple[str, ...], str]] = {}
    problems: list[str] = []

    def build(s: Scenario, gates: tuple[str, ...], via: str) -> Composition:
        parts, branches = [], []
        for inc in (*s.includes, *s.branches):
            if inc not in scenarios:
                continue
            part = scenarios[inc]
            is_branch = inc in s.branches
            route = gates + ((inc,) if part.probability is not None else ()) + ((f"{s.name}:{inc}",) if is_branch else ())
            if inc in first:
                seen_gates, seen_via = first[inc]
                if set(seen_gates) != set(route):
                    problems.append(
                        f"{inc} is included twice, through {seen_via} and through {s.name}, and the uncertain scenarios "
                        f"on the way differ ({', '.join(seen_gates) or 'none'} vs {', '.join(route) or 'none'}), so whether it "
                        f"happens is ambiguous; include {inc} once"
                    )
                continue
            first[inc] = (route, s.name)
            (branches if is_branch else parts).append(build(part, route, s.name))
        return Composition(s, tuple(parts), tuple(branches))

    return build(scenarios[name], (), name), problems


# --------------------------------------------------------------------------------------
# Contradictions between sibling parts
# --------------------------------------------------------------------------------------
@dataclass
class _Effective:
    """What a subtree does in the end (after its own settings replaced its parts')."""

    drivers: dict[str, list[tuple[str, DriverIntervention]]] = field(default_factory=dict)
    pins: dict[int, tuple[str, str]] = field(default_factory=dict)  # year -> (state, declared by)
    holds: list[tuple[str, int, str]] = field(default_factory=list)  # (state, until, declared by)
    rows: dict[str, tuple[dict[str, float], str]] = field(default_factory=dict)  # from-state -> (row, declared by)


def _effective(node: Composition) -> _Effective:
    out = _Effective()
    for part in node.parts:
        e = _effective(part)
        for d, ivs in e.drivers.items():
            out.drivers.setdefault(d, []).extend(ivs)
        out.pins.update(e.pins)
        out.holds.extend(e.holds)
        out.rows.update(e.rows)
    s = node.scenario
    for d, iv in s.drivers.items():
        if iv.kind == "to":
            out.drivers[d] = [(s.name, iv)]
        else:
            out.drivers.setdefault(d, []).append((s.name, iv))
    out.pins.update({y: (state, s.name) for y, state in s.war.pin.items()})
    if s.war.hold_state:
        out.holds = [(s.war.hold_state, s.war.hold_until, s.name)]
    out.rows.update({k: (row, s.name) for k, row in s.war.transition.items()})
    return out


def _setting(part: str, iv: DriverIntervention) -> str:
    what = f"{iv.kind} = {iv.amount:+g}" if iv.kind == "by" else f"{iv.kind} = {iv.amount:g}"
    return f"scenarios.{part}.drivers.{iv.driver} ({what}{', ' + iv.direction if iv.direction else ''}, from {iv.from_year})"


def _driver_conflict(a: tuple[str, DriverIntervention], b: tuple[str, DriverIntervention], drv: Driver) -> str:
    (pa, ia), (pb, ib) = a, b
    if ia.kind == "to" and ib.kind == "to" and (ia.to, ia.sd, ia.from_year, ia.ramp) != (ib.to, ib.sd, ib.from_year, ib.ramp):
        return f"{_setting(pa, ia)} and {_setting(pb, ib)} are two absolute targets for the same years"
    if ia.sign(drv.range) * ib.sign(drv.range) < 0:
        return f"{_setting(pa, ia)} and {_setting(pb, ib)} move it in opposite directions"
    return ""


def _war_conflict(a: _Effective, b: _Effective) -> str:
    for year, (state, part) in a.pins.items():
        if year in b.pins and b.pins[year][0] != state:
            return f"scenarios.{part}.war.pin sets “{state}” in {year} but scenarios.{b.pins[year][1]}.war.pin sets “{b.pins[year][0]}”"
    for x, y in ((a, b), (b, a)):
        for state, until, part in x.holds:
            for hstate, huntil, hpart in y.holds:
                if hstate != state:
                    return (
                        f"scenarios.{part}.war.hold keeps “{state}” until {until} "
                        f"but scenarios.{hpart}.war.hold keeps “{hstate}” until {huntil}"
                    )
            for year, (pstate, ppart) in y.pins.items():
                if year <= until and pstate != state:
                    return (
                        f"scenarios.{part}.war.hold keeps “{state}” until {until} but scenarios.{ppart}.war.pin sets “{pstate}” in {year}"
                    )
    for state, (row, part) in a.rows.items():
        if state in b.rows and b.rows[state][0] != row:
            return f"scenarios.{part}.war.transition.{state} and scenarios.{b.rows[state][1]}.war.transition.{state} fix different rows"
    return ""


def composition_problems(node: Composition, drivers: Mapping[str, Driver]) -> list[tuple[str, str]]:
    """``(field, message)`` for every contradiction between sibling parts, anywhere in the tree.

    Each is reported once, at the scenario whose includes bring the two parts together.
    """
    out: list[tuple[str, str]] = []
    for sub, _ in node.walk():
        if len(sub.parts) < 2:
            continue
        effective = [(p.name, _effective(p)) for p in sub.parts]
        where = f"scenarios.{sub.name}.includes"
        fix_driver = "keep one, make them agree, or set the driver in {0} itself (its own setting wins)"
        for i, (na, ea) in enumerate(effective):
            for nb, eb in effective[i + 1 :]:
                for d in ea.drivers.keys() & eb.drivers.keys():
                    why = next((w for a in ea.drivers[d] for b in eb.drivers[d] if (w := _driver_conflict(a, b, drivers[d]))), "")
                    if why:
                        label = drivers[d].label or d
                        out.append((where, f"{na} and {nb} contradict each other on {label} ({d}): {why}; " + fix_driver.format(sub.name)))
                why = _war_conflict(ea, eb)
                if why:
                    out.append(
                        (
                            where,
                            f"{na} and {nb} contradict each other on the war: {why}; "
                            f"keep one, or set the war in {sub.name} itself (its own setting wins)",
                        )
                    )
    return out


__all__ = ["Composition", "compose", "composition_problems", "include_cycles", "reaches_cycle"]
