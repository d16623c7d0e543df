"""``hedgecast scenarios`` prints each scenario's interventions in words (the report's wording),
and a scenario mistake exits 2 through ``hedgecast check`` with one message naming file,
scenario and field."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import tomli_w
from cli_helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]


def invoke(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    return run_cli(monkeypatch, capsys, args)


def edit_spec(root: Path, change) -> None:
    path = root / "models" / "turkiye_russia.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")


def test_scenarios_prints_interventions_in_words(monkeypatch, capsys):
    code, out, _ = invoke(monkeypatch, capsys, "--root", str(ROOT), "scenarios", "us_turkiye_realignment", "new_low", "post_erdogan_2028")
    assert code == 0
    text = " ".join(out.split())
    assert "Western sanctions enforcement (sanctions_enforcement) tightens by +0.1 (sd 0.05) from 2026, over 2 years" in text
    assert "War held in “attrition” until 2030 (from protracted_war)" in text
    assert "applied on a share of paths: P(post_erdogan_2028) from the lens (prior mean" in text
    assert "source: 001_19e99d834b398c11.txt" in text
    assert "status_quo" not in text  # only the scenarios asked for


def test_an_unknown_scenario_exits_2_with_the_closest(monkeypatch, capsys):
    code, out, err = invoke(monkeypatch, capsys, "--root", str(ROOT), "scenarios", "sanction_relief")
    assert code == 2 and "did you mean 'sanctions_relief'?" in err and "Traceback" not in err + out


def test_check_warns_on_a_target_against_its_direction(project: Path, monkeypatch, capsys):
    edit_spec(
        project,
        lambda d: d["scenarios"]["eu_ends_russian_gas"]["drivers"].update(
            sanctions_enforcement={"from": 2027, "to": 0.7, "direction": "tighten"}
        ),
    )
    code, out, _ = invoke(monkeypatch, capsys, "--root", str(project), "check")
    text = " ".join(out.split())
    assert code == 0
    assert "warning: models/turkiye_russia.toml:" in text
    assert (
        "[scenarios.eu_ends_russian_gas.drivers.sanctions_enforcement.to]: to = 0.7 is not above the last coded value (0.8 in 2025)" in text
    )


MIX = ["negotiated_settlement", "eu_ends_russian_gas"]  # sanctions: eases to 0.3 vs tightens by +0.1


@pytest.mark.parametrize(
    ("change", "field", "needle"),
    [
        (lambda d: d["scenarios"].update(t_mix={"reason": "Test fixture (synthetic).", "includes": MIX}),
         "[scenarios.t_mix.includes]",
         "negotiated_settlement and eu_ends_russian_gas contradict each other on Western sanctions enforcement"),
        (lambda d: d["scenarios"]["protracted_war"].update(includes=["new_low"]),
         "[scenarios.protracted_war.includes]", "includes itself through protracted_war → new_low → protracted_war"),
    ],
)  # fmt: skip
def test_contradictions_and_cycles_exit_2_naming_file_scenario_and_field(project: Path, monkeypatch, capsys, change, field, needle):
    edit_spec(project, change)
    code, out, err = invoke(monkeypatch, capsys, "--root", str(project), "check")
    message = " ".join(err.split())
    assert code == 2 and "Traceback" not in err + out
    assert "models/turkiye_russia.toml" in message and field in message and needle in message
