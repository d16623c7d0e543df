"""Scenario interventions in words: the one wording ``hedgecast scenarios`` and the report share."""

from __future__ import annotations

import dataclasses

from hedgecast.forecasting.scenario_words import intervention_lines, intervention_text, share_text
from hedgecast.inputs.spec_parts import DriverIntervention, Scenario, WarIntervention


def only(spec, *scenarios: Scenario):
    """The spec with just ``scenarios`` (synthetic test fixtures)."""
    return dataclasses.replace(spec, scenarios={s.name: s for s in scenarios})


def test_a_composed_uncertain_part_says_its_share(spec):
    part = Scenario(
        "part",
        probability=0.4,
        drivers={"sanctions_enforcement": DriverIntervention("sanctions_enforcement", 2027, by=0.2, ramp=2, direction="tighten")},
    )
    top = Scenario("top", probability=0.5, includes=("part",), war=WarIntervention(pin={2028: "frozen"}))
    s = only(spec, part, top)
    assert intervention_lines(s, "top") == [
        "Includes part (their settings first; its own win)",
        "Western sanctions enforcement (sanctions_enforcement) tightens by +0.2 from 2027, over 2 years (from part);"
        " applied on 20% of paths",
        "War state set to “frozen” in 2028; applied on 50% of paths",
    ]


def test_each_kind_reads_as_what_it_does(spec):
    assert (
        intervention_text(spec, DriverIntervention("energy_leverage", 2026, 0.9, sd=0.08))
        == "Energy dependence on Russia (energy_leverage) moves to 0.9 (sd 0.08) from 2026"
    )
    assert (
        intervention_text(spec, DriverIntervention("regional_friction", 2027, by=-0.15, ramp=2))
        == "Regional friction (regional_friction) falls by -0.15 from 2027, over 2 years"
    )
    assert intervention_text(spec, DriverIntervention("sanctions_enforcement", 2028, 0.3, direction="ease")).endswith(
        "eases to 0.3 from 2028"
    )
    assert intervention_text(spec, DriverIntervention("energy_leverage", 2026, factor=1.2)).endswith(
        "is scaled by a factor of 1.2 from 2026"
    )


def test_a_setting_the_scenario_replaces_is_not_listed(spec):
    part = Scenario(
        "part",
        drivers={"nato_pressure": DriverIntervention("nato_pressure", 2026, by=0.1)},
        war=WarIntervention(hold_state="attrition", hold_until=2030),
    )
    top = Scenario(
        "top",
        includes=("part",),
        drivers={"nato_pressure": DriverIntervention("nato_pressure", 2027, 0.5)},
        war=WarIntervention(hold_state="frozen", hold_until=2027),
    )
    lines = intervention_lines(only(spec, part, top), "top")
    assert not any("(from part)" in line for line in lines)
    assert "War held in “frozen” until 2027" in lines and any("moves to 0.5" in line for line in lines)


def test_a_lens_probability_shows_the_prior_mean(spec, baseline):
    text = share_text(spec, ["post_erdogan_2028"], baseline)
    prior = baseline.priors["scenario_probability.post_erdogan_2028"].prior.parameters
    mean = prior["alpha"] / (prior["alpha"] + prior["beta"])
    assert text == f"applied on a share of paths: P(post_erdogan_2028) from the lens (prior mean {100 * mean:.0f}%)"
    assert share_text(spec, ["status_quo"]) == ""


def test_triggers_crisis_interventions_branches_and_joint_tables_read_in_words(spec, baseline):
    lines = intervention_lines(spec, "freeze_eases_sanctions")
    assert lines == [
        "Western sanctions enforcement (sanctions_enforcement) eases by -0.2 (sd 0.05), over 2 years: only on the paths where "
        "the war is “frozen” or “settlement”, from the year after it first does to the end of the horizon"
    ]
    assert intervention_lines(spec, "black_sea_spillover")[1] == "The rate of serious incidents multiplied by 1.5 from 2026"
    assert "pinned in 2027" in intervention_lines(spec, "black_sea_rupture_2027")[0]
    mixture = intervention_lines(spec, "erdogan_succession", baseline)
    assert mixture[0].startswith(
        "Each path follows exactly one branch: succession_runs_again (40%), succession_continuity_2028 (30%), succession_opposition_2028 (30%)"
    )
    assert any(line.endswith("(in branch succession_opposition_2028)") for line in mixture)
    from hedgecast.inputs.spec_parts import JointOutcome, JointTable

    a, b = Scenario("a", probability=0.4), Scenario("b", probability=0.5)
    outcomes = (JointOutcome(frozenset({"a", "b"}), 0.3), JointOutcome(frozenset({"a"}), 0.1), JointOutcome(frozenset(), 0.6))
    s = only(spec, a, b, Scenario("ab", includes=("a", "b"), joint=JointTable(("a", "b"), outcomes)))
    assert "A, b are drawn together from a joint table: a and b 30%; a only 10%; none 60%" in intervention_lines(s, "ab")
