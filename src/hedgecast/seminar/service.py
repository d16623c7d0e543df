"""One running seminar: the room (the engine), its record (the store) and what pages see.

:class:`Seminar` is what the web app calls; it knows nothing of HTTP. A submission is read
(:func:`hedgecast.seminar.security.read_answer`), checked by the engine
(``Room.validate``), turned into the participant's forecast by reweighting
(``Room.forecast``; when k̂ > 0.7 a refit is queued instead), committed to SQLite, and
only then acknowledged and announced to every page. Engine calls run one at a time (two
cores, and a forecast takes tens of milliseconds). The room's summary (pooled forecast,
group answers, disagreement) is recomputed once per change, not once per page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hedgecast.seminar.answers import Answer
from hedgecast.seminar.live import Broker, InlineRunner, RefitQueue, refit_key
from hedgecast.seminar.security import FormError, RateLimiter, read_answer
from hedgecast.seminar.store import Participant, Store, Submission

PENDING = "pending"
#: seconds the background analysis waits after a change, so that a burst of answers is analysed once
ANALYSIS_DELAY = 0.3


class RoundClosed(Exception):
    """A submission while no round is open (HTTP 409)."""


class TooFast(Exception):
    """A second submission within a second (HTTP 429)."""


class SessionEnded(Exception):
    """A submission or a join after the facilitator ended the session (HTTP 410)."""


ENDED = "the session has ended: thank you, your answers are saved with the facilitator, and no more answers are accepted"


@dataclass(frozen=True)
class Outcome:
    """What a submission came to: its id, whether it was new (False: a resubmitted form), the participant's state."""

    submission_id: int
    created: bool


def forecast_dict(fc) -> dict:
    """A ParticipantForecast as stored and sent (JSON-safe: NaN, while a refit is pending, becomes null)."""
    return fc.to_dict()


def label(number: int) -> str:
    """The anonymous label of a participant (the engine's and the export's participant id)."""
    return f"P{number}"


