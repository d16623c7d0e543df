"""Backtests: the scoring rules against closed forms and known cases, the baselines, the
simulator against the product's forecast, and a mock-sampler backtest end to end."""

import json

import numpy as np
import pandas as pd
import pytest

from hedgecast.validate import backtest as bt
from hedgecast.validate.backtest import (
    METRICS,
    WINDOWS,
    BacktestSettings,
    Window,
    brier,
    climatology_ensemble,
    crisis_climatology,
    crisis_persistence,
    crps_ensemble,
    crps_normal,
    log_score,
    persistence_ensemble,
    rps,
    simulate,
)
from hedgecast.validate.parallel import cluster_client


# ---------------------------------------------------------------------------- metrics
def test_metric_registry_names_the_four_scores():
    assert set(METRICS) == {"crps", "log_score", "rps", "brier"}
    assert all(m.lower_is_better for m in METRICS.values())
    assert METRICS["crps"].kind == "ensemble" and METRICS["rps"].kind == "probabilities"
    assert METRICS["log_score"](np.array([0.25, 0.75]), 1) == pytest.approx(-np.log(0.75))


@pytest.mark.parametrize("y", [-2.5, -0.3, 0.0, 0.7, 3.1])
def test_ensemble_crps_matches_the_normal_closed_form(y):
    mu, sigma, m = 0.4, 1.7, 20000
    from scipy import stats

    ens = mu + sigma * stats.norm.ppf((np.arange(m) + 0.5) / m)
    assert crps_ensemble(ens, y) == pytest.approx(float(crps_normal(mu, sigma, y)), abs=2e-4)
    rng = np.random.default_rng(1)
    draws = rng.normal(mu, sigma, 40000)  # Monte Carlo: within a few standard errors
    assert crps_ensemble(draws, y) == pytest.approx(float(crps_normal(mu, sigma, y)), rel=0.03)


def test_ensemble_crps_equals_the_pairwise_definition():
    rng = np.random.default_rng(2)
    x = rng.standard_t(3, size=(3, 57))
    y = np.array([0.1, -1.0, 4.0])
    direct = np.abs(x - y[:, None]).mean(-1) - 0.5 * np.abs(x[:, :, None] - x[:, None, :]).mean((-1, -2))
    np.testing.assert_allclose(crps_ensemble(x, y), direct, rtol=1e-12)
    assert crps_ensemble(np.full(10, 2.0), 2.0) == pytest.approx(0.0)
    assert crps_ensemble(np.array([5.0]), 2.0) == pytest.approx(3.0)  # one member: absolute error


def test_log_score_rps_and_brier_on_known_cases():
    p = np.array([0.2, 0.5, 0.3])
    assert log_score(p, 1) == pytest.approx(-np.log(0.5))
    assert rps(p, 1) == pytest.approx(0.2**2 + (0.7 - 1) ** 2)  # cumulative: (0.2 - 0)² + (0.7 - 1)²
    assert brier(p, 1) == pytest.approx(0.2**2 + 0.5**2 + 0.3**2)
    assert rps(p, 0) > rps(p, 1) and rps(p, 2) < rps(p, 0)  # rps rewards being close in the order
    assert rps(np.array([0, 1, 0.0]), 1) == 0 and brier(np.array([0, 1, 0.0]), 1) == 0
    binary = np.array([[0.9, 0.1], [0.3, 0.7]])
    np.testing.assert_allclose(rps(binary, [1, 1]), [(0.1 - 1) ** 2, (0.7 - 1) ** 2])
    np.testing.assert_allclose(brier(binary, [0, 1]), [2 * 0.1**2, 2 * 0.3**2])
    assert np.isinf(log_score(np.array([1.0, 0.0]), 1))
    with pytest.raises(ValueError):
        rps(p, 3)


def test_smoothed_probabilities_never_give_zero():
    probs = bt.smoothed_probabilities(np.array([0, 0, 0, 2]), 3)
    np.testing.assert_allclose(probs, [3.5 / 5.5, 0.5 / 5.5, 1.5 / 5.5])


