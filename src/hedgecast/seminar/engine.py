"""The seminar room's engine: answers → priors → the headline questions' forecast, live.

A :class:`Room` is built once from a fit (:meth:`Room.from_fit`): it picks the assumptions to put
to the room (the lens priors a stress test finds most influential, among those with plain-language
wording and an elicitable family), forecasts the status quo once, and decides every headline
question of ``models/questions.toml`` on every simulated path (:func:`hedgecast.forecasting.questions.outcomes`,
the one definition of a question). A participant's answers then become priors
(:func:`hedgecast.seminar.answers.answer_prior`) and their forecast is the PSIS-reweighted share of
paths on which each question resolves YES (:mod:`hedgecast.stress.psis`; milliseconds). When k̂ >
0.7 the draws do not cover the participant's posterior: :meth:`Room.forecast` says ``method =
"refit"`` and, until :meth:`Room.refit_forecast` has run for those priors (a warm refit,
:func:`hedgecast.stress.refits.refit_lens`; identical priors are fitted once), ``pending = True``
with NaN probabilities.

    >>> room = Room.from_fit(fit)                                                  # doctest: +SKIP
    >>> a = room.assumptions[0]; a.question, a.units, a.baseline                   # doctest: +SKIP
    >>> room.forecast([Answer(a.id, 0.5, 0.2, 0.9, "because …")]).probabilities   # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from pymc_extras.prior import Prior

from hedgecast.forecasting.question_sheet import project_questions
from hedgecast.forecasting.questions import RECORD_SCENARIO, estimate, outcomes
from hedgecast.priors import families
from hedgecast.priors.groups import STRESS_GROUPS
from hedgecast.seminar.answers import ELICITED_FAMILIES, MASS, Answer, SeminarInputError, answer_prior, check_answer
from hedgecast.seminar.records import Assumption, ParticipantForecast
from hedgecast.seminar.summary import room_summary
from hedgecast.seminar.wording import from_model_scale, wording
from hedgecast.stress.assumptions import default_assumptions
from hedgecast.stress.changes import edited_lens
from hedgecast.stress.psis import K_THRESHOLD, Weights, weighted_mean_se
from hedgecast.stress.refits import RefitPool, refit_lens
from hedgecast.stress.reweight import Reweighter

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.forecasting.forecast import Forecast
    from hedgecast.priors.lenses import Lens
    from hedgecast.workbench import Fit

__all__ = ["Assumption", "ParticipantForecast", "Room", "baseline_summary"]

SEMINAR_REASON = "seminar participant's answer"
ROOM_GROUPS = (*STRESS_GROUPS, "rho", "sigma")
"""Prior groups a room may be asked about: the stress-tested effects and the crisis model, each channel's persistence and shock size."""
CACHE_SIZE = 4096
"""Reweighted forecasts a room keeps, by priors (a few kB each)."""


def baseline_summary(prior: Prior, transform: str) -> dict:
    """Summarise the lens prior on the room's scale: most likely (its location, or median) and its central 90% range."""
    dist = families.to_scipy(prior)
    fam = families.family(prior.distribution)
    centre = (
        float(prior.parameters[fam.location])
        if fam.location is not None and prior.distribution in ("Normal", "StudentT")
        else float(dist.median())
    )
    tail = (1 - MASS) / 2
    return {
        "most_likely": from_model_scale(centre, transform),
        "low": from_model_scale(float(dist.ppf(tail)), transform),
        "high": from_model_scale(float(dist.ppf(1 - tail)), transform),
    }


def candidate_assumptions(lens: Lens) -> list[Assumption]:
    """List every lens prior a room can be asked about: in :data:`ROOM_GROUPS`, with wording, of an elicitable family."""
    out = []
    for name, lp in lens.priors.items():
        if name.split(".")[0] not in ROOM_GROUPS or lp.prior.distribution not in ELICITED_FAMILIES:
            continue
        w = wording(lens.spec, name)
        if w is None:
            continue
        base = baseline_summary(lp.prior, w.transform)
        out.append(Assumption(name, name, w.label, w.question, w.units, w.meaning, lp.prior.distribution, base, w.transform))
    return out


def _chosen(candidates: Mapping[str, Assumption], assumption_ids: list[str]) -> list[Assumption]:
    unknown = [a for a in assumption_ids if a not in candidates]
    if unknown:
        raise SeminarInputError(
            "assumptions", f"cannot be put to a room: {', '.join(unknown)} (choose from {', '.join(sorted(candidates))})"
        )
    return [candidates[a] for a in dict.fromkeys(assumption_ids)]


