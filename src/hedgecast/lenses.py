"""Lenses: named, complete sets of priors, each with its provenance.

A lens file (``models/lenses/<name>.toml``) holds one ``pymc_extras.prior.Prior`` per
model parameter, each citing a seed paper with a verbatim quote or stating a reason.
Lenses can extend other lenses, be edited in a notebook, saved (exact round-trip),
and diffed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w
from pymc_extras.prior import Prior, UnsupportedDistributionError

from .config import Paths
from .errors import ProblemCollector, SpecError, suggest
from .provenance import Provenance
from .spec import ModelSpec, read_toml

POSITIVE_PARAMETERS = {"sigma", "tau", "alpha", "beta", "a", "lam", "nu", "kappa", "b"}
POSITIVE_SUPPORT = {"HalfNormal", "HalfCauchy", "HalfStudentT", "Gamma", "LogNormal", "Exponential", "InverseGamma", "Weibull", "HalfFlat"}
UNIT_SUPPORT = {"Beta", "Uniform", "Kumaraswamy", "LogitNormal"}


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
        "hazard_intercept": ((), [()]),
        "hazard_friction": ((), [()]),
        "hazard_ties": ((), [()]),
        "loading": (("free_indicator",), grid(free_ind)),
        "intercept": (("free_indicator",), grid(free_ind)),
        "noise": (("indicator",), grid(spec.indicator_names)),
        "war_transition": (("war_state",), grid(spec.future_war_states)),
        "scenario_probability": (("scenario",), grid(spec.uncertain_scenarios())),
    }


FIT_GROUPS = ("initial", "mu", "rho", "sigma", "nu", "beta", "leverage_shift", "cushion", "war_effect",
              "crisis_effect", "hazard_intercept", "hazard_friction", "hazard_ties", "loading", "intercept", "noise")
FORECAST_GROUPS = ("war_transition", "scenario_probability")


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


def _build_prior(raw: dict, field_name: str, group: str, problems: ProblemCollector, n_states: int) -> Prior | None:
    raw = {k: v for k, v in raw.items() if k not in ("source", "quote", "reason")}
    dist = raw.pop("dist", None)
    if not isinstance(dist, str):
        problems.add(f"{field_name}.dist", "missing: name a PyMC distribution (Normal, HalfNormal, Beta …)")
        return None
    ok = True
    for key, value in raw.items():
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            problems.add(f"{field_name}.{key}", f"must be a number (or a list of numbers), got {value!r}")
            ok = False
            continue
        if key in POSITIVE_PARAMETERS and not all(v > 0 for v in values):
            problems.add(f"{field_name}.{key}", f"must be positive, got {value!r}")
            ok = False
        if not all(np.isfinite(v) for v in values):
            problems.add(f"{field_name}.{key}", f"must be finite, got {value!r}")
            ok = False
    if not ok:
        return None
    try:
        prior = Prior(dist, **raw)
    except UnsupportedDistributionError:
        import pymc as pm

        valid = [n for n in dir(pm.distributions) if n[:1].isupper() and hasattr(getattr(pm, n, None), "dist")]
        problems.add(f"{field_name}.dist", f"unknown distribution '{dist}': {suggest(dist, valid)}")
        return None
    except (ValueError, TypeError) as err:
        problems.add(field_name, f"invalid parameters for {dist}: {err}")
        return None
    if group in ("sigma", "noise", "nu", "loading") and dist not in POSITIVE_SUPPORT:
        problems.add(f"{field_name}.dist", f"{group} must be positive: use one of {', '.join(sorted(POSITIVE_SUPPORT))}")
    if group in ("rho", "scenario_probability") and dist not in UNIT_SUPPORT:
        problems.add(f"{field_name}.dist", f"{group} must lie in (0, 1): use one of {', '.join(sorted(UNIT_SUPPORT))}")
    if dist == "Uniform" and group in ("rho", "scenario_probability"):
        lo, hi = raw.get("lower", 0), raw.get("upper", 1)
        if not (0 <= lo < hi <= 1):
            problems.add(field_name, f"Uniform bounds must satisfy 0 ≤ lower < upper ≤ 1, got [{lo}, {hi}]")
    if group == "war_transition":
        a = raw.get("a")
        if dist != "Dirichlet":
            problems.add(f"{field_name}.dist", "war transitions must be Dirichlet (weights over the next year's state)")
        elif not isinstance(a, list) or len(a) != n_states:
            problems.add(f"{field_name}.a", f"needs one weight per future war state ({n_states}), got {a!r}")
    elif dist in ("Dirichlet", "MvNormal", "Multinomial"):
        problems.add(f"{field_name}.dist", f"{dist} is only for war_transition; {group} needs a scalar distribution")
    if dist == "Uniform" and "lower" in raw and "upper" in raw and not raw["lower"] < raw["upper"]:
        problems.add(field_name, f"Uniform needs lower < upper, got [{raw['lower']}, {raw['upper']}]")
    return prior


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
        """Load a lens by name (``models/lenses/<name>.toml``) or path, validating every prior."""
        paths = paths or Paths.discover()
        path = Path(name_or_path)
        if path.suffix != ".toml":
            path = paths.lenses / f"{name_or_path}.toml"
            if not path.exists():
                available = sorted(p.stem for p in paths.lenses.glob("*.toml"))
                raise SpecError(ProblemCollector(path).problems or [_missing(path, str(name_or_path), available)])
        return cls._load(path, spec, paths, chain=())

    @classmethod
    def _load(cls, path: Path, spec: ModelSpec, paths: Paths, chain: tuple[str, ...]) -> Lens:
        problems = ProblemCollector(path)
        data = read_toml(path, problems)
        problems.raise_if_any(SpecError)
        assert data is not None
        for key in data:
            if key not in ("lens", "priors"):
                problems.add(key, f"unknown section: {suggest(key, ['lens', 'priors'])}")
        meta = data.get("lens", {}) if isinstance(data.get("lens", {}), dict) else {}
        name = str(meta.get("name", path.stem))
        extends = str(meta.get("extends", ""))
        base: dict[str, LensPrior] = {}
        if extends:
            if extends in chain or extends == name:
                problems.add("lens.extends", f"lens '{name}' extends itself through {' → '.join((*chain, extends))}")
            else:
                parent = paths.lenses / f"{extends}.toml"
                if not parent.exists():
                    available = sorted(p.stem for p in paths.lenses.glob("*.toml"))
                    problems.add("lens.extends", f"unknown lens '{extends}': {suggest(extends, available)}")
                else:
                    base = copy.deepcopy(cls._load(parent, spec, paths, (*chain, name)).priors)
        resolved = parse_priors(data.get("priors", {}), spec, problems, base, require_all=True)
        problems.raise_if_any(SpecError)
        return cls(name, spec, resolved, str(meta.get("summary", "")), str(meta.get("author", "")), extends, str(path))

    @property
    def names(self) -> list[str]:
        """Every prior's dotted name, in model order."""
        return list(self.priors)

    def _check_name(self, name: str) -> None:
        if name not in self.priors:
            raise SpecError(ProblemCollector(self.path or self.name).problems or [_unknown_prior(self, name)])

    def prior(self, name: str) -> Prior:
        """The prior called ``name`` (e.g. ``"beta.political.leader_ties"``)."""
        self._check_name(name)
        return self.priors[name].prior

    def provenance(self, name: str) -> Provenance:
        """Where the prior called ``name`` came from."""
        self._check_name(name)
        return self.priors[name].provenance

    # ---- editing ----------------------------------------------------------------
    def set_prior(self, name: str, prior: Prior | dict, *, reason: str = "", source: str = "", quote: str = "") -> Lens:
        """Replace one prior; a reason (or a source and quote) is required. Returns self."""
        self._check_name(name)
        prov = Provenance(source=source, quote=quote, reason=reason)
        group = name.split(".")[0]
        raw = prior.to_dict() if isinstance(prior, Prior) else dict(prior)
        if "dist" in raw and "kwargs" in raw:
            raw = {"dist": raw["dist"], **raw["kwargs"]}
        problems = ProblemCollector(self.path or f"lens {self.name}")
        for pfield, msg in prov.problems():
            problems.add(f"{name}.{pfield}", msg)
        raw = {k: (np.asarray(v).tolist() if isinstance(v, (np.ndarray, tuple)) else v) for k, v in raw.items()}
        built = _build_prior(raw, name, group, problems, len(self.spec.future_war_states))
        problems.raise_if_any(SpecError)
        assert built is not None
        self.priors[name] = LensPrior(built, prov)
        self.changes.append(name)
        return self

    def derive(self, name: str, *, summary: str = "", author: str = "") -> Lens:
        """A copy of this lens under a new name, extending it; edit it with :meth:`set_prior`."""
        return Lens(name, self.spec, copy.deepcopy(self.priors), summary or f"Derived from {self.name}", author, self.name, "")

    # ---- writing ----------------------------------------------------------------
    def to_toml_dict(self) -> dict:
        """The lens as a TOML-ready dict: every prior written explicitly."""
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

    def save(self, path: str | Path | None = None, paths: Paths | None = None) -> Path:
        """Write the lens atomically (temp file, then rename); returns the path."""
        paths = paths or Paths.discover()
        target = Path(path) if path else paths.lenses / f"{self.name}.toml"
        target.parent.mkdir(parents=True, exist_ok=True)
        header = f"# Lens '{self.name}'" + (f", derived from '{self.extends}'" if self.extends else "") + ". Written by hedgecast.\n"
        text = header + tomli_w.dumps(self.to_toml_dict())
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.path = str(target)
        return target

    # ---- describing ---------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """Every prior with its parameters and provenance, one row each."""
        rows = []
        for name, lp in self.priors.items():
            params = ", ".join(f"{k}={_fmt(v)}" for k, v in lp.prior.parameters.items())
            rows.append({
                "prior": name,
                "distribution": f"{lp.prior.distribution}({params})",
                "source": lp.provenance.source,
                "quote": lp.provenance.quote,
                "reason": lp.provenance.reason,
            })
        return pd.DataFrame(rows)

    def fingerprint(self) -> str:
        """SHA-256 of the resolved priors (provenance included): equal priors, equal hash."""
        blob = json.dumps({k: v.to_toml() for k, v in self.priors.items()}, sort_keys=True, default=float)
        return hashlib.sha256(blob.encode()).hexdigest()

    def hyperparameters(self, group: str) -> list[tuple[str, Prior]]:
        """The priors of one group, in coordinate order."""
        return [(n, lp.prior) for n, lp in self.priors.items() if n.split(".")[0] == group]


