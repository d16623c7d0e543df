"""Exact Shapley values (hedgecast.stress.shapley) against hand-checkable value functions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hedgecast.stress.shapley import coalitions, shapley, shapley_matrix


def test_an_additive_value_gives_each_player_its_own_effect():
    effects = {"priors": 0.07, "data": -0.03, "scenarios": 0.01, "code": 0.0}
    phi = shapley(list(effects), lambda s: 0.2 + sum(effects[p] for p in s))
    assert phi == pytest.approx(effects)


def test_an_interaction_is_split_equally_between_the_two_players():
    # v(a) = 1, v(b) = 2, v(ab) = 1 + 2 + 4 (an interaction of 4): a gets 1 + 2, b gets 2 + 2
    values = {frozenset(): 0.0, frozenset("a"): 1.0, frozenset("b"): 2.0, frozenset("ab"): 7.0}
    assert shapley(["a", "b"], values.__getitem__) == pytest.approx({"a": 3.0, "b": 4.0})


def test_three_players_match_the_average_over_joining_orders():
    rng = np.random.default_rng(3)
    table = {frozenset(s): float(rng.normal()) for k in range(4) for s in itertools.combinations("xyz", k)}
    expected = dict.fromkeys("xyz", 0.0)
    orders = list(itertools.permutations("xyz"))
    for order in orders:
        joined: set[str] = set()
        for p in order:
            expected[p] += (table[frozenset(joined | {p})] - table[frozenset(joined)]) / len(orders)
            joined.add(p)
    phi = shapley(list("xyz"), table.__getitem__)
    assert phi == pytest.approx(expected)
    assert sum(phi.values()) == pytest.approx(table[frozenset("xyz")] - table[frozenset()])  # efficiency


def test_the_matrix_rows_sum_to_zero_and_order_coalitions_smallest_first():
    m = shapley_matrix(4)
    assert m.shape == (4, 16)
    assert np.allclose(m.sum(axis=1), 0.0)  # adding a constant to v changes nothing
    assert np.allclose(m.sum(axis=0)[1:-1], 0.0) and m.sum(axis=0)[-1] == pytest.approx(1.0)
    subsets = coalitions(4)
    assert subsets[0] == frozenset() and subsets[-1] == frozenset(range(4))


def test_too_many_or_repeated_players_are_refused():
    with pytest.raises(ValueError, match="distinct"):
        shapley(["a", "a"], lambda s: 0.0)
    with pytest.raises(ValueError, match="players"):
        coalitions(9)
