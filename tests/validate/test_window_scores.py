"""Scoring one window: its forecast reads nothing after the cut-off, and interval checks on hand-built ensembles."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hedgecast.model.equations import model_inputs
from hedgecast.model.fit import SamplerSettings
from hedgecast.priors.known_by import known_at
from hedgecast.validate.window_scores import MODEL, ORACLE, interval_rows, score_window
from hedgecast.validate.windows import Window, backtest_fit

SYNTHETIC = "SYNTHETIC test value (tests/validate/test_window_scores.py): not a real coding"


def _synthetic_post_cutoff_copy(project_copy, cutoff: int):
    """The project's data with every driver coding and war state after ``cutoff`` changed (synthetic), in a temp copy."""
    from hedgecast.workbench import Workbench

    curated = project_copy / "data" / "curated"
    drivers = pd.read_csv(curated / "drivers.csv", dtype={"note": str})
    after = drivers["year"] > cutoff
    flipped = {"leader_ties": -0.9, "regional_friction": 1.0, "energy_leverage": 0.1, "nato_pressure": 1.0}
    for driver, value in flipped.items():
        rows = after & (drivers["driver"] == driver)
        drivers.loc[rows, "value"] = value
        drivers.loc[rows, "note"] = SYNTHETIC
    drivers.to_csv(curated / "drivers.csv", index=False)
    war = pd.read_csv(curated / "war_states.csv", dtype={"note": str})
    war.loc[war["year"] > cutoff, "state"] = "russian_gains"
    war.loc[war["year"] > cutoff, "note"] = SYNTHETIC
    war.to_csv(curated / "war_states.csv", index=False)
    return Workbench.load(project_copy).history


def test_a_windows_forecast_reads_no_coding_after_its_cutoff(workbench, baseline, spec, project_copy):
    """Synthetic: every driver coding and war state after 2019 is changed in a temporary copy of the data.

    The window's fit sees the same inputs and its forecast (cells and intervals) is unchanged;
    the oracle, which plugs the realised codings in, does change, so the edit was material.
    """
    window = Window(2019, 2020, 2024)
    history = workbench.history
    changed = _synthetic_post_cutoff_copy(project_copy, window.cutoff)
    assert not changed.drivers.loc[window.years].equals(history.drivers.loc[window.years])
    assert (changed.war.loc[window.years] != history.war.loc[window.years]).all()
    # the fit's inputs: identical arrays, so the same sampler and seed give the same posterior
    a, b = model_inputs(spec, history.truncate(window.cutoff)), model_inputs(spec, changed.truncate(window.cutoff))
    for field in ("drivers", "driver_means", "war_index", "crisis", "obs_value", "obs_indicator", "obs_year"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    lens, fallbacks = known_at(baseline, window.cutoff)
    fit = backtest_fit(spec, lens, history, window.cutoff, SamplerSettings(draws=30, chains=2, sampler="mock", seed=3))
    kw = {"seed": 17, "oracle": True, "fallbacks": [f.to_dict() for f in fallbacks]}
    real, synthetic = score_window(window, fit, spec, lens, history, **kw), score_window(window, fit, spec, lens, changed, **kw)

    def of(result: dict, forecaster: str) -> tuple[list, list]:
        return [c for c in result["cells"] if c["forecaster"] == forecaster], [
            r for r in result["intervals"] if r["forecaster"] == forecaster
        ]

    assert of(real, MODEL) == of(synthetic, MODEL) and of(real, MODEL)[0]
    assert real["crisis"][MODEL] == synthetic["crisis"][MODEL]
    assert of(real, ORACLE)[0] != of(synthetic, ORACLE)[0]
    assert real["fallbacks"] == kw["fallbacks"]


def test_interval_rows_on_a_hand_built_ensemble():
    w = Window(2014, 2015, 2019)
    samples = np.arange(101.0)  # quantiles: 25–75 (50%), 5–95 (90%)
    inside = {r["level"]: r for r in interval_rows(w, "x", 2015, MODEL, samples, 30.0)}
    bounds = (inside[0.5]["lower"], inside[0.5]["upper"], inside[0.9]["lower"], inside[0.9]["upper"])
    np.testing.assert_allclose(bounds, (25.0, 75.0, 5.0, 95.0))
    assert inside[0.5]["covered"] and inside[0.9]["covered"]
    outer = {r["level"]: r["covered"] for r in interval_rows(w, "x", 2015, MODEL, samples, 80.0)}
    assert outer == {0.5: False, 0.9: True}
    assert not any(r["covered"] for r in interval_rows(w, "x", 2015, MODEL, samples, -1.0))
