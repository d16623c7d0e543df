"""A small stand-in for :class:`hedgecast.seminar.engine.Room`: the engine's checks and summary, no fit.

Answers are checked by the engine's own :func:`~hedgecast.seminar.answers.check_answer`, and the
room summary is the engine's :func:`~hedgecast.seminar.summary.summarise_forecasts`; only the
forecast is synthetic (a smooth function of the answers: each question's probability moves with
the most-likely values), so web tests run in milliseconds. A most-likely value of 90 or more on
the first assumption stands for an answer reweighting cannot follow (k̂ = 0.9): a refit is
queued, and :meth:`FakeRoom.refit_forecast` "refits" (``refit_delay`` seconds).

:func:`make_room` is what ``hedgecast seminar --test-room tests.seminar.fake_room:make_room``
serves (the kill -9 test).
"""

from __future__ import annotations

import math
import threading
import time

from pymc_extras.prior import Prior

from hedgecast.seminar.answers import Answer, SeminarInputError, check_answer
from hedgecast.seminar.live import refit_key
from hedgecast.seminar.records import Assumption, ParticipantForecast
from hedgecast.seminar.spread import summarise_forecasts

ASSUMPTIONS = [
    Assumption(
        "beta.political.leader_ties",
        "beta.political.leader_ties",
        "Leader ties hold the relationship together",
        "How much do the Putin–Erdoğan ties lift political alignment?",
        "standard deviations",
        "A larger value makes a rupture less likely.",
        "Normal",
        {"most_likely": 0.5, "low": 0.0, "high": 1.0},
    ),
    Assumption(
        "beta.economic.energy_leverage",
        "beta.economic.energy_leverage",
        "Energy dependence binds trade",
        "How strongly does energy dependence lift trade?",
        "standard deviations",
        "A larger value makes alignment more likely.",
        "Normal",
        {"most_likely": 0.3, "low": -0.2, "high": 0.8},
    ),
    Assumption(
        "incident_intercept",
        "incident_intercept",
        "Serious incidents per year",
        "How many serious incidents happen in a typical year?",
        "incidents per year",
        "More incidents make a rupture more likely.",
        "Normal",
        {"most_likely": 1.0, "low": 0.2, "high": 3.0},
        "log",
    ),
]
QUESTIONS = [("rupture_by_2030", "A rupture by 2030?"), ("alignment_2030", "Strategic alignment in 2030?")]
BASE = {"rupture_by_2030": 0.2, "alignment_2030": 0.3}


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


class FakeRoom:
    """The engine's Room interface on a synthetic forecast (see the module docstring)."""

    def __init__(self, assumption_ids: list[str] | None = None, refit_delay: float = 0.2):
        by_id = {a.id: a for a in ASSUMPTIONS}
        self.assumptions = [by_id[i] for i in assumption_ids] if assumption_ids else list(ASSUMPTIONS)
        self.questions = list(QUESTIONS)
        self.baseline = ParticipantForecast(dict(BASE), {q: 0.01 for q in BASE}, float("nan"), "reweighted")
        self.refit_delay = refit_delay
        self.refits: list[list[Answer]] = []
        self.done: dict[str, ParticipantForecast] = {}
        self._lock = threading.Lock()

    def candidates(self):
        return list(ASSUMPTIONS)

    def with_assumptions(self, assumption_ids):
        return FakeRoom(assumption_ids, self.refit_delay)

    def validate(self, answers):
        by_id = {a.id: a for a in self.assumptions}
        out = []
        for ans in answers:
            a = by_id.get(ans.assumption_id)
            if a is None:
                raise SeminarInputError("assumption_id", f"unknown assumption {ans.assumption_id!r}")
            out.append(check_answer(ans, _wording(a), a.units))
        return out

    def priors(self, answers):
        return {a.assumption_id: Prior("Normal", mu=a.most_likely, sigma=(a.high - a.low) / 3.29) for a in self.validate(answers)}

    def _probabilities(self, answers) -> dict[str, float]:
        shift = sum(a.most_likely - next(x.baseline["most_likely"] for x in self.assumptions if x.id == a.assumption_id) for a in answers)
        return {q: _logistic(math.log(p / (1 - p)) + (-1 if q.startswith("rupture") else 1) * shift) for q, p in BASE.items()}

    def forecast(self, answers):
        answers = self.validate(answers)
        if any(a.assumption_id == self.assumptions[0].id and a.most_likely >= 90 for a in answers):
            done = self.done.get(refit_key(answers))
            if done is not None:  # as the engine: a refit made for the same priors is reused
                return done
            nan = {q: float("nan") for q, _ in self.questions}
            return ParticipantForecast(nan, dict(nan), 0.9, "refit", True)
        return ParticipantForecast(self._probabilities(answers), {q: 0.01 for q in BASE}, 0.2, "reweighted")

    def refit_forecast(self, answers):
        with self._lock:
            self.refits.append(list(answers))
        time.sleep(self.refit_delay)
        out = ParticipantForecast(self._probabilities(self.validate(answers)), {q: 0.02 for q in BASE}, 0.9, "refit")
        self.done[refit_key(answers)] = out
        return out

    def summary(self, answers_by_participant):
        forecasts = {k: self.forecast(v) for k, v in answers_by_participant.items()}
        out = summarise_forecasts(self.assumptions, self.questions, answers_by_participant, forecasts)
        out["drivers"] = [
            {
                "question": q,
                "assumption": self.assumptions[0].id,
                "label": self.assumptions[0].label,
                "variance": 0.01,
                "share": 0.8,
                "explained": 0.9,
            }
            for q, _ in self.questions
        ]
        out["pooled_prior"] = None
        return out


def _wording(a: Assumption):
    from hedgecast.seminar.wording import Wording

    transform = getattr(a, "transform", "identity")
    return Wording(a.label, a.question, a.units, a.meaning, transform)


def make_room(assumption_ids: list[str] | None = None) -> FakeRoom:
    """The test room ``hedgecast seminar --test-room`` serves."""
    return FakeRoom(assumption_ids)


__all__ = ["ASSUMPTIONS", "QUESTIONS", "FakeRoom", "make_room"]
