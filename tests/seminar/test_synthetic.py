"""The SYNTHETIC example seminar: labelled as such, valid answers, a Delphi-like second round."""

from __future__ import annotations

import pytest

from hedgecast.seminar.spread import answer_spread
from hedgecast.seminar.synthetic import synthetic_seminar


def test_synthetic_seminar_is_labelled_and_moves_toward_the_median(room):
    res = synthetic_seminar(room, n=6, seed=1)
    assert res.synthetic and "SYNTHETIC" in res.title and "SYNTHETIC" in res.note
    assert res.round_numbers == [1, 2] and len(res.latest(1)) == len(res.latest(2)) == 6
    assert all("synthetic" in a.justification for s in res.submissions for a in s.answers)
    for a in room.assumptions:
        r1 = {k: next(x.most_likely for x in s.answers if x.assumption_id == a.id) for k, s in res.latest(1).items()}
        r2 = {k: next(x.most_likely for x in s.answers if x.assumption_id == a.id) for k, s in res.latest(2).items()}
        s1 = answer_spread(r1)
        for k in r1:
            if k in s1["outside"]:
                assert r2[k] == pytest.approx((r1[k] + s1["median"]) / 2)
            else:
                assert r2[k] == r1[k]
    assert room.validate(list(res.submissions[0].answers))  # the answers pass the room's checks
