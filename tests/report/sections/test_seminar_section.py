"""The seminar section from a saved seminar (a small synthetic record, no fit): with and without a seminar.

The end-to-end path (Room → SeminarResults → section) is exercised by tests/seminar and notebook 05.
"""

from __future__ import annotations

import numpy as np
import pytest

from hedgecast.report.api import saved_sections
from hedgecast.report.contracts import Figure, Section
from hedgecast.report.render import render_page
from hedgecast.seminar import Answer, Assumption, ParticipantForecast
from hedgecast.seminar.results import SeminarResults, Submission

QS = [("q1", "Will <b>it</b> happen?"), ("q2", "Will the other thing happen?")]


def results() -> SeminarResults:
    a = Assumption(
        "esc",
        "esc",
        "Chance an incident escalates",
        "What chance?",
        "% of serious incidents",
        "higher: likelier",
        "Normal",
        {"most_likely": 12.0, "low": 2.5, "high": 41.0},
        "logit%",
    )
    base = ParticipantForecast({"q1": 0.3, "q2": 0.6}, {"q1": 0.02, "q2": 0.02}, float("nan"), "reweighted")
    res = SeminarResults("Synthetic <script>alert(1)</script>", "baseline", [a], QS, base, synthetic=True)
    for i, (ml, p1, p2) in enumerate([(10, 0.25, 0.6), (20, 0.4, 0.55), (30, 0.5, 0.5), (5, 0.2, 0.65)]):
        f = ParticipantForecast({"q1": p1, "q2": p2}, {"q1": 0.03, "q2": 0.03}, 0.3, "reweighted")
        res.submissions.append(Submission(f"p{i + 1}", 1, f"2026-11-27T10:0{i}:00+00:00", (Answer("esc", ml, ml / 2, ml * 2, "why"),), f))
    pending = ParticipantForecast({"q1": float("nan"), "q2": float("nan")}, {}, 1.2, "refit", pending=True)
    res.submissions.append(Submission("p5", 1, "2026-11-27T10:09:00+00:00", (Answer("esc", 90, 85, 95, "all"),), pending))
    res.drivers = [
        {"question": q, "assumption": "esc", "label": "Chance an incident escalates", "variance": 0.01, "share": 1.0, "explained": 0.9}
        for q, _ in QS
    ]
    return res


def test_section_from_a_saved_seminar(tmp_path):
    res = results()
    res.save(tmp_path / "seminar.json")
    sec = saved_sections(tmp_path)[0]
    assert isinstance(sec, Section) and sec.id == "seminar" and sec.status == "warn"  # synthetic, said so
    assert any("SYNTHETIC" in p for p in sec.paragraphs)
    pool = sec.tables[0].frame
    assert pool.loc["Will <b>it</b> happen?", "room (linear pool)"] == pytest.approx(np.mean([0.25, 0.4, 0.5, 0.2]))
    assert pool.loc["Will <b>it</b> happen?", "lens, no answers"] == 0.3
    assert any("p5" in p for p in sec.paragraphs)  # pending refit: named, not pooled
    answers = sec.tables[1].frame
    assert answers.loc["Chance an incident escalates", "room median"] == pytest.approx(np.median([10, 20, 30, 5, 90]))
    assert len(sec.figures) == 2 and all(isinstance(f, Figure) for f in sec.figures)
    html = render_page(sec)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<b>it</b>" not in html


def test_no_seminar_no_section(tmp_path):
    assert [s.id for s in saved_sections(tmp_path)] == []
    (tmp_path / "seminar.json").write_text("{not json")
    secs = saved_sections(tmp_path)
    assert len(secs) == 1 and secs[0].id != "seminar"  # an unreadable file says so instead


def test_empty_seminar(tmp_path):
    res = results()
    res.submissions.clear()
    res.drivers = []
    from hedgecast.report.sections.seminar import seminar_section

    sec = seminar_section(res)
    assert any("No submissions" in p for p in sec.paragraphs) and not sec.figures
