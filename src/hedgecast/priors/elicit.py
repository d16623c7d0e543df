"""Elicitation: turn what an analyst says into a prior, and show that the prior says it.

Five kinds of statement are supported, each returning an :class:`Elicited` — the
``pymc_extras.prior.Prior`` plus a :class:`Statement` recording what was said:

* :func:`from_interval` — "I am 90% sure the effect lies between 0.1 and 0.5".
  Read as a *central* interval: 5% chance below 0.1, 5% above 0.5 (equal tails).
  Normal, StudentT (fixed ``nu``) and LogNormal are solved exactly in closed form;
  Gamma and Beta numerically (root finding on the two tail conditions, then checked
  to 1e-9).
* :func:`from_sign_probability` — "70% chance the effect is positive, typically about
  0.4 in size". A sign probability alone does not pin a distribution, so the typical
  size is required: it is the prior's standard deviation, and the centre follows
  from P(X > 0) = p, i.e. ``mu = scale * Φ⁻¹(p)``.
* :func:`from_probability` — "a ceasefire by 2027 is about 35% likely, give or take
  10 points". Read as a Beta whose *mean* is 0.35 and whose *standard deviation* is
  0.10 (so roughly two chances in three that the probability lies within ±10 points).
  For an interval reading ("90% sure it is between 25% and 45%") use
  ``from_interval(0.25, 0.45, mass=0.9, family="Beta")``.
* :func:`from_quartiles` — "even odds it is below 0.3; one chance in four below 0.1, one
  in four above 0.6". Fitted with PreliZ's ``pz.quartile`` (least squares on the three
  quartiles, so asymmetric quartiles get the nearest member of the family; the check
  table shows how near).
* :func:`from_maxent` — "90% sure it lies between 1 and 5", read the PreliZ way: the
  *maximum-entropy* member of any PreliZ family with that mass inside, tails not
  necessarily equal (``Prior.constrain``, i.e. ``pz.maxent``). Also takes fixed
  parameters, e.g. a Beta with its mean fixed.

Every result goes straight into a lens, with the statement as its recorded reason::

    >>> e = from_interval(0.1, 0.5, mass=0.9, about="the effect of leader ties")   # doctest: +SKIP
    >>> lens = lens.with_prior("beta.political.leader_ties", e.prior, reason=e.reason)    # doctest: +SKIP
    >>> plot_elicited(e.prior, e.statement)                                        # doctest: +SKIP

PreliZ and the project's own solvers: PreliZ (0.24, with matplotlib 3.10.x: it does not
import with 3.11) does the statements that need a general optimiser — quartiles and
maximum entropy, over any of its families — and :func:`to_scipy` falls back on
``Prior.preliz`` for families SciPy is not mapped for here. The equal-tail interval, the
sign probability and the give-or-take probability stay hand-written: Normal, StudentT
and LogNormal intervals, the sign and the Beta moments have closed forms, exact to
machine precision (``pz.maxent`` meets an interval's mass only to about 1e-7 and centres
a Normal to about 1e-9), and the Gamma/Beta equal-tail solves are SciPy root finds checked
to 1e-9. They also say what the analyst said — equal tails — where ``pz.maxent`` picks its
own split between the tails; and they take microseconds where a PreliZ fit takes about
a second (it compiles PyTensor functions). PreliZ is imported only when used, through
:func:`_preliz`, which undoes the global ``savefig.bbox = "tight"`` it sets on import.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from pymc_extras.prior import Prior
from scipy import optimize, stats

from hedgecast.errors import Problem, ProblemCollector, SpecError, suggest

__all__ = [
    "INTERVAL_FAMILIES",
    "Elicited",
    "Statement",
    "check",
    "from_interval",
    "from_maxent",
    "from_probability",
    "from_quartiles",
    "from_sign_probability",
    "plot_elicited",
    "to_scipy",
]

INTERVAL_FAMILIES = ("Normal", "StudentT", "LogNormal", "Gamma", "Beta")
"""Families :func:`from_interval` can fit: the real line, a heavy-tailed real line,
the positive half-line (two ways) and the unit interval."""
STUDENT_T_NU = 3.0
"""Default degrees of freedom for a StudentT interval prior: heavy tails, finite variance."""
TOLERANCE = 1e-9
"""How exactly a numerically solved prior must meet its statement."""
MAXENT_TOLERANCE = 1e-6
"""How exactly a :func:`from_maxent` prior must put its mass inside (``pz.maxent`` gets about 1e-7)."""
QUARTILE_TOLERANCE = 0.025
"""Default largest gap between a stated and an achieved quartile probability in :func:`from_quartiles`.