# --------------------------------------------------------------------------- baselines
def test_persistence_carries_the_last_value_with_random_walk_spread():
    train = pd.Series([0.0, 1.0, 0.0, np.nan, 2.0], index=[2000, 2001, 2002, 2003, 2004])
    # annual steps: +1, -1, and +2 over two years = 2/√2 per year -> RMS sqrt((1 + 1 + 2) / 3)
    sd = np.sqrt(4 / 3)
    ens = persistence_ensemble(train, [2005, 2008], 4000)
    assert ens.shape == (2, 4000)
    np.testing.assert_allclose(ens.mean(axis=1), 2.0, atol=1e-12)
    np.testing.assert_allclose(ens.std(axis=1), [sd, sd * 2], rtol=2e-3)
    # against the closed form: persistence is Normal(last, sd √h)
    assert crps_ensemble(ens[1], 0.5) == pytest.approx(float(crps_normal(2.0, 2 * sd, 0.5)), abs=1e-3)


def test_climatology_is_the_observed_distribution_up_to_the_cutoff():
    train = pd.Series([1.0, np.nan, 3.0, 2.0], index=[2000, 2001, 2002, 2003])
    ens = climatology_ensemble(train, [2004, 2005])
    np.testing.assert_array_equal(ens, [[1.0, 3.0, 2.0]] * 2)
    crisis = pd.Series([0, 1, 0, 0, 0, 1, 0])
    assert crisis_climatology(crisis) == pytest.approx(2.5 / 8)
    # the cut-off year had no crisis; after no-crisis years: 2000→01 yes, 02→03 no, 03→04 no, 04→05 yes -> 2 of 4... plus 06? last is 06
    assert crisis_persistence(crisis) == pytest.approx((2 + 0.5) / (4 + 1))


def test_windows_are_explicit_and_start_right_after_the_cutoff():
    assert [(w.cutoff, w.first, w.last) for w in WINDOWS] == [(2014, 2015, 2019), (2019, 2020, 2024), (2021, 2022, 2025)]
    with pytest.raises(ValueError):
        Window(2014, 2016, 2019)


# ------------------------------------------------------------------------- simulation
def test_unconditional_simulation_is_the_products_status_quo_forecast(mock_fit, spec, baseline):
    from hedgecast.forecasting.forecast import forecast
    from hedgecast.inputs.history import to_raw_units

    fc = forecast(mock_fit.idata, spec, baseline, mock_fit.inputs, ["status_quo"], seed=8).data.sel(scenario="status_quo")
    sim = simulate(mock_fit.idata.posterior, spec, baseline, mock_fit.inputs, list(fc.year.values), seed=8)
    np.testing.assert_array_equal(sim["state"].values, fc["state"].values)
    np.testing.assert_array_equal(sim["crisis"].values, fc["crisis"].values)
    np.testing.assert_array_equal(sim["war"].values, fc["war"].values)
    for i, name in enumerate(spec.indicator_names):
        raw = to_raw_units(sim["z"].values[..., i], mock_fit.inputs.scaling.loc[name])
        if spec.indicators[name].transform == "log1p":  # counts: the forecast floors them at 0
            raw = np.maximum(raw, 0.0)
        np.testing.assert_allclose(raw, fc["indicator_value"].values[..., i], rtol=1e-12)


