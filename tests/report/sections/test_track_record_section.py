"""The Track record section: absent until ledgered questions resolve, then first in the report."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from hedgecast.forecasting.ledger import ledger_entry, write_entry
from hedgecast.forecasting.question_sheet import question_sheet
from hedgecast.inputs import flags
from hedgecast.report.contracts import Figure, Table
from hedgecast.report.sections.track_record import track_record_sections
from hedgecast.workbench import Workbench


def test_no_section_without_resolved_questions(workbench):
    assert track_record_sections(SimpleNamespace(workbench=workbench)) == []  # the project ledger has no entry that resolved


def test_the_section_after_a_synthetic_future(project_copy, synthetic_future, workbench, mock_fit, monkeypatch):
    sheet = question_sheet(workbench, {"baseline": (mock_fit.forecast(), "run-1")}, issued_at="2026-11-27T23:00:00+00:00")
    entry = ledger_entry(
        sheet, run_id="run-1", issued_at="2026-11-27T23:00:00+00:00", hashes={"spec": "", "lenses": {}, "data": {}}, history=(2000, 2025)
    )
    write_entry(project_copy / "ledger", entry)
    fake = SimpleNamespace(workbench=Workbench.load(project_copy))
    assert track_record_sections(fake, dt.date(2028, 2, 1)) == []  # the real record has no 2027: nothing resolves
    monkeypatch.setattr(flags, "today", lambda: dt.date(2028, 3, 1))
    synthetic_future(project_copy)
    fake = SimpleNamespace(workbench=Workbench.load(project_copy))
    (section,) = track_record_sections(fake, dt.date(2028, 2, 1))
    assert section.id == "track-record" and section.title == "Track record"
    table = next(b for b in section.blocks if isinstance(b, Table)).frame
    assert set(table["Question"]) == {"rupture_2027", "incident_2027", "meetings_2027_at_least_2"}
    assert table["Log score"].is_monotonic_decreasing and set(table["Hit"]) <= {"hit", "miss"}
    assert any(isinstance(b, Figure) for b in section.blocks)
    assert "3 of the questions" in section.blocks[0].text
