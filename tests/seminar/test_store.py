"""The SQLite record: committed before acknowledging, read back by a new connection, one row per resubmitted form."""

from __future__ import annotations

import sqlite3

from hedgecast.seminar.answers import Answer
from hedgecast.seminar.store import JOIN_ALPHABET, Store, secret_hash


def test_everything_written_is_there_for_a_new_connection(tmp_path):
    path = tmp_path / "seminars" / "s.sqlite3"
    a = Store(path)
    session = a.create_session("baseline", ["x", "y", "z"])
    assert set(session.join_code) <= set(JOIN_ALPHABET) and len(session.join_code) == 6
    assert a.open_round(session.id) == 1
    p = a.add_participant(session.id, "secret-1", "Ayşe")
    sid, created = a.add_submission(
        session.id,
        p.id,
        1,
        "key",
        Answer("x", 1, 0, 2, "why"),
        prior="Normal(mu=1)",
        khat=0.2,
        method="reweighted",
        forecast={"probabilities": {"q": 0.3}},
    )
    assert created
    again, created = a.add_submission(
        session.id, p.id, 1, "key", Answer("x", 5, 0, 9, "other"), prior=None, khat=None, method=None, forecast=None
    )
    assert (again, created) == (sid, False)
    b = Store(path)  # another connection (as after a restart), before the first is closed
    (s,) = b.submissions(session.id)
    assert (s.most_likely, s.justification, s.prior, s.khat, s.method, s.forecast) == (
        1.0,
        "why",
        "Normal(mu=1)",
        0.2,
        "reweighted",
        {"probabilities": {"q": 0.3}},
    )
    assert b.latest_session("baseline").round_open and b.participant(session.id, "secret-1").display_name == "Ayşe"
    assert b.participant(session.id, "secret-2") is None
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert "secret-1" not in path.read_bytes().decode("latin-1") and secret_hash("secret-1") != "secret-1"
    a.close()
    b.close()


def test_rounds_close_and_the_next_opens(tmp_path):
    st = Store(tmp_path / "s.sqlite3")
    sid = st.create_session("baseline", ["x"]).id
    st.open_round(sid)
    st.close_round(sid)
    assert not st.session(sid).round_open
    assert st.open_round(sid) == 2 and st.session(sid).round_open
    st.end_session(sid)
    assert st.latest_session("baseline") is None
    st.close()
