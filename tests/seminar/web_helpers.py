"""Helpers for the seminar web tests: a client, the CSRF token, joining, answering, facilitator actions."""

from __future__ import annotations

from starlette.testclient import TestClient

from hedgecast.seminar.security import CSRF_COOKIE

TOKEN = "facilitator-token-for-tests-0123456789abcdef"


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
    data = {
        "csrf": csrf(c),
        "key": key,
        "assumption": assumption,
        "most_likely": "0.6",
        "low": "0.1",
        "high": "1.2",
        "justification": "ties held in 2016",
    }
    data.update(fields)
    headers = {"Accept": "application/json"} if json else {}
    return c.post("/room/answer", data=data, headers=headers, follow_redirects=False)
