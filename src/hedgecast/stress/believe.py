"""What would you have to believe? The smallest change of one assumption that reaches a target.

For a target such as "P(rupture by 2030) ≥ 0.30 under protracted_war" and each
:class:`~hedgecast.stress.assumptions.Assumption`, the search walks from the lens's value towards
both ends of the assumption's plausible range (location ± 3 prior sd, scale × 1/4 … 4,
probabilities 0.01 … 0.99), finds the first value at which the target holds and refines
it by bisection. Every step is a PSIS reweighting of the fitted draws (or, for
forecast-only priors, a reweighting of the forecast's own draws, confirmed by re-running
the forecast exactly).

Where reweighting becomes unreliable (k̂ > 0.7) before the target is reached, the answer
is not taken from it: a warm refit at the candidate value (within the refit budget)
decides, and the bisection continues from whichever posterior — the base or the refit —
reweights reliably. Without budget, the row says so ("undetermined") instead of guessing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hedgecast.files import records
from hedgecast.stress.assumptions import Assumption, changes_for
from hedgecast.stress.progress import Progress, no_progress
from hedgecast.stress.psis import K_THRESHOLD
from hedgecast.stress.refits import RefitPool
from hedgecast.stress.reweight import Reweighter

__all__ = ["BelieveResult", "Target", "what_would_you_have_to_believe"]

GRID = 24
BISECTIONS = 5

ALREADY = "already holds"
REACHED = "reached"
NONE = "none in the plausible range"
UNDETERMINED = "undetermined (reweighting unreliable, refit budget spent)"


@dataclass(frozen=True)
class Target:
    """A statement about one headline probability under one scenario, e.g. ``P(rupture, 2030) >= 0.30``."""

    metric: str
    scenario: str
    op: str
    threshold: float

    def __post_init__(self):
        if self.op not in (">=", "<="):
            raise ValueError(f"a target's op must be '>=' or '<=', got {self.op!r}")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"a target's threshold is a probability in [0, 1], got {self.threshold}")

    def met(self, p: float) -> bool:
        return bool(p >= self.threshold) if self.op == ">=" else bool(p <= self.threshold)

    def __str__(self) -> str:
        sym = "≥" if self.op == ">=" else "≤"
        label = self.metric.replace(", ", " by ", 1) if self.metric.startswith("P(rupture") else self.metric
        return f"{label} {sym} {self.threshold:.2f} under {self.scenario}"

    def to_dict(self) -> dict:
        return {"metric": self.metric, "scenario": self.scenario, "op": self.op, "threshold": self.threshold, "text": str(self)}


@dataclass
class _Point:
    coord: float
    p: float
    se: float
    k: float
    method: str
    reliable: bool
    proposal: Reweighter | None = None


@dataclass
class BelieveResult:
    """For one target, per assumption: the smallest shift that reaches it, or why there is none."""

    target: Target
    base: float
    base_se: float
    table: pd.DataFrame
    refits: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    within_noise: bool = False  # the lens is already within 2 Monte Carlo SE of the threshold

    def reached(self) -> pd.DataFrame:
        """Rows that reach the target, the smallest shift (in prior sd or doublings) first."""
        t = self.table[self.table["verdict"] == REACHED].copy()
        return t.reindex(t["shift"].abs().sort_values().index)

    def to_dict(self) -> dict:
        return {
            "target": self.target.to_dict(),
            "base": self.base,
            "base_mcse": self.base_se,
            "within_noise": self.within_noise,
            "table": records(self.table),
            "refits": self.refits,
            "seconds": self.seconds,
        }


class _Search:
    """The search for one assumption and one target."""

    def __init__(self, rw: Reweighter, a: Assumption, target: Target, refits: RefitPool | None):
        self.rw, self.a, self.target, self.refits = rw, a, target, refits
        self.qi = rw.quantities.index(target.metric)
        self.si = rw.scenarios.index(target.scenario)
        self.proposals: list[Reweighter] = [rw]

    def changes(self, coord: float) -> dict:
        return changes_for(self.rw.lens, {self.a: self.a.value(coord)})

    def changes_from(self, prop: Reweighter, coord: float) -> dict:
        """Return what to change in ``prop``'s lens to reach the base lens with the assumption at ``coord``."""
        ch = self.changes(coord)
        for k, lp in prop.lens.priors.items():
            if k not in ch and lp.prior != self.rw.lens.priors[k].prior:
                ch[k] = self.rw.lens.priors[k].prior
        return ch

    def fast(self, coord: float) -> _Point:
        """Reweighted from the best available posterior (the lowest k̂), forecast-only priors too."""
        best = None
        for prop in self.proposals:
            vals, k = prop.values(self.changes_from(prop, coord), [self.qi])
            pt = _Point(
                coord,
                float(vals[0, self.si]),
                float("nan"),
                k,
                "reweight" if prop is self.rw else "reweight from refit",
                not k > K_THRESHOLD,
                prop,
            )
            if best is None or (pt.reliable and not best.reliable) or (pt.reliable == best.reliable and _k(pt.k) < _k(best.k)):
                best = pt
        assert best is not None
        return best

    def exact(self, coord: float) -> _Point:
        """As :meth:`fast` for fitted priors; a re-run forecast (exact) for forecast-only ones. With its MC SE."""
        if self.a.is_forecast_only:
            ev = self.rw.evaluate(self.changes(coord), forecast_priors="rerun", scenarios=[self.target.scenario])
            return _Point(
                coord,
                ev.value(self.target.metric, self.target.scenario),
                ev.se(self.target.metric, self.target.scenario),
                ev.pareto_k,
                "forecast",
                True,
            )
        pt = self.fast(coord)
        assert pt.proposal is not None
        pt.se = pt.proposal.evaluate(self.changes_from(pt.proposal, coord)).se(self.target.metric, self.target.scenario)
        return pt

    def refit(self, coord: float) -> _Point | None:
        if self.refits is None:
            return None
        rw = self.refits.refit(self.changes(coord), why=f"what would you have to believe: {self.target}")
        if rw is None:
            return None
        if rw not in self.proposals:
            self.proposals.append(rw)
        ev = rw.base()
        return _Point(
            coord,
            ev.value(self.target.metric, self.target.scenario),
            ev.se(self.target.metric, self.target.scenario),
            float("nan"),
            "refit",
            True,
        )

    def bisect(self, fail: float, meet: _Point, exact: bool) -> _Point:
        """Narrow (fail, meet] down; stops early where no posterior reweights reliably."""
        for _ in range(BISECTIONS):
            mid = 0.5 * (fail + meet.coord)
            pt = self.exact(mid) if exact else self.fast(mid)
            if not pt.reliable:
                break
            if self.target.met(pt.p):
                meet = pt
            else:
                fail = mid
        return meet

    def direction(self, end: float) -> tuple[str, _Point | None, str]:
        """Search from the base towards ``end``: (verdict, point, note)."""
        c0 = self.a.coordinate(self.a.base)
        grid = [c0 + (end - c0) * i / GRID for i in range(1, GRID + 1)]
        last_fail = c0
        unreliable_from = None
        candidate = None
        for c in grid:
            pt = self.fast(c)
            if pt.reliable and unreliable_from is None:
                if self.target.met(pt.p):
                    if self.a.is_forecast_only:
                        return self._confirm_forecast(last_fail, c, end)
                    return REACHED, self.bisect(last_fail, pt, exact=False), ""
                last_fail = c
            else:
                unreliable_from = c if unreliable_from is None else unreliable_from
                if self.target.met(pt.p):
                    candidate = c
                    break
        if self.a.is_forecast_only:
            return self._confirm_forecast(last_fail, None, end)
        if unreliable_from is None:
            return NONE, None, ""
        if candidate is None and last_fail != c0:
            p0, p_last = self.fast(c0).p, self.fast(last_fail).p
            if abs(p_last - self.target.threshold) > abs(p0 - self.target.threshold):
                shift = self.a.shift_text(self.a.value(last_fail))
                return (
                    NONE,
                    None,
                    f"moves away from the target (to {p_last:.3f} at {shift}, where k̂ is still ≤ {K_THRESHOLD}); taken as monotone",
                )
        # reweighting is unreliable from `unreliable_from` on: a refit decides
        probe = candidate if candidate is not None else end
        pt = self.refit(probe)
        if pt is None:
            shift = self.a.shift_text(self.a.value(last_fail))
            return UNDETERMINED, None, f"not reached up to {shift}; beyond, k̂ > {K_THRESHOLD}"
        if self.target.met(pt.p):
            return REACHED, self.bisect(last_fail, pt, exact=False), "confirmed by a warm refit"
        if probe != end:
            pt_end = self.refit(end)
            if pt_end is None:
                return (
                    UNDETERMINED,
                    None,
                    f"a refit at {self.a.shift_text(self.a.value(probe))} gives "
                    f"{pt.p:.3f}: not reached; the rest of the range needs a refit",
                )
            if self.target.met(pt_end.p):
                return REACHED, self.bisect(probe, pt_end, exact=False), "confirmed by a warm refit"
            return NONE, None, f"a refit at the end of the range gives {pt_end.p:.3f}"
        return NONE, None, f"a refit at the end of the range gives {pt.p:.3f}"

    def _confirm_forecast(self, last_fail: float, candidate: float | None, end: float) -> tuple[str, _Point | None, str]:
        """Forecast-only priors: the reweighted scan proposes, an exact re-run decides."""
        probe = candidate if candidate is not None else end
        pt = self.exact(probe)
        if not self.target.met(pt.p):
            if candidate is not None and candidate != end:
                pt_end = self.exact(end)
                if self.target.met(pt_end.p):
                    return REACHED, self.bisect(candidate, pt_end, exact=True), "forecast re-run"
            return NONE, None, "checked by re-running the forecast at the end of the range" if candidate is None else "forecast re-run"
        return REACHED, self.bisect(last_fail, pt, exact=True), "forecast re-run"


