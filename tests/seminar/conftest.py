"""A seminar room on the session's mock fit (prior draws dressed as a posterior: no sampler)."""

from __future__ import annotations

import pytest

from hedgecast.seminar import Answer, Room

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
