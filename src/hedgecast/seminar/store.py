"""The seminar's record in SQLite: sessions, rounds, participants and every submission.

Nothing acknowledged is lost: each write is committed (WAL journal, ``synchronous=FULL``)
before the server answers the request that made it, so a server killed with ``kill -9``
and restarted finds every submission it ever acknowledged. One connection, guarded by a
lock, serves the server's threads; SQLite's own file locking keeps a second process honest.

Participants are stored by the SHA-256 of their cookie secret, never the secret itself; a
facilitator token is never stored (each server start prints a new one).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    lens TEXT NOT NULL,
    join_code TEXT NOT NULL UNIQUE,
    assumptions TEXT NOT NULL,          -- JSON list of assumption ids
    revealed INTEGER NOT NULL DEFAULT 0,
    ended REAL
);
CREATE TABLE IF NOT EXISTS rounds (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    number INTEGER NOT NULL,
    opened REAL NOT NULL,
    closed REAL,
    UNIQUE (session_id, number)
);
CREATE TABLE IF NOT EXISTS participants (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    secret_hash TEXT NOT NULL UNIQUE,
    number INTEGER NOT NULL,            -- "participant 3": the anonymous label
    display_name TEXT NOT NULL DEFAULT '',
    joined REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    participant_id INTEGER NOT NULL REFERENCES participants(id),
    round INTEGER NOT NULL,
    created REAL NOT NULL,
    idempotency_key TEXT NOT NULL,
    assumption_id TEXT NOT NULL,
    most_likely REAL NOT NULL,
    low REAL NOT NULL,
    high REAL NOT NULL,
    justification TEXT NOT NULL,
    prior TEXT,                          -- the resulting prior, as the engine describes it
    khat REAL,
    method TEXT,                         -- reweighted | refit | pending (refit queued)
    forecast TEXT,                       -- JSON {"probabilities": {...}, "mcse": {...}}
    UNIQUE (participant_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS submissions_by_session ON submissions (session_id, participant_id, assumption_id, id);
"""

JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on a phone


