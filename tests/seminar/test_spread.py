"""The group's answers, the pooled forecast and the between/within decomposition, against direct NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from mock_room import at_baseline

from hedgecast.seminar import Answer
from hedgecast.seminar.spread import answer_spread, decompose

RUPTURE = "rupture_2027_2030"


def test_iqr_and_who_is_outside():
    values = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0, "e": 10.0}
    s = answer_spread(values)
    q1, med, q3 = np.percentile(list(values.values()), [25, 50, 75])
    assert (s["q1"], s["median"], s["q3"]) == (q1, med, q3) == (2.0, 3.0, 4.0)
    assert s["outside"] == ["a", "e"] and s["n"] == 5
    assert answer_spread({})["median"] is None


def test_decomposition_sums_to_the_total():
    probs = {"a": 0.2, "b": 0.5, "c": 0.65}
    se = {"a": 0.01, "b": 0.02, "c": 0.03}
    d = decompose(probs, se)
    p = np.array(list(probs.values()))
    assert d["pooled"] == pytest.approx(p.mean())
    assert d["between"] == pytest.approx(np.var(p))
    assert d["within"] == pytest.approx(np.mean(p * (1 - p)))
    assert d["between"] + d["within"] == pytest.approx(d["total"]) and d["total"] == pytest.approx(p.mean() * (1 - p.mean()))
    # the law of total variance over participant × path, checked by brute force on 0/1 outcomes
    paths = np.concatenate([np.r_[np.ones(int(1000 * x)), np.zeros(1000 - int(1000 * x))] for x in p])
    assert np.var(paths) == pytest.approx(d["total"])
    assert d["pooled_mcse"] == pytest.approx(np.sqrt(np.sum((np.array(list(se.values())) / 3) ** 2)))
    assert d["mc_noise"] == pytest.approx(np.mean(np.array(list(se.values())) ** 2))


def test_decomposition_leaves_out_pending_forecasts():
    d = decompose({"a": 0.2, "b": float("nan"), "c": 0.4})
    assert d["n"] == 2 and d["pooled"] == pytest.approx(0.3)


def test_room_summary_matches_numpy(room):
    answers = {
        "p1": at_baseline(room),
        "p2": [Answer("escalation_intercept", 25, 8, 55, "2015")],
        "p3": [Answer("escalation_intercept", 6, 2, 15, "defused"), Answer("incident_intercept", 0.4, 0.15, 1.0, "")],
        "p4": [Answer("escalation_intercept", 15, 5, 35, "")],
    }
    s = room.summary(answers)
    f = {k: room.forecast(v) for k, v in answers.items()}
    q = next(x for x in s["questions"] if x["id"] == RUPTURE)
    p = np.array([f[k].probabilities[RUPTURE] for k in answers])
    assert q["pooled"] == pytest.approx(p.mean())
    assert q["between"] == pytest.approx(np.var(p))
    assert q["between"] + q["within"] == pytest.approx(q["total"])
    esc = next(a for a in s["assumptions"] if a["id"] == "escalation_intercept")
    ml = np.array([answers[k][0].most_likely for k in answers])
    q1, med, q3 = np.percentile(ml, [25, 50, 75])
    assert (esc["q1"], esc["median"], esc["q3"]) == pytest.approx((q1, med, q3))
    assert esc["outside"] == sorted(k for k, x in zip(answers, ml, strict=True) if x < q1 or x > q3) == ["p2", "p3"]
    # escalation is what the room disagrees about: it drives most of the spread of the rupture forecast
    drv = {d["assumption"]: d for d in s["drivers"] if d["question"] == RUPTURE}
    assert sum(d["share"] for d in drv.values()) == pytest.approx(1.0)
    assert max(drv, key=lambda k: drv[k]["share"]) == "escalation_intercept"
    assert drv["escalation_ties"]["variance"] == 0.0  # nobody moved it
    assert s["pooled_prior"]["probabilities"][RUPTURE] is not None
