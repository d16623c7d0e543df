"""The crisis model section: the incident record, prior vs posterior of every crisis parameter with the
prior-driven flag, and the headline under the other inclusion rules — as data, no HTML."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hedgecast.priors.groups import CRISIS_GROUPS
from hedgecast.report.contracts import Section, Table
from hedgecast.report.render import render_page
from hedgecast.report.sections.crisis import PRIOR_DRIVEN_RATIO, crisis_section, parameter_table, record_table, rule_headline


@pytest.fixture(scope="module")
def learned(mock_fit):
    """The mock fit with the escalation intercept's posterior narrowed to a third of its draws' spread: 'learned'."""
    idata = mock_fit.idata.copy()
    post = idata.posterior.copy()
    x = post["escalation_intercept"]
    post["escalation_intercept"] = x.mean() + (x - x.mean()) / 3
    idata.posterior = post
    return dataclasses.replace(mock_fit, idata=idata, _forecasts={})


@pytest.fixture(scope="module")
def other_rules(workbench, baseline):
    """The baseline lens under the strict and loose rules (mock fits with other seeds, so their numbers differ)."""
    return [workbench.fit(baseline, sampler="mock", draws=100, chains=2, seed=s, inclusion=r) for s, r in ((21, "strict"), (22, "loose"))]


def test_every_crisis_parameter_with_exact_prior_moments_and_the_stated_flag(learned):
    table = parameter_table(learned).set_index("parameter")
    expected = [n for n in learned.lens.priors if n.split(".")[0] in CRISIS_GROUPS]
    assert list(table.index) == expected and "incident_war.attrition" in table.index
    assert len(expected) == 5 + len(learned.spec.effect_states)
    prior = learned.lens.prior("escalation_ties").parameters
    assert table.loc["escalation_ties", "prior_mean"] == pytest.approx(prior["mu"])
    assert table.loc["escalation_ties", "prior_sd"] == pytest.approx(prior["sigma"])
    draws = learned.idata.posterior["incident_war"].sel(war_state="attrition")
    assert table.loc["incident_war.attrition", "posterior_sd"] == pytest.approx(float(draws.std()))
    # the rule, exactly: posterior sd > 0.8 × prior sd
    np.testing.assert_array_equal(table["prior_driven"], table["posterior_sd"] > PRIOR_DRIVEN_RATIO * table["prior_sd"])
    assert not table.loc["escalation_intercept", "prior_driven"]  # narrowed to a third
    assert table.loc["escalation_energy", "prior_driven"]  # prior draws: as wide as the prior


def test_the_record_by_inclusion_rule(mock_fit):
    record = record_table(mock_fit)
    assert list(record.index) == ["strict", "main", "loose"]
    assert list(record["Incidents"]) == [3, 11, 21] and list(record["Escalated"]) == [1, 1, 1]
    assert set(record["Rupture years"]) == {"2015"} and record.loc["main", "Counted"].startswith("✓")


def test_the_section_states_the_rule_and_shows_the_headline_under_each_rule(learned, other_rules, tmp_path):
    fc = learned.forecast()
    section = crisis_section(learned, fc, other_rules)
    assert isinstance(section, Section) and section.id == "crisis-model"
    text = " ".join(section.paragraphs)
    assert "<" not in text
    assert "posterior sd is more than 0.8 × its prior sd" in text and "main rule" in text
    n_driven = int(parameter_table(learned)["prior_driven"].sum())
    assert f"{n_driven} of {5 + len(learned.spec.effect_states)} crisis parameters are prior-driven" in text
    headline = section.tables[-1].frame
    assert isinstance(section.tables[-1], Table)
    rules = ("strict", "main", "loose")
    assert list(headline.columns) == [("P(crisis by 2030)", r) for r in rules] + [("P(rupture, 2030)", r) for r in rules]
    strict = other_rules[0].forecast().p_crisis_by(2030).sel(scenario="status_quo")
    assert headline.loc["Status quo", ("P(crisis by 2030)", "strict")] == pytest.approx(float(strict))
    main = float(fc.p_crisis_by(2030).sel(scenario="status_quo"))
    assert headline.loc["Status quo", ("P(crisis by 2030)", "main")] == pytest.approx(main)
    assert headline.loc["Status quo", ("P(crisis by 2030)", "strict")] != headline.loc["Status quo", ("P(crisis by 2030)", "loose")]
    rupture = other_rules[1].forecast().class_probabilities((2030,)).sel(year=2030, trajectory="rupture", scenario="new_low")
    assert headline.loc["Failed peace and a new low", ("P(rupture, 2030)", "loose")] == pytest.approx(float(rupture))
    assert "strict: fitted" in text and "loose: fitted" in text
    html = render_page(section)
    assert "P(crisis by 2030)" in html and "prior-driven" in html


def test_without_the_other_rules_the_section_says_so(mock_fit):
    section = crisis_section(mock_fit, mock_fit.forecast())
    assert any("Not computed for this report" in t for t in section.paragraphs)
    assert len(section.tables) == 2  # the record and the parameters
    assert rule_headline(mock_fit, mock_fit.forecast(), [], 2030).columns.get_level_values(1).tolist() == ["main", "main"]
