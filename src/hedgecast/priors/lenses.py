"""Lenses: named, complete sets of priors, each with its provenance.

A lens file (``models/lenses/<name>.toml``) holds one ``pymc_extras.prior.Prior`` per
model parameter, each citing a seed paper with a verbatim quote or stating a reason.
Lenses can extend other lenses, be edited in a notebook, saved (exact round-trip),
and diffed.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w
from pymc_extras.prior import Prior

from hedgecast.config import Paths
from hedgecast.errors import Problem, ProblemCollector, SpecError, suggest
from hedgecast.files import write_atomic
from hedgecast.inputs.provenance import PROVENANCE_KEYS, Provenance
from hedgecast.inputs.spec import ModelSpec, add_lines, is_finite_number, quoted_number_hint, read_toml_text, sort_by_line
from hedgecast.priors.groups import FIT_GROUPS, parameter_groups

LENS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
"""A lens name: it names the file, and runs are saved under ``runs/<time>-<lens>-<random>``."""

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
POSITIVE_PARAMETERS = frozenset({"sigma", "tau", "lam", "nu", "kappa", "b", "a", "alpha", "beta", "s", "scale", "m", "phi"})
"""Scale and shape parameters: must be > 0 (except the pairs in REAL_PARAMETERS)."""
REAL_PARAMETERS = frozenset({("Cauchy", "alpha"), ("SkewNormal", "alpha"), ("Wald", "alpha"), ("Rice", "nu"), ("AsymmetricLaplace", "q")})
POSITIVE_MEANS = frozenset({"Gamma", "InverseGamma", "Wald"})
PRIOR_OPTIONS = frozenset({"dims", "centered", "transform", "core_dims"})


LENS_KEYS = ("name", "summary", "author", "extends")


def element_name(group: str, coords: tuple[str, ...]) -> str:
    """Dotted name of one prior: ``beta.economic.energy_leverage``."""
    return ".".join((group, *coords))


@dataclass
class LensPrior:
    """One prior with where it came from."""

    prior: Prior
    provenance: Provenance

    def to_toml(self) -> dict[str, Any]:
        params = {k: (np.asarray(v).tolist() if isinstance(v, (np.ndarray, list, tuple)) else v) for k, v in self.prior.parameters.items()}
        return {"dist": self.prior.distribution, **params, **self.provenance.to_dict()}

    def same_as(self, other: LensPrior) -> bool:
        return self.to_toml() == other.to_toml()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
    if not values or not all(_is_number(v) for v in values):
        problems.add(fname, f"must be a number, got {value!r}{quoted_number_hint(value)}")
        return False
    if not all(is_finite_number(v) for v in values):
        problems.add(fname, f"must be a finite number, got {value!r}")
        return False
    if not all(abs(float(v)) <= MAX_HYPERPARAMETER for v in values):
        problems.add(fname, f"{value!r} is implausibly large for a prior on these scales (|value| ≤ {MAX_HYPERPARAMETER:g}; channels are in standard deviations)")
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


def _build_prior(raw: dict, field_name: str, group: str, problems: ProblemCollector, n_states: int) -> Prior | None:
    """Validate one prior table (``dist`` plus parameters; provenance keys ignored) and build it.

    Every problem is recorded under ``field_name``; returns None if the prior cannot be built.
    """
    params = {k: v for k, v in raw.items() if k not in PROVENANCE_KEYS and k != "dist"}
    dist = raw.get("dist")
    if dist is None:
        problems.add(f"{field_name}.dist", "missing: name a distribution (Normal, HalfNormal, Gamma, Beta …)")
        return None
    if not isinstance(dist, str):
        problems.add(f"{field_name}.dist", f"must be a distribution name in quotes, got {dist!r}")
        return None
    allowed = {"Dirichlet"} if group == "war_transition" else SCALAR_DISTRIBUTIONS
    if dist not in allowed:
        if group == "war_transition":
            problems.add(f"{field_name}.dist", f"war transitions must be Dirichlet (weights over next year's state), got '{dist}'")
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
            near = suggest(key, (*valid_params, *PROVENANCE_KEYS))
            problems.add(
                fname,
                f"'{key}' is not a parameter of {dist} (its parameters are {', '.join(valid_params)}; "
                f"provenance keys are source, quote, reason){near[near.index(';') :] if ';' in near else ''}",
            )
            ok = False
        elif not _check_parameter(dist, key, value, fname, problems):
            ok = False
    if ok and group == "war_transition":
        a = params.get("a")
        if not isinstance(a, list) or len(a) != n_states:
            problems.add(f"{field_name}.a", f"needs one weight per future war state ({n_states}), got {a!r}")
            ok = False
        extra = sorted(set(params) - {"a"})
        if extra:
            problems.add(f"{field_name}.{extra[0]}", "a war-transition Dirichlet takes only a = [weights]")
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


def _structure_problems(priors: dict[str, LensPrior], file: str) -> list[Problem]:
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


@dataclass
class Lens:
    """A complete, named set of priors for one model spec.

    Use :meth:`load` to read one, :meth:`prior` / :meth:`set_prior` to read and edit,
    :meth:`derive` to start a new lens from this one, :meth:`save` and :func:`diff_lenses`.
    """

    name: str
    spec: ModelSpec
    priors: dict[str, LensPrior]
    summary: str = ""
    author: str = ""
    extends: str = ""
    path: str = ""
    changes: list[str] = field(default_factory=list)

    # ---- reading ----------------------------------------------------------------
    @classmethod
    def load(cls, name_or_path: str | Path, spec: ModelSpec, paths: Paths | None = None) -> Lens:
        """Load a lens by name (``models/lenses/<name>.toml``) or path, validating every prior.

        Raises
        ------
        SpecError
            Listing every problem in the file (and in the lenses it extends), each
            with its field and, where it can be found, its line.

        """
        paths = paths or Paths.discover()
        path = Path(name_or_path)
        if path.suffix != ".toml":
            path = paths.lenses / f"{name_or_path}.toml"
            if not path.is_file():
                available = sorted(p.stem for p in paths.lenses.glob("*.toml"))
                raise SpecError([_missing(path, str(name_or_path), available)])
        return cls._load(path, spec, paths, chain=())

    @classmethod
    def _load(cls, path: Path, spec: ModelSpec, paths: Paths, chain: tuple[str, ...]) -> Lens:
        problems = ProblemCollector(path)
        data, text = read_toml_text(path, problems)
        problems.raise_if_any(SpecError)
        assert data is not None
        for key in data:
            if key not in ("lens", "priors"):
                problems.add(key, f"unknown section [{key}]: {suggest(key, ['lens', 'priors'])}")
        meta = data.get("lens", {})
        if not isinstance(meta, dict):
            problems.add("lens", f"must be a table ([lens] with name, summary …), got {meta!r}")
            meta = {}
        for key in meta:
            if key not in LENS_KEYS:
                problems.add(f"lens.{key}", f"unknown key '{key}': {suggest(key, LENS_KEYS)}")
        text_meta = {}
        for key in LENS_KEYS:
            value = meta.get(key, "")
            if not isinstance(value, str):
                problems.add(f"lens.{key}", f"must be text in quotes, got {value!r}")
                value = ""
            text_meta[key] = value
        name = text_meta["name"] or path.stem
        if not LENS_NAME.match(name):
            field_name = "lens.name" if text_meta["name"] else ""
            problems.add(field_name, f"lens name {name!r} must start with a letter or digit and use only letters, digits, - and _")
        extends = text_meta["extends"]
        base: dict[str, LensPrior] = {}
        inherited: list[Problem] = []  # the parent lens's own problems, reported first
        parent_failed = False
        if extends:
            if extends in chain or extends == path.stem:  # by file name: [lens] names may differ from them
                problems.add("lens.extends", f"lens '{name}' extends itself through {' → '.join((*chain, path.stem, extends))}")
                parent_failed = True
            elif not LENS_NAME.match(extends) or not (paths.lenses / f"{extends}.toml").is_file():
                available = sorted(p.stem for p in paths.lenses.glob("*.toml"))
                problems.add("lens.extends", f"unknown lens '{extends}': {suggest(extends, available)}")
                parent_failed = True
            else:
                try:
                    base = copy.deepcopy(cls._load(paths.lenses / f"{extends}.toml", spec, paths, (*chain, path.stem)).priors)
                except SpecError as err:
                    inherited = err.problems
                    parent_failed = True
        resolved = parse_priors(data.get("priors", {}), spec, problems, base, require_all=not parent_failed)
        problems.extend(_structure_problems(resolved, str(path)))
        add_lines(problems, text)
        sort_by_line(problems)
        problems.problems = [*inherited, *problems.problems]
        problems.raise_if_any(SpecError)
        return cls(name, spec, resolved, text_meta["summary"], text_meta["author"], extends, str(path))

    @property
    def names(self) -> list[str]:
        """Every prior's dotted name, in model order."""
        return list(self.priors)

    def _check_name(self, name: str) -> None:
        if name not in self.priors:
            raise SpecError(ProblemCollector(self.path or self.name).problems or [_unknown_prior(self, name)])

    def prior(self, name: str) -> Prior:
        """Return the prior called ``name`` (e.g. ``"beta.political.leader_ties"``)."""
        self._check_name(name)
        return self.priors[name].prior

    def provenance(self, name: str) -> Provenance:
        """Where the prior called ``name`` came from."""
        self._check_name(name)
        return self.priors[name].provenance

    # ---- editing ----------------------------------------------------------------
    def set_prior(self, name: str, prior: Prior | dict, *, reason: str = "", source: str = "", quote: str = "") -> Lens:
        """Replace one prior; a reason (or a source and quote) is required. Returns self.

        Raises :class:`SpecError` (and leaves the lens unchanged) if the prior or its
        provenance is invalid.
        """
        self._check_name(name)
        problems = ProblemCollector(self.path or f"lens {self.name}")
        prov, found = Provenance.from_table({"source": source, "quote": quote, "reason": reason})
        for pfield, msg in found:
            problems.add(f"{name}.{pfield}", msg)
        if isinstance(prior, Prior):
            raw = prior.to_dict()
        elif isinstance(prior, dict):
            raw = dict(prior)
        else:
            raise SpecError(Problem(problems.file, name, f"a prior must be a pymc_extras Prior or a dict with 'dist', got {prior!r}"))
        if "dist" in raw and isinstance(raw.get("kwargs"), dict):
            raw = {"dist": raw["dist"], **raw["kwargs"]}
        raw = {k: _plain(v) for k, v in raw.items()}
        group = name.split(".")[0]
        built = _build_prior(raw, name, group, problems, len(self.spec.future_war_states))
        if built is not None:
            params = tuple(sorted(built.parameters))
            for other, lp in self.priors.items():
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
        self.priors[name] = LensPrior(built, prov)
        self.changes.append(name)
        return self

    def derive(self, name: str, *, summary: str = "", author: str = "") -> Lens:
        """Return a copy of this lens under a new name, extending it; edit it with :meth:`set_prior`."""
        if not isinstance(name, str) or not LENS_NAME.match(name):
            raise SpecError(
                Problem(
                    f"lens {self.name}",
                    "name",
                    f"lens name {name!r} must start with a letter or digit and use only letters, digits, - and _",
                )
            )
        return Lens(name, self.spec, copy.deepcopy(self.priors), summary or f"Derived from {self.name}", author, self.name, "")

    # ---- writing ----------------------------------------------------------------
    def to_toml_dict(self) -> dict:
        """Return the lens as a TOML-ready dict: every prior written explicitly."""
        out: dict[str, Any] = {"lens": {"name": self.name, "summary": self.summary}}
        if self.author:
            out["lens"]["author"] = self.author
        priors: dict[str, Any] = {}
        for name, lp in self.priors.items():
            node = priors
            parts = name.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = lp.to_toml()
        out["priors"] = priors
        return out

    def save(self, path: str | Path | None = None, paths: Paths | None = None, *, remember: bool = True) -> Path:
        """Write the lens atomically (temp file, then rename); returns the path.

        An interrupted save leaves the previous file intact. With ``remember=False``
        (a copy, e.g. into a run folder) the lens keeps pointing at its own file.
        """
        paths = paths or Paths.discover()
        target = Path(path) if path else paths.lenses / f"{self.name}.toml"
        header = f"# Lens '{self.name}'" + (f", derived from '{self.extends}'" if self.extends else "") + ". Written by hedgecast.\n"
        text = header + tomli_w.dumps(self.to_toml_dict())
        write_atomic(target, text)
        if remember:
            self.path = str(target)
        return target

    # ---- describing ---------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """Every prior with its parameters and provenance, one row each."""
        rows = []
        for name, lp in self.priors.items():
            params = ", ".join(f"{k}={_fmt(v)}" for k, v in lp.prior.parameters.items())
            rows.append(
                {
                    "prior": name,
                    "distribution": f"{lp.prior.distribution}({params})",
                    "source": lp.provenance.source,
                    "quote": lp.provenance.quote,
                    "reason": lp.provenance.reason,
                }
            )
        return pd.DataFrame(rows)

    def fingerprint(self) -> str:
        """SHA-256 of the resolved priors (provenance included): equal priors, equal hash."""
        blob = json.dumps({k: v.to_toml() for k, v in self.priors.items()}, sort_keys=True, default=float)
        return hashlib.sha256(blob.encode()).hexdigest()

    def hyperparameters(self, group: str) -> list[tuple[str, Prior]]:
        """Return the priors of one group, in coordinate order."""
        return [(n, lp.prior) for n, lp in self.priors.items() if n.split(".")[0] == group]


