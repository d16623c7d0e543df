"""Trajectory classes: named regions of futures, decided by editable rules on each simulated path.

A rule is a small boolean expression over per-path variables (see ``RULE_VARIABLES``).
Rules are checked top to bottom and a path gets the first class whose rule holds; the
last rule must be ``otherwise``, so every path gets exactly one class.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import xarray as xr

RULE_VARIABLES = {
    "economic_change": "economic level at the year minus its 2025 level",
    "political_change": "political level at the year minus its 2025 level",
    "economic_min_change": "lowest economic level from 2026 to the year, minus the 2025 level",
    "political_min_change": "lowest political level from 2026 to the year, minus the 2025 level",
    "economic_fall_2y": "largest economic fall over any two consecutive years up to the year",
    "political_fall_2y": "largest political fall over any two consecutive years up to the year",
    "crisis": "a rupture-scale crisis happened from 2026 to the year",
    "rupture_depth_economic": "how far the economic channel fell in 2015–16",
    "rupture_depth_political": "how far the political channel fell in 2015–16",
}
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
    if rule.strip() == OTHERWISE:
        return lambda env: np.ones(np.shape(next(iter(env.values()))), dtype=bool)
    try:
        tree = ast.parse(rule.strip(), mode="eval")
    except SyntaxError as err:
        raise RuleError(f"cannot parse rule {rule!r}: {err.msg}") from None

    def build(node: ast.AST) -> Callable[[Mapping], np.ndarray]:  # noqa: C901 - a small interpreter
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
            first = build(node.left)
            rest = [(_CMPOPS.get(type(op)), build(c)) for op, c in zip(node.ops, node.comparators, strict=True)]
            if any(fn is None for fn, _ in rest):
                raise RuleError(f"rule {rule!r}: only < <= > >= == != comparisons are allowed")

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
                from .errors import suggest

                raise RuleError(f"rule {rule!r} uses unknown name '{name}': {suggest(name, list(variables))}")
            return lambda env: env[name]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
            fn = FUNCTIONS[node.func.id]
            args = [build(a) for a in node.args]
            if node.keywords or not args or len(args) > 2 or (node.func.id == "abs" and len(args) != 1):
                raise RuleError(f"rule {rule!r}: {node.func.id}() takes {'one argument' if node.func.id == 'abs' else 'two arguments'}")
            return lambda env: fn(*[a(env) for a in args])
        raise RuleError(f"rule {rule!r}: '{ast.unparse(node)}' is not allowed in a rule")

    return build(tree)


def rule_variables(states: xr.DataArray, crisis: xr.DataArray, history_states: xr.DataArray, year: int) -> dict:
    """Compute the rule variables for every path at ``year``.

    Parameters
    ----------
    states : DataArray
        Forecast latent states, dims ``(..., year, channel)``, future years only.
    crisis : DataArray
        Forecast rupture-scale crisis indicator (0/1), dims ``(..., year)``.
    history_states : DataArray
        Fitted latent states, dims ``(chain, draw, year, channel)``, history years.
    year : int
        The year to classify (paths are judged over 2026..year).
    """
    last = history_states.isel(year=-1)
    window = states.sel(year=slice(None, year))
    at_year = states.sel(year=year)
    change = at_year - last
    min_change = window.min("year") - last
    h = history_states
    depth = h.sel(year=2014) - np.minimum(h.sel(year=2015), h.sel(year=2016))
    # two-year falls, counting the last two history years as the start of the path
    start, _ = xr.broadcast(h.isel(year=slice(-2, None)), window.isel(year=0, drop=True))
    joined = xr.concat([start.transpose(*window.dims), window], dim="year")
    fall = (joined.shift(year=2) - joined).isel(year=slice(2, None)).max("year")
    env = {
        "economic_change": change.sel(channel="economic"),
        "political_change": change.sel(channel="political"),
        "economic_min_change": min_change.sel(channel="economic"),
        "political_min_change": min_change.sel(channel="political"),
        "economic_fall_2y": fall.sel(channel="economic"),
        "political_fall_2y": fall.sel(channel="political"),
        "crisis": crisis.sel(year=slice(None, year)).max("year") > 0,
        "rupture_depth_economic": depth.sel(channel="economic"),
        "rupture_depth_political": depth.sel(channel="political"),
    }
    # broadcast all to a common shape so rules compare path by path
    arrays = xr.broadcast(*env.values())
    return {k: np.asarray(v.transpose(*arrays[0].dims).values) for k, v in zip(env, arrays, strict=True)} | {
        "__dims__": arrays[0].dims,
        "__coords__": {d: arrays[0][d].values for d in arrays[0].dims},
    }


def classify(classes: list[TrajectoryClass], states, crisis, history_states, years) -> xr.DataArray:
    """Give every simulated path exactly one class at each of ``years``.

    Returns
    -------
    DataArray
        Integer class index (into ``classes``), dims ``(..., year)`` with the
        class names in ``attrs['classes']``.
    """
    compiled = [compile_rule(c.rule) for c in classes]
    out = []
    for year in years:
        env = rule_variables(states, crisis, history_states, year)
        dims, coords = env.pop("__dims__"), env.pop("__coords__")
        shape = next(iter(env.values())).shape
        label = np.full(shape, -1, dtype=np.int16)
        for i, fn in enumerate(compiled):
            hit = np.broadcast_to(np.asarray(fn(env), dtype=bool), shape)
            label = np.where((label < 0) & hit, i, label)
        out.append(xr.DataArray(label, dims=dims, coords=coords))
    result = xr.concat(out, dim=xr.DataArray(list(years), dims="year", name="year"))
    result.attrs["classes"] = [c.name for c in classes]
    return result


def class_probabilities(labels: xr.DataArray, sample_dims=("chain", "draw")) -> xr.DataArray:
    """P(each class) over posterior draws: dims ``(..., trajectory)``, summing to 1."""
    names = labels.attrs["classes"]
    probs = [(labels == i).mean([d for d in sample_dims if d in labels.dims]) for i in range(len(names))]
    out = xr.concat(probs, dim=xr.DataArray(names, dims="trajectory", name="trajectory"))
    return out.rename("probability")
