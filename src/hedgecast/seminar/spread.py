"""What a room thinks, together: the group's answers, the pooled forecast, and where the disagreement lies.

* **The group's answers** to each assumption: the median and interquartile range of the
  participants' most-likely values (``numpy.percentile``, linear interpolation), and who answered
  outside it (strictly below the first quartile or above the third).
* **The pooled forecast** of each question: the linear pool (equal-weight mixture) of the
  participants' forecasts, ``p = Σ a_l p_l`` with ``a_l = 1/n``, with
  its Monte Carlo error ``sqrt(Σ a_l² se_l²)``; beside it the forecast of the *pooled prior* — the
  logarithmic pool of the participants' priors, assumption by assumption
  (:func:`hedgecast.stress.log_pool.log_pool_prior`), reweighted like any participant.
* **Between and within.** Over participant × simulated path, the YES indicator of a question has
  variance ``p (1 − p)``, and by the law of total variance
  ``p (1 − p) = Σ a_l (p_l − p)² + Σ a_l p_l (1 − p_l)``: *between* participants (the room's
  disagreement) plus *within* (the uncertainty each participant's own forecast leaves). The two
  sum to the total exactly. ``mc_noise = Σ a_l se_l²`` is the part of *between* that Monte Carlo
  error alone would produce.
* The pooled prior's forecast and which assumption drives the disagreement need the fit:
  :mod:`hedgecast.seminar.summary` adds them.
* **Which assumption drives the disagreement**: for each assumption, every participant's forecast
  with only that answer applied (the others at the lens's priors); the variance of those across
  participants, and its share of the sum over assumptions (one-at-a-time, so interactions are left
  out: ``explained`` compares each with the full between-participant variance).

Participants whose forecast is pending a refit are left out of the pool and named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from hedgecast.seminar.answers import Answer
from hedgecast.seminar.records import Assumption, ParticipantForecast

__all__ = ["answer_spread", "decompose", "summarise_forecasts"]


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def answer_spread(values: Mapping[str, float]) -> dict:
    """Median and interquartile range of the participants' values; who is outside the IQR (by key)."""
    if not values:
        return {"n": 0, "median": None, "q1": None, "q3": None, "outside": []}
    v = np.array(list(values.values()), dtype=float)
    q1, med, q3 = (float(x) for x in np.percentile(v, [25, 50, 75]))
    outside = sorted(k for k, x in values.items() if x < q1 or x > q3)
    return {"n": int(v.size), "median": med, "q1": q1, "q3": q3, "outside": outside}


def decompose(probs: Mapping[str, float], mcse: Mapping[str, float] | None = None) -> dict:
    """Pool the participants' probabilities (equal weights) and split the outcome's variance into between and within (module docstring)."""
    keys = [k for k, p in probs.items() if p is not None and np.isfinite(p)]
    if not keys:
        return {
            "n": 0,
            "pooled": None,
            "pooled_mcse": None,
            "between": None,
            "within": None,
            "total": None,
            "share_between": None,
            "mc_noise": None,
        }
    a = np.full(len(keys), 1.0 / len(keys))
    p = np.array([probs[k] for k in keys], dtype=float)
    se = np.array([(mcse or {}).get(k, 0.0) or 0.0 for k in keys], dtype=float)
    pooled = float(a @ p)
    between = float(a @ (p - pooled) ** 2)
    within = float(a @ (p * (1 - p)))
    total = pooled * (1 - pooled)
    return {
        "n": len(keys),
        "pooled": pooled,
        "pooled_mcse": float(np.sqrt(a**2 @ se**2)),
        "between": between,
        "within": within,
        "total": total,
        "share_between": between / total if total > 0 else float("nan"),
        "mc_noise": float(a @ se**2),
        "sd_between": float(np.sqrt(between)),
    }


def summarise_forecasts(
    assumptions: Sequence[Assumption],
    questions: Sequence[tuple[str, str]],
    answers_by_participant: Mapping[str, Sequence[Answer]],
    forecasts: Mapping[str, ParticipantForecast],
) -> dict:
    """Return the parts of the summary that need only the answers and the forecasts (no fit): spreads, pool, decomposition."""
    out_a = []
    for a in assumptions:
        ml = {k: float(x.most_likely) for k, ans in answers_by_participant.items() for x in ans if x.assumption_id == a.id}
        out_a.append({"id": a.id, "label": a.label, "units": a.units, "baseline": a.baseline, **answer_spread(ml), "values": ml})
    ready = {k: f for k, f in forecasts.items() if not f.pending}
    pending = sorted(k for k, f in forecasts.items() if f.pending)
    out_q = []
    for qid, title in questions:
        probs = {k: f.probabilities.get(qid, float("nan")) for k, f in ready.items()}
        se = {k: f.mcse.get(qid, 0.0) for k, f in ready.items()}
        out_q.append({"id": qid, "title": title, **decompose(probs, se), "participants": {k: _num(v) for k, v in probs.items()}})
    return {
        "assumptions": out_a,
        "questions": out_q,
        "participants": {k: f.to_dict() for k, f in forecasts.items()},
        "pending": pending,
        "n_participants": len(forecasts),
    }
