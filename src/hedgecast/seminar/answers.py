"""A participant's answer to one assumption, its checks, and the prior it becomes.

An answer is a most-likely value and a 90% range (``low`` … ``high``) on the room's scale
(:mod:`hedgecast.seminar.wording`), with a short justification. It becomes a prior of the lens
prior's own family, so the fitted model keeps its structure and the fit's draws can be
reweighted for it:

* **Normal / StudentT** (the effects a room is asked about): the location is the most-likely
  value and the scale is the one that puts 90% of the mass between ``low`` and ``high`` — the
  maximum-entropy member of the family with that location and mass (what PreliZ's ``pz.maxent``
  finds with the location held fixed, :func:`hedgecast.priors.elicit.from_maxent`; solved here in
  closed form or by one root find, because a room needs it in microseconds, and tested against
  PreliZ). A range centred on the most-likely value is exactly
  :func:`hedgecast.priors.elicit.from_interval`.
* **LogNormal, Gamma, Beta**: the equal-tail 90% interval (:func:`~hedgecast.priors.elicit.from_interval`);
  the most-likely value is checked to lie inside it.

Answers on a transformed scale (rates, multipliers, percentages) are mapped onto the prior's
scale first; the transforms are monotone, so the 90% range maps onto the 90% range.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass

from pymc_extras.prior import Prior
from scipy import optimize, special

from hedgecast.errors import HedgecastError, Problem, SpecError
from hedgecast.priors.elicit import INTERVAL_FAMILIES, STUDENT_T_NU, from_interval
from hedgecast.seminar.wording import Wording, to_model_scale

__all__ = [
    "ELICITED_FAMILIES",
    "MASS",
    "MAX_JUSTIFICATION",
    "MAX_MAGNITUDE",
    "Answer",
    "SeminarInputError",
    "answer_prior",
    "check_answer",
]

MASS = 0.9
"""The probability a participant's range holds: "90% sure it lies between low and high"."""
MAX_JUSTIFICATION = 2000
"""Longest justification accepted, in characters."""
MAX_MAGNITUDE = 1e6
"""Largest absolute number accepted in an answer (anything beyond is a typo, not a belief)."""
ELICITED_FAMILIES = INTERVAL_FAMILIES
"""Prior families an answer can become (those :func:`hedgecast.priors.elicit.from_interval` fits)."""


