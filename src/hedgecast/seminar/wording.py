"""How each lens prior is put to a seminar room: a question in plain language, its units, and what it means.

A prior of the fitted model lives on the model's scale (log rates, log-odds, channel standard
deviations); a room is asked on a scale people can think in. :class:`Wording` says, for one prior,
the question, the units of the answer, what the answer does to the forecast, and how an answer on
that scale maps onto the prior's scale (``transform``):

* ``identity`` — the answer is on the model's scale (effects in standard deviations of a channel);
* ``log`` — the answer is a positive multiplier or rate (incidents a year, "× 1.5"), the model's
  parameter its logarithm;
* ``logit%`` — the answer is a percentage, the model's parameter its log-odds;
* ``percent`` — the answer is a percentage, the model's parameter the same share (0–1).

The words are built from the spec's labels and descriptions (channels, drivers, war states) and
the equations of :mod:`hedgecast.model.equations`; no internal name is shown. Groups without
wording here are not offered to a room.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["TRANSFORMS", "Wording", "from_model_scale", "to_model_scale", "wording"]

TRANSFORMS = ("identity", "log", "logit%", "percent")  # the keys of _SCALES below


@dataclass(frozen=True)
class Wording:
    """A prior as a room is asked about it."""

    label: str  # short title, e.g. "Leader ties restrain escalation"
    question: str  # the question, in plain language
    units: str  # units of the answer
    meaning: str  # what a larger answer does to the forecast
    transform: str = "identity"  # answer scale → model scale (see the module docstring)
    bounds: tuple[float, float] | None = None  # the answer's support when the prior's family is narrower than the transform's

    @property
    def support(self) -> tuple[float, float]:
        """The open interval an answer must lie in (on the answer's scale)."""
        if self.bounds is not None:
            return self.bounds
        return {"identity": (-math.inf, math.inf), "log": (0.0, math.inf), "logit%": (0.0, 100.0), "percent": (0.0, 100.0)}[self.transform]


def _logit_percent(x):
    p = x / 100.0
    return np.log(p) - np.log1p(-p)


_SCALES = {
    # transform: (room's scale → prior's scale, prior's scale → room's scale)
    "identity": (lambda x: x, lambda x: x),
    "log": (np.log, np.exp),
    "logit%": (_logit_percent, lambda x: 100.0 / (1.0 + np.exp(-x))),
    "percent": (lambda x: x / 100.0, lambda x: 100.0 * x),
}


def _mapped(x, transform: str, direction: int):
    if transform not in _SCALES:
        raise ValueError(f"unknown transform {transform!r}; known: {', '.join(TRANSFORMS)}")
    out = _SCALES[transform][direction](np.asarray(x, dtype=float))
    return float(out) if out.ndim == 0 else out


def to_model_scale(x, transform: str):
    """Map an answer (or array of answers) on the room's scale onto the prior's scale."""
    return _mapped(x, transform, 0)


def from_model_scale(x, transform: str):
    """Map a value (or array) on the prior's scale onto the room's scale (inverse of :func:`to_model_scale`)."""
    return _mapped(x, transform, 1)


def _lower(label: str) -> str:
    """``label`` for use inside a sentence (first letter lower-cased unless it is an acronym or a name)."""
    first = label.split(" ")[0]
    if first.isupper() or any(c in first for c in "–-") or (first[:1].isupper() and first[1:2].isupper()):
        return label
    if first in ("Putin–Erdoğan", "Turkish", "Western", "NATO", "Ukraine", "Russian"):
        return label
    return label[:1].lower() + label[1:]


def _war_state(spec, state: str) -> str:
    names = {
        "frozen": "a frozen front (ceasefire without a settlement)",
        "attrition": "a war of attrition",
        "settlement": "a negotiated settlement",
        "russian_gains": "Russian gains on the battlefield",
        "russian_setback": "a Russian setback on the battlefield",
    }
    return names.get(state, state.replace("_", " "))


def _driver(spec, name: str) -> tuple[str, str]:
    d = spec.drivers[name]
    lo, hi = (getattr(d, "range", None) or (0.0, 1.0))[:2]
    return d.label, f"{lo:g} to {hi:g}"


def _channel(spec, name: str) -> tuple[str, str]:
    c = spec.channels[name]
    anchor = spec.indicators[c.anchor].label if c.anchor in spec.indicators else c.anchor
    return c.label, anchor


def wording(spec, prior_name: str) -> Wording | None:
    """Return the wording of the prior called ``prior_name`` (e.g. ``escalation_ties``), or None if a room is not asked about it."""
    group, *coords = prior_name.split(".")
    if group == "rho" and len(coords) == 1:
        ch, _ = _channel(spec, coords[0])
        return Wording(
            f"Persistence of {ch}",
            f"Of a rise or fall in {_lower(ch)} this year (beyond what the drivers explain), what share is still there a year later?",
            "% carried over to the next year",
            f"A higher share makes {_lower(ch)} slow to return to its long-run level: today's level weighs more in the forecast "
            "and the drivers' pull acts more slowly.",
            "percent",
        )
    if group == "sigma" and len(coords) == 1:
        ch, anchor = _channel(spec, coords[0])
        return Wording(
            f"Yearly surprises in {ch}",
            f"In a typical year, how large is the move in {_lower(ch)} that neither its drivers nor the war explain?",
            f"standard deviations of {_lower(anchor)}",
            "Larger surprises widen every forecast range and make sharp falls (and rises) likelier.",
            "identity",
            (0.0, math.inf),
        )
    if group == "beta" and len(coords) == 2:
        (ch, anchor), (drv, rng) = _channel(spec, coords[0]), _driver(spec, coords[1])
        return Wording(
            f"{drv} → {ch}",
            f"When {_lower(drv)} is one unit above its 2000–2025 average (its coding runs {rng}), how far does that move the "
            f"long-run level of {_lower(ch)}?",
            f"standard deviations of {_lower(anchor)}, per unit of the coding",
            f"A larger value ties {_lower(ch)} more closely to {_lower(drv)}: forecasts follow that driver's path more; "
            "a negative value means the driver pulls the ties apart.",
        )
    if group == "leverage_shift" and len(coords) == 1:
        ch, anchor = _channel(spec, coords[0])
        drv, rng = _driver(spec, "energy_leverage") if "energy_leverage" in spec.drivers else ("Energy dependence", "0 to 1")
        return Wording(
            f"Energy dependence after 2022 → {ch}",
            f"Since 2022, how much more (or less) does {_lower(drv)} lift {_lower(ch)} than before, per unit of its coding "
            f"(which runs {rng})?",
            f"standard deviations of {_lower(anchor)}, per unit of the coding",
            f"A larger value means that since the 2022 war energy dependence holds {_lower(ch)} up more strongly, "
            "so forecasts with high dependence stay higher.",
        )
    if group == "cushion" and not coords:
        return Wording(
            "Leader ties cushion shocks",
            "How much do warm Putin–Erdoğan ties damp the year-to-year shocks to the relationship? (0 = not at all; "
            "1 = warmest ties shrink shocks to about a third)",
            "log-reduction of the shock size per unit of leader ties",
            "A larger value makes the relationship steadier when leader ties are warm: narrower forecast ranges, fewer sharp falls.",
        )
    if group == "war_effect" and len(coords) == 2:
        ch, anchor = _channel(spec, coords[0])
        state = _war_state(spec, coords[1])
        return Wording(
            f"{state[:1].upper() + state[1:]} → {ch}",
            f"Compared with no war in Ukraine, how far does {state} move the long-run level of {_lower(ch)}?",
            f"standard deviations of {_lower(anchor)}",
            f"A larger value means {state} draws Türkiye and Russia closer in {_lower(ch)}; a negative one pushes them apart.",
        )
    if group == "crisis_effect" and len(coords) == 1:
        ch, anchor = _channel(spec, coords[0])
        return Wording(
            f"Hit of a rupture on {ch}",
            f"In a year when relations rupture (on the scale of November 2015), how far does {_lower(ch)} fall at once? "
            "(negative = a fall)",
            f"standard deviations of {_lower(anchor)}",
            f"A more negative value makes a rupture cost {_lower(ch)} more, so forecasts fall further after one.",
        )
    if group == "incident_intercept" and not coords:
        return Wording(
            "Serious incidents in a calm year",
            "With regional friction at its usual level and no war in Ukraine, how many serious Türkiye–Russia incidents "
            "(military clashes, shoot-downs, killings of officials) would you expect in a year?",
            "incidents per year",
            "More incidents a year means more chances of a rupture and a higher chance of an incident in any given year.",
            "log",
        )
    if group == "incident_friction" and not coords:
        drv, rng = _driver(spec, "regional_friction") if "regional_friction" in spec.drivers else ("Regional friction", "0 to 1")
        return Wording(
            "Regional friction breeds incidents",
            f"By what factor does the yearly number of serious incidents grow when {_lower(drv)} is one unit above average "
            f"(its coding runs {rng})?",
            "multiplier of the incident rate (1 = no effect)",
            "A larger multiplier makes incidents, and so ruptures, much likelier when friction in Syria, the Caucasus "
            "or the Black Sea rises.",
            "log",
        )
    if group == "incident_war" and len(coords) == 1:
        state = _war_state(spec, coords[0])
        return Wording(
            f"Incidents during {state}",
            f"Compared with no war in Ukraine, by what factor does {state} change the yearly number of serious "
            "Türkiye–Russia incidents (Black Sea spillover)?",
            "multiplier of the incident rate (1 = no change)",
            f"A larger multiplier makes incidents, and so ruptures, likelier while the war is in {state}.",
            "log",
        )
    if group == "escalation_intercept" and not coords:
        return Wording(
            "Chance an incident escalates",
            "When a serious incident happens, with leader ties and energy dependence at their usual levels, what is the "
            "chance that it escalates into a rupture (state measures of the November 2015 kind, or leader contact cut for "
            "three months)?",
            "% of serious incidents",
            "A higher chance makes a rupture likelier in every year with an incident.",
            "logit%",
        )
    if group in ("escalation_ties", "escalation_energy") and not coords:
        drv, rng = _driver(spec, "leader_ties" if group == "escalation_ties" else "energy_leverage")
        what = "Leader ties" if group == "escalation_ties" else "Energy dependence"
        return Wording(
            f"{what} restrain escalation",
            f"When {_lower(drv)} is one unit above its usual level (its coding runs {rng}), by what factor do the odds "
            "that a serious incident escalates into a rupture change? (below 1 = restrains, above 1 = inflames)",
            "odds multiplier (1 = no effect)",
            f"A smaller multiplier means {_lower(drv)} does more to stop incidents becoming ruptures, so the forecast chance "
            "of a rupture falls when it is high.",
            "log",
        )
    return None
