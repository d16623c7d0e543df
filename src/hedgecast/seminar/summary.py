"""The room's summary with the fit at hand.

The pure parts come from :mod:`hedgecast.seminar.spread` (see it for the definitions); this module
adds the pooled prior's forecast (the logarithmic pool of the participants' priors,
:func:`hedgecast.stress.log_pool.log_pool_prior`) and which assumption drives the disagreement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hedgecast.seminar.answers import Answer
from hedgecast.seminar.spread import summarise_forecasts
from hedgecast.stress.log_pool import log_pool_prior
from hedgecast.stress.psis import K_THRESHOLD

__all__ = ["drivers", "room_summary", "summarise_forecasts"]  # summarise_forecasts: from spread, kept importable here

Room = Any  # the engine's Room, used by attribute only (the engine imports this module)


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def room_summary(room: Room, answers_by_participant: Mapping[str, Sequence[Answer]]) -> dict:
    """Everything :func:`summarise_forecasts` gives, plus the pooled prior's forecast and which assumption drives the disagreement."""
    answers = {k: room.validate(v) for k, v in answers_by_participant.items()}
    forecasts = {k: room.forecast(v) for k, v in answers.items()}
    out = summarise_forecasts(room.assumptions, room.questions, answers, forecasts)
    out["baseline"] = room.baseline.to_dict()
    # the pooled prior: the logarithmic pool of the participants' priors, assumption by assumption
    pooled_priors = {}
    per_participant = {k: room.priors(v) for k, v in answers.items()}
    for a in room.assumptions:
        ps = [pr[a.parameter] for pr in per_participant.values() if a.parameter in pr]
        if ps:
            lp = log_pool_prior(ps, np.full(len(ps), 1.0 / len(ps)))
            if lp is not None:
                pooled_priors[a.parameter] = lp
    pf = None
    if pooled_priors:
        w = room.weights(pooled_priors)
        if not w.pareto_k > K_THRESHOLD:
            mean = room.outcomes @ w.weights
            pf = {"probabilities": {qid: float(m) for (qid, _), m in zip(room.questions, mean, strict=True)}, "khat": _num(w.pareto_k)}
        else:
            pf = {"probabilities": {qid: None for qid, _ in room.questions}, "khat": _num(w.pareto_k), "pending": True}
    out["pooled_prior"] = pf
    out["drivers"] = drivers(room, answers, out["questions"])
    return out


def drivers(room: Room, answers: Mapping[str, Sequence[Answer]], questions: list[dict]) -> list[dict]:
    """Per question and assumption: the variance across participants of the forecast with only that answer applied, and its share."""
    one_at_a_time: dict[str, dict[str, np.ndarray]] = {}
    for a in room.assumptions:
        rows = {}
        for k, ans in answers.items():
            mine = [x for x in ans if x.assumption_id == a.id]  # none: the lens prior (the baseline's forecast)
            f = room.forecast(mine)  # cached by priors: a participant's answer is weighed once
            if not f.pending:
                rows[k] = np.array([f.probabilities[q] for q, _ in room.questions])
        one_at_a_time[a.id] = rows
    out = []
    for i, q in enumerate(questions):
        var = {}
        for a in room.assumptions:
            vals = np.array([v[i] for v in one_at_a_time[a.id].values()])
            var[a.id] = float(np.var(vals)) if vals.size >= 2 else 0.0
        tot = sum(var.values())
        between = q.get("between") or 0.0
        for a in room.assumptions:
            out.append(
                {
                    "question": q["id"],
                    "assumption": a.id,
                    "label": a.label,
                    "variance": var[a.id],
                    "share": var[a.id] / tot if tot > 0 else float("nan"),
                    "explained": var[a.id] / between if between > 0 else float("nan"),
                }
            )
    return out
