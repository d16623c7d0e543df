"""The seminar web app on the fake room: joining, answering, every bad input, injection, 403s, CSRF, idempotency, rate limits."""

from __future__ import annotations

import time

import pytest
from web_helpers import TOKEN, answer, client, csrf, fac_post, facilitator, join

from hedgecast.seminar.exports import submissions_csv

LEADER = "beta.political.leader_ties"


def test_join_answer_and_see_own_forecast_beside_the_room(opened, seminar):
    c = join(opened, seminar)
    page = c.get("/room")
    assert page.status_code == 200 and "Leader ties hold the relationship together" in page.text
    assert "standard deviations" in page.text  # units beside the question
    r = answer(c, "k1")
    assert r.status_code == 200, r.text
    state = r.json()["state"]
    assert state["method"] == "reweighted"
    mine = state["forecast"]["probabilities"]["rupture_by_2030"]
    assert mine < 0.2  # ties above the baseline: a rupture less likely than the baseline's 20%
    assert state["room"]["rupture_by_2030"] == pytest.approx(mine)  # alone in the room, the pool is them
    assert state["answers"][LEADER]["justification"] == "ties held in 2016"


def test_form_post_without_javascript_redirects_back(opened, seminar):
    c = join(opened, seminar)
    r = answer(c, "k1", json=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/room")
    assert seminar.store.count(seminar.sid) == 1


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"low": "1.0", "high": "0.2", "most_likely": "0.5"}, "high", "low end is above"),  # negative width
        ({"low": "0.5", "high": "0.5", "most_likely": "0.5"}, "high", "no width"),  # zero width
        ({"most_likely": "nan"}, "most likely", "NaN"),
        ({"high": "inf"}, "high", "finite"),
        ({"low": "-1e300"}, "low", "plausible"),  # absurd magnitude
        ({"most_likely": "abc"}, "most likely", "not a number"),
        ({"most_likely": "2.0"}, "most likely", "inside your range"),
        ({"justification": "x" * 2001}, "justification", "too long"),
        ({"justification": "   "}, "justification", "required"),
        ({"assumption": "sigma.political"}, "assumption", "unknown assumption"),
    ],
)
def test_every_bad_input_is_one_clear_message_naming_the_field(opened, seminar, fields, field, words):
    c = join(opened, seminar)
    r = answer(c, "bad", **fields)
    assert r.status_code == 400
    body = r.json()
    assert body["field"] == field and words in body["error"]
    assert seminar.store.count(seminar.sid) == 0
    # without JavaScript the page comes back with the message in it, and the typed values kept
    page = answer(c, "bad2", json=False, **fields)
    assert page.status_code == 400 and 'role="alert"' in page.text and words.split()[0] in page.text


def test_log_scale_answers_must_be_positive(opened, seminar):
    c = join(opened, seminar)
    r = answer(c, "k", assumption="incident_intercept", low="-1", most_likely="1", high="3")
    assert r.status_code == 400 and r.json()["field"] == "low"


def test_script_in_name_and_justification_is_escaped(opened, seminar):
    evil = "<script>alert('x')</script>"
    c = join(opened, seminar, name=evil)
    assert answer(c, "k1", justification=evil + " & <img src=x onerror=alert(1)>").status_code == 200
    own = c.get("/room").text
    assert "<script>alert" not in own and "&lt;script&gt;alert" in own and "<img src=x" not in own
    f = facilitator(opened)
    page = f.get("/facilitator").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "\\u003cscript\\u003e" in page  # the name is in the page's JSON, escaped for a <script> block
    state = f.get("/facilitator/state").json()
    assert state["participants"][0]["name"] == evil  # kept as typed, shown only as text


def test_participants_get_403_on_every_facilitator_endpoint(opened, seminar):
    c = join(opened, seminar)
    for path in ("/facilitator", "/facilitator/state", "/facilitator/events", "/facilitator/export.csv", "/facilitator/export/lens/P1"):
        assert c.get(path).status_code == 403, path
    assert c.post("/facilitator/reveal", data={"csrf": csrf(c), "on": "1"}).status_code == 403
    assert c.get("/facilitator?token=" + TOKEN[:-1] + "x").status_code == 403  # a wrong token, one character off
    assert not seminar.session.revealed


def test_participants_never_see_other_participants_names_or_answers(opened, seminar):
    a = join(opened, seminar, name="Ayşe Secretname")
    b = join(opened, seminar, name="Boris")
    assert answer(a, "k1", justification="my private reason").status_code == 200
    time.sleep(0.01)
    assert answer(b, "k1", most_likely="0.2", low="0.0", high="0.4").status_code == 200
    fac_post(facilitator(opened), "reveal", on="1")
    for text in (b.get("/room").text, b.get("/room/state").text):
        assert "Secretname" not in text and "my private reason" not in text
    group = b.get("/room/state").json()["groups"][LEADER]
    assert group["n"] == 2 and group["q1"] <= group["median"] <= group["q3"]


