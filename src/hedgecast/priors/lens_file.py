"""Lens files (``models/lenses/<name>.toml``): reading one, with the lenses it extends, and writing one.

A lens file has a ``[lens]`` table (name, summary, author, extends, and ``year``: when its
content was written, e.g. its paper's year), a ``[priors]`` table and, optionally, a
``[present]`` table: its own reading of the last history years' driver codings
(:mod:`hedgecast.priors.lens_present`). In ``[priors]`` a table with ``dist`` applies to
every element below it, more specific tables override it, and the lens it extends fills the
rest. Every problem is reported with its field and, where it can be found, its line, in one
:class:`SpecError`.

Each prior table may say when its content could first have been known: ``known_by = 2016``
with ``known_by_reason = "…"`` (both or neither; a table with ``dist`` that applies to a whole
group gives its year to every element it covers). **Optional**: a prior that does not say is
taken as known from the year of the lens file that gives it (``[lens] year``; a file without
one is taken as written in the last history year), so an unstated prior is never used by a
backtest window whose cut-off lies before its lens was written. A ``known_by`` that is not a
whole year, lies before 1900 or after the lens's year (or the last history year) is an error
naming the file and the prior's field (``priors.<group>.<…>.known_by``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from hedgecast.config import Paths
from hedgecast.errors import Problem, ProblemCollector, SpecError, suggest
from hedgecast.inputs.provenance import Provenance
from hedgecast.inputs.spec import ModelSpec
from hedgecast.inputs.spec_toml import add_lines, read_toml_text, sort_by_line
from hedgecast.priors.groups import CRISIS_GROUPS, REPLACED_GROUPS, parameter_groups
from hedgecast.priors.lens_present import PresentReading, parse_present, present_toml
from hedgecast.priors.lens_prior import (
    EARLIEST_KNOWN_BY,
    LensPrior,
    build_prior,
    element_name,
    known_by_limit,
    parse_known_by,
    structure_problems,
)

LENS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
"""A lens name: it names the file, and runs are saved under ``runs/<time>-<lens>-<random>``."""
LENS_KEYS = ("name", "summary", "author", "extends", "year")
LENS_SECTIONS = ("lens", "priors", "present")
NAME_RULE = "must start with a letter or digit and use only letters, digits, - and _"


@dataclass(frozen=True)
class LensFile:
    """What a lens file holds once read and resolved (every prior, the inherited ones included)."""

    name: str
    priors: dict[str, LensPrior]
    summary: str
    author: str
    extends: str
    path: str
    present: dict[tuple[str, int], PresentReading]
    year: int | None = None


def find_lens(name_or_path: str | Path, paths: Paths) -> Path:
    """Return the file of a lens given by name (``models/lenses/<name>.toml``) or path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = paths.lenses / f"{name_or_path}.toml"
        if not path.is_file():
            available = sorted(p.stem for p in paths.lenses.glob("*.toml"))
            raise SpecError([Problem(str(path), "lens", f"no lens named '{name_or_path}': {suggest(str(name_or_path), available)}")])
    return path


def read_lens(path: Path, spec: ModelSpec, paths: Paths, chain: tuple[str, ...] = ()) -> LensFile:
    """Read and validate one lens file and the lenses it extends (``chain``: those already being read).

    Raises
    ------
    SpecError
        Listing every problem in the file (and in the lenses it extends), each
        with its field and, where it can be found, its line.

    """
    problems = ProblemCollector(path)
    data, text = read_toml_text(path, problems)
    problems.raise_if_any(SpecError)
    assert data is not None
    for key in data:
        if key not in LENS_SECTIONS:
            problems.add(key, f"unknown section [{key}]: {suggest(key, list(LENS_SECTIONS))}")
    meta = data.get("lens", {})
    if not isinstance(meta, dict):
        problems.add("lens", f"must be a table ([lens] with name, summary …), got {meta!r}")
        meta = {}
    for key in meta:
        if key not in LENS_KEYS:
            problems.add(f"lens.{key}", f"unknown key '{key}': {suggest(key, LENS_KEYS)}")
    text_meta = {}
    year = lens_year(meta.get("year"), spec, problems)
    for key in LENS_KEYS:
        if key == "year":
            continue
        value = meta.get(key, "")
        if not isinstance(value, str):
            problems.add(f"lens.{key}", f"must be text in quotes, got {value!r}")
            value = ""
        text_meta[key] = value
    name = text_meta["name"] or path.stem
    if not LENS_NAME.match(name):
        field_name = "lens.name" if text_meta["name"] else ""
        problems.add(field_name, f"lens name {name!r} {NAME_RULE}")
    extends = text_meta["extends"]
    base: dict[str, LensPrior] = {}
    base_present: dict[tuple[str, int], PresentReading] = {}
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
                parent = read_lens(paths.lenses / f"{extends}.toml", spec, paths, (*chain, path.stem))
                base, base_present = parent.priors, parent.present
            except SpecError as err:
                inherited = err.problems
                parent_failed = True
    resolved = parse_priors(data.get("priors", {}), spec, problems, base, require_all=not parent_failed, lens_year=year)
    problems.extend(structure_problems(resolved, str(path)))
    present = parse_present(data.get("present"), spec, problems, base_present)
    add_lines(problems, text)
    sort_by_line(problems)
    problems.problems = [*inherited, *problems.problems]
    problems.raise_if_any(SpecError)
    return LensFile(name, resolved, text_meta["summary"], text_meta["author"], extends, str(path), present, year)


