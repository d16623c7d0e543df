"""Reading elicited priors back: the statement an analyst made, what a prior delivers against it, and its picture.

:func:`check` compares what a statement asked for with what a prior gives; :func:`plot_elicited`
draws the density with the statement marked; :func:`to_scipy` evaluates any prior the elicitation
produces (SciPy via :mod:`hedgecast.priors.families`, PreliZ for the rest). PreliZ is imported only
when used, through :func:`preliz`, which undoes the global ``savefig.bbox = "tight"`` it sets.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from pymc_extras.prior import Prior

from hedgecast.errors import Problem, SpecError, suggest
from hedgecast.priors import families

STATEMENT_KINDS = ("interval", "sign", "probability", "quartiles", "maxent")
"""The kinds of :class:`Statement` that :func:`check` and :func:`plot_elicited` understand."""


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


def preliz():
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
def quiet_preliz() -> Iterator[None]:
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


class QuietPreliZ:
    """A PreliZ distribution whose methods run under :func:`quiet_preliz`."""

    def __init__(self, dist: Any) -> None:
        self.dist = dist

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.dist, name)
        if not callable(attr):
            return attr

        def quiet(*args: Any, **kwargs: Any) -> Any:
            with quiet_preliz():
                return attr(*args, **kwargs)

        return quiet

    def __repr__(self) -> str:
        return repr(self.dist)


def preliz_families() -> tuple[str, ...]:
    """Return the continuous PreliZ families (the ones :func:`from_maxent` can fit)."""
    preliz()
    from preliz.distributions import all_continuous

    return tuple(c.__name__ for c in all_continuous)


# ------------------------------------------------------------------------------------
# checking and plotting
# ------------------------------------------------------------------------------------
def to_scipy(prior: Prior):
    """Return the prior as a frozen ``scipy.stats`` distribution (:func:`hedgecast.priors.families.to_scipy`).

    A family (or parameterisation) the registry has no SciPy form for — HalfNormal, Beta by
    ``mu``/``nu``, anything PreliZ knows (e.g. from :func:`from_maxent`) — comes back as its
    ``Prior.preliz`` distribution, which has the same ``pdf``, ``cdf``, ``sf``, ``ppf``, ``mean``
    and ``std`` methods (wrapped to silence PreliZ's compile notices). Raises
    :class:`SpecError` for a family neither knows.
    """
    try:
        return families.to_scipy(prior)
    except ValueError as err:
        if prior.distribution in preliz_families():
            return QuietPreliZ(prior.preliz)
        raise SpecError(Problem("to_scipy", "dist", f"cannot evaluate {describe(prior)}: {err}")) from None


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
            (f"P({format_number(v['lower'])} < X < {format_number(v['upper'])})", v["mass"], float(d.cdf(v["upper"]) - d.cdf(v["lower"]))),
            (f"P(X < {format_number(v['lower'])})", tail, float(d.cdf(v["lower"]))),
            (f"P(X > {format_number(v['upper'])})", tail, float(d.sf(v["upper"]))),
        ]
    elif statement.kind == "sign":
        rows = [("P(X > 0)", v["p_positive"], float(d.sf(0.0))), ("sd", v["scale"], float(d.std()))]
    elif statement.kind == "probability":
        rows = [("mean", v["p"], float(d.mean())), ("sd", v["give_or_take"], float(d.std()))]
    elif statement.kind == "quartiles":
        rows = [(f"P(X < {format_number(v[q])})", stated, float(d.cdf(v[q]))) for q, stated in (("q1", 0.25), ("median", 0.5), ("q3", 0.75))]
    elif statement.kind == "maxent":
        rows = [(f"P({format_number(v['lower'])} < X < {format_number(v['upper'])})", v["mass"], float(d.cdf(v["upper"]) - d.cdf(v["lower"])))]
    else:
        raise SpecError(
            Problem(
                "check",
                "kind",
                f"unknown statement kind {statement.kind!r}: {suggest(statement.kind, STATEMENT_KINDS)}",
            )
        )
    return pd.DataFrame(rows, columns=["quantity", "stated", "achieved"]).set_index("quantity")


def plot_elicited(prior: Prior | tuple[Prior, Statement], statement: Statement | None = None, ax: Axes | None = None) -> Figure:
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
    if isinstance(prior, tuple):  # an Elicited: (prior, statement)
        prior, statement = prior[0], statement or prior[1]
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
    ax.plot(x, y, color=colour, lw=2, label=describe(prior))
    table = check(prior, statement)
    if statement.kind in ("interval", "maxent"):
        inside = (x >= v["lower"]) & (x <= v["upper"])
        ax.fill_between(x, 0, y, where=inside, color=colour, alpha=0.25, linewidth=0, label=f"stated {format_percent(v['mass'])} interval")
        for end in (v["lower"], v["upper"]):
            ax.axvline(end, color=mark, lw=1.2, ls="--")
        title = f"stated {format_percent(v['mass'])} in [{format_number(v['lower'])}, {format_number(v['upper'])}]; prior gives {table['achieved'].iloc[0]:.4f}"
    elif statement.kind == "sign":
        ax.fill_between(x, 0, y, where=x >= 0, color=colour, alpha=0.25, linewidth=0, label="positive side")
        ax.axvline(0.0, color="#444444", lw=1)
        ax.axvline(float(d.mean()), color=mark, lw=1.2, ls="--", label=f"centre {format_number(float(d.mean()))}")
        title = f"stated P(>0) = {v['p_positive']:.2f}; prior gives {table['achieved'].iloc[0]:.4f}"
    elif statement.kind == "quartiles":
        for q in ("q1", "median", "q3"):
            ax.axvline(v[q], color=mark, lw=1.2, ls="-" if q == "median" else "--")
        achieved = ", ".join(f"{a:.3f}" for a in table["achieved"])
        title = f"stated quartiles {format_number(v['q1'])}, {format_number(v['median'])}, {format_number(v['q3'])}; prior puts {achieved} below them"
    else:
        m, s = float(d.mean()), float(d.std())
        ax.axvline(m, color=mark, lw=1.4, label=f"mean {format_percent(m)}")
        ax.axvspan(m - s, m + s, color=mark, alpha=0.12, label=f"± 1 sd ({format_number(100 * s)} points)")
        title = f"stated {format_percent(v['p'])} ± {format_number(100 * v['give_or_take'])} pts; prior mean {m:.3f}, sd {s:.3f}"
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
def format_number(x: float) -> str:
    return f"{x:.4g}"


def format_percent(p: float) -> str:
    return f"{100 * p:.4g}%"


def describe(prior: Prior) -> str:
    return f"{prior.distribution}(" + ", ".join(f"{k}={float(v):.4g}" for k, v in prior.parameters.items()) + ")"