@dataclass
class Room:
    """A seminar room on one fit: the assumptions put to it, the questions it forecasts, and the engine."""

    fit: Fit
    forecast_data: Forecast
    assumptions: list[Assumption]
    questions: list[tuple[str, str]]  # (question id, title) of the headline questions
    reweighter: Reweighter
    outcomes: np.ndarray  # (question, draw) YES = 1.0, chains first
    outcome_grid: np.ndarray  # (question, chain, draw) for the ESS-based error of the baseline
    baseline: ParticipantForecast = field(init=False)
    influence: dict[str, float] = field(default_factory=dict)  # assumption id → largest swing of a question over ±1 prior sd
    question_objects: dict = field(default_factory=dict)  # question id → Question (models/questions.toml)
    _refits: dict[str, ParticipantForecast] = field(default_factory=dict, repr=False)
    _cache: OrderedDict = field(default_factory=OrderedDict, repr=False)  # priors key → reweighted forecast (most recent last)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        probs, se = {}, {}
        for i, (qid, _) in enumerate(self.questions):
            e = estimate(self.outcome_grid[i])
            probs[qid], se[qid] = e.probability, e.se
        self.baseline = ParticipantForecast(probs, se, float("nan"), "reweighted", ess=float(self.reweighter.n))

    # ---- building ------------------------------------------------------------------
    @classmethod
    def from_fit(cls, fit: Fit, assumption_ids: list[str] | None = None, n: int = 4, *, questions=None) -> Room:
        """Open a room on ``fit``: forecast its status quo once and decide the headline questions on every path.

        ``assumption_ids`` (lens prior names) are the assumptions put to the room; None picks the
        ``n`` most influential candidates (the largest swing of any headline question when the
        prior's location moves by ±1 prior sd, a one-at-a-time stress test by reweighting).
        ``questions`` defaults to the headline questions of the project's ``models/questions.toml``.
        """
        fc = fit.forecast([RECORD_SCENARIO])
        qs = questions if questions is not None else project_questions(fit.workbench).headline
        kept, grids = [], []
        for q in qs:
            hit = outcomes(q, fc.data)
            if hit is None:  # not forecast by this model (e.g. incidents without the incidents model)
                continue
            kept.append((q.id, q.title))
            grids.append(hit.sel(scenario=RECORD_SCENARIO).transpose("chain", "draw").values.astype(float))
        if not kept:
            raise SeminarInputError("questions", "none of the headline questions can be forecast from this fit")
        grid = np.stack(grids)
        rw = Reweighter(fit, fc, scenarios=[RECORD_SCENARIO])
        candidates = {a.id: a for a in candidate_assumptions(fit.lens)}
        chosen = _chosen(candidates, assumption_ids) if assumption_ids is not None else []
        room = cls(fit, fc, chosen, kept, rw, grid.reshape(grid.shape[0], -1), grid)
        room.question_objects = {q.id: q for q in qs if q.id in dict(kept)}
        room.influence = room.rank_influence(list(candidates.values()))
        if assumption_ids is None:
            ranked = sorted(candidates.values(), key=lambda a: -room.influence.get(a.id, 0.0))
            room.assumptions = ranked[: max(int(n), 1)]
        return room

    def candidates(self) -> list[Assumption]:
        """Every prior of the fit's lens this room could ask about."""
        return candidate_assumptions(self.fit.lens)

    def with_assumptions(self, assumption_ids: list[str]) -> Room:
        """The same room asking ``assumption_ids`` instead: its forecast, questions and reweighting are reused."""
        chosen = _chosen({a.id: a for a in self.candidates()}, assumption_ids)
        return dataclasses.replace(self, assumptions=chosen, _refits=dict(self._refits), _cache=OrderedDict(), _lock=threading.Lock())

    def rank_influence(self, candidates: Sequence[Assumption]) -> dict[str, float]:
        """Largest change of any headline question's probability when each prior's location moves ±1 prior sd (reliable moves only)."""
        stress = {a.prior: a for a in default_assumptions(self.fit.lens, scale=False, forecast=False) if a.knob == "location"}
        out = {}
        for c in candidates:
            sa = stress.get(c.id)
            if sa is None:
                continue
            prior = self.fit.lens.priors[c.id].prior
            ends = []
            for v in sa.tornado:
                w = self.reweighter.weights({c.id: sa.apply(prior, v)})
                if not w.pareto_k > K_THRESHOLD:
                    ends.append(self.outcomes @ w.weights)
            out[c.id] = float(np.max(np.abs(ends[1] - ends[0]))) if len(ends) == 2 else 0.0
        return out

    # ---- answers -------------------------------------------------------------------
    @property
    def by_id(self) -> dict[str, Assumption]:
        return {a.id: a for a in self.assumptions}

    def validate(self, answers: Sequence[Answer]) -> list[Answer]:
        """Check every answer; raise :class:`SeminarInputError` naming the first bad field. Returns cleaned answers."""
        out, seen = [], set()
        for ans in answers:
            if not isinstance(ans, Answer):
                raise SeminarInputError("answers", f"each answer must be an Answer, got {type(ans).__name__}")
            a = self.by_id.get(ans.assumption_id)
            if a is None:
                raise SeminarInputError(
                    "assumption_id", f"unknown assumption {ans.assumption_id!r}: this room asks about {', '.join(self.by_id)}"
                )
            if ans.assumption_id in seen:
                raise SeminarInputError(f"{ans.assumption_id}", "answered twice in one submission")
            seen.add(ans.assumption_id)
            out.append(check_answer(ans, a.wording, a.units))
        return out

    def priors(self, answers: Sequence[Answer]) -> dict[str, Prior]:
        """Return the priors the (checked) answers become, by lens prior name."""
        lens = self.fit.lens
        out = {}
        for ans in self.validate(answers):
            a = self.by_id[ans.assumption_id]
            out[a.parameter] = answer_prior(ans, a.wording, a.family, lens.priors[a.parameter].prior)
        return out

    def lens(self, answers: Sequence[Answer], name: str | None = None, reason: str = SEMINAR_REASON) -> Lens:
        """Return the room's lens with the answers' priors (each validated as a lens prior)."""
        return edited_lens(self.fit.lens, self.priors(answers), name=name or f"{self.fit.lens.name}-seminar", reason=reason)

    @staticmethod
    def key(priors: Mapping[str, Prior]) -> str:
        """Identical priors share one key (and one refit)."""
        return RefitPool.key(priors)

    # ---- forecasts -----------------------------------------------------------------
    def weights(self, priors: Mapping[str, Prior]) -> Weights:
        return self.reweighter.weights(priors) if priors else Weights.flat(self.reweighter.n)

    def forecast(self, answers: Sequence[Answer]) -> ParticipantForecast:
        """Return the participant's forecast by reweighting (milliseconds); ``method="refit"`` when k̂ > 0.7.

        A refit already made for the same priors (:meth:`refit_forecast`) is returned; otherwise
        the forecast is ``pending`` with NaN probabilities. Forecasts are kept by priors (the
        last :data:`CACHE_SIZE`), so identical answers — a resubmission, the room's summary —
        cost a dictionary look-up; ``latency_s`` is that of the first computation.
        """
        t0 = time.perf_counter()
        priors = self.priors(answers)
        key = self.key(priors)
        done = self._refits.get(key) or self._cache.get(key)
        if done is not None:
            return done
        w = self.weights(priors)
        if w.pareto_k > K_THRESHOLD:
            nan = {qid: float("nan") for qid, _ in self.questions}
            return ParticipantForecast(nan, dict(nan), w.pareto_k, "refit", True, w.ess, time.perf_counter() - t0)
        mean, se = weighted_mean_se(self.outcomes, w.weights)
        ids = [qid for qid, _ in self.questions]
        out = ParticipantForecast(
            dict(zip(ids, map(float, mean), strict=True)),
            dict(zip(ids, map(float, se), strict=True)),
            w.pareto_k,
            "reweighted",
            False,
            w.ess,
            time.perf_counter() - t0,
        )
        with self._lock:
            self._cache[key] = out
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return out

    def refit_needed(self, answers: Sequence[Answer]) -> bool:
        """Whether these answers need a refit that has not been made yet."""
        f = self.forecast(answers)
        return f.pending

    def refit_forecast(self, answers: Sequence[Answer]) -> ParticipantForecast:
        """Refit the lens with the answers' priors (warm: the compiled model is reused) and forecast; cached by priors."""
        t0 = time.perf_counter()
        priors = self.priors(answers)
        key = self.key(priors)
        with self._lock:
            if key in self._refits:
                return self._refits[key]
        w = self.weights(priors)
        lens = edited_lens(self.fit.lens, priors, name=f"{self.fit.lens.name}-seminar", reason=SEMINAR_REASON)
        seed = int(self.forecast_data.data.attrs.get("seed", self.fit.settings.seed))
        new_fit, new_fc, _t, _warm = refit_lens(self.fit, lens, [RECORD_SCENARIO], seed)
        probs, se = {}, {}
        for qid, _ in self.questions:
            hit = outcomes(self.question_objects[qid], new_fc.data)
            e = estimate(hit.sel(scenario=RECORD_SCENARIO).transpose("chain", "draw").values.astype(float))
            probs[qid], se[qid] = e.probability, e.se
        post = new_fit.idata.posterior
        out = ParticipantForecast(
            probs, se, w.pareto_k, "refit", False, float(post.sizes["chain"] * post.sizes["draw"]), time.perf_counter() - t0
        )
        with self._lock:
            self._refits[key] = out
        return out

    def remember_refit(self, answers: Sequence[Answer], result: ParticipantForecast) -> None:
        """Keep a refit made elsewhere (a dask worker, or a stored submission after a restart): identical priors reuse it."""
        key = self.key(self.priors(answers))
        with self._lock:
            self._refits[key] = result

    # ---- the room ------------------------------------------------------------------
    def summary(self, answers_by_participant: Mapping[str, Sequence[Answer]]) -> dict:
        """Return the room's disagreement analysis (see :func:`hedgecast.seminar.summary.room_summary`)."""
        return room_summary(self, answers_by_participant)
