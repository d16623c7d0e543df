"""What a backtest says, losses included: the model against each baseline on every scored row, and interval coverage.

:func:`comparison_table` puts the model's score beside persistence's and climatology's on
every row of the score table (per window: every indicator's CRPS, the pooled CRPS, crisis
years, any crisis, trajectory classes) and says who wins each; :func:`tally` counts the wins
and losses, on the indicators' CRPS and on every row; :func:`coverage_table` gives the share
of held-out values inside the model's central 50% and 90% predictive intervals with a Wilson
interval for that share. The oracle (realised drivers plugged in) is never a contender.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hedgecast.validate.baselines import BASELINES
from hedgecast.validate.scoring import INTERVAL_LEVELS, coverage_interval
from hedgecast.validate.window_scores import MODEL

INTERVAL_COLUMNS = ["window", "target", "year", "forecaster", "level", "lower", "upper", "observed", "covered"]
"""Columns of :attr:`hedgecast.validate.backtest.BacktestResult.intervals`."""
CONTENDERS = (MODEL, *BASELINES)
POOLED = "all_indicators"
ALL_WINDOWS = "all windows"
NON_INDICATOR_TARGETS = frozenset({POOLED, "crisis_year", "crisis_any", "trajectory_class"})


def outcome(model: float, baseline: float) -> str:
    """``win`` if the model scores lower (better) than the baseline, ``loss`` if higher, ``tie``, or ``–`` if either is missing."""
    if not (np.isfinite(model) and np.isfinite(baseline)):
        return "–"
    return "win" if model < baseline else "loss" if model > baseline else "tie"


def comparison_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per row of the score table: the three contenders' scores, the winner, and the model against each baseline.

    ``table`` is :meth:`hedgecast.validate.backtest.BacktestResult.table` (rows ``(window,
    target, metric)``). Columns: ``window, target, metric, kind, <forecasters…>, n, winner,
    vs_persistence, vs_climatology``; ``kind`` is ``indicator`` for one indicator's CRPS,
    else the target (``all_indicators``, ``crisis_year`` …).
    """
    rows = []
    for (window, target, metric), r in table.iterrows():
        scores = {f: float(r[f]) for f in CONTENDERS if f in r.index}
        finite = {f: v for f, v in scores.items() if np.isfinite(v)}
        row = {"window": window, "target": target, "metric": metric, "kind": target if target in NON_INDICATOR_TARGETS else "indicator"}
        row |= {f: float(r[f]) for f in r.index if f not in ("n", "best")}
        row |= {"n": int(r["n"]), "winner": min(finite, key=finite.get) if finite else "–"}
        row |= {f"vs_{b}": outcome(scores.get(MODEL, np.nan), scores.get(b, np.nan)) for b in BASELINES}
        rows.append(row)
    return pd.DataFrame(rows)


def _count(frame: pd.DataFrame) -> dict:
    out: dict = {"rows": len(frame)}
    total = {"comparisons": 0, "wins": 0, "losses": 0, "ties": 0}
    for b in BASELINES:
        col = frame[f"vs_{b}"] if len(frame) else pd.Series(dtype=str)
        one = {"comparisons": int(col.isin(["win", "loss", "tie"]).sum())} | {
            k: int((col == v).sum()) for k, v in (("wins", "win"), ("losses", "loss"), ("ties", "tie"))
        }
        out[b] = one
        total = {k: total[k] + one[k] for k in total}
    return out | total


def tally(comparisons: pd.DataFrame) -> dict:
    """Count the model's wins and losses against persistence and climatology.

    ``indicator_crps``: the CRPS rows of single indicators (per window × indicator);
    ``all_rows``: every row of the score table, as the command line and report have always
    counted them (indicators, pooled CRPS, crisis years, any crisis, trajectory classes);
    ``windows``: ``all_rows`` per window.
    """
    c = comparisons
    ind = c[c["kind"] == "indicator"] if len(c) else c
    return {
        "indicator_crps": _count(ind),
        "all_rows": _count(c),
        "windows": {w: _count(c[c["window"] == w]) for w in dict.fromkeys(c["window"])} if len(c) else {},
    }


def coverage_table(intervals: pd.DataFrame, forecaster: str = MODEL) -> pd.DataFrame:
    """Coverage of each central interval per window × indicator, pooled per window, per indicator over windows, and overall.

    Columns: ``window, target, n`` and per level ``L`` (50, 90): ``covered_L``, ``coverage_L``
    (share inside), ``low_L``, ``high_L`` (95% Wilson interval of the share). Held-out years
    of one window are not independent draws (forecast errors persist from year to year), so
    these binomial intervals are, if anything, too narrow.
    """
    d = intervals[intervals["forecaster"] == forecaster]
    groups: list[tuple[str, str, pd.DataFrame]] = []
    for window in dict.fromkeys(d["window"]):
        dw = d[d["window"] == window]
        groups += [(window, target, dw[dw["target"] == target]) for target in dict.fromkeys(dw["target"])]
        groups.append((window, POOLED, dw))
    for target in dict.fromkeys(d["target"]):
        groups.append((ALL_WINDOWS, target, d[d["target"] == target]))
    if len(d):
        groups.append((ALL_WINDOWS, POOLED, d))
    rows = []
    for window, target, g in groups:
        row: dict = {"window": window, "target": target}
        for level in INTERVAL_LEVELS:
            gl = g[np.isclose(g["level"].astype(float), level)]
            n, k = len(gl), int(gl["covered"].astype(bool).sum())
            lo, hi = coverage_interval(k, n)
            pct = round(100 * level)
            row |= {"n": n, f"covered_{pct}": k, f"coverage_{pct}": k / n if n else float("nan"), f"low_{pct}": lo, f"high_{pct}": hi}
        rows.append(row)
    cols = ["window", "target", "n"] + [f"{k}_{round(100 * lv)}" for lv in INTERVAL_LEVELS for k in ("covered", "coverage", "low", "high")]
    return pd.DataFrame(rows, columns=cols)


__all__ = ["ALL_WINDOWS", "CONTENDERS", "INTERVAL_COLUMNS", "POOLED", "comparison_table", "coverage_table", "outcome", "tally"]
