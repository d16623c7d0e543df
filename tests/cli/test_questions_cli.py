"""`hedgecast questions` and `hedgecast signposts`: options checked before any fit, tables printed, exports written."""

from __future__ import annotations

import csv
import json
import tomllib
from pathlib import Path

import pytest
import tomli_w
from cli_helpers import run_cli

from hedgecast.forecasting.questions import EXPORT_FIELDS

ROOT = Path(__file__).resolve().parents[2]
SMALL = ("--draws", "30", "--chains", "2", "--tune", "0")


@pytest.fixture
def no_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    from hedgecast.workbench import Workbench

    def fit(*args, **kwargs):
        raise AssertionError("a fit was started before the options were checked")

    monkeypatch.setattr(Workbench, "fit", fit)


def invoke(monkeypatch, capsys, *args) -> tuple[int, str]:
    code, out, err = run_cli(monkeypatch, capsys, args, columns=200)
    return code, out + err


def test_bad_options_fail_with_exit_2_before_any_fit(project, no_fit, monkeypatch, capsys):
    code, out = invoke(
        monkeypatch, capsys, "--root", str(project), "questions", "-s", "protracted_wr", "--lens", "nope", "--csv", str(project / "q.txt")
    )
    assert code == 2, out
    assert "unknown scenario 'protracted_wr'" in out and "did you mean 'protracted_war'" in out
    assert "--csv" in out and "must end in .csv" in out and "nope" in out
    code, out = invoke(monkeypatch, capsys, "--root", str(project), "signposts", "-q", "rupture_2027_20300")
    assert code == 2 and "unknown question 'rupture_2027_20300'" in out and "did you mean 'rupture_2027_2030'" in out


def test_a_broken_questions_file_fails_with_file_and_field_before_any_fit(project, no_fit, monkeypatch, capsys):
    path = project / "models" / "questions.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["questions"][2]["threshold"] = "fifty"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    code, out = invoke(monkeypatch, capsys, "--root", str(project), "questions")
    assert code == 2, out
    assert "models/questions.toml:" in out and "[questions[2].threshold]" in out and "must be a number" in out
    assert "Traceback" not in out


def test_questions_prints_the_forecast_of_record_and_exports_csv_and_json(project, mock_fits, monkeypatch, capsys):
    args = (
        "--root",
        str(project),
        "questions",
        "-s",
        "protracted_war",
        "--csv",
        str(project / "out" / "q.csv"),
        "--json",
        str(project / "q.json"),
    )
    code, out = invoke(monkeypatch, capsys, *args, *SMALL)
    assert code == 0, out
    assert mock_fits["fitted"] == ["baseline"]
    assert "forecast of record = lens baseline, scenario status_quo" in out and "protracted_war" in out and "base rate" in out
    assert "trade_below_30bn_2026_2030" in out
    rows = list(csv.DictReader((project / "out" / "q.csv").read_text(encoding="utf-8").splitlines()))
    assert list(rows[0]) == list(EXPORT_FIELDS)
    n_questions = len(tomllib.loads((project / "models" / "questions.toml").read_text(encoding="utf-8"))["questions"])
    assert len(rows) == 2 * n_questions and {r["scenario"] for r in rows} == {"status_quo", "protracted_war"}
    run_ids = {r["run_id"] for r in rows}
    assert len(run_ids) == 1 and (project / "runs" / run_ids.pop()).is_dir()  # the new fit was saved as a run
    doc = json.loads((project / "q.json").read_text(encoding="utf-8"))
    assert doc["meta"]["questions_file"] == "models/questions.toml" and len(doc["questions"]) == len(rows)
    record = [r for r in doc["questions"] if r["of_record"]]
    assert len(record) == n_questions and all(r["lens"] == "baseline" and r["scenario"] == "status_quo" for r in record)

    code, out = invoke(monkeypatch, capsys, *args, *SMALL)  # again: the saved run is reused, not refitted
    assert code == 0 and mock_fits["fitted"] == ["baseline"] and "reused run" in out


def test_signposts_prints_what_to_watch(project, mock_fits, monkeypatch, capsys):
    path = project / "models" / "questions.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["signposts"]["min_paths"] = 5  # 60 prior-draw paths in this test
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    csv_path = project / "watch.csv"
    code, out = invoke(
        monkeypatch, capsys, "--root", str(project), "signposts", "-q", "trade_below_30bn_2026_2030", "--csv", str(csv_path), *SMALL
    )
    assert code == 0, out
    assert "trade_below_30bn_2026_2030" in out and "E|ΔP|" in out and "P otherwise" in out
    rows = list(csv.DictReader(csv_path.read_text(encoding="utf-8").splitlines()))
    assert rows and {r["question"] for r in rows} == {"trade_below_30bn_2026_2030"} and all(int(r["n_if"]) >= 5 for r in rows)
