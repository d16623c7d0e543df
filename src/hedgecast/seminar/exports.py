"""What a seminar exports: every submission as CSV, a participant's answers as a lens file, the record for the report.

The lens file and the record are the engine's (:mod:`hedgecast.seminar.results`): a lens whose
priors carry each justification as provenance, and ``SeminarResults`` saved as
``reports/seminar.json``, which ``hedgecast report`` turns into its seminar section. The CSV is
the server's own record, one row per answer submitted. Participants appear by their anonymous
label only: display names never leave the facilitator's screen.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

from hedgecast.seminar.service import PENDING, Seminar, label
from hedgecast.seminar.store import Submission


def submissions_csv(seminar: Seminar) -> str:
    """Every submission (who, when, what, why, the resulting prior, k̂, method, forecast) as CSV.

    Participants by their anonymous label: display names never leave the facilitator's screen.
    """
    qids = [q for q, _ in seminar.room.questions]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        ["submission", "participant", "round", "time_utc", "assumption", "most_likely", "low", "high", "justification"]
        + ["prior", "khat", "method"]
        + [f"p_{q}" for q in qids]
    )
    for s in seminar.store.submissions(seminar.sid):
        probs = (s.forecast or {}).get("probabilities", {})
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(s.created))
        w.writerow(
            [s.id, label(s.participant_number), s.round, when, s.assumption_id, s.most_likely, s.low, s.high]
            + [_csv_safe(s.justification), s.prior or "", "" if s.khat is None else f"{s.khat:.3f}", s.method or ""]
            + ["" if probs.get(q) is None else f"{probs[q]:.4f}" for q in qids]
        )
    return buf.getvalue()


def answers_by_participant(seminar: Seminar) -> dict[str, list]:
    """Every participant's current answers, by anonymous label (for the engine's exports)."""
    numbers = {p.id: p.number for p in seminar.store.participants(seminar.sid)}
    return {label(numbers[pid]): seminar.answers_of(subs) for pid, subs in seminar.store.current(seminar.sid).items() if subs}


def participant_lens_toml(seminar: Seminar, who: str) -> str | None:
    """Participant ``who``'s answers as a lens file (TOML; the justifications are the priors' reasons); None: no answers."""
    from hedgecast.priors.lens_file import lens_toml
    from hedgecast.seminar.results import participant_lens

    answers = answers_by_participant(seminar).get(who)
    if not answers:
        return None
    with seminar.engine_lock:
        lens = participant_lens(seminar.room, answers, f"seminar_{seminar.join_code.lower()}_{who.lower()}", participant=who)
    return lens_toml(lens.to_toml_dict(), lens.extends)


def seminar_results(seminar: Seminar):
    """Return the seminar as the engine records it (:class:`~hedgecast.seminar.results.SeminarResults`).

    Every submission with the participant's full set of answers at that moment, the rounds,
    and the latest analysis.
    """
    from hedgecast.seminar.records import ParticipantForecast
    from hedgecast.seminar.results import SeminarResults
    from hedgecast.seminar.results import Submission as Record
    from hedgecast.stress.changes import prior_record

    res = SeminarResults(
        f"Seminar {seminar.join_code}", seminar.lens, list(seminar.room.assumptions), list(seminar.room.questions), seminar.room.baseline
    )
    res.created = _iso(min((s.created for s in seminar.store.submissions(seminar.sid)), default=time.time()))
    held: dict[int, dict[str, Submission]] = {}
    for s in seminar.store.submissions(seminar.sid):
        held.setdefault(s.participant_id, {})[s.assumption_id] = s
        answers = seminar.answers_of(held[s.participant_id])
        with seminar.engine_lock:
            priors = {k: prior_record(v) for k, v in seminar.room.priors(answers).items()}
        stored = s.forecast or {"probabilities": {q: None for q, _ in seminar.room.questions}}
        fc = ParticipantForecast.from_dict({**stored, "method": s.method or "reweighted", "pending": s.method == PENDING})
        res.submissions.append(Record(label(s.participant_number), s.round, _iso(s.created), tuple(answers), fc, priors))
    res.rounds = [
        {"number": r["number"], "opened": _iso(r["opened"]), "closed": r["closed"] and _iso(r["closed"])}
        for r in seminar.store.rounds(seminar.sid)
    ]
    analysis = seminar.analysis()
    res.drivers, res.pooled_prior = list(analysis.get("drivers", [])), analysis.get("pooled_prior")
    return res


def save_results(seminar: Seminar) -> tuple[str, Path | None]:
    """The record as JSON text, also saved to ``results_path`` (where ``hedgecast report`` finds it) when set."""
    from hedgecast.files import dumps, json_safe

    res = seminar_results(seminar)
    path = None if seminar.results_path is None else res.save(seminar.results_path)
    return dumps(json_safe(res.to_dict()), allow_nan=False) + "\n", path


def saved_paths(seminar: Seminar, join_code: str) -> dict[str, Path]:
    """Where an ended session's record is kept beside the seminar database: ``seminar-<code>.csv`` and ``.json``."""
    folder = seminar.store.path.parent
    return {"csv": folder / f"seminar-{join_code}.csv", "json": folder / f"seminar-{join_code}.json"}


def save_ended(seminar: Seminar) -> dict[str, Path]:
    """Keep the session's record as files (every submission as CSV, the results as JSON; also ``results_path`` for the report)."""
    from hedgecast.files import write_atomic

    paths = saved_paths(seminar, seminar.join_code)
    write_atomic(paths["csv"], submissions_csv(seminar))
    text, _ = save_results(seminar)
    write_atomic(paths["json"], text)
    return paths


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t))


def _csv_safe(text: str) -> str:
    """Text that a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


__all__ = [
    "answers_by_participant",
    "participant_lens_toml",
    "save_ended",
    "save_results",
    "saved_paths",
    "seminar_results",
    "submissions_csv",
]
