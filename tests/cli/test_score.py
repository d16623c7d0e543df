"""`hedgecast score` (empty ledger, a synthetic future) and `hedgecast report --issue` (exactly one ledger entry)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from cli_helpers import run_cli

from hedgecast.inputs import flags

ROOT = Path(__file__).resolve().parents[2]


def invoke(monkeypatch, capsys, *args) -> tuple[int, str]:
    code, out, err = run_cli(monkeypatch, capsys, args, columns=200)
    return code, out + err


def test_score_with_an_empty_ledger_says_so(project, monkeypatch, capsys):
    code, out = invoke(monkeypatch, capsys, "--root", str(project), "score")
    assert code == 0, out
    assert "no issued forecasts yet" in out and "hedgecast report --issue" in out


def test_score_rejects_a_bad_date(project, monkeypatch, capsys):
    code, out = invoke(monkeypatch, capsys, "--root", str(project), "score", "--as-of", "next year")
    assert code == 2 and "error: --as-of: must be a date" in out


def test_score_on_a_synthetic_future(project, synthetic_future, workbench, mock_fit, monkeypatch, capsys):
    from hedgecast.forecasting.ledger import ledger_entry, write_entry
    from hedgecast.forecasting.question_sheet import question_sheet

    sheet = question_sheet(workbench, {"baseline": (mock_fit.forecast(), "run-1")}, issued_at="2026-11-27T23:00:00+00:00")
    entry = ledger_entry(
        sheet, run_id="run-1", issued_at="2026-11-27T23:00:00+00:00", hashes={"spec": "", "lenses": {}, "data": {}}, history=(2000, 2025)
    )
    write_entry(project / "ledger", entry)
    monkeypatch.setattr(flags, "today", lambda: dt.date(2028, 3, 1))
    synthetic_future(project)
    code, out = invoke(monkeypatch, capsys, "--root", str(project), "score", "--as-of", "2028-02-01")
    assert code == 0, out
    print(out)  # what a user sees (-s shows it)
    assert "3 of 15 questions resolved" in out and "data to 2027" in out
    assert "Scores per question" in out and "rupture_2027" in out and "Calibration" in out
    assert "premise not judged" in out
    doc = json.loads((project / "reports" / "score.json").read_text(encoding="utf-8"))
    assert doc["as_of"] == "2028-02-01" and sum(b["n"] for b in doc["calibration"]) == 3
    assert (project / "reports" / "calibration.png").stat().st_size > 1000


def test_report_issue_adds_exactly_one_ledger_entry(project, mock_fits_and_reports, monkeypatch, capsys):
    args = ("--root", str(project), "report", "--lens", "baseline", "--draws", "20", "--chains", "2", "--tune", "0")
    code, out = invoke(monkeypatch, capsys, *args)
    assert code == 0, out
    assert not (project / "ledger").exists()  # an exploratory report writes nothing to the ledger
    code, out = invoke(monkeypatch, capsys, *args, "--issue")
    assert code == 0, out
    entries = sorted((project / "ledger").glob("*.json"))
    assert len(entries) == 1 and "issued:" in out
    entry = json.loads(entries[0].read_text(encoding="utf-8"))
    assert entry["hashes"]["spec"] and entry["hashes"]["lenses"]["baseline"] and "data/curated/series.csv" in entry["hashes"]["data"]
    of_record = [f for f in entry["forecasts"] if f["of_record"]]
    assert len(of_record) == 15 and all(f["lens"] == "baseline" and f["scenario"] == "status_quo" for f in of_record)
    assert {f["scenario"] for f in entry["forecasts"]} > {"status_quo"}  # every scenario is recorded
    assert all(f["mc_se"] is None or f["mc_se"] >= 0 for f in entry["forecasts"])
    code, out = invoke(monkeypatch, capsys, "--root", str(project), "score")
    assert code == 0 and "1 issued forecasts" in out and "0 of 15 questions resolved" in out
