"""The track record: resolve the ledgered questions and score every issued forecast.

**Resolution** (:func:`resolve`). A question is open until its close date has passed (``as_of``,
default today). Then, in order:

1. an outcome the analyst recorded in ``ledger/resolutions.toml`` with its source wins;
2. else the data decide: the question's rule (:func:`hedgecast.forecasting.questions.judge`, the
   one definition used on simulated paths and for base rates) applied to the record over its
   window (:func:`hedgecast.forecasting.question_base_rates.record_series`: indicator values as
   the fit sees them, rupture years and incident counts from ``incidents.csv``) — when every
   window year is observed, or when an ``any`` question already holds in an observed year;
3. else it stays **unresolved** and says which years are missing.

**Which forecasts are scored.** The forecast of record's scenario, ``status_quo``, is
unconditional (no intervention: drivers drift and the war follows the lens's chain, whatever
happens), so it is always scored. Every other scenario is conditional on its premise (the
interventions its spec entry names), which only the analyst can judge against the news: it is
scored only for a scenario whose ``[[premises]]`` entry in ``ledger/resolutions.toml`` says
``held = true`` with a source; unjudged or failed premises are listed, not scored.

**Scores** (lower is better), per forecast, then averaged per question, lens and scenario:
the Brier score (p − o)² (half the two-category score of :func:`hedgecast.validate.scoring.brier`)
and the log score −log p(outcome) (:func:`hedgecast.validate.scoring.log_score`, with p kept
within [1/(2n), 1 − 1/(2n)] for n simulated paths so that a share of 0 or 1 of the paths is not
an infinite penalty). Each is set against the question's base rate (issued with the forecast)
and against the **earliest** ledgered forecast of the same question, lens and scenario.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from hedgecast.forecasting.ledger import Resolutions
from hedgecast.forecasting.question_base_rates import record_series
from hedgecast.forecasting.questions import RECORD_LENS, RECORD_SCENARIO, judge
from hedgecast.inputs.history import History
from hedgecast.inputs.questions_file import QuestionSet
from hedgecast.validate.scoring import brier, log_score

__all__ = ["BINS", "calibration", "resolve", "score_forecasts", "summarize", "surprises"]

BINS = np.linspace(0.0, 1.0, 11)
"""Calibration bins: ten of width 0.1."""


def resolve(
    qset: QuestionSet, history: History, incidents: pd.DataFrame, resolutions: Resolutions, as_of: dt.date, ids: Iterable[str] = ()
) -> pd.DataFrame:
    """One row per question (of ``qset`` and any other id in ``ids``): ``id, close_date, status, outcome, how``.

    ``status`` is ``open``, ``resolved`` or ``unresolved``; ``outcome`` 1.0 (YES), 0.0 (NO) or NaN.
    """
    rows = []
    known = {q.id: q for q in qset.questions}
    for qid in [*known, *[i for i in dict.fromkeys(ids) if i not in known]]:
        q, recorded = known.get(qid), resolutions.outcomes.get(qid)
        close = q.close_date if q is not None else None
        if close is not None and close > as_of:
            rows.append((qid, close, "open", np.nan, f"closes {close.isoformat()}"))
        elif recorded is not None:
            rows.append((qid, close, "resolved", float(recorded.outcome), f"analyst: {recorded.source}"))
        elif q is None:
            rows.append((qid, close, "unresolved", np.nan, "not in the questions file and no recorded resolution"))
        else:
            values = record_series(q, history, incidents).reindex(q.window).to_numpy(dtype=float)
            missing = [y for y, v in zip(q.window, values, strict=True) if not np.isfinite(v)]
            hit = bool(judge(values[None, :], q)[0])
            if not missing or (q.aggregate == "any" and hit):
                span = f"{q.window[0]}–{q.window[-1]}" if len(q.window) > 1 else str(q.window[0])
                rows.append((qid, close, "resolved", float(hit), f"data: {q.observable} {span}"))
            else:
                rows.append((qid, close, "unresolved", np.nan, f"no data yet for {', '.join(map(str, missing))}"))
    return pd.DataFrame(rows, columns=["id", "close_date", "status", "outcome", "how"])


def _scores(p: np.ndarray, o: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Brier (p − o)² and log score of binary forecasts ``p`` of outcomes ``o`` (0/1) from ``n`` paths."""
    eps = 1.0 / (2.0 * np.maximum(n, 1))
    q = np.clip(p, eps, 1.0 - eps)
    two = np.stack([1.0 - p, p], axis=-1)
    return brier(two, o.astype(int)) / 2.0, log_score(np.stack([1.0 - q, q], axis=-1), o.astype(int))


