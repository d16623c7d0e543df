"""What a lens could have known by a given year, and the vague priors used for what it could not.

Every prior of a lens says when its *content* could first have been known
(:meth:`hedgecast.priors.lenses.Lens.known_by`: its ``known_by``, or the year of the lens
that states it). A backtest window fitted on the record up to a cut-off year may only use
what was known by then: :func:`known_at` returns the lens with every later prior replaced by
its group's vague fallback (:data:`FALLBACKS`), and the list of what fell back.

The fallbacks are defined once, here, per prior group (not per distribution family: a
Gamma for the Student-t degrees of freedom and a Gamma for a measurement noise need
different scales). Each is the weakly-informative prior a modeller would write for that
group knowing nothing about this relationship's history after the cut-off: centred on "no
effect" with room for an effect as large as a channel's whole spread, in the same family and
parametrisation as the shipped lenses (so the compiled model is reused, only its
hyperparameters change). Each says why in ``why``. A group not listed (a group a later model
adds) falls back by the support of its prior's family: :func:`fallback_prior`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pymc_extras.prior import Prior

from hedgecast.inputs.provenance import Provenance
from hedgecast.inputs.spec import ModelSpec
from hedgecast.priors.groups import FIT_GROUPS
from hedgecast.priors.lens_prior import POSITIVE_SUPPORT, UNIT_SUPPORT, LensPrior, describe_prior
from hedgecast.priors.lenses import Lens

__all__ = ["BACKTEST_GROUPS", "FALLBACKS", "VAGUE_PRIORS", "Fallback", "FallbackRule", "fallback_prior", "known_at"]

BACKTEST_GROUPS = (*FIT_GROUPS, "war_transition")
"""Groups a backtest uses: the fitted ones and the war's Markov chain (scenario probabilities are not used)."""


@dataclass(frozen=True)
class FallbackRule:
    """The vague prior of one group: ``make(coords, spec)`` builds it for one element; ``why`` says why it is vague."""

    make: Callable[[tuple[str, ...], ModelSpec], Prior]
    why: str


def _fixed(dist: str, **params: float) -> Callable[[tuple[str, ...], ModelSpec], Prior]:
    return lambda _coords, _spec: Prior(dist, **params)


def _war_row(coords: tuple[str, ...], spec: ModelSpec) -> Prior:
    """Dirichlet with weight 1 on every next state and K − 1 more on staying."""
    states = list(spec.future_war_states)
    k = len(states)
    return Prior("Dirichlet", a=[float(k) if s == coords[0] else 1.0 for s in states])


def _branch_weights(coords: tuple[str, ...], spec: ModelSpec) -> Prior:
    """Dirichlet with weight 1 on every branch of the mixture: any split equally likely."""
    return Prior("Dirichlet", a=[1.0] * len(spec.scenarios[coords[0]].branches))


NO_EFFECT = "no direction, and room for an effect as large as a channel's whole spread (sd 1 on the standardized scale)"

VAGUE_PRIORS: tuple[tuple[str, dict[str, float], dict[str, str]], ...] = (
    (
        "Normal",
        {"mu": 0.0, "sigma": 2.0},
        {
            "initial": "a standardized channel's first level: within about two sd of the window's mean, no direction",
            "mu": "a standardized channel's long-run level: within about two sd, no direction",
            "intercept": "a standardized indicator's offset: within about two sd",
        },
    ),
    (
        "Normal",
        {"mu": 0.0, "sigma": 1.0},
        {
            "beta": f"a driver's effect: {NO_EFFECT}",
            "cushion": "whether leader ties damp or amplify shocks: no direction, sd 1",
            "war_effect": f"a war state's effect: {NO_EFFECT}",
            "incident_friction": "a driver's effect on the incident log rate: no direction, sd 1",
            "incident_war": "a war state's effect on the incident log rate: no direction, sd 1",
            "escalation_ties": "a driver's effect on the escalation log-odds: no direction, sd 1",
            "escalation_energy": "a driver's effect on the escalation log-odds: no direction, sd 1",
        },
    ),
    (
        "Normal",
        {"mu": 0.0, "sigma": 0.1},
        {
            "leverage_shift": "before 2022 nobody modelled a break in energy's effect, so the post-2022 term is all but switched "
            "off (sd 0.1: proper and sampleable); a wide prior here would put extra spread on exactly the years a later reader "
            "knows the break came, which is hindsight too",
        },
    ),
    (
        "Normal",
        {"mu": -1.0, "sigma": 1.0},
        {"crisis_effect": "a rupture lowers ties by definition (mean −1 sd); how far is left open (sd 1)"},
    ),
    (
        "Normal",
        {"mu": -1.0, "sigma": 1.5},
        {
            "incident_intercept": "serious incidents between two states whose forces meet in the same theatres: "
            "a generic one every few years (log rate −1 ≈ 0.37 a year), uncertain by more than an order of magnitude either way (sd 1.5)",
        },
    ),
    (
        "Normal",
        {"mu": -2.0, "sigma": 1.5},
        {
            "escalation_intercept": "an incident between partners seldom ruptures the relationship: a generic one in eight (logit −2), "
            "uncertain by more than an order of magnitude in odds (sd 1.5)",
        },
    ),
    ("LogNormal", {"mu": 0.0, "sigma": 1.0}, {"loading": "a positive loading around 1, within a factor of about 7 either way"}),
    (
        "Beta",
        {"alpha": 2.0, "beta": 2.0},
        {"rho": "persistence anywhere in (0, 1), centred on 0.5: no claim about how lasting the ties are"},
    ),
    ("Beta", {"alpha": 1.0, "beta": 1.0}, {"scenario_probability": "any probability equally likely"}),
    ("Gamma", {"alpha": 2.0, "beta": 2.0}, {"sigma": "yearly shocks of about one channel sd (mean 1, sd 0.71), zero-avoiding"}),
    (
        "Gamma",
        {"alpha": 2.0, "beta": 0.1},
        {"nu": "the common default for Student-t degrees of freedom (Juárez and Steel 2010): mean 20, tails left open"},
    ),
    ("Gamma", {"alpha": 2.0, "beta": 4.0}, {"noise": "measurement error of about half a sd (mean 0.5, sd 0.35), zero-avoiding"}),
)
"""The fixed vague priors, each written once: ``(family, parameters, {group: why it is vague})``."""

