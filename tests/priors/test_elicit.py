"""Elicitation: each statement becomes a prior that really says it (checked with PyMC's own
CDFs, independently of the SciPy code that solved it); bad statements get a clear
SpecError; an elicited lens survives save/load with identical fingerprint and forecasts."""

from __future__ import annotations

import math

import numpy as np
import pymc as pm
import pytest
import xarray as xr
from matplotlib.figure import Figure
from pymc_extras.prior import Prior

from hedgecast.errors import SpecError
from hedgecast.priors import elicit
from hedgecast.priors.elicit import Elicited, Statement, from_interval, from_probability, from_sign_probability, plot_elicited
from hedgecast.priors.lenses import Lens, diff_lenses


def pymc_cdf(prior: Prior, x: float) -> float:
    """P(X <= x) from PyMC's own distribution with the prior's parameters (what the model samples)."""
    dist = getattr(pm, prior.distribution).dist(**prior.parameters)
    return float(np.exp(pm.logcdf(dist, x).eval()))


def pymc_moments(prior: Prior, n: int = 400_000) -> tuple[float, float]:
    draws = pm.draw(getattr(pm, prior.distribution).dist(**prior.parameters), draws=n, random_seed=3)
    return float(draws.mean()), float(draws.std())


# ---- the statements are met --------------------------------------------------------------
def test_normal_interval_is_exact():
    prior, statement = from_interval(0.1, 0.5, mass=0.9)
    assert prior.distribution == "Normal"
    assert pymc_cdf(prior, 0.5) - pymc_cdf(prior, 0.1) == pytest.approx(0.9, abs=1e-6)
    assert pymc_cdf(prior, 0.1) == pytest.approx(0.05, abs=1e-6)
    # closed form: centre of the interval, half-width over z_0.95
    assert prior.parameters["mu"] == pytest.approx(0.3, abs=1e-12)
    assert prior.parameters["sigma"] == pytest.approx(0.2 / 1.6448536269514722, rel=1e-12)
    assert statement.kind == "interval" and "90%" in statement.text and "0.1" in statement.text


@pytest.mark.parametrize(
    ("family", "lower", "upper", "mass"),
    [
        ("Normal", -0.4, 1.2, 0.8),
        ("StudentT", 0.1, 0.5, 0.9),
        ("LogNormal", 0.1, 0.5, 0.9),
        ("Gamma", 0.1, 0.5, 0.9),
        ("Gamma", 0.2, 0.9, 0.5),
        ("Beta", 0.1, 0.5, 0.9),
        ("Beta", 0.55, 0.8, 0.95),
        ("Beta", 0.01, 0.99, 0.9),  # wide: a U-shaped Beta
    ],
)
def test_interval_families_put_the_stated_mass_inside_with_equal_tails(family, lower, upper, mass):
    prior, _ = from_interval(lower, upper, mass=mass, family=family)
    assert prior.distribution == family
    below, above = pymc_cdf(prior, lower), 1 - pymc_cdf(prior, upper)
    assert 1 - below - above == pytest.approx(mass, abs=1e-6)
    assert below == pytest.approx((1 - mass) / 2, abs=1e-6)
    assert above == pytest.approx((1 - mass) / 2, abs=1e-6)


def test_student_t_keeps_its_degrees_of_freedom():
    prior, _ = from_interval(-1, 1, mass=0.9, family="StudentT", nu=5)
    assert prior.parameters["nu"] == 5
    assert prior.parameters["mu"] == pytest.approx(0.0)
    wide, _ = from_interval(-1, 1, mass=0.9, family="Normal")
    assert prior.parameters["sigma"] < wide.parameters["sigma"]  # heavy tails: a narrower core


def test_sign_probability_pins_the_sign_and_the_scale():
    prior, statement = from_sign_probability(0.7, scale=0.4)
    assert prior.distribution == "Normal"
    assert 1 - pymc_cdf(prior, 0.0) == pytest.approx(0.7, abs=1e-6)
    assert prior.parameters["sigma"] == pytest.approx(0.4)
    assert prior.parameters["mu"] > 0
    assert statement.values == {"p_positive": 0.7, "scale": 0.4}
    negative, _ = from_sign_probability(0.2, scale=1.0)
    assert 1 - pymc_cdf(negative, 0.0) == pytest.approx(0.2, abs=1e-6)
    assert negative.parameters["mu"] < 0