def test_forms_without_the_csrf_token_are_refused(opened, seminar):
    c = join(opened, seminar)
    assert answer(c, "k1", csrf="forged").status_code == 403
    r = c.post(
        "/room/answer", data={"key": "k2", "assumption": LEADER, "most_likely": "0.5", "low": "0", "high": "1", "justification": "x"}
    )
    assert r.status_code == 403
    cross = answer(c, "k3")  # a genuine token, but posted from another site
    assert cross.status_code == 200
    r = c.post("/room/answer", data={"csrf": csrf(c), "key": "k4", "assumption": LEADER}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    f = facilitator(opened)
    assert f.post("/facilitator/close", data={"csrf": "forged"}).status_code == 403
    assert seminar.session.round_open
    assert seminar.store.count(seminar.sid) == 1


def test_a_resubmitted_form_is_not_counted_twice(opened, seminar):
    c = join(opened, seminar)
    first = answer(c, "same-key")
    again = answer(c, "same-key")  # the browser resent it (reload, lost connection): no 429, no second row
    assert first.status_code == again.status_code == 200
    assert first.json()["created"] and not again.json()["created"]
    assert seminar.store.count(seminar.sid) == 1


def test_submissions_are_rate_limited_per_participant(opened, seminar):
    c = join(opened, seminar)
    other = join(opened, seminar)
    assert answer(c, "k1").status_code == 200
    assert answer(c, "k2").status_code == 429
    assert answer(other, "k1").status_code == 200  # another participant is not slowed down
    seminar.rates.interval = 0.0
    assert answer(c, "k3").status_code == 200


def test_reload_brings_back_answers_and_revisions_replace_them(opened, seminar):
    seminar.rates.interval = 0.0
    c = join(opened, seminar)
    answer(c, "k1", most_likely="0.6")
    answer(c, "k2", most_likely="0.8", justification="revised after the discussion")
    page = c.get("/room").text
    assert 'value="0.8"' in page and "revised after the discussion" in page and "Revise" in page
    state = c.get("/room/state").json()
    assert state["answers"][LEADER]["most_likely"] == 0.8
    assert seminar.store.count(seminar.sid) == 2  # both kept in the record


def test_closed_round_refuses_answers(app, seminar):
    c = join(app, seminar)
    assert answer(c, "k1").status_code == 409  # no round opened yet
    seminar.open_round()
    assert answer(c, "k2").status_code == 200
    seminar.close_round()
    time.sleep(1.01)
    assert answer(c, "k3").status_code == 409


def test_wrong_join_code_and_overlong_name(app, seminar):
    c = client(app)
    r = c.post("/join", data={"csrf": csrf(c), "code": "WRONG1"})
    assert r.status_code == 400 and "join code" in r.text
    r = c.post("/join", data={"csrf": csrf(c), "code": seminar.join_code, "name": "n" * 61})
    assert r.status_code == 400 and "too long" in r.text
    assert c.get("/room", follow_redirects=False).headers["location"] == "/join"


def test_join_code_guessing_is_limited_per_client_address(app, seminar):
    from starlette.testclient import TestClient

    guesser = client(app)
    for i in range(10):
        r = guesser.post("/join", data={"csrf": csrf(guesser), "code": f"WRONG{i}"})
        assert r.status_code == 400 and "join code" in r.text
    r = guesser.post("/join", data={"csrf": csrf(guesser), "code": seminar.join_code}, follow_redirects=False)
    assert r.status_code == 429 and "too many wrong join codes" in r.text  # even the right code, until the minute has passed
    other = TestClient(app, base_url="http://testserver", client=("10.0.0.9", 5000))  # another device is not held up
    assert other.post("/join", data={"csrf": csrf(other), "code": seminar.join_code}, follow_redirects=False).status_code == 303
    limiter = app.state.join_guesses
    now = time.monotonic()
    limiter.clock = lambda: now + limiter.window + 1
    assert guesser.post("/join", data={"csrf": csrf(guesser), "code": seminar.join_code}, follow_redirects=False).status_code == 303


def test_refit_when_khat_is_high_runs_in_the_background(opened, seminar):
    seminar.rates.interval = 0.0
    c = join(opened, seminar)
    r = answer(c, "k1", most_likely="95", low="50", high="120")
    state = r.json()["state"]
    assert state["method"] == "pending" and state["queue_position"] in (0, 1)
    b = join(opened, seminar)
    assert answer(b, "k1", most_likely="95", low="50", high="120").status_code == 200  # identical priors: one refit
    deadline = time.time() + 5
    while time.time() < deadline and c.get("/room/state").json()["method"] == "pending":
        time.sleep(0.02)
    done = c.get("/room/state").json()
    assert done["method"] == "refit" and done["forecast"]["probabilities"]["rupture_by_2030"] is not None
    assert len(seminar.room.refits) == 1
    assert b.get("/room/state").json()["method"] == "refit"


def test_facilitator_controls_and_exports(opened, seminar):
    seminar.rates.interval = 0.0
    f = facilitator(opened)
    c = join(opened, seminar, name="Ayşe")
    answer(c, "k1", justification='said "no", =1+1')
    state = fac_post(f, "reveal", on="1").json()["state"]
    assert state["revealed"] and state["participants"][0]["name"] == "Ayşe"
    q = state["questions"][0]
    assert q["n"] == 1 and len(q["dots"]) == 1 and q["between"] == pytest.approx(0.0)
    csv = f.get("/facilitator/export.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("submission,participant,round") and lines[1].startswith("1,P1,1,")
    assert "Ayşe" not in csv.text  # display names never leave the facilitator's screen
    assert "Normal(mu=0.6" in lines[1]  # the resulting prior
    assert f.get("/facilitator/export/lens/P9").status_code == 404
    saved = f.get("/facilitator/export/seminar.json").json()
    assert saved["format"] == "hedgecast-seminar/1" and saved["submissions"][0]["participant"] == "P1"
    assert saved["submissions"][0]["answers"][0]["justification"] == 'said "no", =1+1'
    assert fac_post(f, "close").json()["state"]["round_open"] is False
    assert fac_post(f, "open").json()["state"]["round"] == 2


def test_csv_export_neutralises_formulas(opened, seminar):
    c = join(opened, seminar)
    answer(c, "k1", justification='=HYPERLINK("http://x")')
    text = submissions_csv(seminar)
    assert "'=HYPERLINK" in text


def test_facilitator_picks_assumptions_before_anyone_answers(app, seminar):
    f = facilitator(app)
    ids = ["beta.political.leader_ties", "incident_intercept"]
    assert fac_post(f, "assumptions", assumption=ids).status_code == 400  # fewer than 3
    three = [*ids, "beta.economic.energy_leverage"]
    r = fac_post(f, "assumptions", assumption=three)
    assert r.status_code == 200 and [a.id for a in seminar.room.assumptions] == three
    seminar.open_round()
    answer(join(app, seminar), "k1")
    assert fac_post(f, "assumptions", assumption=list(reversed(three))).status_code == 400  # too late: the room has answered


def test_facilitator_ends_the_session_then_starts_a_new_one(opened, seminar):
    seminar.rates.interval = 0.0
    f = facilitator(opened)
    c = join(opened, seminar)
    assert answer(c, "k1").status_code == 200
    assert fac_post(f, "new").status_code == 400  # only once this one has ended
    assert c.post("/facilitator/end", data={"csrf": csrf(c)}, headers={"Accept": "application/json"}).status_code == 403
    assert f.post("/facilitator/end", data={}, headers={"Accept": "application/json"}).status_code == 403  # no CSRF token
    assert not seminar.session.ended
    old = seminar.join_code
    state = fac_post(f, "end").json()["state"]
    assert state["ended"] and not state["round_open"]
    r = answer(c, "k2", most_likely="0.7")
    assert r.status_code == 410 and "the session has ended" in r.json()["error"]
    assert answer(c, "k3", json=False).status_code == 410
    assert "The session has ended" in c.get("/room").text and c.get("/room/state").json()["ended"]
    newcomer = client(opened)
    r = newcomer.post("/join", data={"csrf": csrf(newcomer), "code": old})
    assert r.status_code == 410 and "the session has ended" in r.text
    assert fac_post(f, "open").status_code == 400
    assert seminar.store.count(seminar.sid) == 1
    assert f.get("/facilitator/export.csv").text.count("\n") == 2  # the record stays: header and one answer
    saved = seminar.store.path.parent / f"seminar-{old}.csv"
    assert saved.exists() and ",P1,1," in saved.read_text() and (saved.with_suffix(".json")).exists()
    assert "This session has ended" in f.get("/facilitator").text
    state = fac_post(f, "new").json()["state"]
    assert state["join_code"] != old and not state["ended"] and state["submissions"] == 0 and state["participants"] == []
    assert "The session has ended" in c.get("/room").text  # the old session's participant
    earlier = f.get(f"/facilitator/export/session/{old}.csv")
    assert earlier.status_code == 200 and ",P1,1," in earlier.text and old in f.get("/facilitator").text
    assert f.get("/facilitator/export/session/..%2Fseminar.sqlite3").status_code == 404
    assert c.get(f"/facilitator/export/session/{old}.csv").status_code == 403
    fresh = join(opened, seminar)
    assert fac_post(f, "open").json()["state"]["round"] == 1 and answer(fresh, "n1").status_code == 200


def test_an_ended_session_stays_ended_after_a_restart(tmp_path):
    from fake_room import FakeRoom

    from hedgecast.seminar.app import create_app
    from hedgecast.seminar.service import Seminar
    from hedgecast.seminar.store import Store

    store = Store(tmp_path / "s.sqlite3")
    first = Seminar(FakeRoom(), store, lens="baseline", token=TOKEN)
    first.join("participant-secret")
    first.end_session()
    ended_sid = first.sid
    first.close()
    store.close()
    store = Store(tmp_path / "s.sqlite3")
    again = Seminar(FakeRoom(), store, lens="baseline", token=TOKEN)
    try:
        assert again.sid != ended_sid and store.session(ended_sid).ended and not again.session.ended
        c = client(create_app(again))
        c.cookies.set("hc_participant", "participant-secret")
        assert "The session has ended" in c.get("/room").text
    finally:
        again.close()
        store.close()
