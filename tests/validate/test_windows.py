"""Backtest windows and settings, and the test years simulated from a window's posterior
(against the product's forecast)."""

import numpy as np
import pytest

from hedgecast.model.fit import SamplerSettings
from hedgecast.validate.windows import WINDOWS, BacktestSettings, Window, simulate


def test_windows_are_explicit_and_start_right_after_the_cutoff():
    assert [(w.cutoff, w.first, w.last) for w in WINDOWS] == [(2014, 2015, 2019), (2019, 2020, 2024), (2021, 2022, 2025)]
    with pytest.raises(ValueError):
        Window(2014, 2016, 2019)


def test_backtest_settings_are_sampler_settings_with_a_seed_per_fit():
    settings = BacktestSettings(draws=40, chains=2, sampler="mock", seed=5)
    assert (settings.draws, settings.tune, settings.target_accept, settings.windows) == (40, 1000, SamplerSettings().target_accept, WINDOWS)
    # the product's sampler: backtests score the inference the report uses
    assert (settings.target_accept, settings.low_rank) == (0.985, True)
    assert settings.sampler_settings(0).low_rank
    assert not settings.oracle  # the oracle (realised drivers plugged in) is opt-in
    first, second = settings.sampler_settings(0), settings.sampler_settings(1)
    assert type(first) is SamplerSettings and first.draws == 40 and first.sampler == "mock"
    assert first.seed != second.seed != settings.seed


def test_unconditional_simulation_is_the_products_status_quo_forecast(mock_fit, spec, baseline):
    from hedgecast.forecasting.forecast import forecast
    from hedgecast.inputs.history import to_raw_units

    fc = forecast(mock_fit.idata, spec, baseline, mock_fit.inputs, ["status_quo"], seed=8).data.sel(scenario="status_quo")
    sim = simulate(mock_fit.idata.posterior, spec, baseline, mock_fit.inputs, list(fc.year.values), seed=8)
    np.testing.assert_array_equal(sim["state"].values, fc["state"].values)
    np.testing.assert_array_equal(sim["crisis"].values, fc["crisis"].values)
    np.testing.assert_array_equal(sim["incidents"].values, fc["incidents"].values)
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
    # the rupture probability depends only on the parameters, the drivers and the war: with the realised
    # ones it is the same whatever the random numbers; simulated drivers and war move it
    again = simulate(
        fit.idata.posterior, spec, baseline, model_inputs(spec, history.truncate(2019)), years, drivers=drivers, war=war, seed=2
    )
    np.testing.assert_array_equal(cond["p_rupture"].values, again["p_rupture"].values)
    assert not np.array_equal(cond["incidents"].values, again["incidents"].values)
    assert ((cond["p_rupture"] > 0) & (cond["p_rupture"] < 1)).all()
    assert (cond["crisis"] <= cond["incidents"]).all()
    uncond = simulate(fit.idata.posterior, spec, baseline, model_inputs(spec, history.truncate(2019)), years, seed=1)
    assert not np.array_equal(uncond["p_rupture"].values, cond["p_rupture"].values)
