"""The forecast ledger: one new file per issued forecast, atomic, never changed; kills leave it valid."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hedgecast.forecasting.ledger import LedgerError, entry_path, ledger_entry, ledger_forecasts, load_ledger, load_resolutions, write_entry
from hedgecast.forecasting.question_sheet import question_sheet

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def sheet(workbench, mock_fit):
    return question_sheet(workbench, {"baseline": (mock_fit.forecast(), "run-x")}, issued_at="2026-11-27T23:00:00+00:00")


def _entry(sheet, issued="2026-11-27T23:00:00+00:00", run="run-x"):
    return ledger_entry(
        sheet, run_id=run, issued_at=issued, hashes={"spec": "s", "lenses": {"baseline": "l"}, "data": {}}, history=(2000, 2025)
    )


def test_an_entry_round_trips_and_is_never_overwritten(tmp_path, sheet):
    entry = _entry(sheet)
    path = write_entry(tmp_path, entry)
    assert path.name == "20261127T230000Z_run-x.json"
    loaded = load_ledger(tmp_path)
    assert len(loaded) == 1 and loaded[0]["run_id"] == "run-x"
    rows = ledger_forecasts(loaded)
    assert len(rows) == len(sheet) and set(rows["scenario"]) == set(sheet["scenario"])
    of_record = rows[rows["of_record"]]
    assert len(of_record) == sheet["id"].nunique() and (of_record["scenario"] == "status_quo").all()
    before = path.read_bytes()
    with pytest.raises(LedgerError, match="never changed"):
        write_entry(tmp_path, entry)
    assert path.read_bytes() == before
    write_entry(tmp_path, _entry(sheet, issued="2026-12-01T08:00:00+00:00", run="run-y"))
    assert [e["run_id"] for e in load_ledger(tmp_path)] == ["run-x", "run-y"]  # oldest first


def test_a_failure_between_temp_write_and_rename_leaves_the_ledger_as_it_was(tmp_path, sheet, monkeypatch):
    write_entry(tmp_path, _entry(sheet))
    before = sorted(p.name for p in tmp_path.iterdir())

    def broken(src, dst):
        raise OSError("disk went away")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        write_entry(tmp_path, _entry(sheet, issued="2026-12-01T08:00:00+00:00", run="run-y"))
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # the temp file is removed too
    assert len(load_ledger(tmp_path)) == 1


def test_a_kill_during_the_write_leaves_the_ledger_valid(tmp_path, sheet):
    """A subprocess is SIGKILLed after writing its temp file and before the rename: the ledger still loads, unchanged."""
    write_entry(tmp_path, _entry(sheet))
    entry = _entry(sheet, issued="2026-12-01T08:00:00+00:00", run="run-killed")
    (tmp_path.parent / "entry.json").write_text(json.dumps(entry), encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import json, os, sys, time
        sys.path.insert(0, {str(SRC)!r})
        from hedgecast.forecasting.ledger import write_entry
        def slow_replace(src, dst):
            print("TEMP WRITTEN", flush=True)
            time.sleep(60)
        os.replace = slow_replace
        write_entry({str(tmp_path)!r}, json.load(open({str(tmp_path.parent / "entry.json")!r})))
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "TEMP WRITTEN"
        temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert len(temps) == 1 and temps[0].stat().st_size > 0  # killed with the whole entry in its temp file
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    loaded = load_ledger(tmp_path)
    assert [e["run_id"] for e in loaded] == ["run-x"]
    assert not entry_path(tmp_path, entry).exists()


def test_a_corrupt_entry_is_named(tmp_path, sheet):
    write_entry(tmp_path, _entry(sheet))
    (tmp_path / "20270101T000000Z_bad.json").write_text('{"format": 1, "issued_at": "2027-01-01T00:00:00+00:00"', encoding="utf-8")
    with pytest.raises(LedgerError, match="20270101T000000Z_bad.json"):
        load_ledger(tmp_path)


def test_resolutions_file(tmp_path):
    assert load_resolutions(tmp_path).outcomes == {}
    (tmp_path / "resolutions.toml").write_text(
        '[[resolutions]]\nid = "a"\noutcome = true\nsource = "kremlin.ru, 2027-06-02"\nresolved_on = 2028-01-31\n'
        '[[premises]]\nscenario = "protracted_war"\nheld = false\nsource = "war_states.csv"\n',
        encoding="utf-8",
    )
    r = load_resolutions(tmp_path)
    assert r.outcomes["a"].outcome is True and r.premises["protracted_war"].held is False
    (tmp_path / "resolutions.toml").write_text('[[resolutions]]\nid = "a"\noutcome = "yes"\n', encoding="utf-8")
    with pytest.raises(LedgerError) as info:
        load_resolutions(tmp_path)
    text = str(info.value)
    assert "resolutions[0].outcome" in text and "resolutions[0].source" in text and "resolutions.toml" in text