def _plain(v: Any) -> Any:
    """Numpy scalars and arrays as plain Python numbers and lists (as TOML would give them)."""
    if isinstance(v, (np.ndarray, tuple, list)):
        return np.asarray(v).tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _fmt(v: Any) -> str:
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_fmt(x) for x in np.asarray(v).tolist()) + "]"
    return f"{v:g}" if isinstance(v, float) else str(v)


def _missing(path: Path, name: str, available: list[str]):
    from hedgecast.errors import Problem

    return Problem(str(path), "lens", f"no lens named '{name}': {suggest(name, available)}")


def _unknown_prior(lens: Lens, name: str):
    from hedgecast.errors import Problem

    return Problem(lens.path or f"lens {lens.name}", name, f"unknown prior: {suggest(name, lens.names)}")


def parse_priors(
    raw: Any, spec: ModelSpec, problems: ProblemCollector, base: dict[str, LensPrior], *, require_all: bool
) -> dict[str, LensPrior]:
    """Resolve a ``[priors]`` table against the spec's parameter groups.

    A table with ``dist`` applies to every element below it (a whole group, or one
    channel of a group); tables nested under it, or written separately with more
    coordinates, override it; ``base`` (the parent lens) fills the rest. Every
    problem is recorded in ``problems`` with its dotted field.
    """
    groups = parameter_groups(spec)
    if not isinstance(raw, dict):
        problems.add("priors", f"must be a table of prior groups ([priors.mu] …), got {raw!r}")
        return {}
    found: dict[str, LensPrior] = {}
    attempted: set[str] = set()
    specificity: dict[str, int] = {}
    n_states = len(spec.future_war_states)
    for group, node in raw.items():
        if group not in groups:
            problems.add(f"priors.{group}", f"unknown prior group '{group}': {suggest(group, list(groups))}")
            continue
        dims, coords = groups[group]

        def visit(node: Any, prefix: tuple[str, ...], depth: int, group=group, dims=dims, coords=coords) -> None:
            fname = "priors." + ".".join((group, *prefix))
            if not isinstance(node, dict):
                problems.add(fname, f'must be a table with dist = "…" and its parameters, got {node!r}')
                return
            children = {k: v for k, v in node.items() if isinstance(v, dict)}
            params = {k: v for k, v in node.items() if not isinstance(v, dict)}
            if not children and not params:
                problems.add(fname, 'is empty: give dist = "…", its parameters, and a source + quote or a reason')
                return
            valid = sorted({c[depth] for c in coords if c[:depth] == prefix}) if depth < len(dims) else []
            if params:
                if "dist" in params:
                    prov, found_problems = Provenance.from_table(params)
                    for pfield, msg in found_problems:
                        problems.add(f"{fname}.{pfield}", msg)
                    prior = _build_prior(params, fname, group, problems, n_states)
                    for c in coords:
                        if c[: len(prefix)] != prefix:
                            continue
                        key = element_name(group, c)
                        if prior is None:  # already reported: not "missing" as well
                            attempted.add(key)
                        else:
                            # a more specific entry beats a more general one, whatever the order
                            if len(prefix) >= specificity.get(key, -1):
                                found[key] = LensPrior(prior, prov)
                                specificity[key] = len(prefix)
                else:
                    for key in params:
                        if key in valid:
                            problems.add(f"{fname}.{key}", f'must be a table [{fname}.{key}] with dist = "…", got {params[key]!r}')
                    rest = [k for k in params if k not in valid]
                    if rest:
                        problems.add(f"{fname}.dist", f"missing: name a distribution (this table has {', '.join(rest)} but no dist)")
            for key, child in children.items():
                if depth >= len(dims):
                    what = f"'{key}' is not a parameter" if "dist" in params else f"'{key}' is not a coordinate"
                    problems.add(
                        f"{fname}.{key}", f"{what}: {group} has no further levels" + (f" below {'.'.join(prefix)}" if prefix else "")
                    )
                elif key not in valid:
                    problems.add(f"{fname}.{key}", _unknown_coordinate(group, dims[depth], key, valid, spec))
                else:
                    visit(child, (*prefix, key), depth + 1)

        visit(node, (), 0)
    resolved: dict[str, LensPrior] = {}
    missing = []
    for group, (_, coords) in groups.items():
        for c in coords:
            key = element_name(group, c)
            if key in found:
                resolved[key] = found[key]
            elif key in base:
                resolved[key] = base[key]
            elif key not in attempted:
                missing.append(key)
    if require_all and missing:
        shown = missing if len(missing) <= 12 else [*missing[:12], f"… ({len(missing) - 12} more)"]
        problems.add("priors", f"missing priors for: {', '.join(shown)} (a lens needs every prior, or extends a lens that has them)")
    return resolved


