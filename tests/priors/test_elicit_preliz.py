"""Elicitation through PreliZ: quartiles (``pz.quartile``) and maximum entropy (``Prior.constrain``)."""

from __future__ import annotations

import pytest
from pymc_extras.prior import Prior

from hedgecast import SpecError
from hedgecast.priors import elicit


def test_symmetric_quartiles_are_met_by_a_normal():
    e = elicit.from_quartiles(0.1, 0.3, 0.5, about="the effect")
    assert e.prior.distribution == "Normal"
    table = e.check()
    assert list(table["stated"]) == [0.25, 0.5, 0.75]
    assert (table["achieved"] - table["stated"]).abs().max() < 1e-6
    assert "one chance in four below 0.1" in e.reason


@pytest.mark.parametrize("family, quartiles", [("Gamma", (1, 2, 4)), ("LogNormal", (1, 2, 4)), ("Beta", (0.2, 0.3, 0.45))])
def test_skewed_quartiles_are_met_within_tolerance(family, quartiles):
    e = elicit.from_quartiles(*quartiles, family=family)
    assert e.prior.distribution == family
    assert (e.check()["achieved"] - e.check()["stated"]).abs().max() < elicit.QUARTILE_TOLERANCE
    assert all(isinstance(v, float) for v in e.prior.parameters.values())  # plain floats: a lens saves them to TOML


def test_student_t_quartiles_keep_nu():
    e = elicit.from_quartiles(-1, 0, 1, family="StudentT", nu=5)
    assert e.prior.parameters["nu"] == 5.0


def test_quartiles_a_family_cannot_meet_raise():
    with pytest.raises(SpecError, match="try another family"):
        elicit.from_quartiles(0.1, 0.15, 0.9)


@pytest.mark.parametrize(
    "args, field",
    [((0.3, 0.2, 0.5), "median"), ((-1, 0.2, 3, "Gamma"), "q1"), ((0.2, 0.5, 1.5, "Beta"), "q3"), ((0.1, 0.2, 0.3, "Gama"), "family")],
)
def test_bad_quartiles_raise_a_spec_error(args, field):
    with pytest.raises(SpecError) as info:
        elicit.from_quartiles(*args)
    assert any(p.field == field for p in info.value.problems)


def test_maxent_matches_prior_constrain_and_puts_the_mass_inside():
    e = elicit.from_maxent(1, 5, 0.9, family="Gamma", about="the lag")
    direct = Prior("Gamma").constrain(1, 5, 0.9)
    for k, v in direct.parameters.items():
        assert e.prior.parameters[k] == pytest.approx(float(v))
    assert abs(e.check()["achieved"].iloc[0] - 0.9) < elicit.MAXENT_TOLERANCE
    assert "maximum-entropy Gamma" in e.reason


def test_maxent_with_a_fixed_mean_and_a_family_scipy_is_not_mapped_for():
    beta = elicit.from_maxent(0.1, 0.5, 0.9, family="Beta", fixed={"mu": 0.3})
    assert beta.prior.parameters["mu"] == 0.3 and "nu" in beta.prior.parameters
    assert elicit.to_scipy(beta.prior).mean() == pytest.approx(0.3)
    weibull = elicit.from_maxent(1, 5, 0.9, family="Weibull")
    d = elicit.to_scipy(weibull.prior)  # PreliZ's distribution, same methods
    assert float(d.cdf(5.0) - d.cdf(1.0)) == pytest.approx(0.9, abs=1e-6)
    weibull.plot()


def test_maxent_errors_are_spec_errors():
    with pytest.raises(SpecError, match="did you mean 'Weibull'"):
        elicit.from_maxent(1, 5, 0.9, family="Weibul")
    with pytest.raises(SpecError, match="no Gamma"):
        elicit.from_maxent(-1, 5, 0.9, family="Gamma")


def test_quartile_and_maxent_plots_draw():
    fig = elicit.from_quartiles(1, 2, 4, family="Gamma").plot()
    assert "quartiles" in fig.axes[0].texts[0].get_text()
    fig = elicit.from_maxent(0.2, 0.6, 0.8, family="Beta").plot()
    assert fig.axes[0].collections  # the shaded interval


def test_elicited_priors_go_into_a_lens(workbench):
    lens = workbench.lens("baseline").derive("quartile_test", summary="test", author="tests")
    e = elicit.from_quartiles(0.1, 0.3, 0.5, about="the long-run effect of leader ties")
    lens = lens.with_prior("beta.political.leader_ties", e.prior, reason=e.reason)
    assert lens.priors["beta.political.leader_ties"].prior.parameters["sigma"] == pytest.approx(e.prior.parameters["sigma"])
