"""Signposts: which near-term news should change a question's probability, and by how much.

Computed from the joint forecast draws by conditioning, with no refit: every simulated path
carries both the near-term observables (the years of ``[signposts] years`` in
``models/questions.toml``, 2026–2027) and the question's outcome, so P(YES | observable below a
threshold) is the share of YES among the paths where it is.

Candidate observables, per signpost year:

* each indicator that is still observed (not under ``[ended]``), in its own units; counts
  (``transform = "log1p"``) rounded to whole numbers (halves up), as a watcher sees them;
* each continuous driver's coding;
* the Ukraine war's state (one split per state: in it, or not);
* a rupture event (the forecast's ``crisis``) in the year, and a serious incident (at least one;
  the forecast's ``incidents``, when the incidents model provides it — else that candidate is
  absent and :func:`watch_notes` says so).

Thresholds of a numeric observable are its quantiles (``[signposts] quantiles``) over the paths,
rounded to three significant figures (counts: up to a whole number) — the shown threshold is
the one used. Each split (below / at or above, or in / not in a state) is scored by the
**expected absolute change in probability** E|ΔP| = s·|P(YES | A) − P| + (1 − s)·|P(YES | not A) − P|
(s the share of paths in A), i.e. how far, on average, learning which side the world is on moves
the forecast. (Mutual information would rank almost alike; E|ΔP| is in the units a reader
uses.) Per observable the best threshold is kept, and observables are ranked by it — **leading**
signposts first: those of years before the question's window. A signpost of a year inside the
window is **concurrent**: it can be an effect of the outcome itself (a 2027 rupture cuts 2027
trade), so it is listed after the leading ones and flagged.

A split is skipped when either side holds fewer than ``[signposts] min_paths`` paths (200 by
default), and when it is the question's own observable in a year of its window and one side
settles the question by itself (P = 0 or 1 there: part of the outcome, not a signpost of it).
Each conditional comes with its Monte Carlo standard error sqrt(p(1 − p)/n_A), n_A the paths
behind it (independent-draws basis).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hedgecast.dims import SAMPLE_DIMS
from hedgecast.forecasting.questions import RECORD_SCENARIO, outcomes, rounded
from hedgecast.inputs.questions_file import Question, QuestionSet, SignpostSettings

__all__ = ["Candidate", "Signpost", "candidates", "signposts", "watch_notes", "watch_table"]


@dataclass(frozen=True)
class Candidate:
    """A near-term observable on every path: numeric (split at thresholds) or a yes/no event."""

    key: str  # e.g. "trade_usd_bn[2026]"
    label: str  # e.g. "Bilateral trade (USD bn) in 2026"
    kind: str  # "indicator", "driver", "war", "rupture", "incident"
    name: str  # the indicator / driver / war state / event
    year: int
    values: np.ndarray  # (n,) float, or bool for events and war states
    thresholds: tuple[float, ...] = ()  # empty for yes/no


@dataclass(frozen=True)
class Signpost:
    """One split of the paths and what it does to a question's probability."""

    question: str
    key: str
    label: str
    condition: str  # the side A, in words
    otherwise: str  # not A, in words
    threshold: float | None
    share: float  # of paths in A
    n_if: int
    p_if: float
    se_if: float
    n_else: int
    p_else: float
    se_else: float
    p: float
    expected_change: float
    leading: bool = True  # the observable's year is before the question's window

    @property
    def timing(self) -> str:
        """``"leading"`` (a year before the question's window) or ``"concurrent"`` (a year inside it)."""
        return "leading" if self.leading else "concurrent"

    def sentence(self) -> str:
        """Say it in words: 'if <A> (s% of paths), P goes from p% to p_A% (± se); otherwise p_else%'."""
        return (
            f"if {self.condition} ({100 * self.share:.0f}% of paths), P goes from {100 * self.p:.1f}% to {100 * self.p_if:.1f}% "
            f"(± {100 * self.se_if:.1f}); otherwise {100 * self.p_else:.1f}%"
        )


def _nice(x: float) -> float:
    return float(f"{x:.3g}")


