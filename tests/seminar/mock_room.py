"""Helpers for the engine tests: a seminar room on the session's mock fit (prior draws dressed as a posterior: no sampler).

A plain module, not a conftest: the web server's tests keep their own conftest in this folder.
"""

from __future__ import annotations

from hedgecast.seminar import Answer, Room

ASKED = ["escalation_intercept", "incident_intercept", "escalation_ties", "beta.political.leader_ties"]


def open_room(fit) -> Room:
    return Room.from_fit(fit, ASKED)


def at_baseline(room, ids=None) -> list[Answer]:
    """Answers that restate the lens's own priors."""
    return [
        Answer(a.id, a.baseline["most_likely"], a.baseline["low"], a.baseline["high"], "the lens's prior")
        for a in room.assumptions
        if ids is None or a.id in ids
    ]