def lens_year(value: Any, spec: ModelSpec, problems: ProblemCollector) -> int | None:
    """Read ``[lens] year`` (when the lens's content was written); None if absent or wrong (wrong: recorded in ``problems``)."""
    if value is None:
        return None
    last = int(spec.history_years[-1])
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add("lens.year", f"must be a year as a whole number (year = 2024), got {value!r}")
        return None
    if not EARLIEST_KNOWN_BY <= value <= last:
        problems.add("lens.year", f"must lie between {EARLIEST_KNOWN_BY} and {last} (the last history year), got {value}")
        return None
    return value


def lens_toml_dict(
    name: str,
    summary: str,
    author: str,
    priors: Mapping[str, LensPrior],
    present: Mapping[tuple[str, int], PresentReading] | None = None,
    year: int | None = None,
) -> dict[str, Any]:
    """Return a lens as a TOML-ready dict: ``[lens]``, every prior written explicitly, and ``[present]`` if any."""
    meta: dict[str, Any] = {"name": name, "summary": summary}
    if author:
        meta["author"] = author
    if year is not None:
        meta["year"] = year
    tree: dict[str, Any] = {}
    for prior_name, lp in priors.items():
        node = tree
        parts = prior_name.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = lp.to_toml()
    out = {"lens": meta, "priors": tree}
    if present:
        out["present"] = present_toml(present)
    return out


def lens_toml(lens_dict: Mapping[str, Any], extends: str = "") -> str:
    """Return the text of a lens file: a header comment (its name, the lens it was derived from), then ``lens_dict``.

    ``lens_dict`` is what :func:`lens_toml_dict` returns.
    """
    name = lens_dict["lens"]["name"]
    header = f"# Lens '{name}'" + (f", derived from '{extends}'" if extends else "") + ". Written by hedgecast.\n"
    return header + tomli_w.dumps(lens_dict)


def parse_priors(
    raw: Any, spec: ModelSpec, problems: ProblemCollector, base: dict[str, LensPrior], *, require_all: bool, lens_year: int | None = None
) -> dict[str, LensPrior]:
    """Resolve a ``[priors]`` table against the spec's parameter groups.

    A table with ``dist`` applies to every element below it (a whole group, or one
    channel of a group); tables nested under it, or written separately with more
    coordinates, override it; ``base`` (the parent lens) fills the rest. Every
    problem is recorded in ``problems`` with its dotted field. ``lens_year`` is the
    file's ``[lens] year``: the latest ``known_by`` allowed, and the year a prior that
    states none is taken as known from (the last history year when None).
    """
    groups = parameter_groups(spec)
    latest, latest_why = known_by_limit(spec, lens_year)
    if not isinstance(raw, dict):
        problems.add("priors", f"must be a table of prior groups ([priors.mu] …), got {raw!r}")
        return {}
    found: dict[str, LensPrior] = {}
    attempted: set[str] = set()
    specificity: dict[str, int] = {}
    n_states = len(spec.future_war_states)
    replaced = [group for group in raw if group in REPLACED_GROUPS]
    if replaced:
        problems.add(f"priors.{replaced[0]}", replaced_groups_message(replaced))
    for group, node in raw.items():
        if group in REPLACED_GROUPS:
            continue
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
                    n_weights = len(spec.scenarios[prefix[0]].branches) if group == "branch_probability" and prefix else n_states
                    prior = build_prior(params, fname, group, problems, n_weights)
                    year, year_reason = parse_known_by(params, fname, problems, latest, latest_why)
                    for c in coords:
                        if c[: len(prefix)] != prefix:
                            continue
                        key = element_name(group, c)
                        if prior is None:  # already reported: not "missing" as well
                            attempted.add(key)
                        else:
                            # a more specific entry beats a more general one, whatever the order
                            if len(prefix) >= specificity.get(key, -1):
                                found[key] = LensPrior(prior, prov, year, year_reason, assumed_known_by=latest)
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
            elif key not in attempted and not (replaced and group in CRISIS_GROUPS):  # said once, with the replacement
                missing.append(key)
    if require_all and missing:
        shown = missing if len(missing) <= 12 else [*missing[:12], f"… ({len(missing) - 12} more)"]
        problems.add("priors", f"missing priors for: {', '.join(shown)} (a lens needs every prior, or extends a lens that has them)")
    return resolved


def replaced_groups_message(found: list[str]) -> str:
    """The one message for a lens that still gives priors of groups an earlier version had (the crisis hazard)."""
    swaps = "; ".join(f"{old} by {' and '.join(REPLACED_GROUPS[old])}" for old in REPLACED_GROUPS)
    return (
        f"{', '.join(found)}: the crisis hazard (one Bernoulli per year) was replaced by the crisis model, "
        "serious incidents per year (Poisson) and the chance each escalates to a rupture (Binomial): "
        f"replace {swaps}; the model also has incident_war (Black Sea spillover per war state) and "
        "escalation_energy. models/lenses/baseline.toml gives each with its source; a lens that extends "
        "baseline inherits them, so deleting these tables is enough"
    )


def _unknown_coordinate(group: str, dim: str, key: str, valid: list[str], spec: ModelSpec) -> str:
    if group == "branch_probability" and key in spec.scenarios:
        return f"scenario '{key}' is not a mixture with branch_probabilities = \"lens\" ({', '.join(valid) or 'none is'})"
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