def candidates(forecast, scenario: str, settings: SignpostSettings, ended: Iterable[str] = ()) -> list[Candidate]:
    """Every candidate observable of the signpost years under ``scenario`` (paths flattened over chain × draw)."""
    spec, data = forecast.spec, forecast.data.sel(scenario=scenario)
    years = [y for y in settings.years if y in data["year"].values]
    flat = lambda da: da.stack(path=SAMPLE_DIMS).transpose("path", ...).values  # noqa: E731
    out: list[Candidate] = []
    for name in spec.indicator_names:
        if name in set(ended):
            continue
        counts = spec.indicators[name].transform == "log1p"
        label = spec.indicators[name].label or name
        for y in years:
            v = flat(data["indicator_value"].sel(indicator=name, year=y)).astype(float)
            if counts:
                v = rounded(v, "round")
            q = np.quantile(v, settings.quantiles)
            thr = np.ceil(q) if counts else np.array([_nice(x) for x in q])
            out.append(Candidate(f"{name}[{y}]", f"{label} in {y}", "indicator", name, y, v, tuple(sorted(set(float(t) for t in thr)))))
    for name in spec.continuous_drivers:
        label = spec.drivers[name].label or name
        for y in years:
            v = flat(data["driver_value"].sel(driver=name, year=y)).astype(float)
            thr = sorted({_nice(x) for x in np.quantile(v, settings.quantiles)})
            out.append(Candidate(f"{name}[{y}]", f"{label} (coding) in {y}", "driver", name, y, v, tuple(thr)))
    states = list(data.attrs.get("war_states", spec.war_states))
    for y in years:
        w = flat(data["war"].sel(year=y)).astype(int)
        for i, state in enumerate(states):
            out.append(Candidate(f"war[{y}]={state}", f"Ukraine war state in {y}", "war", state, y, w == i))
        out.append(Candidate(f"rupture[{y}]", f"A rupture event in {y}", "rupture", "rupture", y, flat(data["crisis"].sel(year=y)) > 0))
        if "incidents" in data:
            out.append(
                Candidate(
                    f"incident[{y}]", f"A serious incident in {y}", "incident", "incident", y, flat(data["incidents"].sel(year=y)) > 0
                )
            )
    return out


def _own(question: Question, c: Candidate) -> bool:
    """Tell whether ``c`` is the question's own observable in a year of its window."""
    same = (c.kind == "indicator" and question.kind == "indicator" and c.name == question.observable) or (
        question.kind == "event" and c.kind == question.observable
    )
    return same and c.year in question.window