def _fmt(v: Any) -> str:
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_fmt(x) for x in np.asarray(v).tolist()) + "]"
    return f"{v:g}" if isinstance(v, float) else str(v)


def _missing(path: Path, name: str, available: list[str]):
    from .errors import Problem

    return Problem(str(path), "lens", f"no lens named '{name}': {suggest(name, available)}")


def _unknown_prior(lens: Lens, name: str):
    from .errors import Problem

    return Problem(lens.path or f"lens {lens.name}", name, f"unknown prior: {suggest(name, lens.names)}")


def parse_priors(raw: Any, spec: ModelSpec, problems: ProblemCollector, base: dict[str, LensPrior], *, require_all: bool) -> dict[str, LensPrior]:
    """Resolve a ``[priors]`` table against the spec's parameter groups.

    Group-level tables (a ``dist`` key directly under the group) apply to every element;
    element tables override them; ``base`` (the parent lens) fills the rest.
    """
    groups = parameter_groups(spec)
    if not isinstance(raw, dict):
        problems.add("priors", "must be a table")
        return {}
    found: dict[str, LensPrior] = {}
    specificity: dict[str, int] = {}
    n_states = len(spec.future_war_states)
    for group, node in raw.items():
        if group not in groups:
            problems.add(f"priors.{group}", f"unknown prior group: {suggest(group, list(groups))}")
            continue
        dims, coords = groups[group]

        def visit(node: Any, prefix: tuple[str, ...], depth: int) -> None:
            fname = "priors." + ".".join((group, *prefix))
            if not isinstance(node, dict):
                problems.add(fname, f"must be a table, got {node!r}")
                return
            if "dist" in node:
                prov = Provenance.from_dict(node)
                for pfield, msg in prov.problems():
                    problems.add(f"{fname}.{pfield}", msg)
                prior = _build_prior(node, fname, group, problems, n_states)
                if prior is None:
                    return
                targets = [c for c in coords if c[: len(prefix)] == prefix]
                for c in targets:
                    key = element_name(group, c)
                    # a more specific entry beats a more general one, whatever the order
                    if len(prefix) >= specificity.get(key, -1):
                        found[key] = LensPrior(prior, prov)
                        specificity[key] = len(prefix)
                return
            if depth >= len(dims):
                problems.add(fname, "missing 'dist' (the distribution name)")
                return
            valid = sorted({c[depth] for c in coords if c[:depth] == prefix})
            for key, child in node.items():
                if key not in valid:
                    problems.add(f"{fname}.{key}", f"unknown {dims[depth]} '{key}': {suggest(key, valid)}")
                    continue
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
            else:
                missing.append(key)
    if require_all and missing:
        problems.add("priors", f"missing priors for: {', '.join(missing)}")
    return resolved



def list_lenses(paths: Paths | None = None) -> list[Path]:
    """Lens files under ``models/lenses/``, baseline first."""
    paths = paths or Paths.discover()
    files = sorted(paths.lenses.glob("*.toml"))
    return sorted(files, key=lambda p: (p.stem != "baseline", p.stem))


def diff_lenses(a: Lens, b: Lens) -> pd.DataFrame:
    """What changed from lens ``a`` to lens ``b``: one row per differing prior."""
    rows = []
    for name in dict.fromkeys([*a.names, *b.names]):
        pa, pb = a.priors.get(name), b.priors.get(name)
        if pa is not None and pb is not None and pa.prior == pb.prior:
            continue
        rows.append({
            "prior": name,
            a.name if a.name != b.name else "a": None if pa is None else _describe(pa.prior),
            b.name if a.name != b.name else "b": None if pb is None else _describe(pb.prior),
            "why": "" if pb is None else str(pb.provenance),
        })
    return pd.DataFrame(rows, columns=["prior", a.name if a.name != b.name else "a", b.name if a.name != b.name else "b", "why"])


def _describe(p: Prior) -> str:
    return f"{p.distribution}(" + ", ".join(f"{k}={_fmt(v)}" for k, v in p.parameters.items()) + ")"