def secret_hash(secret: str) -> str:
    """The stored form of a participant's cookie secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_join_code(length: int = 6) -> str:
    """A short join code (about 30 bits; the facilitator token, not this code, guards the room's controls)."""
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class Session:
    id: int
    lens: str
    join_code: str
    assumptions: tuple[str, ...]
    revealed: bool
    round: int  # the latest round's number (0: none opened yet)
    round_open: bool
    ended: bool = False  # the facilitator ended it: no more answers, a restart does not resume it


@dataclass(frozen=True)
class Participant:
    id: int
    number: int
    display_name: str


@dataclass(frozen=True)
class Submission:
    id: int
    participant_id: int
    participant_number: int
    display_name: str
    round: int
    created: float
    idempotency_key: str
    assumption_id: str
    most_likely: float
    low: float
    high: float
    justification: str
    prior: str | None
    khat: float | None
    method: str | None
    forecast: dict | None


class Store:
    """The seminar database at ``path`` (created with its folder when missing)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One committed transaction (committed before returning: the caller may then acknowledge)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, *args) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _all(self, sql: str, *args) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # ------------------------------------------------------------------ sessions and rounds
    def create_session(self, lens: str, assumptions: list[str]) -> Session:
        with self._tx() as db:
            while True:
                code = new_join_code()
                if db.execute("SELECT 1 FROM sessions WHERE join_code = ?", (code,)).fetchone() is None:
                    break
            cur = db.execute(
                "INSERT INTO sessions (created, lens, join_code, assumptions) VALUES (?, ?, ?, ?)",
                (time.time(), lens, code, json.dumps(list(assumptions))),
            )
            sid = cur.lastrowid
        return self.session(sid)

    def latest_session(self, lens: str) -> Session | None:
        """The newest session of ``lens`` not ended (the one a restarted server resumes)."""
        row = self._one("SELECT id FROM sessions WHERE lens = ? AND ended IS NULL ORDER BY id DESC LIMIT 1", lens)
        return None if row is None else self.session(row["id"])

    def session(self, sid: int) -> Session:
        row = self._one("SELECT * FROM sessions WHERE id = ?", sid)
        rnd = self._one("SELECT number, closed FROM rounds WHERE session_id = ? ORDER BY number DESC LIMIT 1", sid)
        return Session(
            id=row["id"],
            lens=row["lens"],
            join_code=row["join_code"],
            assumptions=tuple(json.loads(row["assumptions"])),
            revealed=bool(row["revealed"]),
            round=0 if rnd is None else rnd["number"],
            round_open=rnd is not None and rnd["closed"] is None,
            ended=row["ended"] is not None,
        )

    def set_assumptions(self, sid: int, assumptions: list[str]) -> None:
        with self._tx() as db:
            db.execute("UPDATE sessions SET assumptions = ? WHERE id = ?", (json.dumps(list(assumptions)), sid))

    def set_revealed(self, sid: int, revealed: bool) -> None:
        with self._tx() as db:
            db.execute("UPDATE sessions SET revealed = ? WHERE id = ?", (int(revealed), sid))

    def end_session(self, sid: int) -> None:
        """End the session (its open round closes with it); ending it again changes nothing."""
        with self._tx() as db:
            now = time.time()
            db.execute("UPDATE rounds SET closed = ? WHERE session_id = ? AND closed IS NULL", (now, sid))
            db.execute("UPDATE sessions SET ended = ? WHERE id = ? AND ended IS NULL", (now, sid))

    def ended_sessions(self, lens: str) -> list[Session]:
        """The sessions of ``lens`` that have ended, newest first."""
        rows = self._all("SELECT id FROM sessions WHERE lens = ? AND ended IS NOT NULL ORDER BY id DESC", lens)
        return [self.session(r["id"]) for r in rows]

    def session_of(self, secret: str) -> int | None:
        """The session a participant's cookie secret belongs to (None: nobody's)."""
        row = self._one("SELECT session_id FROM participants WHERE secret_hash = ?", secret_hash(secret))
        return None if row is None else row["session_id"]

    def open_round(self, sid: int) -> int:
        """Open the next round (closing an open one); return its number."""
        with self._tx() as db:
            now = time.time()
            db.execute("UPDATE rounds SET closed = ? WHERE session_id = ? AND closed IS NULL", (now, sid))
            row = db.execute("SELECT COALESCE(MAX(number), 0) AS n FROM rounds WHERE session_id = ?", (sid,)).fetchone()
            number = row["n"] + 1
            db.execute("INSERT INTO rounds (session_id, number, opened) VALUES (?, ?, ?)", (sid, number, now))
        return number

    def close_round(self, sid: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE rounds SET closed = ? WHERE session_id = ? AND closed IS NULL", (time.time(), sid))

    def rounds(self, sid: int) -> list[sqlite3.Row]:
        return self._all("SELECT number, opened, closed FROM rounds WHERE session_id = ? ORDER BY number", sid)

    # ------------------------------------------------------------------ participants
    def add_participant(self, sid: int, secret: str, display_name: str = "") -> Participant:
        with self._tx() as db:
            row = db.execute("SELECT COALESCE(MAX(number), 0) AS n FROM participants WHERE session_id = ?", (sid,)).fetchone()
            cur = db.execute(
                "INSERT INTO participants (session_id, secret_hash, number, display_name, joined) VALUES (?, ?, ?, ?, ?)",
                (sid, secret_hash(secret), row["n"] + 1, display_name, time.time()),
            )
            return Participant(cur.lastrowid, row["n"] + 1, display_name)

    def participant(self, sid: int, secret: str) -> Participant | None:
        """The participant of session ``sid`` whose cookie secret is ``secret`` (None: not one of this session's)."""
        row = self._one("SELECT * FROM participants WHERE session_id = ? AND secret_hash = ?", sid, secret_hash(secret))
        return None if row is None else Participant(row["id"], row["number"], row["display_name"])

    def participants(self, sid: int) -> list[Participant]:
        rows = self._all("SELECT * FROM participants WHERE session_id = ? ORDER BY number", sid)
        return [Participant(r["id"], r["number"], r["display_name"]) for r in rows]

    # ------------------------------------------------------------------ submissions
    def add_submission(
        self,
        sid: int,
        participant_id: int,
        round_number: int,
        key: str,
        answer,
        *,
        prior: str | None,
        khat: float | None,
        method: str | None,
        forecast: dict | None,
    ) -> tuple[int, bool]:
        """Record one answer; return ``(submission id, created)``; ``created`` is False for a resubmitted form."""
        with self._tx() as db:
            old = db.execute(
                "SELECT id FROM submissions WHERE participant_id = ? AND idempotency_key = ?", (participant_id, key)
            ).fetchone()
            if old is not None:
                return old["id"], False
            cur = db.execute(
                "INSERT INTO submissions (session_id, participant_id, round, created, idempotency_key, assumption_id,"
                " most_likely, low, high, justification, prior, khat, method, forecast)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sid,
                    participant_id,
                    round_number,
                    time.time(),
                    key,
                    answer.assumption_id,
                    answer.most_likely,
                    answer.low,
                    answer.high,
                    answer.justification,
                    prior,
                    khat,
                    method,
                    None if forecast is None else json.dumps(forecast),
                ),
            )
            return cur.lastrowid, True

    def has_key(self, participant_id: int, key: str) -> bool:
        return self._one("SELECT 1 FROM submissions WHERE participant_id = ? AND idempotency_key = ?", participant_id, key) is not None

    def set_forecast(self, submission_id: int, *, khat: float | None, method: str, forecast: dict | None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE submissions SET khat = ?, method = ?, forecast = ? WHERE id = ?",
                (khat, method, None if forecast is None else json.dumps(forecast), submission_id),
            )

    def submissions(self, sid: int) -> list[Submission]:
        """Every submission of the session, oldest first."""
        rows = self._all(
            "SELECT s.*, p.number AS pnumber, p.display_name AS pname FROM submissions s"
            " JOIN participants p ON p.id = s.participant_id WHERE s.session_id = ? ORDER BY s.id",
            sid,
        )
        return [_submission(r) for r in rows]

    def current(self, sid: int) -> dict[int, dict[str, Submission]]:
        """Each participant's latest submission per assumption: ``{participant id: {assumption id: submission}}``."""
        latest: dict[int, dict[str, Submission]] = {}
        for s in self.submissions(sid):
            latest.setdefault(s.participant_id, {})[s.assumption_id] = s
        return latest

    def count(self, sid: int) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM submissions WHERE session_id = ?", sid)
        return row["n"]


def _submission(r: sqlite3.Row) -> Submission:
    return Submission(
        id=r["id"],
        participant_id=r["participant_id"],
        participant_number=r["pnumber"],
        display_name=r["pname"],
        round=r["round"],
        created=r["created"],
        idempotency_key=r["idempotency_key"],
        assumption_id=r["assumption_id"],
        most_likely=r["most_likely"],
        low=r["low"],
        high=r["high"],
        justification=r["justification"],
        prior=r["prior"],
        khat=r["khat"],
        method=r["method"],
        forecast=None if r["forecast"] is None else json.loads(r["forecast"]),
    )


__all__ = ["JOIN_ALPHABET", "Participant", "Session", "Store", "Submission", "new_join_code", "secret_hash"]
