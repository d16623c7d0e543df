"""The room's engine on the mock fit: assumptions in plain words, reweighted forecasts, refits."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from mock_room import ASKED, at_baseline

from hedgecast.forecasting.questions import estimate
from hedgecast.seminar import Answer, Room, SeminarInputError
from hedgecast.stress.psis import K_THRESHOLD

RUPTURE = "rupture_2027_2030"
INCIDENT = "incident_2027"
INTERNAL = re.compile(r"[a-z]+_[a-z_]+|\(location\)|\bbeta\b")


def test_room_asks_what_it_was_told_in_plain_words(room):
    assert [a.id for a in room.assumptions] == ASKED
    for a in room.assumptions:
        for text in (a.label, a.question, a.units, a.meaning):
            assert text and not INTERNAL.search(text), text
        b = a.baseline
        assert b["low"] < b["most_likely"] < b["high"]
    assert RUPTURE in dict(room.questions) and INCIDENT in dict(room.questions)


def test_baseline_is_the_share_of_paths(room):
    i = [q for q, _ in room.questions].index(RUPTURE)
    assert room.baseline.probabilities[RUPTURE] == pytest.approx(room.outcomes[i].mean())
    assert room.baseline.mcse[RUPTURE] == pytest.approx(estimate(room.outcome_grid[i]).se)


def test_default_room_picks_the_most_influential(mock_fit):
    r = Room.from_fit(mock_fit, n=3)
    assert len(r.assumptions) == 3
    swings = [r.influence[a.id] for a in r.assumptions]
    assert swings == sorted(swings, reverse=True)
    assert min(swings) >= max(v for k, v in r.influence.items() if k not in {a.id for a in r.assumptions})


def test_unknown_assumption_for_a_room(mock_fit):
    with pytest.raises(SeminarInputError) as err:
        Room.from_fit(mock_fit, ["nu"])
    assert err.value.field == "assumptions"


def test_the_same_room_asks_other_assumptions_without_forecasting_again(room, mock_fit):
    other = [c.id for c in room.candidates() if c.id not in {a.id for a in room.assumptions}][:3]
    again = room.with_assumptions(other)
    assert [a.id for a in again.assumptions] == other and [a.id for a in room.assumptions] == ASKED
    assert again.forecast_data is room.forecast_data and again.reweighter is room.reweighter  # nothing recomputed
    assert again.baseline.probabilities == room.baseline.probabilities
    assert {c.id for c in room.candidates()} == {c.id for c in Room.from_fit(mock_fit, other).candidates()}
    with pytest.raises(SeminarInputError) as err:
        room.with_assumptions(["nu"])
    assert err.value.field == "assumptions"


def test_validate_rejects_unknown_and_repeated(room):
    with pytest.raises(SeminarInputError) as err:
        room.validate([Answer("cushion", 0.1, 0, 1)])
    assert err.value.field == "assumption_id"
    a = room.assumptions[0]
    ans = Answer(a.id, a.baseline["most_likely"], a.baseline["low"], a.baseline["high"])
    with pytest.raises(SeminarInputError):
        room.validate([ans, ans])
    with pytest.raises(SeminarInputError) as err:
        room.validate([Answer("escalation_intercept", 30, 10, 150)])
    assert err.value.field == "escalation_intercept.high"


def test_no_change_is_the_baseline(room):
    for answers in ([], at_baseline(room)):
        f = room.forecast(answers)
        assert f.method == "reweighted" and not f.pending
        for q, p in room.baseline.probabilities.items():
            assert f.probabilities[q] == pytest.approx(p, abs=1e-9)


def test_a_likelier_escalation_raises_the_rupture_forecast(room):
    base = room.baseline.probabilities
    up = room.forecast([Answer("escalation_intercept", 25, 8, 55, "2015 escalated quickly")])
    down = room.forecast([Answer("escalation_intercept", 5, 1.5, 15, "leaders defuse")])
    assert up.method == down.method == "reweighted"
    assert up.khat <= K_THRESHOLD and down.khat <= K_THRESHOLD
    assert up.probabilities[RUPTURE] > base[RUPTURE] + 2 * up.mcse[RUPTURE]
    assert down.probabilities[RUPTURE] < base[RUPTURE]
    more = room.forecast([Answer("incident_intercept", 0.6, 0.3, 1.2, "busy Black Sea")])
    assert more.probabilities[INCIDENT] > base[INCIDENT]


def test_high_khat_needs_a_refit_then_gets_it(room):
    extreme = [Answer("escalation_intercept", 90, 85, 95, "every incident escalates")]
    f = room.forecast(extreme)
    assert f.khat > K_THRESHOLD
    assert f.method == "refit" and f.pending
    assert all(math.isnan(p) for p in f.probabilities.values())
    assert room.refit_needed(extreme)
    r = room.refit_forecast(extreme)
    assert r.method == "refit" and not r.pending
    assert all(0 <= p <= 1 for p in r.probabilities.values())
    assert room.refit_forecast(extreme) is r  # identical priors are fitted once
    assert room.forecast(extreme) is r and not room.refit_needed(extreme)
    assert r.probabilities[RUPTURE] > room.baseline.probabilities[RUPTURE]


def test_room_lens_carries_the_answers(room):
    lens = room.lens([Answer("escalation_ties", 0.5, 0.3, 0.9, "ties restrain less than thought")])
    p = lens.priors["escalation_ties"].prior
    assert p.distribution == "Normal" and p.parameters["mu"] == pytest.approx(np.log(0.5))


def test_every_candidate_is_worded_and_its_baseline_answer_is_valid(room):
    from hedgecast.seminar.engine import candidate_assumptions

    cands = candidate_assumptions(room.fit.lens)
    groups = {c.id.split(".")[0] for c in cands}
    assert {"rho", "sigma", "escalation_ties", "beta", "war_effect"} <= groups
    for c in cands:
        for text in (c.label, c.question, c.units, c.meaning):
            assert not INTERNAL.search(text), text
        ans = Answer(c.id, c.baseline["most_likely"], c.baseline["low"], c.baseline["high"])
        from hedgecast.seminar.answers import answer_prior, check_answer

        prior = answer_prior(check_answer(ans, c.wording), c.wording, c.family, room.fit.lens.priors[c.id].prior)
        assert prior.distribution == c.family


def test_persistence_is_asked_as_a_percentage(room):
    from hedgecast.seminar.engine import candidate_assumptions

    rho = next(c for c in candidate_assumptions(room.fit.lens) if c.id == "rho.political")
    assert rho.units.startswith("%") and 0 < rho.baseline["low"] < rho.baseline["high"] < 100
    with pytest.raises(SeminarInputError) as err:
        from hedgecast.seminar.answers import check_answer

        check_answer(Answer("rho.political", 50, 20, 120), rho.wording)
    assert err.value.field == "rho.political.high"