def _unknown_coordinate(group: str, dim: str, key: str, valid: list[str], spec: ModelSpec) -> str:
    if group == "scenario_probability" and key in spec.scenarios:
        return (
            f"scenario '{key}' is not uncertain: only scenarios with probability = \"lens\" in the spec "
            f"take this prior ({', '.join(valid) or 'none has'})"
        )
    if group == "war_transition" and dim == "war_state" and spec.drivers and key == getattr(_war_driver(spec), "reference", None):
        return f"'{key}' is the reference (no-war) state, which the future chain never leaves; give rows for {', '.join(valid)}"
    return f"unknown {dim} '{key}': {suggest(key, valid)}"


def _war_driver(spec: ModelSpec):
    return next((d for d in spec.drivers.values() if d.kind == "discrete"), None)


def list_lenses(paths: Paths | None = None) -> list[Path]:
    """Lens files under ``models/lenses/``, baseline first."""
    paths = paths or Paths.discover()
    files = sorted(paths.lenses.glob("*.toml"))
    return sorted(files, key=lambda p: (p.stem != "baseline", p.stem))


def diff_lenses(a: Lens, b: Lens) -> pd.DataFrame:
    """Tabulate what changed from lens ``a`` to lens ``b``: one row per differing prior."""
    rows = []
    for name in dict.fromkeys([*a.names, *b.names]):
        pa, pb = a.priors.get(name), b.priors.get(name)
        if pa is not None and pb is not None and pa.prior == pb.prior:
            continue
        rows.append(
            {
                "prior": name,
                a.name if a.name != b.name else "a": None if pa is None else _describe(pa.prior),
                b.name if a.name != b.name else "b": None if pb is None else _describe(pb.prior),
                "why": "" if pb is None else str(pb.provenance),
            }
        )
    return pd.DataFrame(rows, columns=["prior", a.name if a.name != b.name else "a", b.name if a.name != b.name else "b", "why"])


def _describe(p: Prior) -> str:
    return f"{p.distribution}(" + ", ".join(f"{k}={_fmt(v)}" for k, v in p.parameters.items()) + ")"
