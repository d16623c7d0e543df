"""Trajectory classes: named regions of futures, decided by editable rules on each simulated path.

A rule is a small boolean expression over per-path variables (see
:func:`rule_variable_names`: ``<channel>_change``, ``crisis`` …, one set per channel).
Rules are checked top to bottom and a path gets the first class whose rule holds; the
last rule must be ``otherwise``, so every path gets exactly one class.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr


def rule_variable_names(channels: Sequence[str] = ("economic", "political")) -> dict[str, str]:
    """Return the variables a rule may use for a model with ``channels``, with what each means.

    Per channel ``c``: ``c_change``, ``c_min_change``, ``c_fall_2y``, ``c_level``,
    ``c_min_level``, ``c_trough_2015_16`` and ``rupture_depth_c``; plus ``crisis``. A rule naming a channel the spec does not
    have is rejected when the spec is loaded.
    """
    out: dict[str, str] = {}
    for c in channels:
        out[f"{c}_change"] = f"{c} level at the year minus its 2025 level"
    for c in channels:
        out[f"{c}_min_change"] = f"lowest {c} level from 2026 to the year, minus the 2025 level"
    for c in channels:
        out[f"{c}_fall_2y"] = f"largest {c} fall over any two consecutive years up to the year"
    for c in channels:
        out[f"{c}_level"] = f"{c} level at the year"
    for c in channels:
        out[f"{c}_min_level"] = f"lowest {c} level from 2026 to the year"
    for c in channels:
        out[f"{c}_trough_2015_16"] = f"the {c} channel's low point in the 2015–16 rupture (lower of 2015 and 2016)"
    out["crisis"] = "a rupture-scale crisis happened from 2026 to the year"
    for c in channels:
        out[f"rupture_depth_{c}"] = f"how far the {c} channel fell in 2015–16"
    return out


RULE_VARIABLES = rule_variable_names()
BOOLEAN_VARIABLES = frozenset({"crisis"})
MAX_RULE_LENGTH = 2000
FUNCTIONS: dict[str, Callable] = {"abs": np.abs, "min": np.minimum, "max": np.maximum}
OTHERWISE = "otherwise"


class RuleError(ValueError):
    """A trajectory rule that cannot be parsed or uses an unknown name."""


@dataclass(frozen=True)
class TrajectoryClass:
    """A named class of futures and the rule that decides membership."""

    name: str
    rule: str
    label: str = ""
    description: str = ""

    @property
    def is_otherwise(self) -> bool:
        return self.rule.strip() == OTHERWISE


_BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}
_CMPOPS = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}


def compile_rule(rule: str, variables: Mapping[str, str] = RULE_VARIABLES) -> Callable[[Mapping], np.ndarray]:
    """Parse ``rule`` once and return a function of a variables mapping.

    Raises
    ------
    RuleError
        On a syntax error, an unknown name, or an operation outside the small
        allowed set (and/or/not, comparisons, + - * /, abs/min/max, numbers).

    """
    if not isinstance(rule, str):
        raise RuleError(f"a rule must be text (a boolean expression in quotes, or 'otherwise'), got {rule!r}")
    if rule.strip() == OTHERWISE:
        return lambda env: np.ones(np.shape(next(iter(env.values()))), dtype=bool)
    if len(rule) > MAX_RULE_LENGTH:
        raise RuleError(f"rule is {len(rule)} characters long; keep it under {MAX_RULE_LENGTH}")
    try:
        tree = ast.parse(rule.strip(), mode="eval")
    except SyntaxError as err:
        raise RuleError(f"cannot parse rule {rule!r}: {err.msg}") from None
    except (ValueError, RecursionError, MemoryError) as err:  # NUL bytes; absurd nesting
        raise RuleError(f"cannot parse rule {rule!r}: {err}") from None

    def build(node: ast.AST) -> Callable[[Mapping], np.ndarray]:
        if isinstance(node, ast.Expression):
            return build(node.body)
        if isinstance(node, ast.BoolOp):
            parts = [build(v) for v in node.values]
            op = np.logical_and if isinstance(node.op, ast.And) else np.logical_or

            def boolop(env):
                out = np.asarray(parts[0](env), dtype=bool)
                for p in parts[1:]:
                    out = op(out, np.asarray(p(env), dtype=bool))
                return out

            return boolop
        if isinstance(node, ast.UnaryOp):
            inner = build(node.operand)
            if isinstance(node.op, ast.Not):
                return lambda env: np.logical_not(inner(env))
            if isinstance(node.op, ast.USub):
                return lambda env: -np.asarray(inner(env))
            if isinstance(node.op, ast.UAdd):
                return inner
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right, fn = build(node.left), build(node.right), _BINOPS[type(node.op)]
            return lambda env: fn(left(env), right(env))
        if isinstance(node, ast.Compare):
            if any(type(op) not in _CMPOPS for op in node.ops):
                raise RuleError(f"rule {rule!r}: only < <= > >= == != comparisons are allowed")
            first = build(node.left)
            rest = [(_CMPOPS[type(op)], build(c)) for op, c in zip(node.ops, node.comparators, strict=True)]

            def compare(env):
                left_val, out = first(env), None
                for fn, right in rest:
                    right_val = right(env)
                    step = fn(left_val, right_val)
                    out = step if out is None else np.logical_and(out, step)
                    left_val = right_val
                return out

            return compare
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            value = float(node.value)
            return lambda env: value
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            flag = node.value
            return lambda env: flag
        if isinstance(node, ast.Name):
            name = node.id
            if name in ("True", "False"):
                return lambda env: name == "True"
            if name not in variables:
                raise RuleError(_unknown_name(rule, name, variables))
            return lambda env: env[name]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
            fn = FUNCTIONS[node.func.id]
            args = [build(a) for a in node.args]
            if node.keywords or len(args) != (1 if node.func.id == "abs" else 2):
                raise RuleError(f"rule {rule!r}: {node.func.id}() takes {'one argument' if node.func.id == 'abs' else 'two arguments'}")
            return lambda env: fn(*[a(env) for a in args])
        raise RuleError(f"rule {rule!r}: '{ast.unparse(node)}' is not allowed in a rule")

    try:
        compiled = build(tree)
    except RecursionError:
        raise RuleError(f"rule {rule!r} is nested too deeply") from None
    if not _is_condition(tree.body):
        raise RuleError(
            f"rule {rule!r} is a number, not a condition: compare it (e.g. 'political_change <= -0.5'), "
            "combine conditions with and/or/not, or write 'otherwise'"
        )
    return compiled


def _unknown_name(rule: str, name: str, variables: Mapping[str, str]) -> str:
    """Say what is wrong with an unknown rule name, naming a missing channel if that is the mistake."""
    from hedgecast.errors import suggest

    channels = sorted(v[: -len("_change")] for v in variables if v.endswith("_change") and not v.endswith("_min_change"))
    channel = ""
    for prefix, suffix in (("", "_min_change"), ("", "_change"), ("", "_fall_2y"), ("", "_min_level"), ("", "_level"), ("", "_trough_2015_16"), ("rupture_depth_", "")):
        if name.startswith(prefix) and name.endswith(suffix) and len(name) > len(prefix) + len(suffix):
            channel = name[len(prefix) : len(name) - len(suffix)]
            break
    if channel and channel not in channels:
        return (
            f"rule {rule!r} uses '{name}', but the spec has no channel '{channel}' "
            f"(channels: {', '.join(channels) or 'none'}); {suggest(name, list(variables))}"
        )
    return f"rule {rule!r} uses unknown name '{name}': {suggest(name, list(variables))}"


def _is_condition(node: ast.AST) -> bool:
    """Whether an (already validated) rule expression is true/false rather than a number."""
    if isinstance(node, ast.Compare):
        return True
    if isinstance(node, ast.BoolOp):
        return all(_is_condition(v) for v in node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _is_condition(node.operand)
    if isinstance(node, ast.Constant):
        return isinstance(node.value, bool)
    if isinstance(node, ast.Name):
        return node.id in BOOLEAN_VARIABLES or node.id in ("True", "False")
    return False


def path_rule_variables(path: np.ndarray, crisis: np.ndarray, history: np.ndarray, history_years: list[int], at, channels: list[str]) -> dict[str, np.ndarray]:
    """The rule variables as plain arrays, for every path and every year asked for at once.

    ``path`` is ``(..., future year, channel)``, ``crisis`` ``(..., future year)`` and
    ``history`` ``(..., history year, channel)`` with the same leading dims (or broadcastable);
    ``at`` indexes the future years to judge (a path is judged from its first year to that one).
    Every array returned is ``(..., len(at))`` or broadcastable to it.
    """
    at = np.asarray(at)
    pick = slice(at[0], at[-1] + 1) if np.array_equal(at, np.arange(at[0], at[-1] + 1)) else at  # a view when contiguous

    def hist(year: int) -> np.ndarray:
        return history[..., history_years.index(year), :]

    last = history[..., -1, :]
    trough = np.minimum(hist(2015), hist(2016))
    depth = hist(2014) - trough
    lowest = np.minimum.accumulate(path, axis=-2)
    # two-year falls, counting the last two history years as the start of the path
    joined = np.concatenate([np.broadcast_to(history[..., -2:, :], (*path.shape[:-2], 2, path.shape[-1])), path], axis=-2)
    fall = np.maximum.accumulate(joined[..., :-2, :] - joined[..., 2:, :], axis=-2)
    hit = np.maximum.accumulate(crisis, axis=-1)[..., pick] > 0
    env: dict[str, np.ndarray] = {}
    for k, c in enumerate(channels):
        env[f"{c}_change"] = path[..., pick, k] - last[..., k, None]
    for k, c in enumerate(channels):
        env[f"{c}_min_change"] = lowest[..., pick, k] - last[..., k, None]
    for k, c in enumerate(channels):
        env[f"{c}_fall_2y"] = fall[..., pick, k]
    for k, c in enumerate(channels):
        env[f"{c}_level"] = path[..., pick, k]
        env[f"{c}_min_level"] = lowest[..., pick, k]
        env[f"{c}_trough_2015_16"] = trough[..., k, None]
    env["crisis"] = hit
    for k, c in enumerate(channels):
        env[f"rupture_depth_{c}"] = depth[..., k, None]
    return env


def label_paths(classes: list[TrajectoryClass], env: dict[str, np.ndarray]) -> np.ndarray:
    """The index of the first class whose rule holds, path by path (int16, -1 if none)."""
    variables = dict.fromkeys(env, "")
    shape = np.broadcast_shapes(*(np.shape(v) for v in env.values()))
    label = np.full(shape, -1, dtype=np.int16)
    for i, c in enumerate(classes):
        hit = np.broadcast_to(np.asarray(compile_rule(c.rule, variables)(env), dtype=bool), shape)
        label[(label < 0) & hit] = i
    return label


def rule_variables(states: xr.DataArray, crisis: xr.DataArray, history_states: xr.DataArray, years) -> dict:
    """Compute the rule variables for every path at each of ``years``, all years at once.

    Parameters
    ----------
    states : DataArray
        Forecast latent states, dims ``(..., year, channel)``, future years only.
    crisis : DataArray
        Forecast rupture-scale crisis indicator (0/1), dims ``(..., year)``.
    history_states : DataArray
        Fitted latent states, dims ``(chain, draw, year, channel)``, history years.
    years : list of int
        The years to classify (a path is judged over its first future year .. that year).

    Returns
    -------
    dict
        One array per rule variable, shape ``(*sample dims, len(years))`` (or broadcastable
        to it), plus ``__dims__`` (the sample dims, then ``year``) and ``__coords__``.

    """
    years = [int(y) for y in years]
    future = [int(y) for y in states["year"].values]
    # one layout for everything: the sample dims of all three inputs, then year (and channel)
    template = xr.broadcast(states.isel(year=0, channel=0, drop=True), crisis.isel(year=0, drop=True), history_states.isel(year=0, channel=0, drop=True))[0]
    dims = template.dims

    def aligned(a: xr.DataArray, *trailing: str) -> np.ndarray:
        return np.asarray(xr.broadcast(a, template)[0].transpose(*dims, *trailing).values)

    env = path_rule_variables(
        aligned(states, "year", "channel"),
        aligned(crisis, "year"),
        aligned(history_states, "year", "channel"),
        [int(y) for y in history_states["year"].values],
        [future.index(y) for y in years],
        [str(c) for c in states["channel"].values],
    )
    return env | {"__dims__": (*dims, "year"), "__coords__": {**{d: template[d].values for d in dims if d in template.coords}, "year": years}}


def classify(classes: list[TrajectoryClass], states, crisis, history_states, years) -> xr.DataArray:
    """Give every simulated path exactly one class at each of ``years``.

    Returns
    -------
    DataArray
        Integer class index (into ``classes``), dims ``(year, ...)`` with the
        class names in ``attrs['classes']``.

    """
    env = rule_variables(states, crisis, history_states, years)
    dims, coords = env.pop("__dims__"), env.pop("__coords__")
    result = xr.DataArray(label_paths(classes, env), dims=dims, coords=coords).transpose("year", ...)
    result.attrs["classes"] = [c.name for c in classes]
    return result


def class_probabilities(labels: xr.DataArray, sample_dims=("chain", "draw")) -> xr.DataArray:
    """P(each class) over posterior draws: dims ``(..., trajectory)``, summing to 1."""
    names = labels.attrs["classes"]
    probs = [(labels == i).mean([d for d in sample_dims if d in labels.dims]) for i in range(len(names))]
    out = xr.concat(probs, dim=xr.DataArray(names, dims="trajectory", name="trajectory"))
    return out.rename("probability")


#: the usual classes from closest to furthest apart (bars stack in this order; reversed, it is the ordinal scale of the backtest's RPS)
ORDINAL_CLASSES = ("strategic_alignment", "transactional_equilibrium", "managed_erosion", "rupture")


def class_order(names: Sequence[str]) -> list[str]:
    """``names`` in display order: the known classes from closest to furthest apart, then any others as given."""
    known = [c for c in ORDINAL_CLASSES if c in names]
    return known + [c for c in names if c not in known]
