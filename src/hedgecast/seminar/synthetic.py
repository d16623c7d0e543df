"""A SYNTHETIC seminar, for demonstrations, notebook 05 and tests: made-up participants, labelled as such.

Nothing here is anyone's belief. Each synthetic participant's most-likely value is the lens prior's
location moved by a random number of prior standard deviations (``spread``), and their 90% range
is a random fraction of the lens's own; in round 2, those outside the round-1 interquartile range
move halfway toward the room's median (a Delphi round), the others stay. Every justification
says "synthetic".
"""

from __future__ import annotations

import numpy as np

from hedgecast.priors import families
from hedgecast.seminar.answers import MASS, Answer
from hedgecast.seminar.results import SeminarResults
from hedgecast.seminar.spread import answer_spread
from hedgecast.seminar.wording import from_model_scale, to_model_scale

__all__ = ["synthetic_answers", "synthetic_seminar"]

SYNTHETIC_NOTE = (
    "SYNTHETIC example: the participants and their answers are generated at random around the lens's priors "
    "(hedgecast.seminar.synthetic); they illustrate the analysis and are nobody's belief."
)


def synthetic_answers(room, rng: np.random.Generator, *, spread: float = 0.6, who: str = "") -> list:
    """Make one synthetic participant's answers to every assumption of ``room`` (see the module docstring)."""
    from scipy import stats

    z = stats.norm.ppf(0.5 + MASS / 2)
    out = []
    for a in room.assumptions:
        prior = room.fit.lens.priors[a.parameter].prior
        dist = families.to_scipy(prior)
        centre = to_model_scale(a.baseline["most_likely"], a.transform)
        sd = float(dist.std())
        ml = centre + rng.normal(0.0, spread) * sd
        half = z * sd * rng.uniform(0.45, 1.0)
        lo, hi = (from_model_scale(x, a.transform) for x in (ml - half, ml + half))
        mid = from_model_scale(ml, a.transform)
        why = f"synthetic participant {who}: generated at random"
        out.append(Answer(a.id, float(f"{mid:.4g}"), float(f"{lo:.4g}"), float(f"{hi:.4g}"), why))
    return out


def synthetic_seminar(room, n: int = 8, *, seed: int = 2026, rounds: int = 2, spread: float = 0.6) -> SeminarResults:
    """Make a SYNTHETIC seminar of ``n`` made-up participants on ``room`` over ``rounds`` rounds (1 or 2)."""
    rng = np.random.default_rng(seed)
    res = SeminarResults.from_room(room, "SYNTHETIC example seminar", synthetic=True, note=SYNTHETIC_NOTE)
    first = {}
    for i in range(n):
        key = f"s{i + 1:02d}"
        first[key] = synthetic_answers(room, rng, spread=spread, who=key)
        res.submit(room, key, first[key], round=1, time=f"2026-01-01T10:{i:02d}:00+00:00")
    if rounds >= 2:
        for a in room.assumptions:
            stats = answer_spread({k: next(x.most_likely for x in v if x.assumption_id == a.id) for k, v in first.items()})
            for k in stats["outside"]:
                old = next(x for x in first[k] if x.assumption_id == a.id)
                ml = (old.most_likely + stats["median"]) / 2
                lo, hi = min(old.low, ml), max(old.high, ml)
                moved = Answer(a.id, ml, lo, hi, f"synthetic participant {k}: moved halfway toward the room's median after round 1")
                first[k] = [moved if x.assumption_id == a.id else x for x in first[k]]
        for i, (key, ans) in enumerate(first.items()):
            res.submit(room, key, ans, round=2, time=f"2026-01-01T11:{i:02d}:00+00:00")
    return res