def _se(p: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(p * (1 - p) / n)


def _split_text(c: Candidate, t: float | None) -> tuple[str, str]:
    if c.kind in ("indicator", "driver"):
        shown = f"{t:g}"
        return f"{c.label} < {shown}", f"{c.label} ≥ {shown}"
    if c.kind == "war":
        return f"{c.label} is {c.name}", f"{c.label} is not {c.name}"
    if c.kind == "rupture":
        return f"a rupture event in {c.year}", f"no rupture event in {c.year}"
    return f"a serious incident in {c.year}", f"no serious incident in {c.year}"


def signposts(
    question: Question, forecast, scenario: str, settings: SignpostSettings, ended: Iterable[str] = (), pool: list[Candidate] | None = None
) -> list[Signpost]:
    """The best split of each candidate observable for ``question``: leading ones first, each group by expected absolute change."""
    hit = outcomes(question, forecast.data)
    if hit is None:
        return []
    o = hit.sel(scenario=scenario).stack(path=SAMPLE_DIMS).values.astype(bool)
    n, p = len(o), float(o.mean())
    pool = candidates(forecast, scenario, settings, ended) if pool is None else pool
    last = question.window[-1]
    best: list[Signpost] = []
    for c in pool:
        if c.year > last:  # news after the question's window cannot signpost it
            continue
        if c.thresholds:
            masks = c.values[:, None] < np.asarray(c.thresholds)[None, :]
            ts: list[float | None] = list(c.thresholds)
        else:
            masks, ts = np.asarray(c.values, dtype=bool)[:, None], [None]
        n_if = masks.sum(axis=0)
        n_else = n - n_if
        k_if = (masks & o[:, None]).sum(axis=0)
        k_else = int(o.sum()) - k_if
        with np.errstate(invalid="ignore", divide="ignore"):
            p_if, p_else = k_if / n_if, k_else / n_else
        share = n_if / n
        change = share * np.abs(p_if - p) + (1 - share) * np.abs(p_else - p)
        ok = (n_if >= settings.min_paths) & (n_else >= settings.min_paths)
        if _own(question, c):
            ok &= (p_if > 0) & (p_if < 1) & (p_else > 0) & (p_else < 1)
        if not ok.any():
            continue
        j = int(np.argmax(np.where(ok, change, -np.inf)))
        cond, other = _split_text(c, ts[j])
        best.append(
            Signpost(
                question.id, c.key, c.label, cond, other, ts[j], float(share[j]), int(n_if[j]), float(p_if[j]),
                float(_se(p_if[j], n_if[j])), int(n_else[j]), float(p_else[j]), float(_se(p_else[j], n_else[j])), p, float(change[j]),
                c.year < question.window[0],
            )
        )  # fmt: skip
    return sorted(best, key=lambda s: (not s.leading, -s.expected_change))


def watch_table(qset: QuestionSet, forecast, scenario: str = RECORD_SCENARIO, questions: Iterable[str] | None = None) -> pd.DataFrame:
    """The "what to watch" table: the top ``[signposts] top`` signposts of each headline question (or of ``questions``)."""
    chosen = [qset[q] for q in questions] if questions is not None else list(qset.headline)
    pool = candidates(forecast, scenario, qset.signposts, qset.ended)
    rows = []
    for q in chosen:
        for rank, s in enumerate(signposts(q, forecast, scenario, qset.signposts, qset.ended, pool)[: qset.signposts.top], start=1):
            rows.append({
                "question": q.id, "rank": rank, "observable": s.key, "condition": s.condition, "share": s.share, "n_if": s.n_if,
                "p": s.p, "p_if": s.p_if, "se_if": s.se_if, "otherwise": s.otherwise, "p_else": s.p_else, "se_else": s.se_else,
                "expected_change": s.expected_change, "timing": s.timing, "threshold": s.threshold, "scenario": scenario,
                "sentence": s.sentence(),
            })  # fmt: skip
    columns = [
        "question",
        "rank",
        "observable",
        "condition",
        "share",
        "n_if",
        "p",
        "p_if",
        "se_if",
        "otherwise",
        "p_else",
        "se_else",
        "expected_change",
        "timing",
        "threshold",
        "scenario",
        "sentence",
    ]
    return pd.DataFrame(rows, columns=columns)


def watch_notes(qset: QuestionSet, forecast, incidents: pd.DataFrame | None = None) -> list[str]:
    """Plain notes beside the table: how signposts are chosen, what is missing, what is already known."""
    s = qset.signposts
    notes = [
        f"Signposts are splits of the {', '.join(str(y) for y in s.years)} values of each observable, at the "
        f"{', '.join(f'{100 * q:g}%' for q in s.quantiles)} quantiles over the paths (counts rounded to whole numbers), ranked by "
        f"the expected absolute change in probability; a split with fewer than {s.min_paths} paths on either side is not shown.",
        "Leading signposts (a year before the question's window) come first. Concurrent ones (a year inside the window) follow: "
        "they can be effects of the outcome itself — a rupture cuts that year's trade — rather than warnings of it.",
    ]
    if qset.ended:
        notes.append("Not signposts (no longer observed): " + "; ".join(f"{k} ({v})" for k, v in qset.ended.items()) + ".")
    if "incidents" not in forecast.data:
        notes.append(
            "This forecast has no 'incidents' variable (it comes with the incidents model): incident questions are not forecast "
            "and 'a serious incident' is not a candidate signpost; rupture events are (the forecast's crisis variable)."
        )
    if incidents is not None:
        for y in s.years:
            seen = incidents[incidents["year"] == y]
            if len(seen):
                main = seen[seen["inclusion"].isin(["strict", "main"])]
                esc = int(seen["escalated"].astype(bool).sum())
                notes.append(
                    f"Already in data/curated/incidents.csv for {y}: {len(main)} main-rule incident(s) ({', '.join(main['incident_id'])}), "
                    f"{esc} escalated — the {y} incident and rupture signposts can be read against the record so far."
                )
    return notes
