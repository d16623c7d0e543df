"""The model spec file: every kind of mistake an analyst makes gets one clean SpecError that
names the file, the field (and its line) and, for a wrong name, the valid ones and the closest.

The tests edit a copy of the real spec through its parsed form (so they do not depend on
its exact wording) and add their own scenarios where they need known contents.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from hedgecast.errors import SpecError, suggest
from hedgecast.forecasting.rule_variables import EVENT_VARIABLES, rule_variable_names
from hedgecast.forecasting.trajectories import RuleError, compile_rule
from hedgecast.inputs.spec import load_spec
from hedgecast.inputs.spec_parts import WarIntervention
from hedgecast.inputs.spec_toml import locate

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "models" / "turkiye_russia.toml"
BASE = tomllib.loads(SPEC.read_text(encoding="utf-8"))

# scenarios with known contents, added to every copy
OWN_SCENARIOS = {
    "t_base": {"label": "Test: no intervention", "reason": "Test fixture."},
    "t_hold": {"reason": "Test fixture.", "war": {"hold": {"state": "attrition", "until": 2030}}},
    "t_pin": {"reason": "Test fixture.", "war": {"pin": {"2031": "settlement"}}},  # after t_hold's hold: t_combined has both
    "t_drivers": {
        "source": "003_6ccec0198bf7a77b.txt",
        "quote": "to a new low in the ambiguous relations",
        "drivers": {"energy_leverage": {"from": 2027, "to": 0.5, "sd": 0.1, "ramp": 2}},
    },
    "t_uncertain": {"reason": "Test fixture.", "probability": 0.4},
    "t_combined": {"reason": "Test fixture.", "includes": ["t_hold", "t_pin"]},
}
OWN_TRAJECTORIES = [
    {"name": "rupture", "rule": "rupture_events_window"},
    {"name": "strategic_alignment", "rule": "leader_meetings_mean_3y >= 4 and trade_usd_bn_mean_3y >= 40"},
    {"name": "managed_erosion", "rule": "trade_usd_bn_mean_3y < 40 or unga_agreement < 0.5"},
    {"name": "transactional_equilibrium", "rule": "otherwise"},
]


def base() -> dict:
    data = copy.deepcopy(BASE)
    data["scenarios"].update(copy.deepcopy(OWN_SCENARIOS))
    data["trajectories"] = copy.deepcopy(OWN_TRAJECTORIES)
    return data


def _walk(data: Any, dotted: str) -> tuple[Any, Any]:
    keys: list[Any] = []
    for part in dotted.split("."):
        m = re.fullmatch(r"(.+?)\[(\d+)\]", part)
        keys += [m.group(1), int(m.group(2))] if m else [part]
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
    return node, keys[-1]


def put(data: dict, dotted: str, value: Any) -> dict:
    node, key = _walk(data, dotted)
    node[key] = value
    return data


def drop(data: dict, dotted: str) -> dict:
    node, key = _walk(data, dotted)
    del node[key]
    return data


def rename(data: dict, dotted: str, new: str) -> dict:
    node, key = _walk(data, dotted)
    node[new] = node.pop(key)
    return data


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "models" / "turkiye_russia.toml"
    path.parent.mkdir(parents=True)
    write(path, base())
    return path


def write(path: Path, data: dict) -> None:
    path.write_text(tomli_w.dumps(data), encoding="utf-8")


def problems_after(path: Path, *changes) -> list:
    """Apply ``changes`` (functions of the data) to the base spec, write it, and load it."""
    data = base()
    for change in changes:
        change(data)
    write(path, data)
    return problems_of(path)


def problems_of(path: Path) -> list:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    problems = info.value.problems
    assert problems, "a SpecError must carry at least one problem"
    for p in problems:
        assert p.file == str(path), p
        assert p.message
    return problems


def only(problems: list, field: str):
    hits = [p for p in problems if p.field == field]
    assert hits, f"no problem at {field}; got {[str(p) for p in problems]}"
    return hits[0]


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


# ------------------------------------------------------------------- the real file
def test_real_spec_loads_with_its_public_fields():
    spec = load_spec(SPEC)
    assert {"economic", "political"} <= set(spec.channel_names)
    assert spec.forecast[0] == spec.history[1] + 1
    assert spec.war_driver.reference in spec.war_states
    assert spec.trajectories[-1].is_otherwise
    assert all(isinstance(s.war, WarIntervention) and s.war.transition == {} for s in spec.scenarios.values())
    assert len(spec.sha256) == 64


def test_test_fixture_spec_loads(spec_file: Path):
    spec = load_spec(spec_file)
    assert spec.scenarios["t_hold"].war == WarIntervention({}, "attrition", 2030, {})
    assert spec.scenarios["t_pin"].war.pin == {2031: "settlement"}
    assert spec.scenarios["t_combined"].includes == ("t_hold", "t_pin")
    assert spec.scenarios["t_uncertain"].probability == 0.4


# ------------------------------------------------------------------- TOML syntax
def test_syntax_error_names_file_and_line(spec_file: Path):
    text = spec_file.read_text(encoding="utf-8").replace("[model]\n", "[model]\nlabel = Economic ties\n", 1)
    spec_file.write_text(text, encoding="utf-8")
    (problem,) = problems_of(spec_file)
    assert problem.line == line_of(spec_file, "label = Economic ties")
    assert "TOML syntax error" in problem.message and "quotes" in problem.message
    assert f"{spec_file}:{problem.line}" in str(problem)


def test_truncated_file_points_at_its_end(spec_file: Path):
    text = spec_file.read_text(encoding="utf-8")
    spec_file.write_text(text[: text.index('"attrition"') + 5], encoding="utf-8")
    (problem,) = problems_of(spec_file)
    assert "TOML syntax error" in problem.message
    assert problem.line == len(spec_file.read_text(encoding="utf-8").splitlines())


def test_duplicate_table_is_a_clean_error_with_its_line(spec_file: Path):
    with spec_file.open("a", encoding="utf-8") as fh:
        fh.write('\n[channels.economic]\nlabel = "again"\n')
    (problem,) = problems_of(spec_file)
    assert "duplicate table" in problem.message and "channels.economic" in problem.message
    assert problem.line == len(spec_file.read_text(encoding="utf-8").splitlines()) - 1


def test_duplicate_key_is_a_clean_error(spec_file: Path):
    text = spec_file.read_text(encoding="utf-8").replace("[model]\n", '[model]\nname = "a"\nname = "b"\n', 1)
    spec_file.write_text(text, encoding="utf-8")
    (problem,) = problems_of(spec_file)
    assert "duplicate key" in problem.message
    assert problem.line == line_of(spec_file, 'name = "b"')


def test_binary_garbage_is_a_clean_error(spec_file: Path):
    raw = spec_file.read_bytes()
    spec_file.write_bytes(raw[:500] + b"\xff\xfe\x00garbage" + raw[500:])
    (problem,) = problems_of(spec_file)
    assert "UTF-8" in problem.message and problem.line is not None


def test_deep_nesting_is_a_clean_error(spec_file: Path):
    spec_file.write_text("x = " + "[" * 5000, encoding="utf-8")
    (problem,) = problems_of(spec_file)
    assert "nested too deeply" in problem.message


def test_missing_file_is_a_clean_error(tmp_path: Path):
    with pytest.raises(SpecError, match="file not found"):
        load_spec(tmp_path / "nope.toml")


# ------------------------------------------------------------------- unknown names
def test_unknown_channel_lists_valid_names_and_suggests(spec_file: Path):
    problems = problems_after(spec_file, lambda d: put(d, "indicators.test_series", {"channel": "economc"}))
    problem = only(problems, "indicators.test_series.channel")
    assert "valid names are economic, political" in problem.message
    assert "did you mean 'economic'?" in problem.message
    assert problem.line == line_of(spec_file, 'channel = "economc"')


def test_unknown_anchor_indicator_suggests(spec_file: Path):
    anchor = BASE["channels"]["political"]["anchor"]
    problem = only(problems_after(spec_file, lambda d: put(d, "channels.political.anchor", anchor[:-1])), "channels.political.anchor")
    assert f"did you mean '{anchor}'?" in problem.message


def test_unknown_driver_in_scenario_suggests(spec_file: Path):
    problems = problems_after(spec_file, lambda d: rename(d, "scenarios.t_drivers.drivers.energy_leverage", "energy_leverag"))
    problem = only(problems, "scenarios.t_drivers.drivers.energy_leverag")
    assert "did you mean 'energy_leverage'?" in problem.message and "leader_ties" in problem.message
    assert problem.line == line_of(spec_file, "[scenarios.t_drivers.drivers.energy_leverag]")


def test_unknown_scenario_in_includes_suggests(spec_file: Path):
    problem = only(
        problems_after(spec_file, lambda d: put(d, "scenarios.t_combined.includes", ["t_hol", "t_pin"])), "scenarios.t_combined.includes"
    )
    assert "did you mean 't_hold'?" in problem.message


def test_unknown_war_state_suggests(spec_file: Path):
    problems = problems_after(
        spec_file,
        lambda d: put(d, "scenarios.t_pin.war.pin", {"2027": "setlement"}),
        lambda d: put(d, "scenarios.t_hold.war.hold.state", "atrition"),
    )
    assert "did you mean 'settlement'?" in only(problems, "scenarios.t_pin.war.pin.2027").message
    assert "did you mean 'attrition'?" in only(problems, "scenarios.t_hold.war.hold.state").message


@pytest.mark.parametrize(
    ("path", "new", "hint"),
    [
        ("drivers.energy_leverage.future_sd", "futur_sd", "future_sd"),
        ("model.name", "nmae", "name"),
        ("scenarios.t_drivers.drivers.energy_leverage.from", "frm", "from"),
        ("indicators.{anchor}.channel", "chanel", "channel"),
        ("trajectories[0].name", "nam", "name"),
        ("scenarios.t_hold.war.hold", "hodl", "hold"),
        ("scenarios", "scenario", "scenarios"),
    ],
)
def test_unknown_key_anywhere_suggests_the_right_one(spec_file: Path, path, new, hint):
    path = path.format(anchor=BASE["channels"]["economic"]["anchor"])
    problems = problems_after(spec_file, lambda d: rename(d, path, new))
    problem = only(problems, ".".join([*path.split(".")[:-1], new]))
    assert f"did you mean '{hint}'?" in problem.message
    assert problem.line is not None


def test_unknown_transform_and_kind(spec_file: Path):
    anchor = BASE["channels"]["economic"]["anchor"]
    problems = problems_after(
        spec_file, lambda d: put(d, f"indicators.{anchor}.transform", "logp1"), lambda d: put(d, "drivers.ukraine_war.kind", "discret")
    )
    assert "did you mean 'log1p'?" in only(problems, f"indicators.{anchor}.transform").message
    assert "did you mean 'discrete'?" in only(problems, "drivers.ukraine_war.kind").message


# ------------------------------------------------------------------- numbers
def test_negative_scales_are_rejected(spec_file: Path):
    problems = problems_after(
        spec_file,
        lambda d: put(d, "drivers.energy_leverage.future_sd", -0.03),
        lambda d: put(d, "scenarios.t_drivers.drivers.energy_leverage.sd", -0.1),
    )
    assert "must not be negative" in only(problems, "drivers.energy_leverage.future_sd").message
    assert "must not be negative" in only(problems, "scenarios.t_drivers.drivers.energy_leverage.sd").message


def test_non_numbers_nan_and_huge_numbers_are_rejected(spec_file: Path):
    problems = problems_after(
        spec_file,
        lambda d: put(d, "drivers.energy_leverage.future_sd", "0.03"),
        lambda d: put(d, "scenarios.t_drivers.drivers.energy_leverage.to", float("nan")),
        lambda d: put(d, "scenarios.t_drivers.drivers.energy_leverage.sd", 10**400),
        lambda d: put(d, "drivers.leader_ties.future_sd", True),
    )
    assert "remove the quotes" in only(problems, "drivers.energy_leverage.future_sd").message
    assert "finite" in only(problems, "scenarios.t_drivers.drivers.energy_leverage.to").message
    assert "finite" in only(problems, "scenarios.t_drivers.drivers.energy_leverage.sd").message
    assert "must be a number" in only(problems, "drivers.leader_ties.future_sd").message


def test_driver_range_and_level_outside_it(spec_file: Path):
    problems = problems_after(
        spec_file,
        lambda d: put(d, "drivers.leader_ties.range", [1.0, -1.0]),
        lambda d: put(d, "scenarios.t_drivers.drivers.energy_leverage.to", 1.9),
    )
    assert "low < high" in only(problems, "drivers.leader_ties.range").message
    assert "outside the driver's range" in only(problems, "scenarios.t_drivers.drivers.energy_leverage.to").message


def test_years_must_be_forecast_years(spec_file: Path):
    problems = problems_after(
        spec_file,
        lambda d: put(d, "scenarios.t_pin.war.pin", {"2045": "settlement"}),
        lambda d: put(d, "scenarios.t_drivers.drivers.energy_leverage.from", 2020),
        lambda d: put(d, "scenarios.t_drivers.drivers.energy_leverage.ramp", 0),
        lambda d: put(d, "scenarios.t_hold.war.hold.until", "2030"),
    )
    assert "2026–2035" in only(problems, "scenarios.t_pin.war.pin.2045").message
    assert "2026–2035" in only(problems, "scenarios.t_drivers.drivers.energy_leverage.from").message
    assert "≥ 1" in only(problems, "scenarios.t_drivers.drivers.energy_leverage.ramp").message
    assert "2026–2035" in only(problems, "scenarios.t_hold.war.hold.until").message


def test_model_years_must_cover_history_and_headline_years(spec_file: Path):
    problems = problems_after(spec_file, lambda d: put(d, "model.forecast", [2026, 2032]), lambda d: put(d, "model.history", [2018, 2025]))
    assert "2035" in only(problems, "model.headline_years").message  # the spec's headline years lie outside the forecast
    assert "2014–2016" in only(problems, "model.history").message


def test_headline_years_come_from_the_spec(spec_file: Path):
    data = tomllib.loads(spec_file.read_text(encoding="utf-8"))
    assert load_spec(spec_file).headline_years == (2030, 2035)
    write(spec_file, put(data, "model.headline_years", [2028, 2033]))
    spec = load_spec(spec_file)
    assert spec.headline_years == (2028, 2033) and spec.headline_year == 2028
    write(spec_file, drop(data, "model.headline_years"))
    assert load_spec(spec_file).headline_years == (2030, 2035)  # none named: the middle and the last forecast year
    for bad, needle in (([], "list of whole years"), (["2030"], "list of whole years"), ([2030, 2030], "twice"), ([2040], "2026–2035")):
        assert needle in only(problems_after(spec_file, lambda d, bad=bad: put(d, "model.headline_years", bad)), "model.headline_years").message


def test_model_years_of_the_wrong_shape(spec_file: Path):
    problem = only(problems_after(spec_file, lambda d: put(d, "model.history", 2000)), "model.history")
    assert "[first_year, last_year]" in problem.message


# ------------------------------------------------------------------- probabilities
@pytest.mark.parametrize(
    ("value", "needle"), [(1.5, "[0, 1]"), (-0.1, "[0, 1]"), ("lense", "did you mean 'lens'?"), ("0.4", "remove the quotes")]
)
def test_scenario_probability_mistakes(spec_file: Path, value, needle):
    problem = only(
        problems_after(spec_file, lambda d: put(d, "scenarios.t_uncertain.probability", value)), "scenarios.t_uncertain.probability"
    )
    assert needle in problem.message


def with_transition(rows: dict) -> Any:
    return lambda d: put(d, "scenarios.t_chain", {"reason": "Test: a fixed war chain.", "war": {"transition": rows}})


def test_transition_matrix_parses_into_full_rows(spec_file: Path):
    data = base()
    with_transition({"attrition": {"attrition": 0.7, "frozen": 0.2, "settlement": 0.1}, "frozen": {"frozen": 1.0}})(data)
    write(spec_file, data)
    spec = load_spec(spec_file)
    transition = spec.scenarios["t_chain"].war.transition
    assert set(transition) == {"attrition", "frozen"}
    for row in transition.values():
        assert list(row) == spec.future_war_states
        assert sum(row.values()) == pytest.approx(1.0)
    expected = dict.fromkeys(spec.future_war_states, 0.0) | {"attrition": 0.7, "frozen": 0.2, "settlement": 0.1}
    assert transition["attrition"] == expected
    assert spec.scenarios["t_base"].war.transition == {}


@pytest.mark.parametrize(
    ("row", "field", "needle"),
    [
        ({"attrition": 0.8, "frozen": 0.3}, "scenarios.t_chain.war.transition.attrition", "sum to 1, got 1.1"),
        ({"attrition": 0.5, "frozen": 0.4999}, "scenarios.t_chain.war.transition.attrition", "sum to 1"),
        ({"attrition": 1.2, "frozen": -0.2}, "scenarios.t_chain.war.transition.attrition.attrition", "[0, 1]"),
        ({"attrition": 0.9, "frozn": 0.1}, "scenarios.t_chain.war.transition.attrition.frozn", "did you mean 'frozen'?"),
        ({"attrition": 0.9, "none": 0.1}, "scenarios.t_chain.war.transition.attrition.none", "reference (no-war) state"),
        ({"attrition": "0.9", "frozen": 0.1}, "scenarios.t_chain.war.transition.attrition.attrition", "remove the quotes"),
        ({"attrition": float("nan"), "frozen": 0.1}, "scenarios.t_chain.war.transition.attrition.attrition", "finite"),
        ({}, "scenarios.t_chain.war.transition.attrition", "empty row"),
    ],
)
def test_transition_matrix_mistakes(spec_file: Path, row, field, needle):
    problem = only(problems_after(spec_file, with_transition({"attrition": row})), field)
    assert needle in problem.message


def test_transition_rows_within_tolerance_are_accepted(spec_file: Path):
    data = base()
    with_transition({"attrition": {"attrition": 0.3333333, "frozen": 0.3333333, "settlement": 0.3333334}})(data)
    write(spec_file, data)
    assert load_spec(spec_file).scenarios["t_chain"].war.transition["attrition"]["settlement"] == 0.3333334


def test_transition_from_unknown_state(spec_file: Path):
    problem = only(
        problems_after(spec_file, with_transition({"atrition": {"attrition": 1.0}})), "scenarios.t_chain.war.transition.atrition"
    )
    assert "did you mean 'attrition'?" in problem.message


# ------------------------------------------------------------------- trajectory rules
def test_an_unknown_rule_variable_names_the_spec_file_the_rule_and_the_valid_names(spec_file: Path):
    problems = problems_after(spec_file, lambda d: put(d, "trajectories[1].rule", "political_change >= 1.0 and trade_usd_bn_mean_3y >= 40"))
    problem = only(problems, "trajectories[1].rule")
    assert problem.file == str(spec_file) and problem.line == line_of(spec_file, "political_change >= 1.0")
    assert "unknown name 'political_change'" in problem.message and "political_change >= 1.0" in problem.message
    message = str(problem)  # what the user reads: file:line [trajectories[1].rule]: ...
    assert message.startswith(f"{spec_file}:{problem.line} [trajectories[1].rule]") and "valid names are" in message
    with pytest.raises(SpecError, match=r"turkiye_russia\.toml:\d+ \[trajectories\[1\]\.rule\]: rule 'political_change"):
        load_spec(spec_file)


def test_rule_variables_follow_the_spec_indicators():
    from hedgecast.inputs.spec_parts import Indicator

    indicators = {"gas_share_pct": Indicator("gas_share_pct", "economic", "Gas share (%)", unit="%"), "gone": Indicator("gone", "political", in_rules=False)}
    variables = rule_variable_names(indicators)
    assert {"gas_share_pct", "gas_share_pct_mean_3y", "gas_share_pct_min_3y", "gas_share_pct_low_2015_16", "gas_share_pct_recent"} <= set(variables)
    assert not any(v.startswith("gone") for v in variables) and "[%]" in variables["gas_share_pct"]
    compile_rule("gas_share_pct_mean_3y < 0.5 * gas_share_pct_recent and not rupture_event", variables, EVENT_VARIABLES)
    with pytest.raises(RuleError, match="unknown name 'gone_mean_3y'"):
        compile_rule("gone_mean_3y < 1", variables, EVENT_VARIABLES)


def test_in_rules_must_be_true_or_false(spec_file: Path):
    problem = only(problems_after(spec_file, lambda d: put(d, "indicators.gdelt_tone.in_rules", "no")), "indicators.gdelt_tone.in_rules")
    assert "true or false" in problem.message


@pytest.mark.parametrize(
    ("rule", "needle"),
    [
        ("trade_usd_bn >= ", "cannot parse rule"),
        ("trade_usd_bn + 1", "not a condition"),
        ("trade_usd_bn_mean_3 < 0", "did you mean 'trade_usd_bn_mean_3y'?"),
        ("__import__('os').system('true')", "not allowed"),
        ("trade_usd_bn in [1, 2]", "comparisons are allowed"),
        ("min(trade_usd_bn) < 0", "two arguments"),
        ("trade_usd_bn\x00 < 0", "cannot parse rule"),
        (3, "must be text"),
    ],
)
def test_bad_rules_are_reported(spec_file: Path, rule, needle):
    problem = only(problems_after(spec_file, lambda d: put(d, "trajectories[2].rule", rule)), "trajectories[2].rule")
    assert needle in problem.message or (rule == 3 and "missing rule" in problem.message)


def test_paths_left_unclassified_when_last_rule_is_not_otherwise(spec_file: Path):
    problem = only(problems_after(spec_file, lambda d: put(d, "trajectories[3].rule", "trade_usd_bn > 5")), "trajectories[3].rule")
    assert "every path gets a class" in problem.message


def test_otherwise_before_the_end_makes_classes_unreachable(spec_file: Path):
    problem = only(problems_after(spec_file, lambda d: put(d, "trajectories[2].rule", "otherwise")), "trajectories[2].rule")
    assert "only on the last class" in problem.message


def test_no_trajectory_classes(spec_file: Path):
    problem = only(problems_after(spec_file, lambda d: drop(d, "trajectories")), "trajectories")
    assert "otherwise" in problem.message


# ------------------------------------------------------------------- duplicates and names
def test_duplicate_names(spec_file: Path):
    states = BASE["drivers"]["ukraine_war"]["states"]
    problems = problems_after(
        spec_file,
        lambda d: put(d, "trajectories[2].name", "rupture"),
        lambda d: put(d, "drivers.ukraine_war.states", [*states, states[-1]]),
        lambda d: put(d, "scenarios.t_combined.includes", ["t_hold", "t_hold"]),
    )
    assert "duplicate trajectory class 'rupture'" in only(problems, "trajectories[2].name").message
    assert f"duplicate state names: {states[-1]}" in only(problems, "drivers.ukraine_war.states").message
    assert "more than once" in only(problems, "scenarios.t_combined.includes").message


def test_names_with_dots_or_spaces_are_rejected(spec_file: Path):
    problem = only(problems_after(spec_file, lambda d: rename(d, "scenarios.t_base", "t base.x")), "scenarios.t base.x")
    assert "letters, digits and _" in problem.message


def test_includes_cycle(spec_file: Path):
    problems = problems_after(spec_file, lambda d: put(d, "scenarios.t_hold.includes", ["t_combined"]))
    cycle = [p for p in problems if "includes itself" in p.message]
    assert len(cycle) == 1, "one message per cycle"
    assert cycle[0].field == "scenarios.t_hold.includes" and "t_hold → t_combined → t_hold" in cycle[0].message


def test_required_driver_missing(spec_file: Path):
    problems = problems_after(spec_file, lambda d: drop(d, "drivers.energy_leverage"))
    assert "required" in only(problems, "drivers.energy_leverage").message
    assert "unknown driver 'energy_leverage'" in only(problems, "scenarios.t_drivers.drivers.energy_leverage").message


def test_war_reference_not_a_state(spec_file: Path):
    problem = only(problems_after(spec_file, lambda d: put(d, "drivers.ukraine_war.reference", "nne")), "drivers.ukraine_war.reference")
    assert "did you mean 'none'?" in problem.message


# ------------------------------------------------------------------- provenance
def test_missing_provenance(spec_file: Path):
    problem = only(problems_after(spec_file, lambda d: drop(d, "scenarios.t_base.reason")), "scenarios.t_base.source")
    assert "missing provenance" in problem.message


def test_quote_without_source_and_misspelt_seed_file(spec_file: Path):
    problems = problems_after(
        spec_file,
        lambda d: put(d, "scenarios.t_base.quote", "a passage"),
        lambda d: drop(d, "scenarios.t_base.reason"),
        lambda d: put(d, "scenarios.t_drivers.source", "003_6ccec0198bf7a77.txt"),
    )
    assert "no source" in only(problems, "scenarios.t_base.source").message
    assert "looks like a seed file name" in only(problems, "scenarios.t_drivers.source").message


def test_seed_source_without_quote(spec_file: Path):
    problem = only(problems_after(spec_file, lambda d: drop(d, "scenarios.t_drivers.quote")), "scenarios.t_drivers.quote")
    assert "verbatim quote" in problem.message


def test_provenance_must_be_text(spec_file: Path):
    problem = only(problems_after(spec_file, lambda d: put(d, "scenarios.t_base.reason", 42)), "scenarios.t_base.reason")
    assert "text" in problem.message


# ------------------------------------------------------------------- all at once
def test_every_problem_in_a_file_is_reported_together(spec_file: Path):
    anchor = BASE["channels"]["economic"]["anchor"]
    problems = problems_after(
        spec_file,
        lambda d: put(d, "drivers.energy_leverage.future_sd", -1),
        lambda d: put(d, f"indicators.{anchor}.channel", "economc"),
        lambda d: put(d, "scenarios.t_uncertain.probability", 2),
        lambda d: put(d, "trajectories[3].rule", "crisis"),
        lambda d: put(d, "scenarios.t_pin.war.pin", {"2027": "frozn"}),
    )
    assert {
        "drivers.energy_leverage.future_sd",
        f"indicators.{anchor}.channel",
        "scenarios.t_uncertain.probability",
        "trajectories[3].rule",
        "scenarios.t_pin.war.pin.2027",
    } <= {p.field for p in problems}
    assert str(SpecError(problems)).startswith(f"{len(problems)} problems found:")
    lines = [p.line for p in problems if p.line is not None]
    assert lines == sorted(lines), "problems are listed top to bottom"


# ------------------------------------------------------------------- helpers
def test_locate_finds_tables_keys_and_array_items():
    text = (
        '[model]\nname = "x"\n\n[[trajectories]]\nname = "a"\nrule = "crisis"\n\n'
        '[[trajectories]]\nname = "b"\nrule = "otherwise"\n\n[scenarios.s.war]\nhold = { state = "x", until = 2030 }\n'
    )
    assert locate(text, "model.name") == 2
    assert locate(text, "trajectories[1].rule") == 10
    assert locate(text, "scenarios.s.war.hold.until") == 13
    assert locate(text, "scenarios.s.war.pin") == 12
    assert locate(text, "nothing.here") is None


@pytest.mark.parametrize("name", [None, 3, ["a"], "", "x" * 300])
def test_suggest_never_fails(name):
    assert re.match(r"valid names are|there are none", suggest(name, ["alpha", 1, "beta"]))
    assert suggest(name, []) == "there are none defined"


def test_problem_messages_are_json_safe(spec_file: Path):
    problems = problems_after(spec_file, lambda d: put(d, "model.name", ["x"]))
    json.dumps([str(p) for p in problems])


# ------------------------------------------------------------------- the crisis model
def test_the_crisis_model_counts_incidents_under_the_spec_s_inclusion_rule(spec_file: Path):
    assert load_spec(SPEC).crisis_inclusion == "main"
    write(spec_file, put(base(), "crisis_model.inclusion", "loose"))
    assert load_spec(spec_file).crisis_inclusion == "loose"
    write(spec_file, drop(base(), "crisis_model"))
    assert load_spec(spec_file).crisis_inclusion == "main"  # the default when the spec names none


@pytest.mark.parametrize(("value", "needle"), [("mian", "did you mean 'main'?"), ("medium", "strict, main, loose"), (2, "strict, main, loose")])
def test_an_unknown_inclusion_rule_is_one_clear_error(spec_file: Path, value, needle):
    problems = problems_after(spec_file, lambda d: put(d, "crisis_model.inclusion", value))
    assert len(problems) == 1
    problem = only(problems, "crisis_model.inclusion")
    assert "unknown inclusion rule" in problem.message and needle in problem.message
    assert problem.line == line_of(spec_file, "inclusion =")


def test_an_unknown_crisis_model_key_suggests(spec_file: Path):
    problems = problems_after(spec_file, lambda d: rename(d, "crisis_model.inclusion", "inclusoin"))
    assert "did you mean 'inclusion'?" in only(problems, "crisis_model.inclusoin").message
