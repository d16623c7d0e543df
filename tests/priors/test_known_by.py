"""What a lens could know by a cut-off: priors known later fall back to their group's vague prior, and are listed."""

from __future__ import annotations

from pymc_extras.prior import Prior

from hedgecast.inputs.provenance import Provenance
from hedgecast.model.equations import prior_structure
from hedgecast.priors.known_by import BACKTEST_GROUPS, FALLBACKS, fallback_prior, known_at
from hedgecast.priors.lens_prior import LensPrior


def test_a_prior_known_after_the_cutoff_falls_back_and_is_listed(baseline):
    lens = baseline.with_prior(
        "cushion", Prior("Normal", mu=0.3, sigma=0.3), reason="x", known_by=2015, known_by_reason="Test: known from 2015."
    )
    before, fell = known_at(lens, 2014)
    names = {f.prior: f for f in fell}
    assert "cushion" in names and names["cushion"].known_by == 2015 and names["cushion"].stated
    assert before.prior("cushion") == FALLBACKS["cushion"].make((), lens.spec) != lens.prior("cushion")
    assert "after the cut-off 2014" in before.provenance("cushion").reason
    assert names["cushion"].original == "Normal(mu=0.3, sigma=0.3)" and names["cushion"].fallback == "Normal(mu=0, sigma=1)"
    # known by the cut-off itself: kept
    after, fell = known_at(lens, 2015)
    assert "cushion" not in {f.prior for f in fell} and after.prior("cushion") == lens.prior("cushion")
    assert lens.prior("cushion") == Prior("Normal", mu=0.3, sigma=0.3)  # the lens itself is untouched


def test_a_prior_without_known_by_is_taken_as_known_from_its_lens_year(baseline):
    assert baseline.priors["hazard_intercept"].known_by is None and baseline.year == 2025
    _, fell = known_at(baseline, 2024)
    hazard = {f.prior: f for f in fell}["hazard_intercept"]
    assert hazard.known_by == 2025 and not hazard.stated
    _, fell = known_at(baseline, 2025)
    assert fell == []


def test_the_shipped_baseline_falls_back_only_where_its_content_came_later(baseline):
    for cutoff in (2014, 2019, 2021):
        lens, fell = known_at(baseline, cutoff)
        assert fell and all(f.known_by > cutoff for f in fell)
        assert all(
            baseline.known_by(n) <= cutoff
            for n in baseline.names
            if n not in {f.prior for f in fell} and n.split(".")[0] in BACKTEST_GROUPS
        )
        assert prior_structure(lens) == prior_structure(baseline)  # same families: the compiled model is reused
        assert not any(f.prior.startswith("scenario_probability") for f in fell)  # a backtest applies no scenario
    fell_2014 = {f.prior for f in known_at(baseline, 2014)[1]}
    assert {"crisis_effect.economic", "war_effect.political.attrition", "leverage_shift.economic", "war_transition.frozen"} <= fell_2014
    assert "beta.economic.energy_leverage" not in fell_2014 and "war_effect.political.frozen" not in fell_2014


def test_the_war_chain_fallback_keeps_states_lasting_and_says_nothing_of_where_they_go(spec):
    states = list(spec.future_war_states)
    a = FALLBACKS["war_transition"].make(("frozen",), spec).parameters["a"]
    assert list(a) == [len(states) if s == "frozen" else 1.0 for s in states]


def test_a_group_without_a_rule_falls_back_by_its_support(spec):
    positive = LensPrior(Prior("Gamma", alpha=5.0, beta=1.0), Provenance(reason="x"))
    assert fallback_prior("incident_rate", positive, spec)[0] == Prior("Gamma", alpha=2.0, beta=2.0)
    real = LensPrior(Prior("Normal", mu=2.0, sigma=0.1), Provenance(reason="x"))
    assert fallback_prior("escalation_ties", real, spec)[0] == Prior("Normal", mu=0.0, sigma=1.0)