def test_probability_give_or_take_is_a_beta_with_that_mean_and_sd():
    prior, statement = from_probability(0.35, 0.10, about="a ceasefire by 2027")
    assert prior.distribution == "Beta"
    a, b = prior.parameters["alpha"], prior.parameters["beta"]
    assert a / (a + b) == pytest.approx(0.35, abs=1e-9)
    assert math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))) == pytest.approx(0.10, abs=1e-9)
    mean, sd = pymc_moments(prior)  # and PyMC samples the same thing
    assert mean == pytest.approx(0.35, abs=0.002)
    assert sd == pytest.approx(0.10, abs=0.002)
    assert statement.text.startswith("A ceasefire by 2027 is about 35% likely, give or take 10 points")


@pytest.mark.parametrize(
    "elicited",
    [
        from_interval(0.1, 0.5),
        from_interval(0.1, 0.5, family="Gamma"),
        from_interval(0.2, 0.7, family="Beta"),
        from_sign_probability(0.7, 0.4),
        from_probability(0.35, 0.1),
    ],
    ids=["normal", "gamma", "beta", "sign", "probability"],
)
def test_check_table_shows_stated_equals_achieved(elicited: Elicited):
    table = elicited.check()
    assert list(table.columns) == ["stated", "achieved"] and table.index.name == "quantity"
    assert len(table) >= 2
    assert np.allclose(table["stated"], table["achieved"], atol=1e-8)


def test_check_notices_a_prior_that_does_not_match():
    _, statement = from_interval(0.1, 0.5)
    table = elicit.check(Prior("Normal", mu=0.3, sigma=0.5), statement)
    assert not np.allclose(table["stated"], table["achieved"], atol=1e-3)


# ---- bad statements ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "field", "words"),
    [
        (lambda: from_interval(0.5, 0.1), "upper", "lower < upper"),
        (lambda: from_interval(0.3, 0.3), "upper", "lower < upper"),
        (lambda: from_interval(0.1, 0.5, mass=1.0), "mass", "between 0 and 1"),
        (lambda: from_interval(0.1, 0.5, mass=0), "mass", "between 0 and 1"),
        (lambda: from_interval(0.1, 0.5, mass=90), "mass", "write 90% as 0.9"),
        (lambda: from_interval(float("nan"), 0.5), "lower", "finite"),
        (lambda: from_interval("0.1", 0.5), "lower", "must be a number"),
        (lambda: from_interval(0.1, 0.5, family="normal"), "family", "did you mean 'Normal'"),
        (lambda: from_interval(0.1, 0.5, family="Cauchy"), "family", "valid names are"),
        (lambda: from_interval(-0.1, 0.5, family="LogNormal"), "lower", "above 0"),
        (lambda: from_interval(0.0, 0.5, family="Gamma"), "lower", "above 0"),
        (lambda: from_interval(0.5, 1.2, family="Beta"), "upper", "between 0 and 1"),
        (lambda: from_interval(-1, 1, family="StudentT", nu=0), "nu", "positive"),
        (lambda: from_sign_probability(1.0, 0.4), "p_positive", "between 0 and 1"),
        (lambda: from_sign_probability(0.0, 0.4), "p_positive", "between 0 and 1"),
        (lambda: from_sign_probability(0.7), "scale", "typical"),
        (lambda: from_sign_probability(0.7, -0.4), "scale", "positive"),
        (lambda: from_probability(0.35, 0.5), "give_or_take", "below 0.477"),
        (lambda: from_probability(0.35, 0.0), "give_or_take", "positive"),
        (lambda: from_probability(1.35, 0.1), "p", "between 0 and 1"),
        (lambda: from_probability(True, 0.1), "p", "must be a number"),
    ],
)
def test_bad_statements_raise_a_clear_spec_error(call, field, words):
    with pytest.raises(SpecError) as info:
        call()
    problems = info.value.problems
    assert field in [p.field for p in problems], str(info.value)
    assert words in str(info.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(SpecError) as info:
        from_interval(0.5, 0.1, mass=2, family="Weibull")
    assert {p.field for p in info.value.problems} == {"upper", "mass", "family"}
    assert str(info.value).startswith("3 problems found")


# ---- plotting ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "elicited",
    [from_interval(0.1, 0.5), from_interval(0.1, 0.5, family="LogNormal"), from_sign_probability(0.7, 0.4), from_probability(0.35, 0.1)],
    ids=["interval", "lognormal", "sign", "probability"],
)
def test_plot_marks_the_statement(elicited: Elicited):
    fig = plot_elicited(elicited.prior, elicited.statement)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_title().replace("\n", " ") == elicited.statement.text
    line = ax.get_lines()[0]
    x, y = line.get_data()
    assert np.all(y >= 0) and y.max() > 0
    # the plotted curve is the prior's density (compare with PyMC at the mode of the curve)
    i = int(np.argmax(y))
    dist = getattr(pm, elicited.prior.distribution).dist(**elicited.prior.parameters)
    assert y[i] == pytest.approx(float(np.exp(pm.logp(dist, x[i]).eval())), rel=1e-6)
    if elicited.statement.kind == "interval":
        marked = sorted(round(float(v.get_xdata()[0]), 9) for v in ax.get_lines()[1:])
        assert marked == [0.1, 0.5]


