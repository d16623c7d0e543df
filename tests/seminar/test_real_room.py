"""The web app on the real engine (conftest's Room on the mock sampler's fit): forecasts, prior record, lens export, analysis."""

from __future__ import annotations

import time

import pytest
from web_helpers import TOKEN, answer, fac_post, facilitator, join

from hedgecast.seminar.app import create_app
from hedgecast.seminar.service import Seminar
from hedgecast.seminar.store import Store


@pytest.fixture
def real(room, tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    s = Seminar(room, store, lens="baseline", token=TOKEN)
    s.open_round()
    yield s, create_app(s)
    s.close()
    store.close()


def test_real_room_answers_become_priors_forecasts_and_a_lens(real, room):
    seminar, app = real
    a = room.by_id["incident_intercept"]
    c = join(app, seminar)
    r = answer(
        c,
        "k1",
        assumption=a.id,
        low=str(a.baseline["low"]),
        most_likely=str(a.baseline["most_likely"] * 1.1),
        high=str(a.baseline["high"]),
        justification="the Black Sea is busier",
    )
    assert r.status_code == 200, r.text
    state = r.json()["state"]
    assert state["method"] == "reweighted" and 0 <= state["khat"] < 0.7
    probs = state["forecast"]["probabilities"]
    assert set(probs) == {q for q, _ in room.questions} and all(0 <= p <= 1 for p in probs.values())
    assert state["room"] == pytest.approx(probs)
    (sub,) = seminar.store.submissions(seminar.sid)
    assert sub.prior.startswith("Normal(mu=")  # the resulting prior, on the model's scale
    f = facilitator(app)
    lens = f.get("/facilitator/export/lens/P1")
    assert lens.status_code == 200 and "the Black Sea is busier" in lens.text and "seminar participant P1" in lens.text
    deadline = time.time() + 30
    while time.time() < deadline and not f.get("/facilitator/state").json()["analysis_current"]:
        time.sleep(0.1)
    state = f.get("/facilitator/state").json()
    assert state["analysis_current"] and state["questions"][0]["n"] == 1


def test_real_room_rejects_a_rate_outside_its_support(real, room):
    seminar, app = real
    c = join(app, seminar)
    r = answer(c, "k1", assumption="incident_intercept", low="0", most_likely="1", high="3")  # a rate must be above 0
    assert r.status_code == 400 and r.json()["field"] == "low" and "above 0" in r.json()["error"]
    assert fac_post(facilitator(app), "reveal", on="1").status_code == 200


def test_refits_in_the_record_are_reused_after_a_restart(mock_fit, asked, tmp_path):
    """A refit's forecast is stored with its submission; a restarted server's room keeps it, so identical answers are not refitted."""
    from hedgecast.seminar import Answer, Room
    from hedgecast.seminar.records import ParticipantForecast

    runs = []

    def runner(room, answers):  # stands in for the dask worker (tests/seminar/test_live.py does a real one)
        runs.append(len(answers))
        return ParticipantForecast({q: 0.42 for q, _ in room.questions}, {q: 0.01 for q, _ in room.questions}, 5.0, "refit")

    base = Room.from_fit(mock_fit, asked).by_id["incident_intercept"].baseline
    width = base["high"] - base["low"]
    ml = base["high"] + 2 * width
    form = {"assumption": "incident_intercept", "most_likely": str(ml), "low": str(ml - 0.1 * width), "high": str(ml + 0.1 * width)}
    answers = [Answer("incident_intercept", ml, ml - 0.1 * width, ml + 0.1 * width, "x")]
    store = Store(tmp_path / "s.sqlite3")
    first = Seminar(Room.from_fit(mock_fit, asked), store, lens="baseline", token=TOKEN, runner=runner)
    first.open_round()
    first.submit(first.join("one"), "k1", {**form, "justification": "busier seas"})
    deadline = time.time() + 30
    while store.submissions(first.sid)[-1].method != "refit" and time.time() < deadline:
        time.sleep(0.05)
    first.close()
    restarted_room = Room.from_fit(mock_fit, asked)
    assert restarted_room.forecast(answers).pending  # a new room knows nothing of the refit…
    again = Seminar(restarted_room, store, lens="baseline", token=TOKEN, runner=runner)
    try:
        assert not restarted_room.forecast(answers).pending  # …until the record gives it back
        again.submit(again.join("two"), "k2", {**form, "justification": "same numbers"})
        newest = store.submissions(again.sid)[-1]
        assert newest.method == "refit" and set(newest.forecast["probabilities"].values()) == {0.42} and runs == [1]
    finally:
        again.close()
        store.close()
