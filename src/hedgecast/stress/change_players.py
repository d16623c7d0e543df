"""What differs between two fits, as the players of a change attribution (:mod:`hedgecast.stress.attribution`).

The causes a headline probability can move by: each **prior edit** (a prior of lens A that
lens B replaced), the **data** (the model's inputs: the history, its years, the incidents
counted, a lens's reading of the present, the model section of the spec), the **scenario
definition** (the spec's scenarios and class rules) and the **code**. Exact Shapley values
need ``2^p`` evaluations, so at most :data:`MAX_GROUPS` players: every change is its own
player while there are that few; otherwise the prior edits are grouped by parameter group
(largest groups first, the rest together) into the slots the other changes leave.

Differences that cause nothing in expectation — the sampler's seed, draws, chains, tuning —
are not players: they are named, and what they move is Monte Carlo noise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hedgecast.priors.lens_prior import describe_prior
from hedgecast.stress.changes import is_forecast_prior

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.inputs.spec import ModelSpec
    from hedgecast.model.equations import ModelInputs
    from hedgecast.priors.lenses import Lens

__all__ = ["MAX_GROUPS", "Changes", "Player", "changes_between", "players_of"]

MAX_GROUPS = 4
"""At most this many players (16 coalitions): prior edits, data, scenario definition, code."""

#: the parts of the spec a forecast reads but a fit does not (the scenario-definition player)
FORECAST_SPEC_FIELDS = ("scenarios", "trajectories")
#: the parts of the spec the fitted model is built from (a change goes with the data player)
MODEL_SPEC_FIELDS = ("history", "forecast", "channels", "drivers", "indicators", "crisis_inclusion")
#: ModelInputs fields that decide the fit (arrays compared exactly)
INPUT_FIELDS = (
    "years",
    "drivers",
    "war_index",
    "incidents",
    "escalations",
    "post2022",
    "obs_indicator",
    "obs_year",
    "obs_value",
    "inclusion",
)


@dataclass(frozen=True)
class Player:
    """One cause of the change: a prior edit (or a group of them), the data, the scenario definition, or the code."""

    kind: str  # "prior" | "data" | "scenarios" | "code"
    label: str
    priors: tuple[str, ...] = ()  # the edited priors this player stands for (kind "prior")
    detail: str = ""

    @property
    def fitted_priors(self) -> tuple[str, ...]:
        return tuple(p for p in self.priors if not is_forecast_prior(p))


@dataclass
class Changes:
    """Every difference between two fits, before grouping into players."""

    priors: list[str]  # priors in both lenses whose distribution differs, in lens order
    prior_details: dict[str, str]
    data: list[str]  # what differs in the model inputs (empty: same data)
    scenarios: list[str]  # scenarios (and "class rules") whose definition differs
    code: str = ""  # how the code differs ("" when it does not, or is not known)
    unattributable: list[str] = dataclasses.field(default_factory=list)  # differences that cause no change in expectation
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.priors) + bool(self.data) + bool(self.scenarios) + bool(self.code)


def _inputs_differ(a: ModelInputs, b: ModelInputs) -> list[str]:
    out = []
    for name in INPUT_FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, str) or isinstance(x, list):
            same = x == y
        else:
            x, y = np.asarray(x), np.asarray(y)
            same = x.shape == y.shape and bool(np.all((x == y) | (np.isnan(x) & np.isnan(y)) if x.dtype.kind == "f" else x == y))
        if not same:
            out.append(name)
    if not out and not a.scaling.equals(b.scaling):
        out.append("scaling")
    return out


def _spec_fields_differ(a: ModelSpec, b: ModelSpec, fields: Sequence[str]) -> list[str]:
    return [f for f in fields if getattr(a, f) != getattr(b, f)]


def changes_between(fit_a: Any, fit_b: Any, *, code: str = "") -> Changes:
    """Return what differs from ``fit_a`` to ``fit_b``: prior edits, data, scenario definition, code (``code``: how, if it does)."""
    lens_a, lens_b = fit_a.lens, fit_b.lens
    both = [n for n in lens_a.priors if n in lens_b.priors]
    edited = [n for n in both if lens_a.priors[n].prior != lens_b.priors[n].prior]
    details = {n: f"{describe_prior(lens_a.priors[n].prior)} → {describe_prior(lens_b.priors[n].prior)}" for n in edited}
    notes = []
    only = sorted(set(lens_a.priors) ^ set(lens_b.priors))
    if only:
        notes.append(f"priors in one lens only ({', '.join(only)}) go with the model change they come from (the data player)")
    data = _inputs_differ(fit_a.inputs, fit_b.inputs)
    model = _spec_fields_differ(fit_a.spec, fit_b.spec, MODEL_SPEC_FIELDS)
    data += [f"spec {f}" for f in model]
    if only and not data:
        data.append("the model's parameters")
    spec_a, spec_b = fit_a.spec, fit_b.spec
    scenarios = sorted(n for n in set(spec_a.scenarios) | set(spec_b.scenarios) if spec_a.scenarios.get(n) != spec_b.scenarios.get(n))
    if spec_a.trajectories != spec_b.trajectories:
        scenarios.append("class rules")
    sa, sb = fit_a.settings, fit_b.settings
    unattributable = [
        f"sampler {k} {getattr(sa, k)} → {getattr(sb, k)}" for k in sa.__dataclass_fields__ if getattr(sa, k) != getattr(sb, k)
    ]
    return Changes(edited, details, data, scenarios, code, unattributable, notes)


def players_of(changes: Changes, max_groups: int = MAX_GROUPS) -> list[Player]:
    """Return the players of ``changes``: one per change while there are at most ``max_groups``; else prior edits grouped."""
    others = []
    if changes.data:
        others.append(Player("data", "data", detail=", ".join(changes.data)))
    if changes.scenarios:
        others.append(Player("scenarios", "scenario definition", detail=", ".join(changes.scenarios)))
    if changes.code:
        others.append(Player("code", "code", detail=changes.code))
    slots = max_groups - len(others)
    edits = list(changes.priors)
    if len(edits) <= slots:
        priors = [Player("prior", n, (n,), changes.prior_details[n]) for n in edits]
    else:
        groups: dict[str, list[str]] = {}
        for n in edits:
            groups.setdefault(n.split(".")[0], []).append(n)
        ranked = sorted(groups.items(), key=lambda kv: -len(kv[1]))
        keep, rest = (ranked, []) if len(ranked) <= slots else (ranked[: slots - 1], ranked[slots - 1 :])
        priors = [
            Player(
                "prior",
                f"{g} ({len(ns)} prior edit{'s' if len(ns) > 1 else ''})",
                tuple(ns),
                "; ".join(changes.prior_details[n] for n in ns),
            )
            for g, ns in keep
        ]
        if rest:
            names = tuple(n for _, ns in rest for n in ns)
            priors.append(Player("prior", f"{'other ' if keep else ''}prior edits ({len(names)})", names, ", ".join(names)))
    return priors + others


def lens_for(lens_a: Lens, lens_b: Lens, priors: Sequence[str], *, from_b: bool) -> Lens:
    """Lens A with ``priors`` taken from lens B (``from_b=False``), or lens B with every edited prior but ``priors`` taken back from A."""
    if not from_b:
        if not priors:
            return lens_a
        return dataclasses.replace(lens_a, name=f"{lens_a.name}+edits", priors={**lens_a.priors, **{n: lens_b.priors[n] for n in priors}})
    back = {
        n: lens_a.priors[n]
        for n in lens_b.priors
        if n in lens_a.priors and n not in priors and lens_a.priors[n].prior != lens_b.priors[n].prior
    }
    return dataclasses.replace(lens_b, name=f"{lens_b.name}-edits", priors={**lens_b.priors, **back}) if back else lens_b