class Seminar:
    """A seminar session over ``room`` recorded in ``store`` (resumed when one of ``lens`` is still open)."""

    def __init__(
        self,
        room,
        store: Store,
        *,
        lens: str,
        token: str,
        runner: Callable | None = None,
        new_session: bool = False,
        results_path: Path | None = None,
        broker: Broker | None = None,
    ):
        self.room, self.store, self.lens, self.token = room, store, lens, token
        self.results_path = results_path
        ids = [a.id for a in room.assumptions]
        session = None if new_session else store.latest_session(lens)
        if session is not None and list(session.assumptions) != ids:
            self.room = room.with_assumptions(list(session.assumptions))  # resume the room as it was
        if session is None:
            session = store.create_session(lens, ids)
        self.sid = session.id
        self.broker = broker or Broker()  # the opening's, when the pages waited for the room on it
        self.rates = RateLimiter()
        self.engine_lock = threading.Lock()
        self._data_version = 0  # bumped by every change of answers or forecasts (the summary's cache key)
        self._summary: tuple[int, dict] | None = None
        self._analysis: tuple[int, dict] | None = None
        self._analysis_wanted = 0
        self._analysis_lock = threading.Lock()
        self._analysis_thread: threading.Thread | None = None
        self._closing = threading.Event()
        self.refits = RefitQueue(runner or InlineRunner(), self._refit_done)
        self._requeue_pending()

    # ------------------------------------------------------------------ session
    @property
    def session(self):
        return self.store.session(self.sid)

    @property
    def join_code(self) -> str:
        return self.session.join_code

    def assumption(self, aid: str):
        return next(a for a in self.room.assumptions if a.id == aid)

    def choose_assumptions(self, ids: list[str]) -> None:
        """Put other assumptions to the room (only before anyone has answered)."""
        if self.store.count(self.sid):
            raise FormError("assumptions", "the room has already answered: start a new session to ask other questions")
        if not 3 <= len(ids) <= 6:
            raise FormError("assumptions", f"choose 3 to 6 assumptions (got {len(ids)})")
        with self.engine_lock:
            self.room = self.room.with_assumptions(ids)
        self.store.set_assumptions(self.sid, [a.id for a in self.room.assumptions])
        self._changed("assumptions")

    def candidates(self) -> list[dict]:
        """The assumptions the facilitator may choose from (id, label; ``chosen`` when put to the room now)."""
        chosen = {a.id for a in self.room.assumptions}
        return [{"id": a.id, "label": a.label, "chosen": a.id in chosen} for a in self.room.candidates()]

    def end_session(self) -> None:
        """End the session: no more answers, the open round closes, a restart will not resume it (the record stays)."""
        self.store.end_session(self.sid)
        self.broker.publish("ended")

    def new_session(self) -> None:
        """Start a new session of the same lens and assumptions (a new join code), once this one has ended."""
        if not self.session.ended:
            raise FormError("session", "end this session first: its participants are still answering")
        session = self.store.create_session(self.lens, [a.id for a in self.room.assumptions])
        with self._analysis_lock:
            self.sid = session.id
            self._data_version += 1
            self._summary = self._analysis = None
        self.broker.publish("session")

    def ended_for(self, secret: str | None) -> bool:
        """Whether ``secret`` is a participant of a session that has ended (this one or an earlier one)."""
        sid = None if not secret else self.store.session_of(secret)
        return sid is not None and self.store.session(sid).ended

    def open_round(self) -> int:
        if self.session.ended:
            raise FormError("round", "the session has ended: start a new session to open rounds again")
        n = self.store.open_round(self.sid)
        self.broker.publish("round")
        return n

    def close_round(self) -> None:
        self.store.close_round(self.sid)
        self.broker.publish("round")

    def reveal(self, on: bool = True) -> None:
        self.store.set_revealed(self.sid, on)
        self.broker.publish("reveal")

    # ------------------------------------------------------------------ participants
    def join(self, secret: str, display_name: str = "") -> Participant:
        if self.session.ended:
            raise SessionEnded(ENDED)
        p = self.store.add_participant(self.sid, secret, display_name)
        self.broker.publish("join")
        return p

    def participant(self, secret: str | None) -> Participant | None:
        return None if not secret else self.store.participant(self.sid, secret)

    def answers_of(self, current: dict[str, Submission]) -> list:
        """A participant's current answers as the engine's Answer objects (in the room's order)."""
        return [
            Answer(s.assumption_id, s.most_likely, s.low, s.high, s.justification)
            for a in self.room.assumptions
            if (s := current.get(a.id)) is not None
        ]

    def submit(self, p: Participant, key: str, form) -> Outcome:
        """Record one answer (see the module docstring); a form already submitted returns its first outcome."""
        if self.store.has_key(p.id, key):
            return Outcome(self._submission_id(p.id, key), False)
        session = self.session
        if session.ended:
            raise SessionEnded(ENDED)
        if not session.round_open:
            raise RoundClosed("the round is closed: wait for the facilitator to open the next one")
        answer = Answer(**vars(read_answer(form, session.assumptions)))
        with self.engine_lock:
            answer = self.room.validate([answer])[0]
        if not self.rates.allow(p.id):  # after the checks: a typo corrected at once is not "too fast"
            raise TooFast("one answer a second, please: wait a moment and submit again")
        current = dict(self.store.current(self.sid).get(p.id, {}))
        with self.engine_lock:
            others = [a for a in self.answers_of(current) if a.assumption_id != answer.assumption_id]
            answers = [*others, answer]
            t0 = time.perf_counter()
            fc = self.room.forecast(answers)
            prior = self._prior_text(answer)
        needs_refit = bool(fc.pending)
        method = PENDING if needs_refit else fc.method
        sub_id, created = self.store.add_submission(
            self.sid, p.id, session.round, key, answer, prior=prior, khat=float(fc.khat), method=method, forecast=forecast_dict(fc)
        )
        if created and needs_refit:
            self.refits.submit(refit_key(answers), (self.room, answers), sub_id)
        self.last_forecast_seconds = time.perf_counter() - t0
        self._changed("submission")
        return Outcome(sub_id, created)

    def _changed(self, kind: str) -> None:
        """Answers or forecasts changed: new summary, and every page told."""
        with self._analysis_lock:
            self._data_version += 1
        self.broker.publish(kind)

    def _prior_text(self, answer) -> str:
        """The prior the answer becomes, as the lens would write it (``Normal(mu=0.4, sigma=0.2)``)."""
        (prior,) = self.room.priors([answer]).values()
        args = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in prior.parameters.items())
        return f"{prior.distribution}({args})"

    def _submission_id(self, pid: int, key: str) -> int:
        return next(s.id for s in self.store.submissions(self.sid) if s.participant_id == pid and s.idempotency_key == key)

    # ------------------------------------------------------------------ refits
    def _refit_done(self, key: str, result, error: str | None, waiters: list) -> None:
        for sub_id in waiters:
            if error is None:
                self.store.set_forecast(sub_id, khat=float(result.khat), method=result.method, forecast=forecast_dict(result))
            else:
                self.store.set_forecast(sub_id, khat=None, method="refit failed", forecast=None)
        self._changed("refit")

    def _requeue_pending(self) -> None:
        """After a restart: queue again every refit that was waiting (its answers are in the store), and keep the refits made.

        A refit's forecast is stored with the submission that asked for it; the room keeps it
        again (``Room.remember_refit``), so identical answers after a restart are not refitted.
        """
        from hedgecast.seminar.records import ParticipantForecast

        remember = getattr(self.room, "remember_refit", None)
        latest = self.store.current(self.sid)
        for subs in latest.values():
            newest = max(subs.values(), key=lambda s: s.id)
            answers = self.answers_of(subs)
            if newest.method == PENDING:
                self.refits.submit(refit_key(answers), (self.room, answers), newest.id)
            elif newest.method == "refit" and newest.forecast and remember is not None:
                remember(answers, ParticipantForecast.from_dict({**newest.forecast, "method": "refit", "pending": False}))

    def refit_position(self, newest: Submission | None) -> int | None:
        if newest is None or newest.method != PENDING:
            return None
        current = self.store.current(self.sid).get(newest.participant_id, {})
        return self.refits.position(refit_key(self.answers_of(current)))

    # ------------------------------------------------------------------ what pages see
    def _forecasts(self) -> tuple[dict[str, list], dict]:
        """Every participant's current answers and stored forecast, by anonymous label."""
        from hedgecast.seminar.records import ParticipantForecast

        numbers = {p.id: p.number for p in self.store.participants(self.sid)}
        answers, forecasts = {}, {}
        for pid, subs in self.store.current(self.sid).items():
            newest = max(subs.values(), key=lambda s: s.id)
            who = label(numbers[pid])
            answers[who] = self.answers_of(subs)
            stored = newest.forecast or {"probabilities": {q: None for q, _ in self.room.questions}}
            forecasts[who] = ParticipantForecast.from_dict({**stored, "pending": newest.method in (PENDING, "refit failed")})
        return answers, forecasts

    def summary(self) -> dict:
        """The room now, from the stored forecasts (no reweighting: fast): group answers, pooled forecast, between/within.

        Cached per change. The slower analysis (which assumption drives the disagreement, the
        pooled prior's forecast) is :meth:`analysis`, computed in the background.
        """
        from hedgecast.seminar.spread import summarise_forecasts

        version = self._data_version
        cached = self._summary
        if cached is not None and cached[0] == version:
            return cached[1]
        answers, forecasts = self._forecasts()
        result = summarise_forecasts(self.room.assumptions, self.room.questions, answers, forecasts)
        self._summary = (version, result)
        self._analyse_later(version)
        return result

    def _analyse_later(self, version: int) -> None:
        """Recompute the full ``Room.summary`` in the background (one at a time, the latest version only)."""
        with self._analysis_lock:
            self._analysis_wanted = version
            if self._analysis_thread is not None and self._analysis_thread.is_alive():
                return
            self._analysis_thread = threading.Thread(target=self._analyse, name="seminar-analysis", daemon=True)
            self._analysis_thread.start()

    def _analyse(self) -> None:
        while True:
            if self._closing.wait(ANALYSIS_DELAY):  # let a burst of answers settle: one analysis for all of them
                return
            with self._analysis_lock:
                version = self._analysis_wanted
                if self._analysis is not None and self._analysis[0] >= version:
                    self._analysis_thread = None
                    return
            answers, _ = self._forecasts()
            # not under the engine lock: the room's data are read-only, and a submission must not wait for this
            result = self.room.summary(answers) if answers else {}
            with self._analysis_lock:
                self._analysis = (version, result)
            self.broker.publish("analysis")

    def analysis(self) -> dict:
        """The latest full ``Room.summary`` (drivers, pooled prior); may lag the room by one change."""
        return {} if self._analysis is None else self._analysis[1]

    def question_rows(self, summary: dict) -> list[dict]:
        """Per headline question: baseline, pool, between/within, and every participant's probability (anonymous, unordered)."""
        rows = {q["id"]: q for q in summary.get("questions", [])}
        out = []
        for q in self.questions():
            row = rows.get(q["id"], {})
            dots = sorted(p for p in row.get("participants", {}).values() if p is not None)
            keep = ("n", "pooled", "pooled_mcse", "between", "within", "total", "share_between", "mc_noise")
            out.append({**q, **{k: row.get(k) for k in keep}, "dots": dots})
        return out

    def questions(self) -> list[dict]:
        base = self.room.baseline.probabilities
        return [{"id": q, "title": t, "baseline": base.get(q)} for q, t in self.room.questions]

    def assumptions_view(self) -> list[dict]:
        return [
            {
                "id": a.id,
                "label": a.label,
                "question": a.question,
                "units": a.units,
                "meaning": a.meaning,
                "baseline": dict(a.baseline),
            }
            for a in self.room.assumptions
        ]

    def participant_state(self, p: Participant) -> dict:
        """Everything one participant's page shows: their answers and forecast, the room's, the group's if revealed.

        Never another participant's name, answer or justification: only the group's median and quartiles.
        """
        version = self.broker.version  # read before the data: a state built while an answer lands is older than its event
        session = self.session
        mine = self.store.current(self.sid).get(p.id, {})
        newest = max(mine.values(), key=lambda s: s.id) if mine else None
        summary = self.summary()
        groups = group_stats(summary) if session.revealed else {}
        answers = {}
        for aid, s in mine.items():
            g = groups.get(aid)
            outside = g is not None and g["n"] > 1 and not g["q1"] <= s.most_likely <= g["q3"]
            answers[aid] = {
                "most_likely": s.most_likely,
                "low": s.low,
                "high": s.high,
                "justification": s.justification,
                "outside": outside,
            }
        return {
            "version": version,
            "round": session.round,
            "round_open": session.round_open,
            "revealed": session.revealed,
            "ended": session.ended,
            "answers": answers,
            "groups": groups,
            "forecast": None if newest is None else newest.forecast,
            "method": None if newest is None else newest.method,
            "khat": None if newest is None else newest.khat,
            "queue_position": self.refit_position(newest),
            "room": pooled(summary),
            "participants": summary["questions"][0]["n"] if summary.get("questions") else 0,
            "questions": self.questions(),
        }

    def facilitator_state(self) -> dict:
        """The facilitator's view: who joined (names), every answer and justification, the pool, the disagreement."""
        version = self.broker.version  # read before the data (see participant_state)
        session = self.session
        summary = self.summary()
        analysis = self.analysis()
        people = self.store.participants(self.sid)
        current = self.store.current(self.sid)
        answers = {
            a.id: [
                {
                    "participant": label(p.number),
                    "most_likely": s.most_likely,
                    "low": s.low,
                    "high": s.high,
                    "justification": s.justification,
                }
                for p in people
                if (s := current.get(p.id, {}).get(a.id)) is not None
            ]
            for a in self.room.assumptions
        }
        return {
            "version": version,
            "join_code": session.join_code,
            "round": session.round,
            "round_open": session.round_open,
            "revealed": session.revealed,
            "ended": session.ended,
            "submissions": self.store.count(self.sid),
            "participants": [{"label": label(p.number), "name": p.display_name, "answered": len(current.get(p.id, {}))} for p in people],
            "answers": answers,
            "room": pooled(summary),
            "groups": group_stats(summary),
            "questions": self.question_rows(summary),
            "pending": summary.get("pending", []),
            "drivers": driver_table(analysis),
            "pooled_prior": analysis.get("pooled_prior"),
            "analysis_current": self._analysis is not None and self._analysis[0] == self._data_version,
            "refits_queued": len(self.refits),
        }

    def close(self) -> None:
        """Stop the background work (the analysis, the refit queue); the store stays open."""
        self._closing.set()
        thread = self._analysis_thread
        if thread is not None:
            thread.join(timeout=30)
        self.refits.close()


def pooled(summary: dict) -> dict:
    """The room's pooled probability per question (the linear pool of the participants' forecasts)."""
    return {q["id"]: q.get("pooled") for q in summary.get("questions", [])}


def group_stats(summary: dict) -> dict:
    """Per assumption: the group's median and interquartile range of the most-likely values (no one's own value)."""
    return {a["id"]: {k: a.get(k) for k in ("n", "median", "q1", "q3")} for a in summary.get("assumptions", []) if a.get("n")}


def driver_table(analysis: dict) -> list[dict]:
    """Per question, the assumption that drives the disagreement most, with its share (from ``Room.summary``)."""
    best: dict[str, dict] = {}
    for row in analysis.get("drivers", []) or []:
        share = row.get("share")
        if share is None or share != share:  # NaN: no spread among the participants
            continue
        if row["question"] not in best or share > best[row["question"]]["share"]:
            best[row["question"]] = row
    return list(best.values())


__all__ = [
    "ENDED",
    "PENDING",
    "Outcome",
    "RoundClosed",
    "Seminar",
    "SessionEnded",
    "TooFast",
    "driver_table",
    "forecast_dict",
    "group_stats",
    "label",
    "pooled",
]