def test_plot_into_given_axes_and_from_elicited():
    fig = Figure()
    ax = fig.subplots()
    assert plot_elicited(from_probability(0.35, 0.1), ax=ax) is fig
    with pytest.raises(SpecError, match="statement"):
        plot_elicited(Prior("Normal", mu=0, sigma=1))


# ---- into a lens, saved, reloaded -----------------------------------------------------------
@pytest.fixture(scope="module")
def elicited_lens(workbench):
    lens = workbench.lens("baseline").derive("elicited_test", summary="Test: priors from three statements")
    ties = from_interval(0.1, 0.5, mass=0.9, about="the effect of leader ties on economic ties")
    west = from_sign_probability(0.7, 0.4, about="the effect of Western pressure on political alignment")
    erdogan = from_probability(0.35, 0.10, about="a post-Erdoğan government from 2028")
    persistence = from_interval(0.5, 0.9, mass=0.9, family="Beta", about="political persistence")
    shocks = from_interval(0.2, 0.8, mass=0.9, family="Gamma", about="the size of economic shocks")
    lens = lens.with_prior("beta.economic.leader_ties", ties.prior, reason=ties.reason)
    lens = lens.with_prior("beta.political.nato_pressure", west.prior, reason=west.reason)
    lens = lens.with_prior("scenario_probability.post_erdogan_2028", erdogan.prior, reason=erdogan.reason)
    lens = lens.with_prior("rho.political", persistence.prior, reason=persistence.reason)
    lens = lens.with_prior("sigma.economic", shocks.prior, reason=shocks.reason)
    return lens


def test_elicited_lens_round_trips_exactly(workbench, elicited_lens, tmp_path):
    path = elicited_lens.save(tmp_path / "elicited_test.toml", workbench.paths)
    reloaded = Lens.load(path, workbench.spec, workbench.paths)
    assert reloaded.fingerprint() == elicited_lens.fingerprint()
    assert diff_lenses(elicited_lens, reloaded).empty
    assert reloaded.prior("beta.economic.leader_ties") == elicited_lens.prior("beta.economic.leader_ties")
    assert "90% sure that the effect of leader ties" in reloaded.provenance("beta.economic.leader_ties").reason
    changed = set(diff_lenses(workbench.lens("baseline"), reloaded)["prior"])
    assert changed == {
        "beta.economic.leader_ties",
        "beta.political.nato_pressure",
        "scenario_probability.post_erdogan_2028",
        "rho.political",
        "sigma.economic",
    }


def test_reloaded_elicited_lens_gives_identical_forecasts(workbench, elicited_lens, tmp_path):
    path = elicited_lens.save(tmp_path / "elicited_test.toml", workbench.paths)
    reloaded = workbench.lens(path)
    settings = {"sampler": "mock", "draws": 100, "chains": 2, "seed": 1}
    before = workbench.fit(elicited_lens, **settings).forecast()
    after = workbench.fit(reloaded, **settings).forecast()
    xr.testing.assert_identical(before.data, after.data)
    # and the statements did change something: the baseline's forecasts differ
    base = workbench.fit("baseline", **settings).forecast()
    assert not base.data["state"].equals(before.data["state"])


# ---- prior predictive --------------------------------------------------------------------
def test_prior_predictive_class_probabilities_sum_to_one(workbench):
    fit = workbench.prior_predictive("baseline", draws=200, seed=5)
    probs = fit.forecast().class_probabilities((2030, 2035))
    assert set(probs.dims) == {"scenario", "year", "trajectory"}
    assert set(probs.scenario.values) == set(workbench.spec.scenarios)
    np.testing.assert_allclose(probs.sum("trajectory").values, 1.0, atol=1e-12)
    assert float(probs.min()) >= 0
    # prior draws, not a posterior: each parameter's draws come from its prior
    leader = fit.idata.posterior["beta"].sel(channel="political", driver="leader_ties")
    prior = workbench.lens("baseline").prior("beta.political.leader_ties").parameters
    assert float(leader.mean()) == pytest.approx(prior["mu"], abs=4 * prior["sigma"] / np.sqrt(leader.size))


def test_statement_is_a_plain_record():
    s = Statement("I am sure", "interval", {"lower": 0.0, "upper": 1.0, "mass": 0.9})
    assert str(s) == "I am sure"
    assert Elicited(Prior("Normal", mu=0.5, sigma=0.3), s).prior.distribution == "Normal"
