"""Wins, losses and coverage of a backtest, on hand-built score tables and interval checks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hedgecast.validate.comparisons import INTERVAL_COLUMNS, comparison_table, coverage_table, outcome, tally
from hedgecast.validate.scoring import coverage_interval
from hedgecast.validate.window_scores import MODEL, ORACLE


def _table() -> pd.DataFrame:
    idx = pd.MultiIndex.from_tuples(
        [("w1", "trade", "crps"), ("w1", "all_indicators", "crps"), ("w1", "crisis_year", "brier"), ("w2", "trade", "crps")],
        names=["window", "target", "metric"],
    )
    return pd.DataFrame(
        {
            MODEL: [0.5, 0.6, 0.2, 0.9],
            "persistence": [0.4, 0.7, 0.3, 0.9],
            "climatology": [0.8, 0.5, 0.1, np.nan],
            ORACLE: [0.1, 0.1, 0.1, 0.1],  # never a contender, however good
            "n": [5, 9, 5, 4],
            "best": [ORACLE] * 4,
        },
        index=idx,
    )


def test_every_row_gets_its_winner_and_the_models_result_against_each_baseline():
    comp = comparison_table(_table())
    assert list(comp["winner"]) == ["persistence", "climatology", "climatology", MODEL]
    assert list(comp["vs_persistence"]) == ["loss", "win", "win", "tie"]
    assert list(comp["vs_climatology"]) == ["win", "loss", "loss", "–"]
    assert list(comp["kind"]) == ["indicator", "all_indicators", "crisis_year", "indicator"]
    assert outcome(1.0, np.nan) == "–" and outcome(0.1, 0.2) == "win"


def test_the_tally_counts_wins_and_losses_per_scope():
    t = tally(comparison_table(_table()))
    ind, every = t["indicator_crps"], t["all_rows"]
    assert (ind["rows"], ind["comparisons"], ind["wins"], ind["losses"], ind["ties"]) == (2, 3, 1, 1, 1)
    assert (every["rows"], every["comparisons"], every["wins"], every["losses"], every["ties"]) == (4, 7, 3, 3, 1)
    assert every["persistence"] == {"comparisons": 4, "wins": 2, "losses": 1, "ties": 1}
    assert t["windows"]["w2"]["comparisons"] == 1


def test_coverage_on_hand_built_interval_checks():
    rows = []
    covered = {("w1", "a", 0.5): [1, 0, 0, 1], ("w1", "a", 0.9): [1, 1, 0, 1], ("w1", "b", 0.5): [1], ("w1", "b", 0.9): [1]}
    for (window, target, level), hits in covered.items():
        for year, hit in enumerate(hits, 2015):
            rows.append([window, target, year, MODEL, level, 0.0, 1.0, 0.5, bool(hit)])
    rows.append(["w1", "a", 2015, "persistence", 0.5, 0.0, 1.0, 0.5, False])  # another forecaster: not counted
    cov = coverage_table(pd.DataFrame(rows, columns=INTERVAL_COLUMNS)).set_index(["window", "target"])
    a = cov.loc[("w1", "a")]
    assert (a["n"], a["covered_50"], a["covered_90"], a["coverage_50"], a["coverage_90"]) == (4, 2, 3, 0.5, 0.75)
    assert (a["low_90"], a["high_90"]) == coverage_interval(3, 4)
    pooled = cov.loc[("w1", "all_indicators")]
    assert (pooled["n"], pooled["covered_50"], pooled["covered_90"]) == (5, 3, 4)
    assert cov.loc[("all windows", "all_indicators"), "n"] == 5 and cov.loc[("all windows", "b"), "covered_90"] == 1
