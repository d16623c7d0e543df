"""What a scenario does, in words: one definition for ``hedgecast scenarios`` and the report.

Each intervention becomes one line, in the order the scenario applies them (included
parts first), e.g. "Western sanctions enforcement (sanctions_enforcement) tightens by +0.2
from 2027, over 2 years; applied on 40% of paths". A setting that the scenario's own
replaces is left out, as it never applies (:mod:`hedgecast.inputs.scenario_compose`).
"""

from __future__ import annotations

import math
from typing import Any

from hedgecast.inputs.scenario_compose import Composition, compose
from hedgecast.inputs.spec_parts import ConditionalIntervention, CrisisIntervention, DriverIntervention, JointTable, Trigger

#: how a declared direction reads as a verb (no direction: by the sign of the move)
VERBS = {"tighten": "tightens", "ease": "eases", "raise": "rises", "lower": "falls"}


def _pct(p: float) -> str:
    return f"{100 * p:.0f}%" if p >= 0.01 else f"{100 * p:.1g}%"


def lens_share(lens: Any, name: str) -> float | None:
    """The mean of the lens prior ``scenario_probability.<name>`` when it is a Beta (else None)."""
    entry = getattr(lens, "priors", {}).get(f"scenario_probability.{name}") if lens is not None else None
    if entry is None or entry.prior.distribution != "Beta":
        return None
    a, b = (float(entry.prior.parameters[k]) for k in ("alpha", "beta"))
    return a / (a + b)


def share_text(spec: Any, names: list[str], lens: Any = None) -> str:
    """The share of paths on which scenarios ``names`` all happen ("" when that is every path)."""
    fixed, from_lens = 1.0, []
    for name in names:
        p = spec.scenarios[name].probability
        if p == "lens":
            from_lens.append(name)
        elif p is not None:
            fixed *= float(p)
    if not from_lens:
        return "" if math.isclose(fixed, 1.0) else f"applied on {_pct(fixed)} of paths"
    parts = [] if math.isclose(fixed, 1.0) else [_pct(fixed)]
    for name in from_lens:
        mean = lens_share(lens, name)
        parts.append(f"P({name}) from the lens" + (f" (prior mean {_pct(mean)})" if mean is not None else ""))
    return "applied on a share of paths: " + " × ".join(parts)


def intervention_text(spec: Any, iv: DriverIntervention) -> str:
    """One driver intervention as a phrase: "<driver> tightens by +0.2 (sd 0.05) from 2027, over 2 years"."""
    drv = spec.drivers.get(iv.driver)
    label = f"{drv.label} ({iv.driver})" if drv is not None and drv.label else iv.driver
    sd = f" (sd {iv.sd:g})" if iv.sd else ""
    if iv.kind == "to":
        move = f"{VERBS[iv.direction]} to {iv.amount:g}" if iv.direction else f"moves to {iv.amount:g}"
    elif iv.kind == "by":
        verb = VERBS.get(iv.direction) or ("rises" if iv.amount > 0 else "falls")
        move = f"{verb} by {iv.amount:+g}"
    else:
        verb = VERBS.get(iv.direction, "is scaled")
        move = f"{verb} by a factor of {iv.amount:g}"
    ramp = f", over {iv.ramp} years" if iv.ramp > 1 else ""
    return f"{label} {move}{sd} from {iv.from_year}{ramp}"


def trigger_text(spec: Any, when: Trigger) -> str:
    """A trigger's conditions as a clause: "the war is “frozen” or “settlement” and a rupture event happened"."""
    parts = []
    if when.war_state:
        parts.append("the war is " + " or ".join(f"“{s}”" for s in when.war_state))
    if when.driver:
        drv = spec.drivers.get(when.driver)
        label = drv.label or when.driver if drv is not None else when.driver
        parts.append(
            f"{label} is {'below' if when.below is not None else 'above'} {when.below if when.below is not None else when.above:g}"
        )
    if when.incident:
        parts.append("a serious incident happened")
    if when.rupture_event:
        parts.append("a rupture event (an escalated incident) happened")
    if when.year:
        parts.append(f"the year is {when.year} or later")
    return " and ".join(parts)


def conditional_text(spec: Any, c: ConditionalIntervention) -> str:
    """A triggered intervention: what it does, and on which paths from when."""
    move = intervention_text(spec, c.intervention).rsplit(f" from {c.intervention.from_year}", 1)
    ramp = move[1] if len(move) > 1 else ""
    start = f" (not before {c.intervention.from_year})" if c.intervention.from_year > spec.forecast[0] else ""
    return (
        f"{move[0]}{ramp}: only on the paths where {trigger_text(spec, c.when)}, "
        f"from the year after it first does{start} to the end of the horizon"
    )


