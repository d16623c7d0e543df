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
