"""One prior of a lens: the model's prior groups, the distributions each allows, and validation.

A lens holds one ``pymc_extras.prior.Prior`` per element of every group returned by
:func:`parameter_groups` (``beta.economic.leader_ties`` …), each with its
:class:`~hedgecast.inputs.provenance.Provenance`. :func:`build_prior` checks one prior
table the way a lens file or an edit gives it, recording every problem under its field;
:func:`parse_known_by` reads the year its content could first have been known (``known_by``).
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pymc_extras.prior import Prior

from hedgecast.errors import Problem, ProblemCollector, SpecError, suggest
from hedgecast.inputs.provenance import PROVENANCE_KEYS, Provenance
from hedgecast.inputs.spec import ModelSpec
from hedgecast.inputs.spec_toml import is_finite_number, is_number, quoted_number_hint
from hedgecast.priors.groups import FIT_GROUPS

SCALAR_DISTRIBUTIONS = frozenset(
    {
        "AsymmetricLaplace",
        "Beta",
        "Cauchy",
        "ChiSquared",
        "ExGaussian",
        "Exponential",
        "Gamma",
        "Gumbel",
        "HalfCauchy",
        "HalfNormal",
        "HalfStudentT",
        "InverseGamma",
        "Kumaraswamy",
        "Laplace",
        "LogNormal",
        "Logistic",
        "LogitNormal",
        "Lognormal",
        "Moyal",
        "Normal",
        "Pareto",
        "SkewNormal",
        "SkewStudentT",
        "StudentT",
        "Triangular",
        "TruncatedNormal",
        "Uniform",
        "VonMises",
        "Wald",
        "Weibull",
    }
)
"""Proper, continuous, univariate distributions: what a fitted parameter may have as its prior."""
POSITIVE_SUPPORT = frozenset(
    {
        "HalfNormal",
        "HalfCauchy",
        "HalfStudentT",
        "Gamma",
        "LogNormal",
        "Lognormal",
        "Exponential",
        "InverseGamma",
        "Weibull",
        "ChiSquared",
        "Pareto",
        "Wald",
    }
)
UNIT_SUPPORT = frozenset({"Beta", "Kumaraswamy", "LogitNormal", "Uniform", "TruncatedNormal"})
POSITIVE_GROUPS = ("sigma", "noise", "nu", "loading")
UNIT_GROUPS = ("rho", "scenario_probability")
DIRICHLET_GROUPS = ("war_transition", "branch_probability")
"""Groups whose priors are Dirichlet weights (``a`` = one weight per state or branch)."""
POSITIVE_PARAMETERS = frozenset({"sigma", "tau", "lam", "nu", "kappa", "b", "a", "alpha", "beta", "s", "scale", "m", "phi"})
"""Scale and shape parameters: must be > 0 (except the pairs in REAL_PARAMETERS)."""
REAL_PARAMETERS = frozenset({("Cauchy", "alpha"), ("SkewNormal", "alpha"), ("Wald", "alpha"), ("Rice", "nu"), ("AsymmetricLaplace", "q")})
POSITIVE_MEANS = frozenset({"Gamma", "InverseGamma", "Wald"})
PRIOR_OPTIONS = frozenset({"dims", "centered", "transform", "core_dims"})
KNOWN_BY_KEYS = ("known_by", "known_by_reason")
"""Keys of a prior table that say when its content could first have been known (not parameters)."""
EARLIEST_KNOWN_BY = 1900
"""The earliest ``known_by`` accepted: anything earlier is a typo, not a claim about the record."""


def element_name(group: str, coords: tuple[str, ...]) -> str:
    """Dotted name of one prior: ``beta.economic.energy_leverage``."""
    return ".".join((group, *coords))


@dataclass(frozen=True)
class LensPrior:
    """One prior with where it came from and when its content could first have been known.

    ``known_by`` (with ``known_by_reason``) is the first year the prior's *content* could
    have been known — not the year of the paper that states it: a backtest fitted on the
    record up to a cut-off uses the prior only if ``known_by`` ≤ the cut-off
    (:mod:`hedgecast.priors.known_by`). ``None`` when the lens file does not say; then
    ``assumed_known_by`` holds the year of the lens file that gave the prior (its
    ``[lens] year``, or the last history year), which is never written back.
    """

    prior: Prior
    provenance: Provenance
    known_by: int | None = None
    known_by_reason: str = ""
    assumed_known_by: int | None = field(default=None, compare=False)

    def to_toml(self) -> dict[str, Any]:
        params = {k: (np.asarray(v).tolist() if isinstance(v, (np.ndarray, list, tuple)) else v) for k, v in self.prior.parameters.items()}
        stated = {"known_by": self.known_by, "known_by_reason": self.known_by_reason} if self.known_by is not None else {}
        return {"dist": self.prior.distribution, **params, **self.provenance.to_dict(), **stated}

    def same_as(self, other: LensPrior) -> bool:
        return self.to_toml() == other.to_toml()


@functools.cache
def _distribution_parameters(dist: str) -> tuple[str, ...]:
    """Return the keyword parameters ``pymc.<dist>.dist`` accepts."""
    import pymc as pm

    sig = inspect.signature(getattr(pm, dist).dist)
    return tuple(n for n, p in sig.parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


@functools.cache
def _construction_error(dist: str, params: tuple[tuple[str, Any], ...]) -> str:
    """Say why ``pymc.<dist>.dist(**params)`` cannot be built ('' if it can).

    Catches a missing or incompatible parametrization (Gamma with alpha only, …).
    """
    import pymc as pm

    kwargs = {k: (list(v) if isinstance(v, tuple) else v) for k, v in params}
    try:
        getattr(pm, dist).dist(**kwargs)
    except (ValueError, TypeError, NotImplementedError, OverflowError) as err:
        return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return ""


MAX_HYPERPARAMETER = 1e6  # beyond this, float arithmetic in the model overflows long before it means anything


def _check_parameter(dist: str, key: str, value: Any, fname: str, problems: ProblemCollector) -> bool:
    """Record what is wrong with one hyperparameter value; True if it is fine."""
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and dist != "Dirichlet":
        problems.add(fname, f"must be a single number, got the list {value!r}")
        return False
    if not values or not all(is_number(v) for v in values):
        problems.add(fname, f"must be a number, got {value!r}{quoted_number_hint(value)}")
        return False
    if not all(is_finite_number(v) for v in values):
        problems.add(fname, f"must be a finite number, got {value!r}")
        return False
    if not all(abs(float(v)) <= MAX_HYPERPARAMETER for v in values):
        problems.add(
            fname,
            f"{value!r} is implausibly large for a prior on these scales (|value| ≤ {MAX_HYPERPARAMETER:g}; channels are in standard deviations)",
        )
        return False
    if (dist, key) in REAL_PARAMETERS:
        if dist in ("Wald", "Rice") and not all(v >= 0 for v in values):
            problems.add(fname, f"must not be negative, got {value!r}")
            return False
        if dist == "AsymmetricLaplace" and not all(0 < v < 1 for v in values):
            problems.add(fname, f"must lie strictly between 0 and 1, got {value!r}")
            return False
        return True
    if (key in POSITIVE_PARAMETERS or (key == "mu" and dist in POSITIVE_MEANS)) and not all(v > 0 for v in values):
        problems.add(fname, f"is a scale or shape parameter and must be positive, got {value!r}")
        return False
    return True


def parse_known_by(
    raw: Mapping[str, Any], field_name: str, problems: ProblemCollector, latest: int, latest_why: str
) -> tuple[int | None, str]:
    """Read ``known_by`` and ``known_by_reason`` from one prior table; ``(None, "")`` if it gives neither.

    Both or neither: a year needs its reason (why the content could be known then, not
    when the paper appeared) and a reason needs its year. The year is a whole number from
    :data:`EARLIEST_KNOWN_BY` to ``latest`` (``latest_why`` says what that is: the lens's own
    year, or the last history year). Every problem is recorded under ``field_name.<key>``.
    """
    year, reason = raw.get("known_by"), raw.get("known_by_reason")
    if year is None and reason is None:
        return None, ""
    ok = True
    if year is None:
        problems.add(f"{field_name}.known_by", "missing: known_by_reason is given, so give the year too (known_by = 2016)")
        ok = False
    elif isinstance(year, bool) or not isinstance(year, int):
        hint = quoted_number_hint(year) if isinstance(year, str) else ""
        problems.add(f"{field_name}.known_by", f"must be a year as a whole number (known_by = 2016), got {year!r}{hint}")
        ok = False
    elif not EARLIEST_KNOWN_BY <= year <= latest:
        problems.add(f"{field_name}.known_by", f"must lie between {EARLIEST_KNOWN_BY} and {latest} ({latest_why}), got {year}")
        ok = False
    if reason is None:
        problems.add(f"{field_name}.known_by_reason", "missing: say why the prior's content could be known by that year")
        ok = False
    elif not isinstance(reason, str) or not reason.strip():
        problems.add(f"{field_name}.known_by_reason", f"must be text in quotes saying why it could be known by then, got {reason!r}")
        ok = False
    return (int(year), str(reason)) if ok else (None, "")


def build_prior(raw: dict, field_name: str, group: str, problems: ProblemCollector, n_states: int) -> Prior | None:
    """Validate one prior table (``dist`` plus parameters; provenance and ``known_by`` keys ignored) and build it.

    Every problem is recorded under ``field_name``; returns None if the prior cannot be built.
    """
    params = {k: v for k, v in raw.items() if k not in PROVENANCE_KEYS and k not in KNOWN_BY_KEYS and k != "dist"}
    dist = raw.get("dist")
    if dist is None:
        problems.add(f"{field_name}.dist", "missing: name a distribution (Normal, HalfNormal, Gamma, Beta …)")
        return None
    if not isinstance(dist, str):
        problems.add(f"{field_name}.dist", f"must be a distribution name in quotes, got {dist!r}")
        return None
    allowed = {"Dirichlet"} if group in DIRICHLET_GROUPS else SCALAR_DISTRIBUTIONS
    if dist not in allowed:
        if group == "war_transition":
            problems.add(f"{field_name}.dist", f"war transitions must be Dirichlet (weights over next year's state), got '{dist}'")
        elif group == "branch_probability":
            problems.add(f"{field_name}.dist", f"branch probabilities must be Dirichlet (weights over the mixture's branches), got '{dist}'")
        elif dist in ("Dirichlet", "MvNormal", "Multinomial", "MvStudentT"):
            problems.add(f"{field_name}.dist", f"{dist} is only for war_transition; {group} needs a univariate distribution")
        elif dist in ("Flat", "HalfFlat"):
            problems.add(
                f"{field_name}.dist",
                f"{dist} is improper (it cannot be sampled, so prior checks and forecasts fail); "
                "use a proper distribution such as Normal or HalfNormal",
            )
        else:
            import pymc as pm

            if isinstance(getattr(pm, dist, None), type):
                problems.add(
                    f"{field_name}.dist",
                    f"{dist} cannot be a prior here: use a continuous univariate distribution; {suggest(dist, SCALAR_DISTRIBUTIONS)}",
                )
            else:
                problems.add(f"{field_name}.dist", f"unknown distribution '{dist}': {suggest(dist, allowed)}")
        return None
    if group in POSITIVE_GROUPS and dist not in POSITIVE_SUPPORT and dist != "TruncatedNormal":
        problems.add(
            f"{field_name}.dist",
            f"{group} must be positive: use one of {', '.join(sorted(POSITIVE_SUPPORT))} (or TruncatedNormal with lower ≥ 0), got {dist}",
        )
        return None
    if group in UNIT_GROUPS and dist not in UNIT_SUPPORT:
        problems.add(f"{field_name}.dist", f"{group} must lie in (0, 1): use one of {', '.join(sorted(UNIT_SUPPORT))}, got {dist}")
        return None
    valid_params = _distribution_parameters(dist)
    ok = True
    for key, value in params.items():
        fname = f"{field_name}.{key}"
        if key in PRIOR_OPTIONS:
            problems.add(fname, f"'{key}' is not used in a lens file: give only the distribution's parameters ({', '.join(valid_params)})")
            ok = False
        elif key not in valid_params:
            near = suggest(key, (*valid_params, *PROVENANCE_KEYS, *KNOWN_BY_KEYS))
            problems.add(
                fname,
                f"'{key}' is not a parameter of {dist} (its parameters are {', '.join(valid_params)}; "
                f"provenance keys are source, quote, reason; known_by, known_by_reason say when it could be known)"
                f"{near[near.index(';') :] if ';' in near else ''}",
            )
            ok = False
        elif not _check_parameter(dist, key, value, fname, problems):
            ok = False
    if ok and group in DIRICHLET_GROUPS:
        a = params.get("a")
        what = "future war state" if group == "war_transition" else "branch of the mixture"
        if not isinstance(a, list) or len(a) != n_states:
            problems.add(f"{field_name}.a", f"needs one weight per {what} ({n_states}), got {a!r}")
            ok = False
        extra = sorted(set(params) - {"a"})
        if extra:
            problems.add(f"{field_name}.{extra[0]}", f"a {group.replace('_', '-')} Dirichlet takes only a = [weights]")
            ok = False
    if not ok:
        return None
    as_floats = tuple((k, tuple(float(x) for x in v) if isinstance(v, list) else float(v)) for k, v in sorted(params.items()))
    error = _construction_error(dist, as_floats)
    if error:
        problems.add(field_name, f"{dist}({', '.join(f'{k}={v!r}' for k, v in params.items())}) is not a valid prior: {error}")
        return None
    lower, upper = params.get("lower"), params.get("upper")
    if dist in ("Uniform", "TruncatedNormal", "Triangular") and lower is not None and upper is not None and not lower < upper:
        problems.add(field_name, f"{dist} needs lower < upper, got lower={lower}, upper={upper}")
        return None
    if dist == "Triangular" and "c" in params and not (params.get("lower", 0) <= params["c"] <= params.get("upper", 1)):
        problems.add(f"{field_name}.c", f"the mode c must lie between lower and upper, got {params['c']}")
        return None
    if dist in ("Beta", "Kumaraswamy") and "mu" in params:
        mu, sd = params["mu"], params.get("sigma", 0)
        if not 0 < mu < 1:
            problems.add(f"{field_name}.mu", f"the mean of a {dist} lies strictly between 0 and 1, got {mu}")
            return None
        if dist == "Beta" and not sd**2 < mu * (1 - mu):
            problems.add(f"{field_name}.sigma", f"a Beta with mean {mu} needs sigma < {math.sqrt(mu * (1 - mu)):.4g}, got {sd}")
            return None
    if group in POSITIVE_GROUPS and dist == "TruncatedNormal" and not (lower is not None and lower >= 0):
        problems.add(f"{field_name}.lower", f"{group} must be positive: a TruncatedNormal needs lower ≥ 0, got {lower}")
        return None
    if group in UNIT_GROUPS:
        if dist in ("Uniform", "TruncatedNormal") and not (lower is not None and upper is not None and 0 <= lower < upper <= 1):
            problems.add(field_name, f"{dist} bounds for {group} must satisfy 0 ≤ lower < upper ≤ 1, got [{lower}, {upper}]")
            return None
    try:
        return Prior(dist, **params)
    except (ValueError, TypeError) as err:  # pymc_extras' own checks, should ours have missed one
        problems.add(field_name, f"invalid parameters for {dist}: {err}")
        return None


def structure_problems(priors: dict[str, LensPrior], file: str) -> list[Problem]:
    """Priors of one family within a fitted group must use the same parameters.

    The model shares one set of hyperparameter arrays per family and group
    (``hyper_<group>_<dist>_<param>``), so ``Normal(mu, sigma)`` next to
    ``Normal(mu, tau)`` in the same group cannot be fitted.
    """
    out = []
    first: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
    for name, lp in priors.items():
        group = name.split(".")[0]
        if group not in FIT_GROUPS:
            continue
        key = (group, lp.prior.distribution)
        params = tuple(sorted(lp.prior.parameters))
        if key not in first:
            first[key] = (name, params)
        elif first[key][1] != params:
            other, other_params = first[key]
            out.append(
                Problem(
                    file,
                    f"priors.{name}",
                    (
                        f"{lp.prior.distribution} with parameters ({', '.join(params)}), but {other} uses ({', '.join(other_params)}): "
                        f"priors of one distribution within group '{group}' must use the same parameters"
                    ),
                )
            )
    return out


def plain_value(v: Any) -> Any:
    """Numpy scalars and arrays as plain Python numbers and lists (as TOML would give them)."""
    if isinstance(v, (np.ndarray, tuple, list)):
        return np.asarray(v).tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


def format_value(v: Any) -> str:
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ", ".join(format_value(x) for x in np.asarray(v).tolist()) + "]"
    return f"{v:g}" if isinstance(v, float) else str(v)


def describe_prior(p: Prior) -> str:
    return f"{p.distribution}(" + ", ".join(f"{k}={format_value(v)}" for k, v in p.parameters.items()) + ")"


def edited_prior(
    priors: Mapping[str, LensPrior],
    spec: ModelSpec,
    name: str,
    prior: Prior | dict,
    provenance: dict[str, str],
    file: str,
    known_by: dict[str, Any] | None = None,
    lens_year: int | None = None,
) -> LensPrior:
    """Validate a new prior for ``name`` against the other ``priors`` of its lens; return it with its provenance.

    ``prior`` is a ``pymc_extras`` Prior or a dict with ``dist`` and the parameters;
    ``provenance`` has ``source``, ``quote`` and ``reason`` (a reason, or a source and
    quote, is required); ``known_by`` may have ``known_by`` and ``known_by_reason`` (both
    or neither; neither: the prior is taken as known from ``lens_year``, or the last
    history year). Raises :class:`SpecError` listing every problem.
    """
    problems = ProblemCollector(file)
    prov, found = Provenance.from_table(provenance)
    for pfield, msg in found:
        problems.add(f"{name}.{pfield}", msg)
    latest, latest_why = known_by_limit(spec, lens_year)
    year, year_reason = parse_known_by({k: v for k, v in (known_by or {}).items() if v is not None}, name, problems, latest, latest_why)
    if isinstance(prior, Prior):
        raw = prior.to_dict()
    elif isinstance(prior, dict):
        raw = dict(prior)
    else:
        raise SpecError(Problem(problems.file, name, f"a prior must be a pymc_extras Prior or a dict with 'dist', got {prior!r}"))
    if "dist" in raw and isinstance(raw.get("kwargs"), dict):
        raw = {"dist": raw["dist"], **raw["kwargs"]}
    raw = {k: plain_value(v) for k, v in raw.items()}
    group = name.split(".")[0]
    built = build_prior(raw, name, group, problems, len(spec.future_war_states))
    if built is not None:
        params = tuple(sorted(built.parameters))
        for other, lp in priors.items():
            if other != name and other.split(".")[0] == group and group in FIT_GROUPS and lp.prior.distribution == built.distribution:
                if tuple(sorted(lp.prior.parameters)) != params:
                    problems.add(
                        name,
                        (
                            f"{built.distribution} with parameters ({', '.join(params)}), but {other} uses "
                            f"({', '.join(sorted(lp.prior.parameters))}): priors of one distribution within group "
                            f"'{group}' must use the same parameters"
                        ),
                    )
                break
    problems.raise_if_any(SpecError)
    assert built is not None
    return LensPrior(built, prov, year, year_reason, assumed_known_by=latest)


def known_by_limit(spec: ModelSpec, lens_year: int | None) -> tuple[int, str]:
    """Return the latest ``known_by`` a lens may state, and why: its own year, else the last history year.

    It is also the year a prior that states no ``known_by`` is taken as known from.
    """
    if lens_year is not None:
        return lens_year, "the lens's own year: a lens cannot know what happened after it was written"
    return int(spec.history_years[-1]), "the last history year: nothing after the record can be known"
