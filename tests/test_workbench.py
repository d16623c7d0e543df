"""The notebook API: a lens's reading of the present is what its fit and its forecast use."""

from __future__ import annotations

import numpy as np

from hedgecast.model import fit as model_fit


def test_a_lens_fits_and_forecasts_with_its_reading_of_the_present(workbench):
    baev = workbench.lens("baev_2025")
    base = workbench.fit("baseline", sampler="mock", draws=20, chains=2)
    mine = workbench.fit(baev, sampler="mock", draws=20, chains=2)
    drivers = list(workbench.spec.continuous_drivers)
    years = list(workbench.inputs.years)
    # the baseline keeps the shared codings
    np.testing.assert_array_equal(base.inputs.drivers, workbench.inputs.drivers)
    # the lens's codings replace exactly its years; the rest is the shared record
    expected = workbench.inputs.drivers.copy()
    for (driver, year), value in baev.present_codings().items():
        expected[drivers.index(driver), years.index(year)] = value
    np.testing.assert_array_equal(mine.inputs.drivers, expected)
    assert not np.array_equal(mine.inputs.drivers, base.inputs.drivers)
    np.testing.assert_allclose(mine.inputs.driver_means, expected.mean(axis=1))
    # the model it was fitted with held them (recorded in constant_data)
    np.testing.assert_array_equal(mine.idata.constant_data["driver_values"].values, expected)
    np.testing.assert_array_equal(base.idata.constant_data["driver_values"].values, workbench.inputs.drivers)
    # the forecast starts from the lens's 2025 reading
    assert mine.inputs.drivers[drivers.index("leader_ties"), -1] == 0.0
    assert base.inputs.drivers[drivers.index("leader_ties"), -1] == workbench.history.drivers.loc[2025, "leader_ties"]
    assert mine.forecast(["status_quo"]).class_probabilities().sizes["year"] > 0


def test_lenses_with_different_readings_share_one_compiled_model(workbench):
    before = dict(model_fit._CACHE)
    workbench.fit("oncu_2024", sampler="mock", draws=20, chains=2)
    workbench.fit("kusa_2022", sampler="mock", draws=20, chains=2)
    workbench.fit("baseline", sampler="mock", draws=20, chains=2)
    new = set(model_fit._CACHE) - set(before)
    assert len(new) <= 1  # one model (if not compiled before) for all three readings


def test_a_backtest_history_keeps_only_the_readings_inside_it(workbench):
    lens = workbench.lens("kusa_2022")
    short = workbench.history.truncate(2019)
    inputs = workbench.inputs_for(lens, short)
    np.testing.assert_array_equal(inputs.drivers, workbench.inputs_for(workbench.lens("baseline"), short).drivers)
    assert inputs.years[-1] == 2019
