"""Trajectory classes: named regions of futures, decided by editable rules on each simulated path.

A rule is a small boolean expression over per-path, per-year variables in observable terms
(indicators in their own units over windows ending at the classified year, rupture events
under their resolution rule, reference values read from the observed record): see
:mod:`hedgecast.forecasting.rule_variables`. Rules are checked top to bottom and a path gets
the first class whose rule holds; the last rule must be ``otherwise``, so every path gets
exactly one class.

Rules are evaluated in three-valued (Kleene) logic: a comparison with a missing value
(NaN: an indicator not observed in the record) is *unknown*, ``unknown and false`` is false,
``unknown or true`` is true. Simulated paths have no missing values, so for them this is
ordinary logic; the observed record has gaps, and a class that depends on one is
undetermined (:mod:`hedgecast.forecasting.observed`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

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
_TRUE, _FALSE = 1.0, 0.0


def truth(value) -> np.ndarray:
    """A rule's value as a three-valued truth array: 1.0 true, 0.0 false, NaN unknown."""
    x = np.asarray(value, dtype=float)
    return np.where(np.isnan(x), np.nan, (x != 0).astype(float))


def kleene_and(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a and b``: false if either is false, else unknown if either is unknown, else true."""
    return np.where((a == 0) | (b == 0), _FALSE, np.where(np.isnan(a) | np.isnan(b), np.nan, _TRUE))


def kleene_or(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a or b``: true if either is true, else unknown if either is unknown, else false."""
    return np.where((a == 1) | (b == 1), _TRUE, np.where(np.isnan(a) | np.isnan(b), np.nan, _FALSE))


def compile_rule(rule: str, variables: Mapping[str, str], booleans: frozenset[str] = frozenset()) -> Callable[[Mapping], np.ndarray]:
    """Parse ``rule`` once and return a function of a variables mapping.

    ``variables`` maps every name a rule may use to its meaning
    (:func:`hedgecast.forecasting.rule_variables.rule_variable_names`); ``booleans`` are the
    names that are conditions by themselves (events). The function returns a three-valued
    truth array (1.0 true, 0.0 false, NaN unknown: see the module docstring).

    Raises
    ------
    RuleError
        On a syntax error, an unknown name, or an operation outside the small
        allowed set (and/or/not, comparisons, + - * /, abs/min/max, numbers).

    """
    if not isinstance(rule, str):
        raise RuleError(f"a rule must be text (a boolean expression in quotes, or 'otherwise'), got {rule!r}")
    if rule.strip() == OTHERWISE:
        return lambda env: np.ones(np.broadcast_shapes(*(np.shape(v) for v in env.values())))
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
            op = kleene_and if isinstance(node.op, ast.And) else kleene_or

            def boolop(env):
                out = truth(parts[0](env))
                for p in parts[1:]:
                    out = op(out, truth(p(env)))
                return out

            return boolop
        if isinstance(node, ast.UnaryOp):
            inner = build(node.operand)
            if isinstance(node.op, ast.Not):
                return lambda env: 1.0 - truth(inner(env))
            if isinstance(node.op, ast.USub):
                return lambda env: -np.asarray(inner(env), dtype=float)
            if isinstance(node.op, ast.UAdd):
                return inner
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right, fn = build(node.left), build(node.right), _BINOPS[type(node.op)]

            def binop(env):
                with np.errstate(divide="ignore", invalid="ignore"):
                    return fn(np.asarray(left(env), dtype=float), np.asarray(right(env), dtype=float))

            return binop
        if isinstance(node, ast.Compare):
            if any(type(op) not in _CMPOPS for op in node.ops):
                raise RuleError(f"rule {rule!r}: only < <= > >= == != comparisons are allowed")
            first = build(node.left)
            rest = [(_CMPOPS[type(op)], build(c)) for op, c in zip(node.ops, node.comparators, strict=True)]

            def compare(env):
                left_val, out = np.asarray(first(env), dtype=float), None
                for fn, right in rest:
                    right_val = np.asarray(right(env), dtype=float)
                    step = np.where(np.isnan(left_val) | np.isnan(right_val), np.nan, fn(left_val, right_val).astype(float))
                    out = step if out is None else kleene_and(out, step)
                    left_val = right_val
                return out

            return compare
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            value = float(node.value)
            return lambda env: value
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            flag = float(node.value)
            return lambda env: flag
        if isinstance(node, ast.Name):
            name = node.id
            if name in ("True", "False"):
                return lambda env: float(name == "True")
            if name not in variables:
                raise RuleError(_unknown_name(rule, name, variables))
            return lambda env: env[name]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
            fn = FUNCTIONS[node.func.id]
            args = [build(a) for a in node.args]
            if node.keywords or len(args) != (1 if node.func.id == "abs" else 2):
                raise RuleError(f"rule {rule!r}: {node.func.id}() takes {'one argument' if node.func.id == 'abs' else 'two arguments'}")
            return lambda env: fn(*[np.asarray(a(env), dtype=float) for a in args])
        raise RuleError(f"rule {rule!r}: '{ast.unparse(node)}' is not allowed in a rule")

    try:
        compiled = build(tree)
    except RecursionError:
        raise RuleError(f"rule {rule!r} is nested too deeply") from None
    if not _is_condition(tree.body, booleans):
        raise RuleError(
            f"rule {rule!r} is a number, not a condition: compare it (e.g. 'trade_usd_bn_mean_3y < 40'), "
            "combine conditions with and/or/not, or write 'otherwise'"
        )
    return lambda env: truth(compiled(env))


def rule_names(rule: str) -> list[str]:
    """The variable names a (valid) rule uses, in order of first use."""
    if rule.strip() == OTHERWISE:
        return []
    names = [n.id for n in ast.walk(ast.parse(rule.strip(), mode="eval")) if isinstance(n, ast.Name) and n.id not in ("True", "False")]
    return list(dict.fromkeys(names))


def _unknown_name(rule: str, name: str, variables: Mapping[str, str]) -> str:
    """Say what is wrong with an unknown rule name, with the closest valid names."""
    from hedgecast.errors import suggest

    return f"rule {rule!r} uses unknown name '{name}': {suggest(name, list(variables))}"


def _is_condition(node: ast.AST, booleans: frozenset[str]) -> bool:
    """Whether an (already validated) rule expression is true/false rather than a number."""
    if isinstance(node, ast.Compare):
        return True
    if isinstance(node, ast.BoolOp):
        return all(_is_condition(v, booleans) for v in node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _is_condition(node.operand, booleans)
    if isinstance(node, ast.Constant):
        return isinstance(node.value, bool)
    if isinstance(node, ast.Name):
        return node.id in booleans or node.id in ("True", "False")
    return False


def rule_truths(classes: Sequence[TrajectoryClass], env: Mapping[str, np.ndarray], variables: Mapping[str, str] | None = None, booleans: frozenset[str] = frozenset()) -> np.ndarray:
    """Every class's rule evaluated on ``env``: ``(class, *shape)`` three-valued truths."""
    variables = dict.fromkeys(env, "") if variables is None else variables
    shape = np.broadcast_shapes(*(np.shape(v) for v in env.values()))
    return np.stack([np.broadcast_to(compile_rule(c.rule, variables, booleans)(env), shape) for c in classes])


def first_true(truths: np.ndarray) -> np.ndarray:
    """The index of the first class whose rule is true (int16), -1 where none is, or an earlier one is unknown."""
    label = np.full(truths.shape[1:], -1, dtype=np.int16)
    open_ = np.ones(truths.shape[1:], dtype=bool)  # no earlier rule true or unknown
    for i, t in enumerate(truths):
        label[open_ & (t == 1)] = i
        open_ &= t == 0
    return label


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
