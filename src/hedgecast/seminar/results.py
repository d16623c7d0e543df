"""A saved seminar: its assumptions, rounds and submissions — and what it exports.

:class:`SeminarResults` is what a seminar leaves behind, independent of any fit: the assumptions
put to the room (with their wording and the lens's baseline), the headline questions, the rounds,
and every submission (participant key, round, time, answers, the priors they became, the forecast
with its k̂ and method). The web server of ``hedgecast seminar`` builds it from its SQLite store;
notebook 05 builds one from answers or opens a saved one. It saves as JSON (by default
``reports/seminar.json``, where ``hedgecast report`` finds it and adds the seminar section).

Exports:

* :func:`submissions_csv` — every answer of every submission, one row each;
* :func:`participant_lens` / :func:`write_participant_lens` — one participant's answers as a lens
  whose priors carry the justification as provenance
  (``reason = "seminar participant <key>, <date>: <justification> …"``), loadable like any lens.

Participants are known by their anonymous key only; display names never enter these files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymc_extras.prior import Prior

from hedgecast.files import dumps, json_safe, write_atomic
from hedgecast.priors.lens_prior import describe_prior
from hedgecast.priors.lenses import Lens
from hedgecast.seminar.answers import Answer
from hedgecast.seminar.records import Assumption, ParticipantForecast
from hedgecast.seminar.spread import summarise_forecasts
from hedgecast.stress.changes import as_prior, prior_record

__all__ = [
    "CSV_FIELDS",
    "RESULTS_FILE",
    "SeminarResults",
    "Submission",
    "participant_lens",
    "provenance_text",
    "submissions_csv",
    "write_participant_lens",
]

RESULTS_FILE = "seminar.json"
"""File name of a saved seminar under ``reports/`` (the report adds its section when it exists)."""
CSV_FIELDS = (
    "participant", "round", "time", "assumption", "assumption_label", "most_likely", "low", "high", "units",
    "justification", "prior", "khat", "method",
)  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Room = Any  # hedgecast.seminar.engine.Room, used by attribute only: this module stays readable without the engine (the report reads it)


@dataclass(frozen=True)
class Submission:
    """One participant's answers in one round, and what they became."""

    participant: str  # the anonymous key
    round: int
    time: str  # ISO 8601, UTC
    answers: tuple[Answer, ...]
    forecast: ParticipantForecast
    priors: Mapping[str, Any] = field(default_factory=dict)  # lens prior name → {"dist", parameters} (prior_record)

    def to_dict(self) -> dict:
        return {
            "participant": self.participant,
            "round": self.round,
            "time": self.time,
            "answers": [a.to_dict() for a in self.answers],
            "forecast": self.forecast.to_dict(),
            "priors": {k: dict(v) for k, v in self.priors.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> Submission:
        return cls(
            str(d["participant"]),
            int(d["round"]),
            str(d["time"]),
            tuple(Answer.from_dict(a) for a in d["answers"]),
            ParticipantForecast.from_dict(d["forecast"]),
            {k: dict(v) for k, v in d.get("priors", {}).items()},
        )


@dataclass
class SeminarResults:
    """A seminar's record: what was asked, the rounds, and every submission (see the module docstring)."""

    title: str
    lens: str
    assumptions: list[Assumption]
    questions: list[tuple[str, str]]
    baseline: ParticipantForecast
    submissions: list[Submission] = field(default_factory=list)
    rounds: list[dict] = field(default_factory=list)  # {"number", "opened", "closed"} (ISO times; closed None while open)
    created: str = ""
    synthetic: bool = False  # made up for a demonstration or a test, not a real room
    drivers: list[dict] = field(default_factory=list)  # Room.summary's "drivers" for the last round, when a fit was at hand
    pooled_prior: dict | None = None  # Room.summary's "pooled_prior"
    note: str = ""

    # ---- building ------------------------------------------------------------------
    @classmethod
    def from_room(cls, room: Room, title: str = "Seminar", *, synthetic: bool = False, note: str = "") -> SeminarResults:
        """Start an empty record for ``room`` (add submissions with :meth:`submit`)."""
        return cls(
            title,
            room.fit.lens.name,
            list(room.assumptions),
            list(room.questions),
            room.baseline,
            created=now(),
            synthetic=synthetic,
            note=note,
        )

    def submit(self, room: Room, participant: str, answers: Sequence[Answer], round: int = 1, time: str | None = None) -> Submission:
        """Check ``answers`` in ``room``, forecast them, and record the submission (returned)."""
        checked = room.validate(answers)
        priors = room.priors(checked)
        sub = Submission(
            participant, int(round), time or now(), tuple(checked), room.forecast(checked), {k: prior_record(v) for k, v in priors.items()}
        )
        self.submissions.append(sub)
        if not any(r.get("number") == int(round) for r in self.rounds):
            self.rounds.append({"number": int(round), "opened": sub.time, "closed": None})
        return sub

    def refresh(self, room: Room) -> list[str]:
        """Replace pending forecasts by the refits the room has made since (:meth:`Room.refit_forecast`); return who was updated."""
        done = []
        for i, s in enumerate(self.submissions):
            if s.forecast.pending:
                f = room.forecast(list(s.answers))
                if not f.pending:
                    self.submissions[i] = Submission(s.participant, s.round, s.time, s.answers, f, s.priors)
                    done.append(s.participant)
        return done

    def pending(self, round: int | None = None) -> dict[str, Submission]:
        """Return the latest submissions (of ``round``) whose forecast waits for a refit."""
        return {k: s for k, s in self.latest(round).items() if s.forecast.pending}

    def analyse(self, room: Room, round: int | None = None) -> dict:
        """Run the room's full summary on the latest answers (of ``round``) and keep its drivers and pooled prior."""
        s = room.summary(self.answers_by_participant(round))
        self.drivers, self.pooled_prior = s["drivers"], s["pooled_prior"]
        return s

    # ---- reading -------------------------------------------------------------------
    @property
    def round_numbers(self) -> list[int]:
        return sorted({s.round for s in self.submissions} | {int(r["number"]) for r in self.rounds})

    def latest(self, round: int | None = None) -> dict[str, Submission]:
        """Each participant's last submission (in ``round``; default: the last round anyone submitted in)."""
        if round is None and self.submissions:
            round = max(s.round for s in self.submissions)
        out: dict[str, Submission] = {}
        for s in sorted(self.submissions, key=lambda s: s.time):
            if s.round == round:
                out[s.participant] = s
        return out

    def answers_by_participant(self, round: int | None = None) -> dict[str, list[Answer]]:
        return {k: list(s.answers) for k, s in self.latest(round).items()}

    def forecasts_by_participant(self, round: int | None = None) -> dict[str, ParticipantForecast]:
        return {k: s.forecast for k, s in self.latest(round).items()}

    def summary(self, round: int | None = None) -> dict:
        """Spreads, pooled forecast and between/within decomposition from the saved forecasts (no fit needed)."""
        out = summarise_forecasts(
            self.assumptions, self.questions, self.answers_by_participant(round), self.forecasts_by_participant(round)
        )
        out["baseline"] = self.baseline.to_dict()
        out["drivers"] = list(self.drivers)
        out["pooled_prior"] = self.pooled_prior
        return out

    # ---- saving --------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "format": "hedgecast-seminar/1",
            "title": self.title,
            "lens": self.lens,
            "created": self.created,
            "synthetic": self.synthetic,
            "note": self.note,
            "assumptions": [a.to_dict() for a in self.assumptions],
            "questions": [{"id": q, "title": t} for q, t in self.questions],
            "baseline": self.baseline.to_dict(),
            "rounds": list(self.rounds),
            "submissions": [s.to_dict() for s in self.submissions],
            "drivers": list(self.drivers),
            "pooled_prior": self.pooled_prior,
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> SeminarResults:
        if d.get("format") != "hedgecast-seminar/1":
            raise ValueError(f"not a saved seminar (format {d.get('format')!r}, expected 'hedgecast-seminar/1')")
        return cls(
            str(d["title"]),
            str(d["lens"]),
            [Assumption.from_dict(a) for a in d["assumptions"]],
            [(q["id"], q["title"]) for q in d["questions"]],
            ParticipantForecast.from_dict(d["baseline"]),
            [Submission.from_dict(s) for s in d.get("submissions", [])],
            list(d.get("rounds", [])),
            str(d.get("created", "")),
            bool(d.get("synthetic", False)),
            list(d.get("drivers") or []),
            d.get("pooled_prior"),
            str(d.get("note", "")),
        )

    def save(self, path: str | Path) -> Path:
        """Write the record as JSON (NaN as null), atomically."""
        return write_atomic(Path(path), dumps(json_safe(self.to_dict()), allow_nan=False) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> SeminarResults:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


# ------------------------------------------------------------------------------------
# exports
# ------------------------------------------------------------------------------------
def _cell(text: str) -> str:
    """Text for a spreadsheet cell: a leading ``= + - @`` is quoted so that no spreadsheet runs it as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def submissions_csv(results: SeminarResults, path: str | Path | None = None) -> str:
    """Every answer of every submission as CSV (:data:`CSV_FIELDS`, one row per answer); written to ``path`` if given."""
    labels = {a.id: a for a in results.assumptions}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for s in sorted(results.submissions, key=lambda s: (s.time, s.participant)):
        for a in s.answers:
            meta = labels.get(a.assumption_id)
            prior = s.priors.get(meta.parameter if meta else a.assumption_id)
            w.writerow([
                _cell(s.participant), s.round, s.time, a.assumption_id, meta.label if meta else "", repr(float(a.most_likely)),
                repr(float(a.low)), repr(float(a.high)), meta.units if meta else "", _cell(a.justification),
                describe_prior(as_prior(prior)) if prior else "", "" if s.forecast.khat != s.forecast.khat else f"{s.forecast.khat:.3f}",
                s.forecast.method,
            ])  # fmt: skip
    text = buf.getvalue()
    if path is not None:
        write_atomic(Path(path), text)
    return text


def provenance_text(participant: str, date: str, answer: Answer, assumption: Assumption) -> str:
    """Return the reason a participant's prior carries: who (anonymous key), when, their justification, and what they answered."""
    why = answer.justification.strip() or "(no justification given)"
    return (
        f"seminar participant {participant}, {date}: {why} "
        f"[answered: most likely {answer.most_likely:g}, 90% range {answer.low:g} to {answer.high:g} {assumption.units}]"
    )


def participant_lens(room: Room, answers: Sequence[Answer], name: str, *, participant: str | None = None, date: str | None = None) -> Lens:
    """Return the room's lens with one participant's priors, each with the justification as its provenance (a reason)."""
    checked = room.validate(answers)
    priors = room.priors(checked)
    who = participant or name
    when = (date or now())[:10]
    lens = room.fit.lens.derive(name, summary=f"Seminar participant {who}'s answers on {when}", author=f"seminar participant {who}")
    for ans in checked:
        a = room.by_id[ans.assumption_id]
        lens = lens.with_prior(a.parameter, priors[a.parameter], reason=provenance_text(who, when, ans, a))
    return lens


def write_participant_lens(
    room: Room, answers: Sequence[Answer], name: str, path: str | Path, *, participant: str | None = None, date: str | None = None
) -> Path:
    """Write :func:`participant_lens` as a lens file (loadable with ``Lens.load(path, spec)``); return the path."""
    return participant_lens(room, answers, name, participant=participant, date=date).save(path)


def submission_priors(sub: Submission) -> dict[str, Prior]:
    """Return the priors a saved submission became."""
    return {k: as_prior(v) for k, v in sub.priors.items()}
