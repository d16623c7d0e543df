"""The command line's promises: a user mistake prints one clean message naming file and field
and exits 2 without a traceback (``--debug`` shows one); failed sampler diagnostics still
save the run and write the report, then exit 3 unless ``--allow-warnings``."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import tomli_w
from cli_helpers import run_cli

from hedgecast.errors import HedgecastError, Problem, SpecError

ROOT = Path(__file__).resolve().parents[2]
HEDGECAST = Path(sys.executable).parent / "hedgecast"


@pytest.fixture
def broken(project: Path) -> Path:
    """The project with a negative scale in the spec and a text value in a data file."""
    spec = project / "models" / "turkiye_russia.toml"
    data = tomllib.loads(spec.read_text(encoding="utf-8"))
    data["drivers"]["energy_leverage"]["future_sd"] = -0.5
    spec.write_text(tomli_w.dumps(data), encoding="utf-8")
    series = project / "data" / "curated" / "war_states.csv"
    lines = series.read_text(encoding="utf-8").split("\n")
    cells = lines[1].split(",")
    cells[0] = "twenty"
    lines[1] = ",".join(cells)
    series.write_text("\n".join(lines), encoding="utf-8")
    return project


def invoke(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    return run_cli(monkeypatch, capsys, args)


def test_check_on_a_broken_project_exits_2_with_every_problem(broken: Path, monkeypatch, capsys):
    code, out, err = invoke(monkeypatch, capsys, "--root", str(broken), "check")
    assert code == 2
    assert "Traceback" not in err + out
    assert "models/turkiye_russia.toml" in err
    assert "[drivers.energy_leverage.future_sd]" in err, "field names in brackets must survive the console's markup"
    assert "must not be negative" in err
    assert "data/curated/war_states.csv [row 2, column year]" in err


def test_a_broken_incidents_file_exits_2_naming_file_row_and_column(project: Path, monkeypatch, capsys):
    path = project / "data" / "curated" / "incidents.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    row = next(i for i, line in enumerate(lines, start=1) if line.startswith("2015_su24_shootdown,"))
    lines[row - 1] = lines[row - 1].replace("2015_su24_shootdown,2015-11-24,", "2015_su24_shootdown,24/11/2015,")
    path.write_text("\n".join(lines), encoding="utf-8")
    code, out, err = invoke(monkeypatch, capsys, "--root", str(project), "check")
    assert code == 2
    assert "Traceback" not in err + out
    assert f"data/curated/incidents.csv [row {row}, column date]" in err
    assert "ISO date" in err


@pytest.mark.parametrize(
    ("old", "new", "field", "needle"),
    [
        ("[present.leader_ties.2024]", "[present.leader_tie.2024]", "present.leader_tie", "did you mean 'leader_ties'"),
        ("[present.leader_ties.2024]", "[present.leader_ties.2021]", "present.leader_ties.2021", "outside 2023–2025"),
    ],
    ids=["unknown-driver", "year-outside"],
)
def test_a_bad_reading_of_the_present_exits_2_naming_file_line_and_field(project: Path, monkeypatch, capsys, old, new, field, needle):
    path = project / "models" / "lenses" / "baev_2025.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    code, out, err = invoke(monkeypatch, capsys, "--root", str(project), "check")
    assert code == 2
    assert "Traceback" not in err + out
    assert f"models/lenses/baev_2025.toml:{line} [{field}]" in err.replace("\n", "")
    assert needle in err


def test_debug_shows_the_traceback(broken: Path, monkeypatch, capsys):
    code, _, err = invoke(monkeypatch, capsys, "--debug", "--root", str(broken), "check")
    assert code == 2
    assert "Traceback" in err
    assert "must not be negative" in err


def test_check_on_a_valid_project_exits_0(project: Path, monkeypatch, capsys):
    code, out, err = invoke(monkeypatch, capsys, "--root", str(project), "check")
    assert code == 0, err
    assert "All files are valid" in out


def test_the_installed_command_exits_2_without_a_traceback(broken: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("HEDGECAST_ROOT", "HEDGECAST_SEEDS")}
    proc = subprocess.run(
        [str(HEDGECAST), "--root", str(broken), "check"], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "[drivers.energy_leverage.future_sd]" in proc.stderr


@pytest.mark.parametrize("args", [["nope"], ["check", "--bogus"], ["fit", "--draws", "many"]])
def test_command_line_mistakes_exit_2_without_a_traceback(project: Path, monkeypatch, capsys, args):
    code, out, err = invoke(monkeypatch, capsys, "--root", str(project), *args)
    assert code == 2
    assert "Traceback" not in out + err
    assert "Usage" in err or "Error" in err


def test_unknown_lens_on_the_command_line_suggests(project: Path, monkeypatch, capsys):
    code, _, err = invoke(monkeypatch, capsys, "--root", str(project), "fit", "--lens", "baselin", "--draws", "10", "--chains", "1")
    assert code == 2
    assert "did you mean 'baseline'?" in err
    assert "Traceback" not in err


def test_markup_like_text_in_a_message_is_printed_verbatim(monkeypatch, capsys):
    def boom():
        raise SpecError([Problem("models/x.toml", "priors.beta[0]", "bad [/bold] value [red]x[/red]", 3)])

    monkeypatch.setattr("hedgecast.check.check_project", lambda root=None: boom())
    code, _, err = invoke(monkeypatch, capsys, "check")
    assert code == 2
    assert "models/x.toml:3 [priors.beta[0]]: bad [/bold] value [red]x[/red]" in err


def test_a_full_disk_is_a_clean_error_not_a_traceback(monkeypatch, capsys):
    def full(root=None):
        raise OSError(errno.ENOSPC, "No space left on device", "runs/.tmp-x/idata.nc")

    monkeypatch.setattr("hedgecast.check.check_project", full)
    code, _, err = invoke(monkeypatch, capsys, "check")
    assert code == 1
    assert "No space left on device" in err and "runs/.tmp-x/idata.nc" in err
    assert "Traceback" not in err


def test_ctrl_c_exits_130_and_says_nothing_was_damaged(monkeypatch, capsys):
    def interrupted(root=None):
        raise KeyboardInterrupt

    monkeypatch.setattr("hedgecast.check.check_project", interrupted)
    code, _, err = invoke(monkeypatch, capsys, "check")
    assert code == 130
    assert "untouched" in err


def test_hedgecast_error_renders_every_problem():
    error = HedgecastError([Problem("a.toml", "x", "one", 1), Problem("b.csv", "row 2, column y", "two")])
    assert str(error) == "2 problems found:\n  - a.toml:1 [x]: one\n  - b.csv [row 2, column y]: two"
    assert HedgecastError("plain").render() == "plain"


# ------------------------------------------------------------------- exit 3, report still written
_MOCK_FITS: dict = {}


@pytest.fixture
def failing_fits(monkeypatch: pytest.MonkeyPatch):
    """Workbench.fit without NUTS: prior draws as the posterior (drawn once), diagnostics forced to fail."""
    from hedgecast.model.fit import Diagnostics
    from hedgecast.workbench import Workbench

    original = Workbench.fit

    def fit(self, lens="baseline", settings=None, **kwargs):
        key = (getattr(lens, "name", lens), kwargs.get("inclusion"))
        if key not in _MOCK_FITS:
            _MOCK_FITS[key] = original(self, lens, settings, sampler="mock", draws=20, chains=2, tune=0, inclusion=kwargs.get("inclusion"))
        result = _MOCK_FITS[key]
        result.diagnostics = Diagnostics(
            max_rhat=1.31, min_ess_bulk=12.0, min_ess_tail=9.0, divergences=7, n_samples=40, worst={"rhat": "beta"}
        )
        return result

    monkeypatch.setattr(Workbench, "fit", fit)


def _runs(root: Path) -> list[Path]:
    runs = root / "runs"
    return sorted(d for d in runs.iterdir() if not d.name.startswith(".")) if runs.is_dir() else []


def test_failed_diagnostics_save_the_run_and_exit_3(project: Path, failing_fits, monkeypatch, capsys):
    code, _, err = invoke(monkeypatch, capsys, "--root", str(project), "fit", "--draws", "20", "--chains", "2", "--tune", "0")
    assert code == 3
    assert "diagnostics failed" in err and "divergent" in err
    assert "Traceback" not in err
    (run,) = _runs(project)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["diagnostics"]["passed"] is False


def test_allow_warnings_exits_0(project: Path, failing_fits, monkeypatch, capsys):
    code, _, err = invoke(
        monkeypatch, capsys, "--root", str(project), "fit", "--draws", "20", "--chains", "2", "--tune", "0", "--allow-warnings"
    )
    assert code == 0, err
    assert len(_runs(project)) == 1


def test_failed_diagnostics_still_write_the_report_then_exit_3(project: Path, failing_fits, monkeypatch, capsys):
    written = {}

    def write_report(fit, path=None, **kwargs):
        flag = "" if fit.diagnostics.passed else "<p class='flag'>The sampler's diagnostics FAILED</p>"
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<html><body>{flag}<h1>report</h1></body></html>", encoding="utf-8")
        written["path"] = path
        return path

    monkeypatch.setattr("hedgecast.report.api.write_report", write_report)
    out_path = project / "reports" / "test.html"
    code, _, err = invoke(
        monkeypatch,
        capsys,
        "--root",
        str(project),
        "report",
        "--lens",
        "baseline",
        "--out",
        str(out_path),
        "--draws",
        "20",
        "--chains",
        "2",
        "--tune",
        "0",
    )
    assert code == 3, err
    assert written["path"] == out_path and out_path.is_file()
    assert out_path.read_text(encoding="utf-8").index("FAILED") < out_path.read_text(encoding="utf-8").index("<h1>")
    assert str(out_path) in err.replace("\n", "")
    # the baseline fit, and the baseline lens under the strict and the loose incident rules (the crisis model section)
    runs = _runs(project)
    assert len(runs) == 3
    assert sorted(json.loads((r / "manifest.json").read_text())["inclusion"] for r in runs) == ["loose", "main", "strict"]
    # the report's run keeps where the report's time went
    (main,) = [r for r in runs if (r / "timings.json").is_file()]
    assert json.loads((main / "manifest.json").read_text())["inclusion"] == "main"
    timings = json.loads((main / "timings.json").read_text())
    assert {"report writing", "total"} <= set(timings)  # (fits here are the fixture's, made beforehand)
    assert all(0 <= v <= timings["total"] for v in timings.values()), timings


def test_a_problem_with_an_option_and_no_file_names_the_option_alone():
    assert str(Problem("", "--as-of", "must be a date")) == "--as-of: must be a date"
    assert str(Problem("a.toml", "x", "one", 1)) == "a.toml:1 [x]: one"