class SeminarInputError(HedgecastError):
    """A participant's or facilitator's form input that cannot be used: one message naming the form field."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(Problem("seminar form", field, message))


@dataclass(frozen=True)
class Answer:
    """One participant's answer to one assumption: most likely value, 90% range, justification (room's scale)."""

    assumption_id: str
    most_likely: float
    low: float
    high: float
    justification: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Answer:
        return cls(str(d["assumption_id"]), d["most_likely"], d["low"], d["high"], str(d.get("justification", "")))


def _number(value, field: str) -> float:
    if isinstance(value, bool):
        raise SeminarInputError(field, f"must be a number, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise SeminarInputError(field, f"must be a number, got {value!r}") from None
    if math.isnan(x):
        raise SeminarInputError(field, "must be a number, got NaN (not a number)")
    if math.isinf(x):
        raise SeminarInputError(field, f"must be a finite number, got {value!r}")
    if abs(x) > MAX_MAGNITUDE:
        raise SeminarInputError(field, f"{x:g} is far outside any plausible value (largest accepted: {MAX_MAGNITUDE:g} in size)")
    return x


def check_answer(answer: Answer, wording: Wording, units: str = "") -> Answer:
    """Return ``answer`` with plain floats, or raise :class:`SeminarInputError` naming the bad field.

    Fields are named ``<assumption id>.<field>`` (``escalation_ties.low``).
    """
    a = answer.assumption_id
    ml = _number(answer.most_likely, f"{a}.most_likely")
    lo = _number(answer.low, f"{a}.low")
    hi = _number(answer.high, f"{a}.high")
    lo_s, hi_s = wording.support
    unit = f" {units}" if units else ""
    for name, x in (("low", lo), ("most_likely", ml), ("high", hi)):
        if not lo_s < x < hi_s:
            bound = f"above {lo_s:g}" if math.isinf(hi_s) else f"strictly between {lo_s:g} and {hi_s:g}"
            raise SeminarInputError(f"{a}.{name}", f"must lie {bound}{unit}, got {x:g}")
    if not lo < hi:
        what = "the range has no width" if lo == hi else "the low end is above the high end"
        raise SeminarInputError(f"{a}.high", f"{what}: the 90% range needs low < high, got low {lo:g}, high {hi:g}")
    if not lo <= ml <= hi:
        raise SeminarInputError(f"{a}.most_likely", f"the most likely value {ml:g} must lie inside your range {lo:g} … {hi:g}")
    m_lo, m_ml, m_hi = (to_model_scale(x, wording.transform) for x in (lo, ml, hi))
    if not (math.isfinite(m_lo) and math.isfinite(m_hi)) or not m_hi - m_lo > 1e-9 * max(1.0, abs(m_ml)):
        raise SeminarInputError(f"{a}.high", f"the range {lo:g} … {hi:g} is too narrow to be a belief; widen it")
    text = answer.justification if isinstance(answer.justification, str) else None
    if text is None:
        raise SeminarInputError(f"{a}.justification", f"must be text, got {answer.justification!r}")
    if len(text) > MAX_JUSTIFICATION:
        raise SeminarInputError(f"{a}.justification", f"is {len(text)} characters long; at most {MAX_JUSTIFICATION} are accepted")
    return Answer(a, ml, lo, hi, text)


def _location_scale(mu: float, lo: float, hi: float, cdf, ppf) -> float:
    """Return the scale putting mass :data:`MASS` in ``[lo, hi]`` for a standard location-scale ``cdf`` centred at ``mu``.

    ``cdf`` and ``ppf`` are the standardised family's (SciPy's special functions: microseconds, so a
    room's answer becomes a prior in well under a millisecond).
    """
    tail = (1.0 - MASS) / 2.0
    z = ppf(1.0 - tail)
    if math.isclose(mu - lo, hi - mu, rel_tol=1e-12, abs_tol=1e-15):
        return (hi - lo) / (2.0 * z)

    def mass(log_s: float) -> float:
        s = math.exp(log_s)
        return float(cdf((hi - mu) / s) - cdf((lo - mu) / s)) - MASS

    # the mass falls from 1 to 0 as the scale grows: bracket between a scale that is surely too small and one surely too big
    near, far = min(mu - lo, hi - mu), max(mu - lo, hi - mu)
    a, b = math.log(near / (2 * z) + 1e-300), math.log(far / z * 1.5 + 1e-300)
    while mass(a) < 0:
        a -= 1.0
    while mass(b) > 0:
        b += 1.0
    return math.exp(optimize.brentq(mass, a, b, xtol=1e-14, rtol=1e-13))


def answer_prior(answer: Answer, wording: Wording, family: str, base: Prior | None = None) -> Prior:
    """Return the prior a checked answer becomes, in ``family`` (the lens prior's; see the module docstring).

    ``base`` is the lens prior being replaced: a StudentT keeps its degrees of freedom.
    Raises :class:`SeminarInputError` if the family is not one an answer can become or no
    member of it fits the answer.
    """
    a = answer.assumption_id
    lo, ml, hi = (to_model_scale(x, wording.transform) for x in (answer.low, answer.most_likely, answer.high))
    if family == "Normal":
        return Prior("Normal", mu=ml, sigma=_location_scale(ml, lo, hi, special.ndtr, special.ndtri))
    if family == "StudentT":
        nu = float(base.parameters.get("nu", STUDENT_T_NU)) if base is not None else STUDENT_T_NU
        cdf, ppf = functools.partial(special.stdtr, nu), functools.partial(special.stdtrit, nu)
        return Prior("StudentT", nu=nu, mu=ml, sigma=_location_scale(ml, lo, hi, cdf, ppf))
    if family in ELICITED_FAMILIES:
        try:
            return from_interval(lo, hi, MASS, family).prior
        except SpecError as err:
            raise SeminarInputError(f"{a}.low", f"no {family} prior fits this range: {err.problems[0].message}") from err
    raise SeminarInputError(a, f"a {family} prior cannot be elicited from a most likely value and a range")
