"""kill -9 loses nothing acknowledged: the real server (``hedgecast seminar`` on the fake room) in a subprocess.

Three participants answer over HTTP; the server is killed with SIGKILL; a new server on the
same project folder resumes the session: every acknowledged submission is there, the join code
is the same, and each participant's cookie brings back their answers.
"""

from __future__ import annotations

import signal
import time

import httpx
import pytest
from server_helpers import close_pipes, csrf, free_port, start, stop


@pytest.fixture
def clients():
    """HTTP clients, all closed at the end."""
    made: list[httpx.Client] = []

    def new(base: str) -> httpx.Client:
        made.append(httpx.Client(base_url=base, timeout=10))
        return made[-1]

    yield new
    for c in made:
        c.close()


def test_kill_minus_9_loses_no_acknowledged_submission(tmp_path, clients):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc, printed = start(tmp_path, port)
    try:
        fac = clients(base)
        assert fac.get(f"/facilitator?token={printed['token']}", follow_redirects=True).status_code == 200
        assert fac.post("/facilitator/open", data={"csrf": csrf(fac)}).status_code in (200, 303)
        people = []
        for i in range(3):
            c = clients(base)
            r = c.post("/join", data={"csrf": csrf(c), "code": printed["code"], "name": f"n{i}"})
            assert r.status_code == 303
            people.append(c)
        acked = []
        ids = ["beta.political.leader_ties", "beta.economic.energy_leverage", "incident_intercept"]
        values = {
            "beta.political.leader_ties": (0.1, 0.5, 0.9),
            "beta.economic.energy_leverage": (-0.1, 0.3, 0.7),
            "incident_intercept": (0.5, 1, 2),
        }
        for k, aid in enumerate(ids):
            for i, c in enumerate(people):
                low, ml, high = values[aid]
                data = {"csrf": csrf(c), "key": f"k{k}", "assumption": aid, "low": low, "most_likely": ml + 0.01 * i, "high": high}
                r = c.post("/room/answer", data={**data, "justification": f"reason {i}-{k}"}, headers={"Accept": "application/json"})
                assert r.status_code == 200, r.text
                acked.append((i, aid, ml + 0.01 * i))
            time.sleep(1.05)  # the per-participant rate limit
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        close_pipes(proc)
    assert proc.returncode == -signal.SIGKILL

    proc, again = start(tmp_path, port)
    try:
        assert again["code"] == printed["code"] and again["token"] != printed["token"]  # same session, new token
        fac = clients(base)
        assert fac.get(f"/facilitator?token={printed['token']}").status_code == 403  # the old token died with the server
        state = fac.get(f"/facilitator/state?token={again['token']}").json()
        assert state["submissions"] == len(acked) and state["round_open"]
        for i, c in enumerate(people):  # their cookies bring their answers back
            mine = c.get("/room/state").json()["answers"]
            assert {aid: a["most_likely"] for aid, a in mine.items()} == {aid: ml for j, aid, ml in acked if j == i}
            assert mine[ids[0]]["justification"] == f"reason {i}-0"
    finally:
        if not stop(proc):
            pytest.fail("the server did not stop on SIGTERM")