FALLBACKS: dict[str, FallbackRule] = {
    **{group: FallbackRule(_fixed(dist, **params), why) for dist, params, whys in VAGUE_PRIORS for group, why in whys.items()},
    "war_transition": FallbackRule(
        _war_row,
        "what anyone knows of a war's states without this war's history: a state tends to last (weight K on staying, "
        "P(stay) ≈ 0.56 with 5 states) and every other next state is equally likely",
    ),
    "branch_probability": FallbackRule(_branch_weights, "any split of the paths between a mixture's branches equally likely"),
}
"""The vague fallback of every prior group, with why it is vague."""


def fallback_prior(name: str, lp: LensPrior, spec: ModelSpec) -> tuple[Prior, str]:
    """Return the vague prior replacing the prior ``name`` (``group.coords…``) in a window that could not know it, and why.

    A group not in :data:`FALLBACKS` falls back by its prior's support: positive families to
    Gamma(2, 2), unit-interval families to Beta(1, 1), Dirichlet rows to Dirichlet(1, …, 1),
    anything else to Normal(0, 1).
    """
    group, *coords = name.split(".")
    rule = FALLBACKS.get(group)
    if rule is not None:
        return rule.make(tuple(coords), spec), rule.why
    dist = lp.prior.distribution
    if dist == "Dirichlet":
        return Prior("Dirichlet", a=[1.0] * len(lp.prior.parameters["a"])), "a flat Dirichlet: every outcome equally likely"
    if dist in POSITIVE_SUPPORT:
        return Prior("Gamma", alpha=2.0, beta=2.0), "a positive quantity of about 1 (mean 1, sd 0.71), zero-avoiding"
    if dist in UNIT_SUPPORT:
        return Prior("Beta", alpha=1.0, beta=1.0), "any value in (0, 1) equally likely"
    return Prior("Normal", mu=0.0, sigma=1.0), "no direction, sd 1 on the standardized scale"


@dataclass(frozen=True)
class Fallback:
    """One prior a window could not know, and what it used instead."""

    prior: str
    known_by: int
    stated: bool  # False: the prior states no known_by and is taken as known from its lens's year
    original: str
    fallback: str
    why: str

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def known_at(lens: Lens, year: int, groups: Iterable[str] = BACKTEST_GROUPS) -> tuple[Lens, list[Fallback]]:
    """Return ``lens`` as it could have been written at the end of ``year``, and what fell back.

    Every prior of ``groups`` whose content could only be known after ``year``
    (:meth:`Lens.known_by` > ``year``) is replaced by its vague fallback
    (:func:`fallback_prior`), whose provenance says so. The lens keeps its name; nothing
    else changes. Returns the lens itself when nothing falls back.
    """
    wanted = set(groups)
    priors = dict(lens.priors)
    fallbacks: list[Fallback] = []
    for name, lp in lens.priors.items():
        if name.split(".")[0] not in wanted:
            continue
        when = lens.known_by(name)
        if when <= year:
            continue
        prior, why = fallback_prior(name, lp, lens.spec)
        reason = f"Backtest fallback: the lens's prior could only be known from {when}, after the cut-off {year}; instead {why}."
        priors[name] = LensPrior(prior, Provenance(reason=reason), assumed_known_by=year)
        fallbacks.append(Fallback(name, when, lp.known_by is not None, describe_prior(lp.prior), describe_prior(prior), why))
    if not fallbacks:
        return lens, []
    return dataclasses.replace(lens, priors=priors), fallbacks