def test_conditional_simulation_uses_the_realised_drivers_and_war(workbench, spec, baseline):
    from hedgecast.model.equations import model_inputs

    history = workbench.history
    fit = workbench.fit(baseline, sampler="mock", draws=30, chains=2, seed=4, history=history.truncate(2019))
    years = [2020, 2021, 2022]
    drivers = history.drivers.loc[years, spec.continuous_drivers].to_numpy().T
    war = np.array([spec.war_states.index(s) for s in history.war.loc[years]])
    cond = simulate(
        fit.idata.posterior, spec, baseline, model_inputs(spec, history.truncate(2019)), years, drivers=drivers, war=war, seed=1
    )
    assert (cond["war"].values == war).all()
    # hazard depends only on drivers: with the realised drivers it is the logit of the coded friction and ties
    post = fit.idata.posterior
    fk, tk = spec.continuous_drivers.index("regional_friction"), spec.continuous_drivers.index("leader_ties")
    centre = model_inputs(spec, history.truncate(2019)).driver_means
    logit = (
        post["hazard_intercept"]
        + post["hazard_friction"] * (drivers[fk, 1] - centre[fk])
        + post["hazard_ties"] * (drivers[tk, 1] - centre[tk])
    )
    np.testing.assert_allclose(cond["hazard"].isel(year=1).values, 1 / (1 + np.exp(-logit.values)), rtol=1e-12)
    uncond = simulate(fit.idata.posterior, spec, baseline, model_inputs(spec, history.truncate(2019)), years, seed=1)
    assert not np.array_equal(uncond["hazard"].values, cond["hazard"].values)


# -------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def mock_backtest(workbench, baseline):
    settings = BacktestSettings(draws=40, chains=2, sampler="mock", seed=5)
    # one thread worker: the mock fits use the session's model (no compile), so this is quick
    with cluster_client(1, processes=False) as client:
        return bt.run_backtest(workbench.spec, baseline, workbench.history, settings, client)


def test_mock_backtest_scores_every_window_against_both_baselines(mock_backtest, spec):
    table = mock_backtest.table()
    assert list(table.columns[:4]) == list(bt.FORECASTERS)
    windows = [w.name for w in WINDOWS]
    assert list(dict.fromkeys(table.index.get_level_values("window"))) == windows
    for w in windows:
        rows = table.loc[w]
        assert ("all_indicators", "crps") in rows.index and ("crisis_year", "log_score") in rows.index
        assert ("crisis_any", "brier") in rows.index and ("trade_usd_bn", "crps") in rows.index
        assert np.isfinite(rows[list(bt.FORECASTERS)].to_numpy()).all()
    # classes: only where the training history holds the 2015–16 fall the rupture rule measures against
    assert "trajectory_class" not in table.loc[windows[0]].index.get_level_values("target")
    assert ("trajectory_class", "rps") in table.loc[windows[1]].index
    excluded = {(x["window"], x["target"]) for w in mock_backtest.windows for x in w["exclusions"]}
    assert (windows[0], "trajectory_class") in excluded
    assert (windows[0], "gdelt_tone") in excluded  # no GDELT data before 2018
    # crisis in 2015 is the only crisis in the test years
    crisis = mock_backtest.cells.query("target == 'crisis_year' and metric == 'log_score' and forecaster == 'climatology'")
    assert len(crisis) == 5 + 5 + 4
    first = crisis[crisis["window"] == windows[0]].set_index("year")["value"]
    assert first[2015] > first[2016]  # the crisis year is the surprising one for a low base rate


def test_backtest_result_round_trips_and_renders(mock_backtest, tmp_path):
    path = bt.save_backtest(mock_backtest, tmp_path / "backtest.json")
    data = json.loads(path.read_text())
    assert data["kind"] == "hedgecast.backtest" and data["table"] and "standardized" in data["space"]
    back = bt.load_backtest(path)
    pd.testing.assert_frame_equal(back.table(), mock_backtest.table())
    from hedgecast.report.sections.validation import backtest_section

    section = backtest_section(path)  # the report section, from the saved file
    assert section.title == bt.SECTION_TITLE
    text = " ".join(section.paragraphs) + " ".join(" ".join(t.frame.columns) for t in section.tables)
    assert "persistence" in text and "climatology" in text and len(section.figures) == 1
    assert "mock sampler" in text


def test_losses_lists_every_row_where_the_model_is_worse(mock_backtest):
    losses = mock_backtest.losses()
    table = mock_backtest.table()
    expected = sum(
        int(r[m] > r[b]) for _, r in table.iterrows() for m in ("model_unconditional", "model_conditional") for b in bt.BASELINES
    )
    assert len(losses) == expected
    if len(losses):
        assert (losses["model_score"] > losses["baseline_score"]).all()
