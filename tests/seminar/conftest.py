"""A seminar room on the session's mock fit (prior draws dressed as a posterior: no sampler), and a seminar web app on the fake room."""

from __future__ import annotations

import pytest
from fake_room import FakeRoom
from web_helpers import TOKEN

from hedgecast.seminar import Answer, Room
from hedgecast.seminar.app import create_app
from hedgecast.seminar.service import Seminar
from hedgecast.seminar.store import Store

ASKED = ["escalation_intercept", "incident_intercept", "escalation_ties", "beta.political.leader_ties"]


@pytest.fixture(scope="module")
def asked():
    return list(ASKED)


@pytest.fixture(scope="module")
def room(mock_fit):
    return Room.from_fit(mock_fit, ASKED)


@pytest.fixture
def at_baseline():
    """Answers that restate the lens's own priors (for the given room)."""

    def make(room, ids=None):
        return [
            Answer(a.id, a.baseline["most_likely"], a.baseline["low"], a.baseline["high"], "the lens's prior")
            for a in room.assumptions
            if ids is None or a.id in ids
        ]

    return make


@pytest.fixture
def seminar(tmp_path):
    """A seminar on the fake room (see fake_room.py), recorded in a temporary SQLite file."""
    store = Store(tmp_path / "seminar.sqlite3")
    s = Seminar(FakeRoom(refit_delay=0.05), store, lens="baseline", token=TOKEN)
    yield s
    s.close()
    store.close()


@pytest.fixture
def app(seminar):
    return create_app(seminar)


@pytest.fixture
def opened(app, seminar):
    """The app with round 1 open."""
    seminar.open_round()
    return app