def _k(k: float) -> float:
    return -np.inf if not np.isfinite(k) else k


def what_would_you_have_to_believe(
    rw: Reweighter,
    target: Target,
    assumptions: Sequence[Assumption],
    *,
    refits: RefitPool | None = None,
    progress: Progress = no_progress,
) -> BelieveResult:
    """For each assumption, the smallest move within its plausible range that makes ``target`` hold.

    Both directions are searched; the row reports the smaller move (in prior standard
    deviations, or doublings of the prior sd for a scale), the probability reached there,
    its Monte Carlo SE, the k̂ of the reweighting and how it was computed — or that no
    value in the plausible range reaches the target, or that it cannot be decided without
    more refits. Assumptions are searched in the given order, which is also the order in
    which the refit budget is spent: put the most influential first.
    """
    t0 = time.perf_counter()
    if target.scenario not in rw.scenarios:
        raise ValueError(f"scenario '{target.scenario}' is not in the forecast being stress-tested ({', '.join(rw.scenarios)})")
    if target.metric not in rw.quantities:
        raise ValueError(f"unknown headline '{target.metric}': one of {', '.join(rw.quantities)}")
    base = rw.base()
    p0, se0 = base.value(target.metric, target.scenario), base.se(target.metric, target.scenario)
    close = abs(p0 - target.threshold) < 2 * se0
    rows = []
    for i, a in enumerate(assumptions):
        progress(f"What would you have to believe: {a.name}", i, len(assumptions))
        row = {
            "assumption": a.name,
            "prior": a.prior,
            "knob": a.knob,
            "base_value": a.base,
            "plausible": f"{a.plausible[0]:.3g} … {a.plausible[1]:.3g}",
        }
        if target.met(p0):
            rows.append(
                {
                    **row,
                    "verdict": ALREADY,
                    "required_value": a.base,
                    "shift": 0.0,
                    "shift_text": "none",
                    "probability": p0,
                    "mcse": se0,
                    "pareto_k": float("nan"),
                    "method": "base",
                    "note": "",
                }
            )
            continue
        search = _Search(rw, a, target, None if close else refits)  # no refits for a target within the noise
        found: list[tuple[float, _Point, str]] = []
        notes = []
        verdicts = []
        ends = [a.coordinate(a.plausible[0]), a.coordinate(a.plausible[1])]
        c0 = a.coordinate(a.base)
        step = [search.fast(c0 + (e - c0) / GRID).p for e in ends]
        if abs(step[1] - target.threshold) < abs(step[0] - target.threshold):
            ends.reverse()  # the direction that moves towards the target first: it gets the refits
        for end in ends:
            verdict, pt, note = search.direction(end)
            verdicts.append(verdict)
            if note:
                notes.append(f"{'down' if end < a.coordinate(a.base) else 'up'}: {note}")
            if verdict == REACHED and pt is not None:
                if math.isnan(pt.se):
                    pt = search.exact(pt.coord) if pt.method != "refit" else pt
                found.append((abs(a.shift(a.value(pt.coord))), pt, note))
        if found:
            _, pt, note = min(found, key=lambda f: f[0])
            v = a.value(pt.coord)
            rows.append(
                {
                    **row,
                    "verdict": REACHED,
                    "required_value": v,
                    "shift": a.shift(v),
                    "shift_text": a.shift_text(v),
                    "probability": pt.p,
                    "mcse": pt.se,
                    "pareto_k": pt.k,
                    "method": pt.method,
                    "note": "; ".join(notes),
                }
            )
        else:
            verdict = UNDETERMINED if UNDETERMINED in verdicts else NONE
            rows.append(
                {
                    **row,
                    "verdict": verdict,
                    "required_value": float("nan"),
                    "shift": float("nan"),
                    "shift_text": "",
                    "probability": float("nan"),
                    "mcse": float("nan"),
                    "pareto_k": float("nan"),
                    "method": "",
                    "note": "; ".join(notes),
                }
            )
    progress("What would you have to believe", len(assumptions), len(assumptions))
    table = pd.DataFrame(rows)
    order = {REACHED: 0, ALREADY: 1, UNDETERMINED: 2, NONE: 3}
    table = (
        table.assign(_o=table["verdict"].map(order), _s=table["shift"].abs())
        .sort_values(["_o", "_s"], kind="stable")
        .drop(columns=["_o", "_s"])
        .reset_index(drop=True)
    )
    return BelieveResult(target, p0, se0, table, list(refits.records) if refits else [], time.perf_counter() - t0, close)