Three quartiles over-determine a two-parameter family, so asymmetric statements are met only
approximately; past this gap the family is the wrong shape for the statement."""
STATEMENT_KINDS = ("interval", "sign", "probability", "quartiles", "maxent")
"""The kinds of :class:`Statement` that :func:`check` and :func:`plot_elicited` understand."""
SCIPY_FAMILIES = ("Normal", "StudentT", "LogNormal", "Gamma", "Beta", "HalfNormal", "TruncatedNormal", "Uniform")
"""Families :func:`to_scipy` (and so :func:`plot_elicited`) can evaluate."""


@dataclass(frozen=True)
class Statement:
    """What the analyst said, in words and in numbers.

    Parameters
    ----------
    text : str
        The statement as a sentence; recorded as the prior's reason in the lens.
    kind : {"interval", "sign", "probability", "quartiles", "maxent"}
        Which helper made it (decides what :func:`check` and :func:`plot_elicited` show).
    values : dict
        The numbers stated: ``lower, upper, mass`` (interval, maxent), ``p_positive, scale``
        (sign), ``p, give_or_take`` (probability) or ``q1, median, q3`` (quartiles).

    """

    text: str
    kind: str
    values: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text


class Elicited(NamedTuple):
    """A prior and the statement it was elicited from (unpacks as ``prior, statement``)."""

    prior: Prior
    statement: Statement

    @property
    def reason(self) -> str:
        """The text to record in a lens: the statement and the prior it became."""
        return f"{self.statement.text} (elicited as {_describe(self.prior)})"

    def check(self) -> pd.DataFrame:
        """Stated versus achieved numbers (see :func:`check`)."""
        return check(self.prior, self.statement)

    def plot(self, ax: Axes | None = None) -> Figure:
        """Draw the density with the statement marked (see :func:`plot_elicited`)."""
        return plot_elicited(self.prior, self.statement, ax=ax)


# ------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------
class _Problems(ProblemCollector):
    """A :class:`ProblemCollector` for one helper's arguments, with the checks they need."""

    def number(self, fieldname: str, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            self.add(fieldname, f"must be a number, got {value!r}")
            return False
        if not math.isfinite(float(value)):
            self.add(fieldname, f"must be a finite number, got {value!r}")
            return False
        return True

    def open_unit(self, fieldname: str, value: Any, what: str) -> bool:
        if not self.number(fieldname, value):
            return False
        if not 0 < value < 1:
            hint = f" (write {_num(value)}% as {_num(value / 100)})" if 1 < value < 100 else ""
            self.add(fieldname, f"{what} must lie strictly between 0 and 1, got {value!r}{hint}")
            return False
        return True


def _ok(problems: _Problems, *fields: str) -> bool:
    bad = {p.field for p in problems.problems}
    return not any(f in bad for f in fields)


# ------------------------------------------------------------------------------------
# the three statements
# ------------------------------------------------------------------------------------
def from_interval(
    lower: float, upper: float, mass: float = 0.9, family: str = "Normal", *, about: str = "the value", nu: float = STUDENT_T_NU
) -> Elicited:
    """Fit a prior with probability ``mass`` between ``lower`` and ``upper`` (equal tails).

    Parameters
    ----------
    lower, upper : float
        The stated interval; ``lower < upper``.
    mass : float
        How sure the analyst is that the value lies inside (0 < mass < 1). The rest is
        split equally: ``(1 - mass) / 2`` below ``lower`` and as much above ``upper``.
    family : {"Normal", "StudentT", "LogNormal", "Gamma", "Beta"}
        Normal and StudentT for effects of either sign; LogNormal and Gamma for
        positive quantities (``lower > 0``); Beta for probabilities and persistences
        (``0 < lower < upper < 1``).
    about : str
        What the value is, for the statement's text.
    nu : float
        Degrees of freedom of a StudentT (kept fixed; the interval pins mu and sigma).

    Returns
    -------
    Elicited
        ``prior`` with P(lower < X < upper) = mass and P(X < lower) = P(X > upper).

    Raises
    ------
    SpecError
        If the numbers cannot describe such an interval for ``family``.

    """
    problems = _Problems("from_interval")
    problems.number("lower", lower)
    problems.number("upper", upper)
    problems.open_unit("mass", mass, "the probability mass inside the interval")
    if family not in INTERVAL_FAMILIES:
        problems.add("family", f"unknown family {family!r}: {suggest(family, INTERVAL_FAMILIES)}")
    if _ok(problems, "lower", "upper"):
        if not lower < upper:
            problems.add("upper", f"the interval needs lower < upper, got lower={lower!r}, upper={upper!r}")
        elif family in ("LogNormal", "Gamma") and not lower > 0:
            problems.add(
                "lower",
                f"a {family} is positive: the interval must lie above 0, got lower={lower!r} "
                "(use Normal or StudentT for effects that may be negative)",
            )
        elif family == "Beta" and not (0 < lower and upper < 1):
            problems.add(
                "lower" if not lower > 0 else "upper", f"a Beta lies between 0 and 1: the interval must too, got [{lower!r}, {upper!r}]"
            )
    if family == "StudentT" and problems.number("nu", nu) and not nu > 0:
        problems.add("nu", f"degrees of freedom must be positive, got {nu!r}")
    problems.raise_if_any(SpecError)

    lower, upper, mass = float(lower), float(upper), float(mass)
    tail = (1.0 - mass) / 2.0
    if family == "Normal":
        z = stats.norm.ppf(1.0 - tail)
        prior = Prior("Normal", mu=(lower + upper) / 2.0, sigma=(upper - lower) / (2.0 * z))
    elif family == "StudentT":
        z = stats.t.ppf(1.0 - tail, float(nu))
        prior = Prior("StudentT", nu=float(nu), mu=(lower + upper) / 2.0, sigma=(upper - lower) / (2.0 * z))
    elif family == "LogNormal":
        z = stats.norm.ppf(1.0 - tail)
        lo, hi = math.log(lower), math.log(upper)
        prior = Prior("LogNormal", mu=(lo + hi) / 2.0, sigma=(hi - lo) / (2.0 * z))
    elif family == "Gamma":
        prior = _gamma_interval(lower, upper, tail)
    else:
        prior = _beta_interval(lower, upper, tail)
    statement = Statement(
        f"{_pct(mass)} sure that {about} lies between {_num(lower)} and {_num(upper)}",
        "interval",
        {"lower": lower, "upper": upper, "mass": mass},
    )
    _verify(prior, statement, "from_interval")
    return Elicited(prior, statement)


def from_sign_probability(p_positive: float, scale: float | None = None, *, about: str = "the effect") -> Elicited:
    """Fit a Normal prior with P(X > 0) = ``p_positive`` and standard deviation ``scale``.

    A sign probability alone fits every Normal with ``mu / sigma = Φ⁻¹(p)``; the
    statement must also say how big the effect typically is. ``scale`` is that typical
    size, taken as the prior standard deviation: about two chances in three that the
    effect lies within ±``scale`` of its centre. The centre then is
    ``mu = scale · Φ⁻¹(p_positive)`` (positive when p > 0.5).

    Parameters
    ----------
    p_positive : float
        Probability that the effect is positive (0 < p < 1).
    scale : float
        The typical size of the effect (> 0), in the parameter's units (for driver
        effects: channel standard deviations).
    about : str
        What the effect is, for the statement's text.

    Raises
    ------
    SpecError
        If ``p_positive`` is not strictly between 0 and 1 or ``scale`` is missing or
        not positive.

    """
    problems = _Problems("from_sign_probability")
    problems.open_unit("p_positive", p_positive, "the probability that the sign is positive")
    if scale is None:
        problems.add(
            "scale",
            "missing: a sign probability alone does not pin a distribution; also say how big the effect typically is (its prior sd)",
        )
    elif problems.number("scale", scale) and not scale > 0:
        problems.add("scale", f"the typical size must be positive, got {scale!r}")
    problems.raise_if_any(SpecError)
    assert scale is not None
    p, s = float(p_positive), float(scale)
    prior = Prior("Normal", mu=s * float(stats.norm.ppf(p)), sigma=s)
    statement = Statement(
        f"{_pct(p)} chance that {about} is positive, with a typical size of about {_num(s)} (prior sd)",
        "sign",
        {"p_positive": p, "scale": s},
    )
    _verify(prior, statement, "from_sign_probability")
    return Elicited(prior, statement)


def from_probability(p: float, give_or_take: float, *, about: str = "the event") -> Elicited:
    """Fit a Beta prior for a probability: mean ``p``, standard deviation ``give_or_take``.

    "About 35% likely, give or take 10 points" becomes a Beta with mean 0.35 and sd
    0.10: ``alpha = p·k``, ``beta = (1 - p)·k`` with ``k = p(1 - p) / sd² - 1``.

    Raises
    ------
    SpecError
        If ``p`` is not strictly between 0 and 1, ``give_or_take`` is not positive, or
        it is too wide for a probability (a Beta with mean p has sd < √(p(1 - p))).

    """
    problems = _Problems("from_probability")
    problems.open_unit("p", p, "a probability")
    if problems.number("give_or_take", give_or_take) and not give_or_take > 0:
        problems.add("give_or_take", f"the uncertainty must be positive, got {give_or_take!r}")
    if _ok(problems, "p", "give_or_take") and not give_or_take**2 < p * (1 - p):
        limit = math.sqrt(p * (1 - p))
        problems.add(
            "give_or_take",
            f"a probability of {_num(p)} cannot be uncertain by ±{_num(give_or_take)}: the standard deviation must be below {limit:.3g}",
        )
    problems.raise_if_any(SpecError)
    p, sd = float(p), float(give_or_take)
    k = p * (1 - p) / sd**2 - 1
    prior = Prior("Beta", alpha=p * k, beta=(1 - p) * k)
    statement = Statement(
        f"{about[:1].upper() + about[1:]} is about {_pct(p)} likely, give or take {_num(100 * sd)} points (one sd)",
        "probability",
        {"p": p, "give_or_take": sd},
    )
    _verify(prior, statement, "from_probability")
    return Elicited(prior, statement)


def from_quartiles(
    q1: float,
    median: float,
    q3: float,
    family: str = "Normal",
    *,
    about: str = "the value",
    nu: float = STUDENT_T_NU,
    tolerance: float = QUARTILE_TOLERANCE,
) -> Elicited:
    """Fit a prior to three stated quartiles with PreliZ's ``pz.quartile``.

    "One chance in four that it is below ``q1``, even odds below ``median``, three in four
    below ``q3``." Three numbers over-determine a two-parameter family, so PreliZ fits the
    family by least squares: symmetric quartiles are met exactly by Normal and StudentT,
    asymmetric ones by the nearest member (LogNormal, Gamma and Beta are skewed).

    Parameters
    ----------
    q1, median, q3 : float
        The stated quartiles, ``q1 < median < q3``.
    family : {"Normal", "StudentT", "LogNormal", "Gamma", "Beta"}
        As for :func:`from_interval` (positive families need ``q1 > 0``, Beta ``q3 < 1``).
    about : str
        What the value is, for the statement's text.
    nu : float
        Degrees of freedom of a StudentT (kept fixed).
    tolerance : float
        Largest allowed gap between a stated and an achieved quartile probability.

    Raises
    ------
    SpecError
        If the numbers are not ordered quartiles inside the family's support, or the
        best member of the family misses a quartile by more than ``tolerance``.

    """
    problems = _Problems("from_quartiles")
    for name, value in (("q1", q1), ("median", median), ("q3", q3)):
        problems.number(name, value)
    if family not in INTERVAL_FAMILIES:
        problems.add("family", f"unknown family {family!r}: {suggest(family, INTERVAL_FAMILIES)}")
    if _ok(problems, "q1", "median", "q3"):
        if not q1 < median < q3:
            problems.add("median", f"quartiles need q1 < median < q3, got {q1!r}, {median!r}, {q3!r}")
        elif family in ("LogNormal", "Gamma") and not q1 > 0:
            problems.add("q1", f"a {family} is positive: the quartiles must lie above 0, got q1={q1!r}")
        elif family == "Beta" and not (0 < q1 and q3 < 1):
            problems.add("q1" if not q1 > 0 else "q3", f"a Beta lies between 0 and 1: the quartiles must too, got [{q1!r}, {q3!r}]")
    if family == "StudentT" and problems.number("nu", nu) and not nu > 0:
        problems.add("nu", f"degrees of freedom must be positive, got {nu!r}")
    problems.open_unit("tolerance", tolerance, "the tolerance")
    problems.raise_if_any(SpecError)

    pz = _preliz()
    q1, median, q3 = float(q1), float(median), float(q3)
    dist = pz.StudentT(nu=float(nu)) if family == "StudentT" else getattr(pz, family)()
    with _quiet_preliz():
        pz.quartile(dist, q1, median, q3, plot=False)
    prior = Prior(family, **{k: float(v) for k, v in dist.params_dict.items()})
    statement = Statement(
        f"Even odds that {about} is below {_num(median)}, one chance in four below {_num(q1)} and one in four above {_num(q3)}",
        "quartiles",
        {"q1": q1, "median": median, "q3": q3},
    )
    _verify(prior, statement, "from_quartiles", tolerance=float(tolerance))
    return Elicited(prior, statement)


def from_maxent(
    lower: float,
    upper: float,
    mass: float = 0.9,
    family: str = "Normal",
    *,
    about: str = "the value",
    fixed: dict[str, float] | None = None,
) -> Elicited:
    """Fit the maximum-entropy prior of ``family`` with probability ``mass`` between ``lower`` and ``upper``.

    This is PreliZ's ``pz.maxent``, through ``Prior(family, **fixed).constrain(...)``: of all
    members of the family that put ``mass`` inside the interval, the least informative one.
    Unlike :func:`from_interval`, the tails need not be equal (for a skewed family the
    lower tail is usually the thinner), and any continuous PreliZ family that PyMC also
    has works, e.g. ``Weibull``, ``HalfNormal`` or ``InverseGamma``. For Normal and
    StudentT the result is the equal-tail prior, found numerically rather than exactly.

    Parameters
    ----------
    lower, upper, mass : float
        The interval and how sure the analyst is the value lies inside it.
    family : str
        A continuous PreliZ family, e.g. ``"Gamma"`` or ``"Beta"``.
    about : str
        What the value is, for the statement's text.
    fixed : dict, optional
        Parameters to hold fixed, e.g. ``{"nu": 5}`` for a StudentT or ``{"mu": 0.3}``
        for a Beta with its mean fixed (PreliZ then fits ``nu``, the concentration).

    Raises
    ------
    SpecError
        If the numbers are not an interval, ``family`` is unknown, or PreliZ finds no
        member of the family with that mass inside.

    """
    problems = _Problems("from_maxent")
    problems.number("lower", lower)
    problems.number("upper", upper)
    problems.open_unit("mass", mass, "the probability mass inside the interval")
    if _ok(problems, "lower", "upper") and not lower < upper:
        problems.add("upper", f"the interval needs lower < upper, got lower={lower!r}, upper={upper!r}")
    families = _preliz_families()
    if family not in families:
        problems.add("family", f"unknown family {family!r}: {suggest(family, families)}")
    fixed = dict(fixed or {})
    for name, value in fixed.items():
        problems.number(f"fixed.{name}", value)
    problems.raise_if_any(SpecError)

    _preliz()
    lower, upper, mass = float(lower), float(upper), float(mass)
    try:
        with _quiet_preliz():
            prior = Prior(family, **{k: float(v) for k, v in fixed.items()}).constrain(lower, upper, mass)
    except Exception as err:  # PreliZ's and pymc_extras' errors for impossible combinations
        raise SpecError(
            Problem("from_maxent", "family", f"no {family} with {_pct(mass)} between {_num(lower)} and {_num(upper)}: {err}")
        ) from err
    prior = Prior(family, **{k: float(v) for k, v in prior.parameters.items()})
    held = f", {', '.join(f'{k}={_num(float(v))}' for k, v in fixed.items())} held fixed" if fixed else ""
    statement = Statement(
        f"{_pct(mass)} sure that {about} lies between {_num(lower)} and {_num(upper)} (maximum-entropy {family}{held})",
        "maxent",
        {"lower": lower, "upper": upper, "mass": mass},
    )
    _verify(prior, statement, "from_maxent", tolerance=MAXENT_TOLERANCE)
    return Elicited(prior, statement)


def _preliz():
    """Import PreliZ, undoing the global ``rcParams["savefig.bbox"] = "tight"`` it sets on import.

    hedgecast saves its figures with explicit ``bbox_inches``; a PreliZ import anywhere in
    the process must not change the size of the others (e.g. the SBC plots).
    """
    import sys

    if "preliz" in sys.modules:
        return sys.modules["preliz"]
    import matplotlib

    bbox = matplotlib.rcParams["savefig.bbox"]
    import preliz

    matplotlib.rcParams["savefig.bbox"] = bbox
    return preliz


@contextmanager
def _quiet_preliz() -> Iterator[None]:
    """Silence the two notices a PreliZ fit gives that are not the analyst's concern.

    * ``pz.quartile`` warns when the fit misses a quartile by more than 0.01: the check
      table and :func:`from_quartiles`' ``tolerance`` report and decide that instead;
    * PyTensor warns that Numba runs some of PreliZ's ops (e.g. ``XlogY0`` in a Beta's
      entropy) in object mode: slower, same numbers.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"\s*The expected masses are", category=UserWarning)
        warnings.filterwarnings("ignore", message=r"Numba will use object mode to run \w+'s perform method", category=UserWarning)
        yield


class _QuietPreliZ:
    """A PreliZ distribution whose methods run under :func:`_quiet_preliz`."""

    def __init__(self, dist: Any) -> None:
        self.dist = dist

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.dist, name)
        if not callable(attr):
            return attr

        def quiet(*args: Any, **kwargs: Any) -> Any:
            with _quiet_preliz():
                return attr(*args, **kwargs)

        return quiet

    def __repr__(self) -> str:
        return repr(self.dist)


def _preliz_families() -> tuple[str, ...]:
    """Return the continuous PreliZ families (the ones :func:`from_maxent` can fit)."""
    _preliz()
    from preliz.distributions import all_continuous

    return tuple(c.__name__ for c in all_continuous)


# ------------------------------------------------------------------------------------
# numerical solves
# ------------------------------------------------------------------------------------
def _gamma_interval(lower: float, upper: float, tail: float) -> Prior:
    """Gamma(alpha, beta) with F(lower) = tail and F(upper) = 1 - tail.

    For Gamma(alpha, 1) the ratio of the two quantiles falls from ∞ to 1 as alpha
    grows, so alpha solves ``ratio(alpha) = upper / lower`` (one-dimensional, bracketed);
    the rate then scales the lower quantile onto ``lower``.
    """
    target = math.log(upper / lower)

    def gap(log_alpha: float) -> float:
        a = math.exp(log_alpha)
        return math.log(stats.gamma.ppf(1 - tail, a)) - math.log(stats.gamma.ppf(tail, a)) - target

    lo, hi = -3.0, 3.0
    while gap(lo) < 0 and lo > -30:
        lo -= 3.0
    while gap(hi) > 0 and hi < 40:
        hi += 3.0
    if not gap(lo) > 0 > gap(hi):
        raise SpecError(
            Problem(
                "from_interval", "family", f"no Gamma puts {1 - 2 * tail:.0%} between {lower} and {upper} with equal tails; try LogNormal"
            )
        )
    log_alpha = optimize.brentq(gap, lo, hi, xtol=1e-14, rtol=1e-14, maxiter=500)
    alpha = math.exp(log_alpha)
    rate = stats.gamma.ppf(tail, alpha) / lower
    return Prior("Gamma", alpha=float(alpha), beta=float(rate))


def _beta_interval(lower: float, upper: float, tail: float) -> Prior:
    """Beta(alpha, beta) with F(lower) = tail and F(upper) = 1 - tail (2-D root, log scale)."""

    def equations(x: np.ndarray) -> np.ndarray:
        a, b = np.exp(x)
        return np.array([stats.beta.cdf(lower, a, b) - tail, stats.beta.sf(upper, a, b) - tail])

    # moment-matched start: mean at the interval's centre, sd from a normal approximation
    mean = (lower + upper) / 2
    sd = min((upper - lower) / (2 * stats.norm.ppf(1 - tail)), 0.99 * math.sqrt(mean * (1 - mean)))
    k = mean * (1 - mean) / sd**2 - 1
    starts = [np.log([mean * k, (1 - mean) * k]), np.log([1.0, 1.0]), np.log([mean * 10, (1 - mean) * 10])]
    best = None
    for x0 in starts:
        sol = optimize.root(equations, x0, method="hybr", options={"xtol": 1e-14})
        resid = float(np.max(np.abs(equations(sol.x))))
        if best is None or resid < best[1]:
            best = (sol.x, resid)
        if resid < TOLERANCE / 10:
            break
    assert best is not None
    if not best[1] < TOLERANCE:
        ls = optimize.least_squares(equations, best[0], xtol=1e-15, ftol=1e-15, gtol=1e-15)
        best = (ls.x, float(np.max(np.abs(equations(ls.x)))))
    a, b = np.exp(best[0])
    return Prior("Beta", alpha=float(a), beta=float(b))


def _verify(prior: Prior, statement: Statement, where: str, tolerance: float = TOLERANCE) -> None:
    """Raise if the prior does not meet its statement to ``tolerance`` (default :data:`TOLERANCE`)."""
    table = check(prior, statement)
    worst = float((table["achieved"] - table["stated"]).abs().max())
    if not worst < tolerance:
        raise SpecError(
            Problem(
                where, "", f"could not find a {prior.distribution} matching '{statement.text}' (off by {worst:.2g}); try another family"
            )
        )


# ------------------------------------------------------------------------------------
# checking and plotting
# ------------------------------------------------------------------------------------
def to_scipy(prior: Prior):
    """Return the prior as a frozen ``scipy.stats`` distribution (for densities, CDFs and checks).

    Supports the families lenses use for scalar priors: Normal, StudentT, LogNormal,
    Gamma, Beta (alpha/beta, mu/sigma or mu/nu), HalfNormal, TruncatedNormal and Uniform.
    Any other family PreliZ knows (e.g. from :func:`from_maxent`) comes back as its
    ``Prior.preliz`` distribution, which has the same ``pdf``, ``cdf``, ``sf``, ``ppf``,
    ``mean`` and ``std`` methods (wrapped to silence PreliZ's compile notices).
    """
    p = {k: float(v) for k, v in prior.parameters.items()}
    dist = prior.distribution
    if dist == "Normal" and "sigma" in p:
        return stats.norm(p.get("mu", 0.0), p["sigma"])
    if dist == "StudentT" and "sigma" in p:
        return stats.t(p["nu"], p.get("mu", 0.0), p["sigma"])
    if dist in ("LogNormal", "Lognormal") and "sigma" in p:
        return stats.lognorm(p["sigma"], scale=math.exp(p.get("mu", 0.0)))
    if dist == "Gamma":
        if "alpha" in p and "beta" in p:
            return stats.gamma(p["alpha"], scale=1.0 / p["beta"])
        if "mu" in p and "sigma" in p:
            return stats.gamma((p["mu"] / p["sigma"]) ** 2, scale=p["sigma"] ** 2 / p["mu"])
    if dist == "Beta":
        if "alpha" in p and "beta" in p:
            return stats.beta(p["alpha"], p["beta"])
        if "mu" in p and "sigma" in p:
            k = p["mu"] * (1 - p["mu"]) / p["sigma"] ** 2 - 1
            return stats.beta(p["mu"] * k, (1 - p["mu"]) * k)
        if "mu" in p and "nu" in p:
            return stats.beta(p["mu"] * p["nu"], (1 - p["mu"]) * p["nu"])
    if dist == "HalfNormal" and "sigma" in p:
        return stats.halfnorm(0.0, p["sigma"])
    if dist == "TruncatedNormal" and "sigma" in p:
        mu, s = p.get("mu", 0.0), p["sigma"]
        lo, hi = p.get("lower", -np.inf), p.get("upper", np.inf)
        return stats.truncnorm((lo - mu) / s, (hi - mu) / s, mu, s)
    if dist == "Uniform":
        lo, hi = p.get("lower", 0.0), p.get("upper", 1.0)
        return stats.uniform(lo, hi - lo)
    if dist not in SCIPY_FAMILIES and dist in _preliz_families():
        return _QuietPreliZ(prior.preliz)
    raise SpecError(
        Problem(
            "to_scipy",
            "dist",
            f"cannot evaluate {_describe(prior)}: supported are {', '.join(SCIPY_FAMILIES)}",
        )
    )


def check(prior: Prior, statement: Statement) -> pd.DataFrame:
    """Compare what the statement asked for with what ``prior`` delivers, one row per number.

    Returns
    -------
    DataFrame
        Indexed by ``quantity`` (e.g. ``P(X > 0)``), with columns ``stated`` and ``achieved``.

    """
    d = to_scipy(prior)
    v = statement.values
    if statement.kind == "interval":
        tail = (1 - v["mass"]) / 2
        rows = [
            (f"P({_num(v['lower'])} < X < {_num(v['upper'])})", v["mass"], float(d.cdf(v["upper"]) - d.cdf(v["lower"]))),
            (f"P(X < {_num(v['lower'])})", tail, float(d.cdf(v["lower"]))),
            (f"P(X > {_num(v['upper'])})", tail, float(d.sf(v["upper"]))),
        ]
    elif statement.kind == "sign":
        rows = [("P(X > 0)", v["p_positive"], float(d.sf(0.0))), ("sd", v["scale"], float(d.std()))]
    elif statement.kind == "probability":
        rows = [("mean", v["p"], float(d.mean())), ("sd", v["give_or_take"], float(d.std()))]
    elif statement.kind == "quartiles":
        rows = [(f"P(X < {_num(v[q])})", stated, float(d.cdf(v[q]))) for q, stated in (("q1", 0.25), ("median", 0.5), ("q3", 0.75))]
    elif statement.kind == "maxent":
        rows = [(f"P({_num(v['lower'])} < X < {_num(v['upper'])})", v["mass"], float(d.cdf(v["upper"]) - d.cdf(v["lower"])))]
    else:
        raise SpecError(
            Problem(
                "check",
                "kind",
                f"unknown statement kind {statement.kind!r}: {suggest(statement.kind, STATEMENT_KINDS)}",
            )
        )
    return pd.DataFrame(rows, columns=["quantity", "stated", "achieved"]).set_index("quantity")


def plot_elicited(prior: Prior | Elicited, statement: Statement | None = None, ax: Axes | None = None) -> Figure:
    """Density of ``prior`` with what ``statement`` said marked on it.

    Interval statements shade the stated interval and mark its ends; sign statements
    shade the positive side; probability statements mark the mean and ±1 sd. The
    stated and achieved numbers are written in the title.

    Parameters
    ----------
    prior : Prior or Elicited
        The prior (an :class:`Elicited` carries its statement).
    statement : Statement, optional
        Required unless ``prior`` is an :class:`Elicited`.
    ax : Axes, optional
        Where to draw; default: a new figure.

    Returns
    -------
    Figure
        The figure holding ``ax``.

    """
    if isinstance(prior, Elicited):
        prior, statement = prior.prior, statement or prior.statement
    if statement is None:
        raise SpecError(Problem("plot_elicited", "statement", "missing: pass the Statement the prior was elicited from"))
    d = to_scipy(prior)
    v = statement.values
    if ax is None:
        fig = Figure(figsize=(7, 3.4), layout="constrained")
        ax = fig.subplots()
    else:
        fig = ax.get_figure(root=True)
    lo, hi = (float(x) for x in d.ppf([0.002, 0.998]))
    if statement.kind in ("interval", "maxent"):
        pad = 0.15 * (v["upper"] - v["lower"])
        lo, hi = min(lo, v["lower"] - pad), max(hi, v["upper"] + pad)
    if statement.kind == "sign":
        lo, hi = min(lo, -0.1 * (hi - lo)), max(hi, 0.1 * (hi - lo))
    if prior.distribution in ("Beta", "Gamma", "LogNormal", "Lognormal", "HalfNormal"):
        lo = max(lo, 0.0)
    if prior.distribution == "Beta":
        hi = min(hi, 1.0)
    x = np.linspace(lo, hi, 600)
    y = d.pdf(x)
    colour, mark = "#0072B2", "#D55E00"
    ax.plot(x, y, color=colour, lw=2, label=_describe(prior))
    table = check(prior, statement)
    if statement.kind in ("interval", "maxent"):
        inside = (x >= v["lower"]) & (x <= v["upper"])
        ax.fill_between(x, 0, y, where=inside, color=colour, alpha=0.25, linewidth=0, label=f"stated {_pct(v['mass'])} interval")
        for end in (v["lower"], v["upper"]):
            ax.axvline(end, color=mark, lw=1.2, ls="--")
        title = f"stated {_pct(v['mass'])} in [{_num(v['lower'])}, {_num(v['upper'])}]; prior gives {table['achieved'].iloc[0]:.4f}"
    elif statement.kind == "sign":
        ax.fill_between(x, 0, y, where=x >= 0, color=colour, alpha=0.25, linewidth=0, label="positive side")
        ax.axvline(0.0, color="#444444", lw=1)
        ax.axvline(float(d.mean()), color=mark, lw=1.2, ls="--", label=f"centre {_num(float(d.mean()))}")
        title = f"stated P(>0) = {v['p_positive']:.2f}; prior gives {table['achieved'].iloc[0]:.4f}"
    elif statement.kind == "quartiles":
        for q in ("q1", "median", "q3"):
            ax.axvline(v[q], color=mark, lw=1.2, ls="-" if q == "median" else "--")
        achieved = ", ".join(f"{a:.3f}" for a in table["achieved"])
        title = f"stated quartiles {_num(v['q1'])}, {_num(v['median'])}, {_num(v['q3'])}; prior puts {achieved} below them"
    else:
        m, s = float(d.mean()), float(d.std())
        ax.axvline(m, color=mark, lw=1.4, label=f"mean {_pct(m)}")
        ax.axvspan(m - s, m + s, color=mark, alpha=0.12, label=f"± 1 sd ({_num(100 * s)} points)")
        title = f"stated {_pct(v['p'])} ± {_num(100 * v['give_or_take'])} pts; prior mean {m:.3f}, sd {s:.3f}"
    ax.set_ylim(bottom=0)
    ax.set_xlim(lo, hi)
    ax.set_ylabel("density")
    ax.set_xlabel("value")
    ax.set_title(textwrap.fill(statement.text, 90), fontsize=10)
    ax.text(0.99, 0.97, title, transform=ax.transAxes, ha="right", va="top", fontsize=8.5, color="#333333")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


# ------------------------------------------------------------------------------------
# formatting
# ------------------------------------------------------------------------------------
def _num(x: float) -> str:
    return f"{x:.4g}"


def _pct(p: float) -> str:
    return f"{100 * p:.4g}%"


def _describe(prior: Prior) -> str:
    return f"{prior.distribution}(" + ", ".join(f"{k}={float(v):.4g}" for k, v in prior.parameters.items()) + ")"
