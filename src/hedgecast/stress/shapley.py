"""Exact Shapley values over a few players: an additive split of ``v(all) − v(none)``.

With players ``N`` (``p`` of them) and a value ``v`` of every coalition ``S ⊆ N``, player ``i``
gets ``φ_i = Σ_{S ⊆ N∖{i}} |S|! (p − |S| − 1)! / p! · (v(S ∪ {i}) − v(S))``: its marginal
effect averaged over every order in which the players could join. The values sum to
``v(N) − v(∅)`` exactly (efficiency); an additive ``v`` gives each player its own effect;
an interaction between two players is split equally between them.

Each ``φ_i`` is a fixed linear combination of the ``2^p`` coalition values
(:func:`shapley_matrix`), so a Monte Carlo error of the values carries over linearly.

    >>> shapley(["a", "b"], lambda s: {frozenset(): 0, frozenset("a"): 1, frozenset("b"): 2, frozenset("ab"): 5}[frozenset(s)])
    {'a': 2.0, 'b': 3.0}
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable, Sequence

import numpy as np

__all__ = ["MAX_PLAYERS", "coalitions", "shapley", "shapley_matrix"]

MAX_PLAYERS = 8
"""More players than this would need ``2^p`` evaluations too many to be exact here."""


def coalitions(p: int) -> list[frozenset[int]]:
    """Every subset of ``range(p)``, smallest first (``∅`` first, all players last)."""
    if not 0 <= p <= MAX_PLAYERS:
        raise ValueError(f"exact Shapley values need 0 to {MAX_PLAYERS} players, got {p}")
    return [frozenset(c) for k in range(p + 1) for c in itertools.combinations(range(p), k)]


def shapley_matrix(p: int) -> np.ndarray:
    """Return the ``(p, 2^p)`` matrix ``M`` with ``φ = M @ v`` for ``v`` over :func:`coalitions` ``(p)`` in that order."""
    subsets = coalitions(p)
    index = {s: j for j, s in enumerate(subsets)}
    m = np.zeros((p, len(subsets)))
    for i in range(p):
        for s in subsets:
            if i in s:
                continue
            weight = math.factorial(len(s)) * math.factorial(p - len(s) - 1) / math.factorial(p)
            m[i, index[s | {i}]] += weight
            m[i, index[s]] -= weight
    return m


def shapley(players: Sequence[Hashable], value: Callable[[frozenset], float]) -> dict:
    """Exact Shapley value of each of ``players`` under ``value`` (called once per coalition, a frozenset of players)."""
    players = list(players)
    if len(set(players)) != len(players):
        raise ValueError(f"players must be distinct, got {players!r}")
    subsets = coalitions(len(players))
    v = np.array([float(value(frozenset(players[i] for i in s))) for s in subsets])
    phi = shapley_matrix(len(players)) @ v
    return {player: float(x) for player, x in zip(players, phi, strict=True)}
