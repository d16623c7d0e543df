"""Plain helpers for the engine tests (the ``room`` fixture itself is in this folder's conftest.py)."""

from __future__ import annotations

from hedgecast.seminar import Answer

ASKED = ["escalation_intercept", "incident_intercept", "escalation_ties", "beta.political.leader_ties"]
"""The assumptions the conftest's room asks (kept equal to its list)."""


def at_baseline(room, ids=None) -> list[Answer]:
    """Answers that restate the lens's own priors."""
    return [
        Answer(a.id, a.baseline["most_likely"], a.baseline["low"], a.baseline["high"], "the lens's prior")
        for a in room.assumptions
        if ids is None or a.id in ids
    ]