def score_forecasts(forecasts: pd.DataFrame, resolved: pd.DataFrame, resolutions: Resolutions) -> pd.DataFrame:
    """Every ledgered forecast of a resolved question with its scores, or why it is not scored.

    ``forecasts``: :func:`~hedgecast.forecasting.ledger.ledger_forecasts`. Adds ``outcome,
    scored, why, brier, log, base_brier, base_log, earliest_p, earliest_brier, earliest_log``.
    """
    out = forecasts.merge(resolved[resolved["status"] == "resolved"][["id", "outcome"]], on="id", how="inner")
    if out.empty:
        return out.assign(scored=pd.Series(dtype=bool), why="", brier=np.nan, log=np.nan, base_brier=np.nan, base_log=np.nan)

    def why(scenario: str, p: float) -> str:
        if not np.isfinite(p):
            return "not forecast"
        if scenario == RECORD_SCENARIO:
            return ""
        premise = resolutions.premises.get(scenario)
        if premise is None:
            return "premise not judged (ledger/resolutions.toml [[premises]])"
        return "" if premise.held else f"premise did not hold ({premise.source})"

    out["why"] = [why(s, p) for s, p in zip(out["scenario"], out["probability"], strict=True)]
    out["scored"] = out["why"] == ""
    n = out["n_paths"].to_numpy(dtype=float)
    o = out["outcome"].to_numpy(dtype=float)
    p = out["probability"].fillna(0.5).to_numpy(dtype=float)
    b = out["base_rate"].to_numpy(dtype=float)
    out["brier"], out["log"] = _scores(p, o, n)
    has_base = np.isfinite(b)
    bb, bl = _scores(np.where(has_base, b, 0.5), o, np.full_like(n, 1e9))
    out["base_brier"], out["base_log"] = np.where(has_base, bb, np.nan), np.where(has_base, bl, np.nan)
    out.loc[~out["scored"], ["brier", "log", "base_brier", "base_log"]] = np.nan
    out = out.sort_values(["issued_at", "file"], kind="stable")
    first = out[out["scored"]].groupby(["id", "lens", "scenario"])[["probability", "brier", "log"]].first()
    first.columns = ["earliest_p", "earliest_brier", "earliest_log"]
    return out.merge(first, left_on=["id", "lens", "scenario"], right_index=True, how="left").reset_index(drop=True)


def summarize(scored: pd.DataFrame, by: str) -> pd.DataFrame:
    """Mean scores of the scored forecasts per ``by`` (``id``, ``lens`` or ``scenario``), with the base rate's and the earliest forecast's."""
    s = scored[scored["scored"]] if len(scored) else scored
    if s.empty:
        return pd.DataFrame(columns=["n", "brier", "log", "base_brier", "base_log", "earliest_brier", "skill_vs_base"])
    g = s.groupby(by).agg(
        n=("brier", "size"), brier=("brier", "mean"), log=("log", "mean"), base_brier=("base_brier", "mean"),
        base_log=("base_log", "mean"), earliest_brier=("earliest_brier", "mean"),
    )  # fmt: skip
    g["skill_vs_base"] = 1.0 - g["brier"] / g["base_brier"]
    return g


def calibration(scored: pd.DataFrame, of_record_only: bool = True) -> pd.DataFrame:
    """Per probability bin (width 0.1): how many scored forecasts, their mean probability, and the share that came true."""
    s = scored[scored["scored"]] if len(scored) else scored
    if of_record_only and len(s):
        s = s[(s["lens"] == RECORD_LENS) & (s["scenario"] == RECORD_SCENARIO)]
    p = s["probability"].to_numpy(dtype=float) if len(s) else np.array([])
    o = s["outcome"].to_numpy(dtype=float) if len(s) else np.array([])
    idx = np.clip(np.digitize(p, BINS[1:-1]), 0, len(BINS) - 2)
    rows = []
    for k in range(len(BINS) - 1):
        m = idx == k
        rows.append({
            "bin": f"{BINS[k]:.0%}–{BINS[k + 1]:.0%}", "low": BINS[k], "high": BINS[k + 1], "n": int(m.sum()),
            "mean_p": float(p[m].mean()) if m.any() else np.nan, "observed": float(o[m].mean()) if m.any() else np.nan,
        })  # fmt: skip
    return pd.DataFrame(rows)


def surprises(scored: pd.DataFrame) -> pd.DataFrame:
    """The latest entry's scored forecasts of record: hit (P ≥ 50% and YES, or P < 50% and NO) or miss, largest log score first."""
    s = scored[scored["scored"] & (scored["lens"] == RECORD_LENS) & (scored["scenario"] == RECORD_SCENARIO)] if len(scored) else scored
    if s.empty:
        return s
    latest = s[s["file"] == s.sort_values(["issued_at", "file"])["file"].iloc[-1]].copy()
    latest["hit"] = (latest["probability"] >= 0.5) == (latest["outcome"] == 1.0)
    return latest.sort_values("log", ascending=False).reset_index(drop=True)
