"""The ``[scenarios]`` grammar: relative interventions (by, factor), declared directions,
composition through ``includes`` (contradictions, cycles, ambiguous parts), and the
provenance and wording promises the real scenario set keeps.

Mistakes are made in a temp copy of the real spec (its scenarios replaced by known ones,
labelled as test fixtures); every mistake must come back as one message naming the file,
the scenario and the field.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scenario_files import at, problems, with_scenarios

from hedgecast.config import Paths
from hedgecast.errors import SpecError
from hedgecast.inputs.provenance import normalise_whitespace
from hedgecast.inputs.scenario_spec import direction_warnings
from hedgecast.inputs.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "models" / "turkiye_russia.toml"
SEEDS = Paths.discover(ROOT).seeds


def drivers(**ivs) -> dict:
    return {"drivers": ivs}


# ------------------------------------------------------------------- relative interventions
def test_by_factor_and_direction_parse(tmp_path: Path):
    spec = load_spec(
        with_scenarios(
            tmp_path,
            {
                "t_by": drivers(sanctions_enforcement={"from": 2027, "by": 0.2, "ramp": 2, "direction": "tighten"}),
                "t_factor": drivers(energy_leverage={"factor": 1.2, "sd": 0.05, "direction": "raise"}),
                "t_to": drivers(leader_ties={"to": -0.2}),  # today's syntax, no direction
            },
        )
    )
    by = spec.scenarios["t_by"].drivers["sanctions_enforcement"]
    assert (by.kind, by.amount, by.from_year, by.ramp, by.declared_sign) == ("by", 0.2, 2027, 2, 1)
    factor = spec.scenarios["t_factor"].drivers["energy_leverage"]
    assert (factor.kind, factor.amount, factor.sd, factor.from_year) == ("factor", 1.2, 0.05, 2026)
    to = spec.scenarios["t_to"].drivers["leader_ties"]
    assert (to.kind, to.to, to.by, to.factor, to.declared_sign) == ("to", -0.2, None, None, 0)


@pytest.mark.parametrize(
    ("intervention", "field", "needle"),
    [
        ({"from": 2027}, "to", "give exactly one of to = level"),
        ({"to": 0.5, "by": 0.1}, "by", "not to and by"),
        ({"by": 0.1, "factor": 1.1}, "factor", "not by and factor"),
        ({"by": 1.5}, "by", "more than the driver's whole range [0, 1]"),
        ({"by": 0}, "by", "changes nothing"),
        ({"factor": 0}, "factor", "must be positive"),
        ({"factor": 1}, "factor", "changes nothing"),
        ({"by": "0.2"}, "by", "remove the quotes"),
        ({"by": 0.1, "direction": "tigthen"}, "direction", "did you mean 'tighten'?"),
        (
            {"by": -0.1, "direction": "tighten"},
            "direction",
            'direction = "tighten" moves Western sanctions enforcement up, but by = -0.1 moves it down',
        ),
        ({"factor": 0.8, "direction": "raise"}, "direction", "but factor = 0.8 moves it down"),
        ({"by": 0.1, "until": 2030}, "until", "unknown key"),
    ],
)
def test_each_bad_intervention_gets_its_message(tmp_path: Path, intervention, field, needle):
    found = problems(tmp_path, {"t_bad": drivers(sanctions_enforcement=intervention)})
    problem = at(found, f"scenarios.t_bad.drivers.sanctions_enforcement.{field}")
    assert needle in problem.message
    assert problem.line is not None


def test_direction_on_a_driver_that_can_be_negative_is_not_judged_from_a_factor(tmp_path: Path):
    """leader_ties runs from −1 to 1: a factor above 1 lowers a negative value, so only the data can say."""
    spec = load_spec(with_scenarios(tmp_path, {"t_ties": drivers(leader_ties={"factor": 1.5, "direction": "lower"})}))
    assert spec.scenarios["t_ties"].drivers["leader_ties"].factor == 1.5


# ------------------------------------------------------------------- direction warnings
def test_absolute_targets_against_their_declared_direction_are_warned():
    from hedgecast.inputs.spec_parts import DriverIntervention, Scenario

    spec = load_spec(SPEC)

    old = {  # the 0.1 scenario set's targets, with the intent they were written for
        "old_gas": Scenario(
            "old_gas", drivers={"sanctions_enforcement": DriverIntervention("sanctions_enforcement", 2027, 0.7, direction="tighten")}
        ),
        "ok_ease": Scenario(
            "ok_ease", drivers={"sanctions_enforcement": DriverIntervention("sanctions_enforcement", 2028, 0.3, direction="ease")}
        ),
        "old_factor": Scenario(
            "old_factor", drivers={"energy_leverage": DriverIntervention("energy_leverage", 2027, factor=0.9, direction="raise")}
        ),
    }
    found = dict(direction_warnings(old, spec.drivers, {"sanctions_enforcement": 0.8, "energy_leverage": 0.75}, 2025))
    assert set(found) == {"scenarios.old_gas.drivers.sanctions_enforcement.to", "scenarios.old_factor.drivers.energy_leverage.factor"}
    assert "to = 0.7 is not above the last coded value (0.8 in 2025)" in found["scenarios.old_gas.drivers.sanctions_enforcement.to"]
    assert 'direction = "tighten"' in found["scenarios.old_gas.drivers.sanctions_enforcement.to"]


# ------------------------------------------------------------------- composition
def test_two_absolute_targets_from_included_parts_contradict(tmp_path: Path):
    found = problems(
        tmp_path,
        {
            "t_low": drivers(sanctions_enforcement={"to": 0.3}),
            "t_high": drivers(sanctions_enforcement={"to": 0.9}),
            "t_both": {"includes": ["t_low", "t_high"]},
        },
    )
    problem = at(found, "scenarios.t_both.includes")
    assert "t_low and t_high contradict each other on Western sanctions enforcement (sanctions_enforcement)" in problem.message
    assert "scenarios.t_low.drivers.sanctions_enforcement (to = 0.3" in problem.message
    assert "scenarios.t_high.drivers.sanctions_enforcement (to = 0.9" in problem.message
    assert "two absolute targets" in problem.message and "its own setting wins" in problem.message
    assert len(found) == 1


def test_moves_in_opposite_directions_from_included_parts_contradict(tmp_path: Path):
    found = problems(
        tmp_path,
        {
            "t_up": drivers(sanctions_enforcement={"by": 0.1}),
            "t_down": drivers(sanctions_enforcement={"to": 0.3, "direction": "ease"}),
            "t_both": {"includes": ["t_up", "t_down"]},
        },
    )
    assert "move it in opposite directions" in at(found, "scenarios.t_both.includes").message


def test_war_settings_from_included_parts_contradict(tmp_path: Path):
    found = problems(
        tmp_path,
        {
            "t_hold": {"war": {"hold": {"state": "attrition", "until": 2030}}},
            "t_pin": {"war": {"pin": {"2027": "settlement"}}},
            "t_both": {"includes": ["t_hold", "t_pin"]},
        },
    )
    message = at(found, "scenarios.t_both.includes").message
    assert "scenarios.t_hold.war.hold keeps “attrition” until 2030 but scenarios.t_pin.war.pin sets “settlement” in 2027" in message


def test_what_composes_cleanly_loads(tmp_path: Path):
    """Same-direction moves add; an own setting overrides its parts; a part reached twice the same way is applied once."""
    spec = load_spec(
        with_scenarios(
            tmp_path,
            {
                "t_a": drivers(sanctions_enforcement={"by": 0.1, "direction": "tighten"}),
                "t_b": drivers(sanctions_enforcement={"to": 0.9, "direction": "tighten"}),
                "t_ab": {"includes": ["t_a", "t_b"]},
                "t_override": {"includes": ["t_a", "t_b"], **drivers(sanctions_enforcement={"to": 0.2})},
                "t_twice": {"includes": ["t_ab", "t_a"]},
            },
        )
    )
    assert spec.scenarios["t_twice"].includes == ("t_ab", "t_a")


def test_a_part_reached_through_differently_uncertain_routes_is_ambiguous(tmp_path: Path):
    found = problems(
        tmp_path,
        {
            "t_part": drivers(nato_pressure={"by": 0.1}),
            "t_maybe": {"includes": ["t_part"], "probability": 0.5},
            "t_top": {"includes": ["t_maybe", "t_part"]},
        },
    )
    message = at(found, "scenarios.t_top.includes").message
    assert "t_part is included twice, through t_maybe and through t_top" in message and "include t_part once" in message


def test_a_cycle_is_one_message(tmp_path: Path):
    found = problems(
        tmp_path, {"t_a": {"includes": ["t_b"]}, "t_b": {"includes": ["t_c"]}, "t_c": {"includes": ["t_a"]}, "t_d": {"includes": ["t_a"]}}
    )
    cycles = [p for p in found if "includes itself" in p.message]
    assert len(cycles) == 1 and cycles[0].field == "scenarios.t_a.includes"
    assert "t_a → t_b → t_c → t_a" in cycles[0].message


@pytest.mark.parametrize(
    ("table", "field", "needle"),
    [
        ({"hypothetical": "yes"}, "hypothetical", "true or false"),
        ({"hypothetical": True, "reason": "", "source": "somewhere"}, "reason", "must say why it is worth asking"),
    ],
)
def test_hypothetical_must_be_a_flag_with_a_reason(tmp_path: Path, table, field, needle):
    assert needle in at(problems(tmp_path, {"t_h": table}), f"scenarios.t_h.{field}").message


# ------------------------------------------------------------------- the real scenario set
REAL = load_spec(SPEC)
DATED = re.compile(r"https?://\S+.*\b20\d\d-\d\d-\d\d\b")


def test_the_2026_set_is_there():
    wanted = {
        "black_sea_spillover", "gas_transit_ends_2027", "us_secondary_sanctions", "sanctions_relief", "russia_keeps_syria_bases",
        "akkuyu_startup", "russia_nato_escalation", "south_caucasus_corridor", "russia_internal_shock",
        "succession_continuity_2028", "succession_opposition_2028", "russia_loses_syria_bases", "russia_exits_syria_less_contact",
    }  # fmt: skip
    assert wanted <= set(REAL.scenarios) and len(REAL.scenarios) >= 16


@pytest.mark.parametrize("name", list(REAL.scenarios))
def test_every_scenario_has_checkable_provenance_and_says_what_it_leaves_alone(name):
    s = REAL.scenarios[name]
    pv = s.provenance
    if pv.cites_seed:
        if not SEEDS.is_dir():
            pytest.skip(f"seed papers not available at {SEEDS}")
        text = normalise_whitespace((SEEDS / pv.source).read_text(encoding="utf-8"))
        assert normalise_whitespace(pv.quote) in text, f"{name}: quote not verbatim in {pv.source}"
    elif s.hypothetical:
        assert pv.reason.strip()
    elif s.drivers or s.war.pin or s.war.hold_state or s.includes:
        assert DATED.search(pv.source) and pv.quote, f"{name}: a public source needs its URL, a date (YYYY-MM-DD) and the passage"
    if name != "status_quo":
        assert "Leaves alone:" in s.description and ("Changes" in s.description or s.includes), name


def test_the_scenarios_meant_to_tighten_enforcement_do():
    for name in ("eu_ends_russian_gas", "us_turkiye_realignment"):
        iv = REAL.scenarios[name].drivers["sanctions_enforcement"]
        assert (iv.kind, iv.direction) == ("by", "tighten") and iv.amount > 0, name


def test_scenarios_written_in_a_notebook_are_added_with_the_same_checks():
    from hedgecast.inputs.scenario_spec import add_scenarios

    spec = load_spec(SPEC)
    text = """
[scenarios.mine]
reason = "Test fixture (synthetic)."
branches = ["succession_runs_again", "succession_opposition_2028"]
branch_probabilities = [0.6, 0.4]
"""
    added = add_scenarios(spec, text)
    assert added.scenarios["mine"].branches == ("succession_runs_again", "succession_opposition_2028")
    assert set(added.scenarios) == set(spec.scenarios) | {"mine"} and "mine" not in spec.scenarios
    with pytest.raises(SpecError) as info:
        add_scenarios(spec, text.replace("[0.6, 0.4]", "[0.6, 0.6]"), where="cell 3")
    (problem,) = info.value.problems
    assert problem.file == "cell 3" and problem.field == "scenarios.mine.branch_probabilities" and problem.line == 5
    assert "must sum to 1, got 1.2" in problem.message
