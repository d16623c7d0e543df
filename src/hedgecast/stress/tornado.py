"""One assumption at a time: outcome sensitivity of the headline probabilities, and the tornado chart.

Each :class:`~hedgecast.stress.assumptions.Assumption` is moved across its tornado range
(PSIS reweighting; ends with k̂ > 0.7 refitted warm within a budget, else marked and not
reported); :meth:`OutcomeSensitivity.tornado` ranks the assumptions for one probability.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hedgecast.files import records
from hedgecast.stress.assumptions import Assumption, changes_for, evaluate
from hedgecast.stress.progress import Progress, no_progress
from hedgecast.stress.psis import K_THRESHOLD
from hedgecast.stress.refits import RefitPool
from hedgecast.stress.reweight import Evaluation, Reweighter

__all__ = ["OutcomeSensitivity", "outcome_sensitivity"]


@dataclass
class OutcomeSensitivity:
    """Headline probabilities with each assumption moved across its tornado range, one at a time."""

    points: pd.DataFrame  # one row per assumption × value × scenario × metric
    base: pd.DataFrame  # scenario × metric: base probability and MC SE
    assumptions: list[Assumption]
    refits: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def tornado(self, scenario: str, metric: str) -> pd.DataFrame:
        """One row per assumption: the probability at both ends, whether each end is reliable, the swing.

        An end whose reweighting had k̂ > 0.7 and was not refitted is not reported (NaN);
        ``swing`` is then the range spanned by what is known (base and reliable ends),
        and ``complete`` is False.
        """
        base = float(self.base.query("scenario == @scenario and metric == @metric")["probability"].iloc[0])
        rows = []
        pts = self.points.query("scenario == @scenario and metric == @metric and position in ['low', 'high']")
        for a in self.assumptions:
            sub = pts[pts["assumption"] == a.name]
            row = {"assumption": a.name, "prior": a.prior, "knob": a.knob, "base": base}
            known = [base]
            for end in ("low", "high"):
                r = sub[sub["position"] == end]
                if r.empty:
                    continue
                r = r.iloc[0]
                p = r["probability"] if r["reliable"] else np.nan
                row.update(
                    {
                        f"{end}_value": r["value"],
                        f"{end}_shift": r["shift"],
                        f"p_{end}": p,
                        f"k_{end}": r["pareto_k"],
                        f"method_{end}": r["method"],
                        f"reliable_{end}": bool(r["reliable"]),
                        f"mcse_{end}": r["mcse"],
                    }
                )
                if r["reliable"]:
                    known.append(p)
            row["swing"] = max(known) - min(known)
            row["complete"] = bool(row.get("reliable_low", False) and row.get("reliable_high", False))
            rows.append(row)
        return pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)

    def top(self, scenario: str, metric: str, k: int = 3) -> list[str]:
        return list(self.tornado(scenario, metric)["assumption"].head(k))

    def to_dict(self) -> dict:
        return {
            "points": records(self.points),
            "base": records(self.base),
            "refits": self.refits,
            "seconds": self.seconds,
        }


def _positions(a: Assumption, n_points: int) -> list[tuple[str, float]]:
    lo, hi = (a.coordinate(v) for v in a.tornado)
    base = a.coordinate(a.base)
    out = [("low", a.value(lo)), ("high", a.value(hi))]
    for i in range(1, (n_points - 3) // 2 + 1):
        f = i / ((n_points - 3) // 2 + 1)
        out.append((f"low_{i}", a.value(base + f * (lo - base))))
        out.append((f"high_{i}", a.value(base + f * (hi - base))))
    return out


def outcome_sensitivity(
    rw: Reweighter,
    assumptions: Sequence[Assumption],
    *,
    metrics: Sequence[str],
    n_points: int = 3,
    refits: RefitPool | None = None,
    progress: Progress = no_progress,
) -> OutcomeSensitivity:
    """Move each assumption across its tornado range (``n_points`` values incl. the base).

    Every value is a reweighting (forecast-only priors: of the forecast's own draws of
    them, scenario by scenario), re-run exactly for forecast-only priors when k̂ > 0.7. Ends
    whose k̂ exceeds 0.7 are refitted while ``refits`` has budget, the most promising
    first (the largest unreliable move of the first metric in the first scenario); the
    rest are kept but marked unreliable, and never reported as numbers.
    """
    t0 = time.perf_counter()
    base = rw.base()
    scen = rw.scenarios
    base_rows = [{"scenario": s, "metric": m, "probability": base.value(m, s), "mcse": base.se(m, s)} for s in scen for m in metrics]
    rows: list[dict] = []
    evals: list[tuple[Assumption, str, float, Evaluation]] = []
    total = len(assumptions)
    for i, a in enumerate(assumptions):
        progress(f"Outcome sensitivity: {a.name}", i, total)
        for pos, v in _positions(a, n_points):
            ev = evaluate(rw, {a: v}, forecast_priors="reweight")
            if a.is_forecast_only and not ev.reliable:
                ev = evaluate(rw, {a: v}, forecast_priors="rerun")  # exact, and cheap enough for a few points
            evals.append((a, pos, v, ev))
    progress("Outcome sensitivity: refitting unreliable ends", total, total)
    if refits is not None and refits.left > 0:
        m0, s0 = metrics[0], scen[0]
        bad = [(i, e) for i, e in enumerate(evals) if not e[3].reliable and e[1] in ("low", "high")]
        bad.sort(key=lambda ie: -abs(ie[1][3].value(m0, s0) - base.value(m0, s0)))
        for i, (a, pos, v, _ev) in bad:
            new = refits.evaluate(changes_for(rw.lens, {a: v}), why=f"tornado: {a.name} at the {pos} end (k̂ > {K_THRESHOLD})")
            if new is None:
                break
            evals[i] = (a, pos, v, new)
    for a, pos, v, ev in evals:
        for s in scen:
            for m in metrics:
                rows.append(
                    {
                        "assumption": a.name,
                        "prior": a.prior,
                        "knob": a.knob,
                        "position": pos,
                        "value": v,
                        "shift": a.shift(v),
                        "scenario": s,
                        "metric": m,
                        "probability": ev.value(m, s),
                        "mcse": ev.se(m, s),
                        "pareto_k": ev.pareto_k,
                        "ess": ev.ess,
                        "method": ev.method,
                        "reliable": ev.reliable,
                    }
                )
    return OutcomeSensitivity(
        pd.DataFrame(rows), pd.DataFrame(base_rows), list(assumptions), list(refits.records) if refits else [], time.perf_counter() - t0
    )
