"""Opening the room in the background: the pages show the fit's progress (timing stages), then the room; or one message on failure."""

from __future__ import annotations

import threading
import time

import pytest
from web_helpers import TOKEN, client, csrf

import hedgecast.workbench as workbench_module
from hedgecast.errors import HedgecastError
from hedgecast.seminar import Room
from hedgecast.seminar.app import create_app
from hedgecast.seminar.opening import Opening
from hedgecast.seminar.service import Seminar
from hedgecast.seminar.store import Store

ASKED = ["escalation_intercept", "incident_intercept", "escalation_ties"]


def wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def test_pages_show_the_fits_progress_then_turn_into_the_room(workbench, baseline, tmp_path, monkeypatch):
    gate, holding = threading.Event(), threading.Event()
    diagnose = workbench_module.diagnose

    def held_diagnose(*args, **kwargs):  # runs inside the fit's own timing stage "fit": hold the fit there
        holding.set()
        gate.wait(60)
        return diagnose(*args, **kwargs)

    monkeypatch.setattr(workbench_module, "diagnose", held_diagnose)
    store = Store(tmp_path / "s.sqlite3")

    def build(opening: Opening) -> Seminar:
        opening.step("Fitting lens baseline", "mock: 2 chains × 20 draws")
        fit = workbench.fit(baseline, sampler="mock", draws=20, chains=2, seed=5)  # the mock sampler: prior draws, no NUTS
        opening.step("Opening the room")
        return Seminar(Room.from_fit(fit, ASKED), store, lens="baseline", token=TOKEN, broker=opening.broker)

    opening = Opening(build, lens="baseline", token=TOKEN).start()
    try:
        app = create_app(opening)
        f, p = client(app), client(app)
        assert holding.wait(120)
        wait_for(lambda: opening.status()["stages"] == ["fit"])  # the fit's own stage (compile, prior draws… have come and gone)
        status = p.get("/status").json()
        assert status["state"] == "fitting" and status["stage"] == "fitting the model" and status["step"] == "Fitting lens baseline"
        assert opening.broker.version >= 2  # every step and stage is announced on the event channel
        assert "drawing from the priors" in [d["stage"] for d in status["done"]]  # the fit's inner stages, finished, with their times
        assert client(app).get("/facilitator?token=wrong").status_code == 403  # the token is checked while the room opens
        page = f.get(f"/facilitator?token={TOKEN}")
        assert page.status_code == 503 and "The model is being fitted" in page.text and "fitting the model" in page.text
        assert "mock: 2 chains × 20 draws" in page.text and page.headers["retry-after"] == "5"
        early = p.get("/join")  # a participant who comes early sees the same page
        assert early.status_code == 503 and "The model is being fitted" in early.text and 'action="/join"' not in early.text
        state = p.get("/room/state")
        assert state.status_code == 503 and state.json()["opening"]["state"] == "fitting"
        gate.set()
        assert opening.wait(120) and opening.status()["state"] == "ready"
        assert p.get("/status").json()["state"] == "ready"
        room = f.get("/facilitator")
        assert room.status_code == 200 and "Facilitator" in room.text and opening.seminar.join_code in room.text
        join = p.get("/join")
        assert join.status_code == 200 and 'action="/join"' in join.text
    finally:
        gate.set()
        opening.close()
        store.close()


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (HedgecastError("lens baseline: the fit's sampler diverged on every chain"), "diverged on every chain"),
        (RuntimeError("nutpie: model compilation ran out of memory"), "RuntimeError: nutpie: model compilation ran out of memory"),
    ],
)
def test_a_failed_fit_is_one_clear_message_in_every_page_not_a_hang(error, says):
    told = []

    def build(opening: Opening):
        opening.step("Fitting lens baseline")
        raise error

    opening = Opening(build, lens="baseline", token=TOKEN, on_done=lambda o: told.append(o.message)).start()
    assert opening.wait(10)
    app = create_app(opening)
    c = client(app)
    status = c.get("/status").json()
    assert status["state"] == "failed" and says in status["message"] and told == [status["message"]]
    for url in ("/join", "/", f"/facilitator?token={TOKEN}"):
        page = c.get(url)
        assert page.status_code == 503 and "The room could not be opened" in page.text and says in page.text
        assert "Traceback" not in page.text and page.text.count('role="alert"') == 1
    posted = c.post("/join", data={"csrf": csrf(c), "code": "ABC234"})
    assert posted.status_code == 503 and says in posted.json()["error"]


def test_loading_a_saved_fit_says_so():
    from hedgecast import timing

    inside = threading.Event()
    go = threading.Event()

    def build(opening: Opening):
        with timing.stage("reuse"):
            inside.set()
            go.wait(10)
        raise HedgecastError("stop here")

    opening = Opening(build, lens="baseline", token=TOKEN).start()
    assert inside.wait(10)
    wait_for(lambda: opening.status()["stages"] == ["reuse"], 10)
    status = opening.status()
    assert status["title"] == "Loading the saved fit" and status["stage"] == "loading the saved fit"
    go.set()
    assert opening.wait(10) and opening.status()["done"] == [{"stage": "loading the saved fit", "seconds": pytest.approx(0, abs=10)}]


def test_every_stage_a_room_can_enter_has_plain_words():
    """The stages a fit times (timing.stage in the package, but the report's own writing) are all worded for the page."""
    import re
    from pathlib import Path

    import hedgecast
    from hedgecast.seminar.opening import STAGE_WORDS

    package = Path(hedgecast.__file__).parent
    used = {m for f in package.rglob("*.py") for m in re.findall(r'timing\.stage\("([^"]+)"\)', f.read_text(encoding="utf-8"))}
    assert {"sampling", "derived groups", "compile"} <= used
    assert used - {"report writing"} <= set(STAGE_WORDS)
    assert set(STAGE_WORDS) <= used  # no words for a stage that no longer exists
