"""Triggers, crisis interventions, mixtures and joint tables in ``[scenarios]``: what parses, and
one clear message (file, line, field) for each mistake.

Mistakes are made in a temp copy of the real spec (its scenarios replaced by test fixtures,
labelled synthetic).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scenario_files import FIXTURE, at, problems, with_scenarios

from hedgecast.inputs.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


UNCERTAIN = {"a": {**FIXTURE, "probability": 0.4, "drivers": {"nato_pressure": {"by": 0.1}}}, "b": {**FIXTURE, "probability": 0.5}}


def test_triggers_crisis_interventions_mixtures_and_joint_tables_parse(tmp_path: Path):
    spec = load_spec(
        with_scenarios(
            tmp_path,
            {
                "freeze_eases": {
                    "interventions": [
                        {"driver": "sanctions_enforcement", "by": -0.2, "when": {"war_state": "frozen"}},
                        {"driver": "leader_ties", "by": -0.3, "when": {"rupture_event": True}, "ramp": 2},
                        {"driver": "nato_pressure", "to": 0.9, "when": {"driver": "leader_ties", "below": 0.3, "year": 2027}},
                        {"crisis": "incident_rate", "factor": 1.5, "from": 2027},
                        {"crisis": "escalation", "factor": 2.0, "when": {"incident": True}},
                        {"crisis": "rupture_event", "year": 2028},
                        {"driver": "energy_leverage", "by": 0.1},
                    ]
                },
                **UNCERTAIN,
                "ab": {
                    "includes": ["a", "b"],
                    "joint": {
                        "events": ["a", "b"],
                        "outcomes": [
                            {"happen": ["a", "b"], "p": 0.3},
                            {"happen": ["a"], "p": 0.1},
                            {"happen": ["b"], "p": 0.2},
                            {"happen": [], "p": 0.4},
                        ],
                    },
                },
                "x": {},
                "y": {},
                "mix": {"branches": ["x", "y"], "branch_probabilities": [0.7, 0.3]},
            },
        )
    )
    s = spec.scenarios["freeze_eases"]
    assert [c.intervention.driver for c in s.conditional] == ["sanctions_enforcement", "leader_ties", "nato_pressure"]
    assert s.conditional[0].when.war_state == ("frozen",) and s.conditional[1].when.rupture_event
    assert s.conditional[2].when.below == 0.3 and s.conditional[2].when.year == 2027
    assert [(c.target, c.factor, c.year) for c in s.crisis] == [
        ("incident_rate", 1.5, 0),
        ("escalation", 2.0, 0),
        ("rupture_event", 1.0, 2028),
    ]
    assert s.drivers["energy_leverage"].by == 0.1  # a plain intervention in the list is an ordinary one
    assert spec.scenarios["mix"].branches == ("x", "y") and spec.scenarios["mix"].branch_probabilities == (0.7, 0.3)
    assert spec.scenarios["ab"].joint.events == ("a", "b") and len(spec.scenarios["ab"].joint.outcomes) == 4


def iv(**kw) -> dict:
    return {"interventions": [kw]}


@pytest.mark.parametrize(
    ("scenario", "field", "needle"),
    [
        (iv(driver="leader_ties", by=-0.2, when={"war_sate": "frozen"}), "interventions[0].when.war_sate", "unknown trigger 'war_sate'"),
        (iv(driver="leader_ties", by=-0.2, when={"war_state": "frozn"}), "interventions[0].when.war_state", "did you mean 'frozen'"),
        (iv(driver="leader_ties", by=-0.2, when={"war_state": "none"}), "interventions[0].when.war_state", "can never fire"),
        (iv(driver="leader_ties", by=-0.2, when={"driver": "nato_pressure", "below": -5}), "interventions[0].when.below", "can never fire"),
        (iv(driver="leader_ties", by=-0.2, when={"year": 2035}), "interventions[0].when.year", "can never fire within the horizon"),
        (iv(driver="leader_ties", by=-0.2, when={"rupture_event": False}), "interventions[0].when.rupture_event", "is not a trigger"),
        (iv(driver="leader_ties", by=-0.2, when={}), "interventions[0].when", "empty trigger"),
        (iv(crisis="incident_rates", factor=2.0), "interventions[0].crisis", "did you mean 'incident_rate'"),
        (iv(crisis="rupture_event"), "interventions[0].year", "missing"),
        (iv(crisis="escalation", factor=-1.0), "interventions[0].factor", ""),
        (iv(driver="leader_ties", crisis="escalation", factor=2.0), "interventions[0].driver", "exactly one of"),
        ({"branches": ["status_quo", "nope"], "branch_probabilities": [0.5, 0.5]}, "branches", "unknown branch 'nope'"),
        ({"branches": ["status_quo", "z"], "branch_probabilities": [0.5, 0.6]}, "branch_probabilities", "must sum to 1, got 1.1"),
        ({"branches": ["status_quo", "z"], "branch_probabilities": [1.0]}, "branch_probabilities", "1 probabilities for 2 branches"),
    ],
)
def test_each_bad_condition_gets_one_message(tmp_path: Path, scenario, field, needle):
    found = problems(tmp_path, {"s": scenario, "z": {}})
    hit = at(found, f"scenarios.s.{field}")
    assert needle in hit.message
    assert hit.line is not None  # hedgecast check points at the line


@pytest.mark.parametrize(
    ("outcomes", "needle"),
    [
        ([{"happen": ["a", "b"], "p": 0.3}, {"happen": [], "p": 0.6}], "must sum to 1, got 0.9"),
        ([{"happen": ["a", "b"], "p": 0.5}, {"happen": ["a"], "p": -0.2}, {"happen": [], "p": 0.7}], "must lie in [0, 1], got -0.2"),
        ([{"happen": ["a", "b"], "p": 0.4}, {"happen": [], "p": 0.6}], "marginal P(b) = 0.4 differs from b's own probability 0.5"),
        ([{"happen": ["a", "c"], "p": 0.4}, {"happen": [], "p": 0.6}], "'c' is not one of the table's events"),
    ],
)
def test_infeasible_joint_tables_are_rejected(tmp_path: Path, outcomes, needle):
    found = problems(tmp_path, {**UNCERTAIN, "ab": {"includes": ["a", "b"], "joint": {"events": ["a", "b"], "outcomes": outcomes}}})
    assert len(found) == 1, [str(p) for p in found]
    assert found[0].field.startswith("scenarios.ab.joint") and needle in found[0].message
    assert "infeasible joint table" in found[0].message or "not one of" in found[0].message


def test_a_branch_with_its_own_probability_and_a_lens_event_in_a_joint_table_are_rejected(tmp_path: Path):
    found = problems(tmp_path, {**UNCERTAIN, "m": {"branches": ["a", "status_quo"], "branch_probabilities": [0.5, 0.5]}})
    assert "has a probability of its own" in at(found, "scenarios.m.branches").message
    lens_event = {"c": {"probability": "lens"}, "b": UNCERTAIN["b"]}
    joint = {
        "includes": ["c", "b"],
        "joint": {"events": ["c", "b"], "outcomes": [{"happen": ["c", "b"], "p": 0.5}, {"happen": [], "p": 0.5}]},
    }
    found = problems(tmp_path, {**lens_event, "cb": joint})
    assert any("takes its probability from the lens" in p.message for p in found if p.field == "scenarios.cb.joint.events")