def crisis_text(spec: Any, c: CrisisIntervention) -> str:
    """A crisis-model intervention as a phrase."""
    if c.target == "incident":
        return f"a serious incident pinned in {c.year} on every path it applies to"
    if c.target == "rupture_event":
        return f"a rupture event (an incident that escalates) pinned in {c.year} on every path it applies to"
    what = "the rate of serious incidents" if c.target == "incident_rate" else "the probability that an incident escalates (capped at 1)"
    when = f", only on the paths where {trigger_text(spec, c.when)}, from the year after it first does" if c.when else ""
    start = f" from {c.from_year}" if c.from_year and (not c.when or c.from_year > spec.forecast[0]) else ""
    return f"{what} multiplied by {c.factor:g}{start}{when}"


def _branch_shares(spec: Any, name: str, lens: Any) -> list[float] | None:
    s = spec.scenarios[name]
    if s.branch_probabilities != "lens":
        return list(s.branch_probabilities) or None
    entry = getattr(lens, "priors", {}).get(f"branch_probability.{name}") if lens is not None else None
    if entry is None:
        return None
    a = [float(x) for x in entry.prior.parameters["a"]]
    return [x / sum(a) for x in a]


def branch_text(spec: Any, name: str, lens: Any = None) -> str:
    """How a mixture splits its paths: "Each path follows one branch: a (40%), b (30%), c (30%) …"."""
    s = spec.scenarios[name]
    shares = _branch_shares(spec, name, lens)
    listed = ", ".join(f"{b} ({_pct(p)})" if shares else b for b, p in zip(s.branches, shares or [0.0] * len(s.branches), strict=True))
    if s.branch_probabilities == "lens":
        how = f"shares drawn per path from the lens's Dirichlet prior branch_probability.{name}" + (
            " (prior means shown)" if shares else ""
        )
    else:
        how = "fixed shares"
    return f"Each path follows exactly one branch: {listed}; {how}"


def joint_text(table: JointTable) -> str:
    """A joint table as a sentence: which included events happen together, and how often."""
    rows = "; ".join(
        f"{' and '.join(sorted(o.happen)) + (' only' if len(o.happen) < len(table.events) else '') if o.happen else 'none'} {_pct(o.probability)}"
        for o in table.outcomes
    )
    return f"{', '.join(table.events)} are drawn together from a joint table: {rows}"


def _war_texts(node: Composition, held_above: bool) -> list[str]:
    war = node.scenario.war
    out = []
    if war.hold_state and not held_above:
        out.append(f"war held in “{war.hold_state}” until {war.hold_until}")
    out += [f"war state set to “{state}” in {year}" for year, state in sorted(war.pin.items())]
    for state, row in war.transition.items():
        probs = ", ".join(f"{s} {_pct(p)}" for s, p in row.items() if p > 0)
        out.append(f"war chain from “{state}” fixed at next-year probabilities {probs}")
    return out


def intervention_lines(spec: Any, name: str, lens: Any = None) -> list[str]:
    """What scenario ``name`` does, one line per intervention, parts first (in words).

    ``lens`` (optional) gives the prior mean of lens-given probabilities.
    """
    tree, _ = compose(spec.scenarios, name)
    lines: list[str] = []
    if tree.scenario.includes:
        lines.append(f"Includes {', '.join(tree.scenario.includes)} (their settings first; its own win)")

    def walk(node: Composition, gates: list[str], replaced: set[str], held_above: bool) -> None:
        own = node.scenario
        replaced_below = replaced | {d for d, iv in own.drivers.items() if iv.kind == "to"}
        for part in node.parts:
            more = [part.name] if part.scenario.probability is not None else []
            walk(part, gates + more, replaced_below, held_above or bool(own.war.hold_state))
        where = "" if node is tree else f" (from {node.name})"
        if any(node in b.branches for b, _ in tree.walk()):
            where = f" (in branch {node.name})"
        share = share_text(spec, gates, lens)
        texts = _war_texts(node, held_above) + [intervention_text(spec, iv) for d, iv in own.drivers.items() if d not in replaced]
        texts += [conditional_text(spec, c) for c in own.conditional] + [crisis_text(spec, c) for c in own.crisis]
        if own.joint is not None:
            texts.append(joint_text(own.joint))
        for text in texts:
            lines.append(text[0].upper() + text[1:] + where + (f"; {share}" if share else ""))
        if own.branches:
            lines.append(branch_text(spec, own.name, lens) + where)
            for branch in node.branches:
                walk(branch, gates, replaced_below, held_above or bool(own.war.hold_state))

    walk(tree, [name], set(), False)
    if len(lines) == (1 if tree.scenario.includes else 0):
        lines.append(f"No intervention: every driver drifts from its {spec.history[1]} value and the war follows the lens's Markov chain")
    return lines


__all__ = [
    "VERBS",
    "branch_text",
    "conditional_text",
    "crisis_text",
    "intervention_lines",
    "intervention_text",
    "joint_text",
    "lens_share",
    "share_text",
    "trigger_text",
]
