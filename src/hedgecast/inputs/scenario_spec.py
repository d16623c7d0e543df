"""The ``[scenarios]`` of a model spec: interventions on future drivers, validated.

:func:`parse_scenarios` records every problem under its dotted field (nothing is
raised), like the rest of :func:`hedgecast.inputs.spec.parse_spec`.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Mapping
from typing import Any

from hedgecast.errors import ProblemCollector, SpecError, suggest
from hedgecast.inputs.scenario_compose import compose, composition_problems, include_cycles, reaches_cycle
from hedgecast.inputs.scenario_conditions import mixture_problems, parse_branches, parse_crisis, parse_joint, parse_trigger
from hedgecast.inputs.spec_parts import (
    DIRECTIONS,
    INTERVENTION_KINDS,
    ConditionalIntervention,
    CrisisIntervention,
    Driver,
    DriverIntervention,
    Scenario,
    WarIntervention,
)
from hedgecast.inputs.spec_toml import (
    add_lines,
    check_keys,
    check_name,
    check_number,
    check_provenance,
    check_table,
    check_text,
    check_year,
    close_hint,
    quoted_number_hint,
)

SCENARIO_KEYS = {
    "label",
    "description",
    "includes",
    "probability",
    "war",
    "drivers",
    "interventions",
    "branches",
    "branch_probabilities",
    "joint",
    "source",
    "quote",
    "reason",
    "hypothetical",
}
"""The keys a ``[scenarios.X]`` table may have."""

ROW_SUM_TOLERANCE = 1e-6
"""How far a row of fixed war-state transition probabilities may sum from 1."""


def _parse_transition(raw: Any, f: str, future: list[str], reference: str, problems: ProblemCollector) -> dict[str, dict[str, float]]:
    """Parse a fixed war-state transition matrix: from-state -> full row over ``future``."""
    table = check_table(raw, f, problems)
    out: dict[str, dict[str, float]] = {}

    def unknown(state: str) -> str:
        if state == reference:
            return f"'{state}' is the reference (no-war) state, which the chain never enters or leaves; use pin to set it"
        return f"unknown war state '{state}': {suggest(state, future)}"

    for src, row in table.items():
        g = f"{f}.{src}"
        if src not in future:
            problems.add(g, unknown(src))
            continue
        row = check_table(row, g, problems)
        if not row:
            if isinstance(table[src], dict):
                problems.add(g, f"empty row: give next-year probabilities over {', '.join(future)}")
            continue
        full = dict.fromkeys(future, 0.0)
        ok = True
        for dst, p in row.items():
            value = check_number(p, f"{g}.{dst}", problems, unit=True)
            if dst not in future:
                problems.add(f"{g}.{dst}", unknown(dst))
                ok = False
            elif value is None or not 0.0 <= value <= 1.0:
                ok = False
            else:
                full[dst] = value
        if ok:
            total = math.fsum(full.values())
            if abs(total - 1.0) > ROW_SUM_TOLERANCE:
                problems.add(g, f"probabilities in a row must sum to 1, got {total:.6g} ({' + '.join(f'{v:g}' for v in row.values())})")
            else:
                out[src] = full
    return out


def _parse_intervention(
    dname: str, iv: Any, g: str, drivers: Mapping[str, Driver], forecast: tuple[int, int], problems: ProblemCollector
) -> DriverIntervention | None:
    """One ``[scenarios.X.drivers.D]`` table: exactly one of to/by/factor, plus from, ramp, sd, direction."""
    first, last = forecast
    iv = check_table(iv, g, problems)
    check_keys(iv, {"from", "to", "by", "factor", "sd", "ramp", "direction"}, g, problems)
    if dname not in drivers:
        problems.add(g, f"unknown driver '{dname}': {suggest(dname, list(drivers))}")
        return None
    if drivers[dname].kind != "continuous":
        problems.add(g, "the war state is set under [scenarios.X.war] (pin, hold or transition), not as a driver level")
        return None
    start = check_year(iv.get("from", first), f"{g}.from", problems, first, last) or first
    given = [k for k in INTERVENTION_KINDS if k in iv]
    if not given:
        problems.add(
            f"{g}.to",
            "missing: give exactly one of to = level (absolute), by = change (relative, e.g. +0.2) "
            "or factor = multiplier (relative, e.g. 1.2)",
        )
        return None
    if len(given) > 1:
        problems.add(f"{g}.{given[1]}", f"give exactly one of to, by and factor, not {' and '.join(given)}")
        return None
    kind = given[0]
    value = check_number(iv[kind], f"{g}.{kind}", problems, positive=kind == "factor")
    lo, hi = drivers[dname].range
    if value is not None:
        if kind == "to" and not lo <= value <= hi:
            problems.add(f"{g}.to", f"{value:g} lies outside the driver's range [{lo:g}, {hi:g}]")
        elif kind == "by" and abs(value) > hi - lo:
            problems.add(f"{g}.by", f"{value:+g} is more than the driver's whole range [{lo:g}, {hi:g}]")
        elif (kind, value) in {("by", 0.0), ("factor", 1.0)}:
            problems.add(f"{g}.{kind}", f"{kind} = {value:g} changes nothing; give a change, or remove the intervention")
    direction = iv.get("direction", "")
    if not isinstance(direction, str) or (direction and direction not in DIRECTIONS):
        words = ", ".join(repr(d) for d in DIRECTIONS)
        problems.add(f"{g}.direction", f"must be one of {words}, got {direction!r}{close_hint(direction, list(DIRECTIONS))}")
        direction = ""
    sd = check_number(iv.get("sd", 0.0), f"{g}.sd", problems, nonneg=True)
    ramp = iv.get("ramp", 1)
    if isinstance(ramp, bool) or not isinstance(ramp, int) or ramp < 1:
        problems.add(f"{g}.ramp", f"must be a whole number of years ≥ 1, got {ramp!r}")
        ramp = 1
    amount = {kind: value if value is not None else 0.0}
    out = DriverIntervention(dname, start, sd=sd if sd is not None else 0.0, ramp=ramp, direction=direction, **amount)
    declared = out.declared_sign
    if declared and kind != "to" and value is not None:
        implied = dataclasses.replace(out, direction="").sign(drivers[dname].range)  # what by/factor does on their own
        if implied and implied != declared:
            problems.add(
                f"{g}.direction",
                f'direction = "{direction}" moves {drivers[dname].label or dname} {"up" if declared > 0 else "down"}, '
                f"but {kind} = {value:g} moves it {'up' if implied > 0 else 'down'}",
            )
    return out


def _parse_interventions(
    raw: Any,
    f: str,
    drivers: Mapping[str, Driver],
    forecast: tuple[int, int],
    unconditional: dict[str, DriverIntervention],
    problems: ProblemCollector,
) -> tuple[tuple[ConditionalIntervention, ...], tuple[CrisisIntervention, ...]]:
    """``[[scenarios.X.interventions]]``: driver interventions (with a trigger, or plain) and crisis ones.

    A plain driver intervention (no ``when``) joins ``unconditional`` (the ``[drivers]`` table's).
    """
    if not isinstance(raw, list) or not all(isinstance(iv, dict) for iv in raw):
        problems.add(
            f"{f}.interventions", f"must be tables [[scenarios.X.interventions]] (each with driver = … or crisis = …), got {raw!r}"
        )
        return (), ()
    conditional: list[ConditionalIntervention] = []
    crisis: list[CrisisIntervention] = []
    pinned: dict[tuple[str, int], str] = {}
    for i, iv in enumerate(raw):
        g = f"{f}.interventions[{i}]"
        if ("driver" in iv) == ("crisis" in iv):
            problems.add(
                f"{g}.driver",
                'give exactly one of driver = "<driver>" or crisis = "incident_rate" | "escalation" | "incident" | "rupture_event"',
            )
            continue
        if "crisis" in iv:
            parsed = parse_crisis(iv, g, drivers, forecast, problems)
            if parsed is not None:
                if parsed.is_pin and (parsed.target, parsed.year) in pinned:
                    problems.add(f"{g}.year", f"{parsed.target} is already pinned in {parsed.year} by {pinned[parsed.target, parsed.year]}")
                pinned[parsed.target, parsed.year] = g
                crisis.append(parsed)
            continue
        dname = iv["driver"]
        if not isinstance(dname, str):
            problems.add(f"{g}.driver", f"must be a driver name in quotes, got {dname!r}")
            continue
        body = {k: v for k, v in iv.items() if k not in ("driver", "when")}
        parsed_iv = _parse_intervention(dname, body, g, drivers, forecast, problems)
        if "when" not in iv:
            if parsed_iv is not None and dname in unconditional:
                problems.add(
                    f"{g}.driver", f"{dname} is already moved by this scenario without a trigger; give each driver one plain intervention"
                )
            elif parsed_iv is not None:
                unconditional[dname] = parsed_iv
            continue
        when = parse_trigger(iv["when"], f"{g}.when", drivers, forecast, problems)
        if parsed_iv is not None and when is not None:
            conditional.append(ConditionalIntervention(parsed_iv, when))
    return tuple(conditional), tuple(crisis)


def direction_warnings(
    scenarios: Mapping[str, Scenario], drivers: Mapping[str, Driver], current: Mapping[str, float], year: int
) -> list[tuple[str, str]]:
    """``(field, message)`` for each intervention that declares a direction and goes the other way.

    ``current`` holds each driver's last coded value (in ``year``). An absolute target must
    lie on the declared side of it; a ``factor`` must move it that way from it.
    """
    out = []
    for s in scenarios.values():
        for d, iv in s.drivers.items():
            if not iv.declared_sign or d not in current or iv.kind == "by":
                continue
            now, label = float(current[d]), drivers[d].label or d
            moved = iv.amount - now if iv.kind == "to" else (iv.amount - 1.0) * now
            if moved * iv.declared_sign > 0:
                continue
            side = "above" if iv.declared_sign > 0 else "below"
            if iv.kind == "to":
                what = f"to = {iv.amount:g} is not {side} the last coded value ({now:g} in {year}), so it does not {iv.direction} {label}"
                fix = f"use by = {'+' if iv.declared_sign > 0 else '-'}… (a change from where the path would be) or a target {side} {now:g}"
            else:
                what = f"factor = {iv.amount:g} times the last coded value ({now:g} in {year}) does not {iv.direction} {label}"
                fix = "use by = … instead, or a factor on the other side of 1"
            out.append((f"scenarios.{s.name}.drivers.{d}.{iv.kind}", f'{what} although direction = "{iv.direction}"; {fix}'))
    return out


def _probability(raw: Any, f: str, problems: ProblemCollector) -> float | str | None:
    """``probability``: absent (always applied), a number in [0, 1], or ``"lens"``."""
    if isinstance(raw, str):
        if raw == "lens":
            return "lens"
        hint = quoted_number_hint(raw) or close_hint(raw, ["lens"])
        problems.add(f"{f}.probability", f'must be a number in [0, 1] or "lens", got {raw!r}{hint}')
        return None
    return None if raw is None else check_number(raw, f"{f}.probability", problems, unit=True)


def _war(s: dict, f: str, war: Driver | None, forecast: tuple[int, int], problems: ProblemCollector) -> WarIntervention:
    """``[scenarios.X.war]``: pinned years, a hold, and fixed transition rows."""
    first, last = forecast
    war_states = list(war.states) if war else []
    war_raw = check_table(s.get("war", {}), f"{f}.war", problems)
    check_keys(war_raw, {"pin", "hold", "transition"}, f"{f}.war", problems)
    pins: dict[int, str] = {}
    for year, state in check_table(war_raw.get("pin", {}), f"{f}.war.pin", problems).items():
        g = f"{f}.war.pin.{year}"
        y = int(year) if re.fullmatch(r"[0-9]{1,6}", year) else None
        if y is None or not first <= y <= last:
            problems.add(g, f"year must be a forecast year {first}–{last}, got {year!r}")
            continue
        if state not in war_states:
            problems.add(g, f"unknown war state {state!r}: {suggest(state, war_states)}")
            continue
        pins[y] = state
    hold = check_table(war_raw.get("hold", {}), f"{f}.war.hold", problems)
    check_keys(hold, {"state", "until"}, f"{f}.war.hold", problems)
    hold_state, hold_until = "", 0
    if hold:
        hold_state = hold.get("state", "")
        if hold_state not in war_states:
            problems.add(f"{f}.war.hold.state", f"unknown war state {hold_state!r}: {suggest(hold_state, war_states)}")
            hold_state = ""
        if "until" not in hold:
            problems.add(f"{f}.war.hold.until", "missing: the last year the state is held")
        hold_until = check_year(hold.get("until", first), f"{f}.war.hold.until", problems, first, last) or 0
        if not hold_state or not hold_until:
            hold_state, hold_until = "", 0
    transition: dict[str, dict[str, float]] = {}
    if "transition" in war_raw:
        future_states = [st for st in war_states if war is not None and st != war.reference]
        transition = _parse_transition(war_raw["transition"], f"{f}.war.transition", future_states, war.reference if war else "", problems)
    return WarIntervention(pins, hold_state, hold_until, transition)


def _includes(s: dict, f: str, problems: ProblemCollector) -> tuple[str, ...]:
    """``includes``: the names of the scenarios this one is composed of, each once."""
    includes = s.get("includes", [])
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        problems.add(f"{f}.includes", f"must be a list of scenario names in quotes, got {includes!r}")
        includes = [i for i in includes if isinstance(i, str)] if isinstance(includes, list) else []
    dupes = sorted({i for i in includes if includes.count(i) > 1})
    if dupes:
        problems.add(f"{f}.includes", f"lists {', '.join(dupes)} more than once")
    return tuple(dict.fromkeys(includes))


def _hypothetical(s: dict, f: str, reason: str, problems: ProblemCollector) -> bool:
    """``hypothetical``: a boolean; a hypothetical scenario must give its ``reason``."""
    hypothetical = s.get("hypothetical", False)
    if not isinstance(hypothetical, bool):
        problems.add(f"{f}.hypothetical", f"must be true or false (no quotes), got {hypothetical!r}")
        return False
    if hypothetical and not reason.strip():
        problems.add(f"{f}.reason", 'a hypothetical scenario must say why it is worth asking (reason = "...")')
    return hypothetical


def _scenario(
    sname: str, s: dict, drivers: Mapping[str, Driver], war: Driver | None, forecast: tuple[int, int], problems: ProblemCollector
) -> Scenario:
    """One ``[scenarios.X]`` table, every problem recorded under its field."""
    f = f"scenarios.{sname}"
    check_name(sname, f, problems, "scenario")
    s = check_table(s, f, problems)
    check_keys(s, SCENARIO_KEYS, f, problems)
    prov = check_provenance(s, f, problems)
    interventions: dict[str, DriverIntervention] = {}
    for dname, iv in check_table(s.get("drivers", {}), f"{f}.drivers", problems).items():
        parsed = _parse_intervention(dname, iv, f"{f}.drivers.{dname}", drivers, forecast, problems)
        if parsed is not None:
            interventions[dname] = parsed
    conditional, crisis = _parse_interventions(s.get("interventions", []), f, drivers, forecast, interventions, problems)
    branches, branch_probabilities = parse_branches(s, f, problems)
    return Scenario(
        sname,
        label=check_text(s.get("label"), f"{f}.label", problems, sname),
        description=check_text(s.get("description"), f"{f}.description", problems),
        includes=_includes(s, f, problems),
        probability=_probability(s.get("probability"), f, problems),
        war=_war(s, f, war, forecast, problems),
        drivers=interventions,
        provenance=prov,
        hypothetical=_hypothetical(s, f, prov.reason, problems),
        conditional=conditional,
        crisis=crisis,
        branches=branches,
        branch_probabilities=branch_probabilities,
        joint=parse_joint(s.get("joint", {}), f, problems),
    )


def parse_scenarios(
    data: dict,
    drivers: Mapping[str, Driver],
    forecast: tuple[int, int],
    problems: ProblemCollector,
    known: Mapping[str, Scenario] | None = None,
) -> dict[str, Scenario]:
    """Every ``[scenarios.X]`` of ``data``; ``known`` scenarios (already valid) may be included or branched to."""
    discrete = [d for d in drivers.values() if d.kind == "discrete"]
    war = discrete[0] if len(discrete) == 1 else None
    raw = check_table(data.get("scenarios", {}), "scenarios", problems)
    scenarios = {sname: _scenario(sname, s, drivers, war, forecast, problems) for sname, s in raw.items()}
    if not scenarios:
        problems.add("scenarios", "at least one scenario is required (e.g. a status_quo with no interventions)")
    everything = {**(known or {}), **scenarios}
    for sc in scenarios.values():
        for inc in sc.includes:
            if inc not in everything:
                problems.add(f"scenarios.{sc.name}.includes", f"unknown scenario '{inc}': {suggest(inc, list(everything))}")
    for where, message in mixture_problems(everything):
        problems.add(where, message)
    cycles = include_cycles(everything)
    for cycle in cycles:
        problems.add(
            f"scenarios.{cycle[0]}.includes",
            f"includes itself through {' → '.join(cycle)}: a scenario cannot include itself, directly or through others",
        )
    blocked = reaches_cycle(everything, cycles)
    for name in scenarios:
        if name in blocked:
            continue
        tree, twice = compose(everything, name)
        for message in twice:
            problems.add(f"scenarios.{name}.includes", message)
        for where, message in composition_problems(tree, drivers):
            problems.add(where, message)
    return scenarios


def add_scenarios(spec: Any, text: str, where: str = "<scenarios written in a notebook>") -> Any:
    """``spec`` (a :class:`~hedgecast.inputs.spec.ModelSpec`) with the ``[scenarios.X]`` tables of TOML ``text`` added.

    The same grammar and checks as the spec file; the new scenarios may include, or branch to,
    the spec's own. A mistake raises one :class:`~hedgecast.errors.SpecError` naming ``where``,
    the line and the field. Probabilities must be numbers here: ``"lens"`` needs a prior in the lens file.
    """
    problems = ProblemCollector(where)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        problems.add("", f"TOML syntax error: {err}")
        problems.raise_if_any(SpecError)
        raise
    new = parse_scenarios(data, spec.drivers, spec.forecast, problems, known=spec.scenarios)
    for name, s in new.items():
        if name in spec.scenarios:
            problems.add(f"scenarios.{name}", f"the spec already has a scenario '{name}': choose another name")
        if s.probability == "lens" or s.branch_probabilities == "lens":
            problems.add(f"scenarios.{name}", '"lens" probabilities need a prior in a lens file; give numbers here')
    add_lines(problems, text)
    problems.raise_if_any(SpecError)
    return dataclasses.replace(spec, scenarios={**spec.scenarios, **new})
