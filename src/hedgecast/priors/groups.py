"""Prior groups: which parameters the model has, which it fits, and which analysts read as effects.

A prior group is a named block of parameters (``beta``, ``war_effect`` …) with its dims;
a lens gives every element of every group a prior (``beta.economic.energy_leverage``).
The named sets below are the one definition every module uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.inputs.spec import ModelSpec

__all__ = ["CRISIS_GROUPS", "EFFECT_GROUPS", "FIT_GROUPS", "FORECAST_GROUPS", "REPLACED_GROUPS", "STRESS_GROUPS", "parameter_groups"]

CRISIS_GROUPS = (
    "incident_intercept",
    "incident_friction",
    "incident_war",
    "escalation_intercept",
    "escalation_ties",
    "escalation_energy",
)
"""The crisis model's groups: serious incidents per year (log rate: intercept, regional friction,
war state) and the chance one escalates to a rupture (logit: intercept, leader ties, energy leverage)."""

REPLACED_GROUPS = {
    "hazard_intercept": ("incident_intercept", "escalation_intercept"),
    "hazard_friction": ("incident_friction",),
    "hazard_ties": ("escalation_ties",),
}
"""Prior groups of earlier versions (the one-Bernoulli crisis hazard, hedgecast ≤ 0.2) and the
crisis-model groups that replaced them: a lens still giving them gets one error saying so."""

FIT_GROUPS = (
    "initial",
    "mu",
    "rho",
    "sigma",
    "nu",
    "beta",
    "leverage_shift",
    "cushion",
    "war_effect",
    "crisis_effect",
    *CRISIS_GROUPS,
    "loading",
    "intercept",
    "noise",
)
"""Groups in the fitted (PyMC) model, in the order the model declares them."""

FORECAST_GROUPS = ("war_transition", "scenario_probability", "branch_probability")
"""Groups only the forecast uses (drawn per posterior draw from the lens; never fitted)."""

EFFECT_GROUPS = (
    "beta",
    "leverage_shift",
    "war_effect",
    "crisis_effect",
    "cushion",
    "rho",
    "incident_friction",
    "incident_war",
    "escalation_ties",
    "escalation_energy",
)
"""Groups analysts read as effects: how drivers, war and crises move the relationship, how
persistent it is, what raises the rate of serious incidents and what restrains their escalation.
Shown prior against posterior."""

STRESS_GROUPS = ("beta", "leverage_shift", "cushion", "war_effect", "crisis_effect", *CRISIS_GROUPS)
"""Groups whose location and scale a stress test moves by default: the effects the papers argue
about (persistence ``rho`` is a Beta, with no location or scale to move) and the whole crisis
model, which carries the headline probability of a rupture."""


def parameter_groups(spec: ModelSpec) -> dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    """Every prior group of the model: ``group -> (dims, list of coordinate tuples)``.

    A scalar group has no dims and one empty coordinate tuple.
    """
    ch = spec.channel_names
    anchors = {c.anchor for c in spec.channels.values()}
    free_ind = [i for i in spec.indicator_names if i not in anchors]

    def grid(*axes):
        out = [()]
        for axis in axes:
            out = [(*o, a) for o in out for a in axis]
        return out

    return {
        "initial": (("channel",), grid(ch)),
        "mu": (("channel",), grid(ch)),
        "rho": (("channel",), grid(ch)),
        "sigma": (("channel",), grid(ch)),
        "nu": ((), [()]),
        "beta": (("channel", "driver"), grid(ch, spec.continuous_drivers)),
        "leverage_shift": (("channel",), grid(ch)),
        "cushion": ((), [()]),
        "war_effect": (("channel", "war_state"), grid(ch, spec.effect_states)),
        "crisis_effect": (("channel",), grid(ch)),
        "incident_intercept": ((), [()]),
        "incident_friction": ((), [()]),
        "incident_war": (("war_state",), grid(spec.effect_states)),
        "escalation_intercept": ((), [()]),
        "escalation_ties": ((), [()]),
        "escalation_energy": ((), [()]),
        "loading": (("free_indicator",), grid(free_ind)),
        "intercept": (("free_indicator",), grid(free_ind)),
        "noise": (("indicator",), grid(spec.indicator_names)),
        "war_transition": (("war_state",), grid(spec.future_war_states)),
        "scenario_probability": (("scenario",), grid(spec.uncertain_scenarios())),
        "branch_probability": (("scenario",), grid(spec.lens_mixtures())),
    }
