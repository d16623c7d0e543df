"""Why the number moved (hedgecast.stress.attribution): Shapley shares of a change, with Monte Carlo errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pymc_extras.prior import Prior

from hedgecast.forecasting.forecast import Forecast
from hedgecast.stress.attribution import Draws, combination, explain_change
from hedgecast.stress.attribution_result import NOISE
from hedgecast.stress.change_players import Changes, players_of


def shifted(lens, name: str, by: float):
    p = lens.priors[name].prior
    return lens.with_prior(name, Prior(p.distribution, **{**p.parameters, "mu": p.parameters["mu"] + by}), reason="synthetic test edit")


@pytest.fixture(scope="module")
def two_edits(workbench, mock_fit):
    """Run A (baseline) and run B (two edits: a large one on escalations, a small one), both with the mock sampler."""
    lens_b = shifted(shifted(mock_fit.lens, "escalation_intercept", 1.0), "escalation_ties", 0.2)
    return mock_fit, workbench.fit(lens_b, mock_fit.settings)


def test_a_two_edit_change_sums_to_the_total_within_mc_error_and_names_the_larger_edit_first(two_edits):
    a, b = two_edits
    res = a.explain_change(b)
    assert [p.label for p in res.players] == ["escalation_intercept", "escalation_ties"]
    assert res.quantities[0] == "P(rupture event by 2030)" and "P(rupture event by 2035)" in res.quantities  # the spec's headline years
    assert res.ranked()[0] == "escalation_intercept"
    explained = res.contributions.sum(axis=0)
    assert np.all(np.abs(res.total - explained) <= 3 * res.residual_se + 1e-9)
    assert np.allclose(explained + res.residual, res.total)  # the table sums exactly, remainder included
    assert abs(res.contributions[0, 0, 0]) > 3 * res.contribution_se[0, 0, 0]  # the large edit is more than noise
    table = res.table()
    rows = table[(table.quantity == res.quantities[0]) & table.kind.isin(["prior", "noise"])]
    assert rows["change"].sum() == pytest.approx(float(res.total[0, 0]))
    assert list(rows["cause"])[:2] == ["escalation_intercept", "escalation_ties"] and list(rows["cause"])[-1] == NOISE
    assert res.cost["reweightings"] + res.cost["refits"] >= 3 and res.cost["coalitions"] == 4
    assert "escalation_intercept +" in res.summary() and "Cost: 4 coalitions" in res.cost_line()
    fig = res.waterfall()
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()][1] == "escalation_intercept"


def test_runs_that_differ_only_in_the_sampler_seed_are_said_to_be_not_attributable(two_edits):
    a, _ = two_edits
    other = dataclasses.replace(a, settings=dataclasses.replace(a.settings, seed=12), _forecasts={})  # its forecast draws seed 12
    res = explain_change(a, other)
    assert res.players == [] and not res.attributable
    assert np.allclose(res.residual, res.total)
    assert "sampler seed 11 → 12" in res.summary() and "no change to attribute" in res.summary()
    assert any("Monte Carlo noise" in n for n in res.notes)


def test_a_scenario_definition_change_is_attributed_to_the_scenario_definition_alone(two_edits):
    a, _ = two_edits
    spec = a.spec
    redefined = dataclasses.replace(spec.scenarios["new_low"], name="status_quo")  # synthetic: the status quo redefined
    spec_b = dataclasses.replace(spec, scenarios={**spec.scenarios, "status_quo": redefined})
    b = dataclasses.replace(a, lens=dataclasses.replace(a.lens, spec=spec_b), _forecasts={})
    res = explain_change(a, b)
    assert [p.kind for p in res.players] == ["scenarios"] and "status_quo" in res.players[0].detail
    assert np.allclose(res.contributions[0], res.total) and np.allclose(res.residual, 0.0)  # same draws, same seed
    assert np.abs(res.total).max() > 0.01


@pytest.mark.slow  # the shorter history compiles a model of its own (about 35 s)
def test_a_data_change_is_refitted_and_combines_with_a_prior_edit(workbench, two_edits):
    a, b_full = two_edits
    lens_a = shifted(a.lens, "escalation_intercept", -0.8)
    a_short = workbench.fit(lens_a, a.settings, history=workbench.history.truncate(2023))
    res = explain_change(a_short, b_full)
    kinds = sorted(p.kind for p in res.players)
    assert kinds == ["data", "prior", "prior"] and "years" in next(p for p in res.players if p.kind == "data").detail
    assert any("B's posterior" in c["method"] for c in res.coalitions if "data" in c["members"])
    assert np.allclose(res.residual, 0.0)  # every coalition with the data starts from B's own draws and seed


def test_code_is_a_player_that_adds_what_todays_code_does_to_run_as_saved(two_edits):
    a, b = two_edits
    other = a.forecast(["status_quo"], seed=99)  # stands for run A's forecast as other code made it (same seed)
    saved_a = Forecast(other.data.assign_attrs(seed=a.settings.seed), other.spec)
    res = explain_change(a, b, saved_a=saved_a, code="commit abc → def")
    code = [p.kind for p in res.players].index("code")
    assert np.allclose(res.contributions.sum(axis=0) + res.residual, res.total)
    assert np.abs(res.contributions[code]).max() > 0 and any("old code cannot be re-run" in n for n in res.notes)


def test_the_mc_error_of_a_paired_difference_is_that_of_the_per_draw_differences():
    rng = np.random.default_rng(0)
    f = (rng.random((1, 1, 400)) < 0.3).astype(float)
    g = np.where(rng.random((1, 1, 400)) < 0.1, 1 - f, f)  # mostly the same draws: common random numbers
    mean, se = combination([(1.0, Draws.of(g)), (-1.0, Draws.of(f))])
    d = (g - f).ravel()
    assert mean[0, 0] == pytest.approx(d.mean()) and se[0, 0] == pytest.approx(d.std() / np.sqrt(d.size))
    _, se_indep = combination([(1.0, Draws.of(g)), (-1.0, Draws.of(f[..., :300]))])  # other draw counts: independent
    assert se_indep[0, 0] > se[0, 0]


def test_many_prior_edits_are_grouped_into_at_most_four_players():
    names = ["beta.economic.a", "beta.economic.b", "beta.political.c", "sigma.economic", "rho.economic", "nu"]
    changes = Changes(names, {n: "x → y" for n in names}, data=["obs_value"], scenarios=[])
    players = players_of(changes)
    assert len(players) == 4 and players[-1].kind == "data"
    assert players[0].label == "beta (3 prior edits)" and sum(len(p.priors) for p in players) == len(names)
    few = players_of(Changes(names[:3], {n: "" for n in names[:3]}, data=["years"], scenarios=[]))
    assert [p.label for p in few] == [*names[:3], "data"]  # four changes in all: each its own player


@pytest.mark.slow  # two real NUTS fits (nutpie)
def test_a_real_two_edit_change_sums_within_mc_error_and_names_the_larger_edit_first(workbench, small_fit):
    lens_b = shifted(shifted(small_fit.lens, "escalation_intercept", 0.5), "escalation_ties", 0.5)
    fit_b = workbench.fit(lens_b, small_fit.settings)
    res = small_fit.explain_change(fit_b)
    assert res.ranked()[0] == "escalation_intercept"
    assert abs(res.residual[0, 0]) <= 3 * res.residual_se[0, 0] + 1e-9
    assert np.allclose(res.contributions.sum(axis=0) + res.residual, res.total)
