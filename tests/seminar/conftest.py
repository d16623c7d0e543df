"""A seminar on the fake room, served by Starlette's TestClient, and helpers to join and answer."""

from __future__ import annotations

import pytest
from fake_room import FakeRoom, make_room
from starlette.testclient import TestClient

from hedgecast.seminar.app import create_app
from hedgecast.seminar.security import CSRF_COOKIE
from hedgecast.seminar.service import Seminar
from hedgecast.seminar.store import Store

TOKEN = "facilitator-token-for-tests-0123456789abcdef"


@pytest.fixture
def seminar(tmp_path):
    store = Store(tmp_path / "seminar.sqlite3")
    s = Seminar(FakeRoom(refit_delay=0.05), store, lens="baseline", token=TOKEN, room_factory=make_room, candidates=lambda: FakeRoom().assumptions)
    yield s
    s.close()
    store.close()


@pytest.fixture
def app(seminar):
    return create_app(seminar)


def client(app) -> TestClient:
    return TestClient(app, base_url="http://testserver")


def csrf(c: TestClient) -> str:
    if not c.cookies.get(CSRF_COOKIE):
        c.get("/join")
    return c.cookies.get(CSRF_COOKIE)


def facilitator(app) -> TestClient:
    c = client(app)
    assert c.get(f"/facilitator?token={TOKEN}").status_code == 200
    return c


def fac_post(c: TestClient, action: str, **data):
    return c.post(f"/facilitator/{action}", data={"csrf": csrf(c), **data}, headers={"Accept": "application/json"})


def join(app, seminar, name: str = "") -> TestClient:
    c = client(app)
    r = c.post("/join", data={"csrf": csrf(c), "code": seminar.join_code, "name": name}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def answer(c: TestClient, key: str, assumption: str = "beta.political.leader_ties", json: bool = True, **fields):
    data = {"csrf": csrf(c), "key": key, "assumption": assumption, "most_likely": "0.6", "low": "0.1", "high": "1.2", "justification": "ties held in 2016"}
    data.update(fields)
    headers = {"Accept": "application/json"} if json else {}
    return c.post("/room/answer", data=data, headers=headers, follow_redirects=False)


@pytest.fixture
def opened(app, seminar):
    """The app with round 1 open."""
    seminar.open_round()
    return app
