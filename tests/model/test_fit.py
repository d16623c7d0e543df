"""The real sampler on the real model, with few draws (the session fixture compiles once)."""

import numpy as np
import pytest
import xarray as xr


def test_small_fit_records_diagnostics(small_fit):
    d = small_fit.diagnostics
    assert np.isfinite(d.max_rhat) and d.min_ess_bulk > 0 and d.n_samples == 300
    assert d.divergences >= 0
    assert set(d.to_dict()) >= {"max_rhat", "min_ess_bulk", "min_ess_tail", "divergences", "passed"}
    assert small_fit.idata.posterior["state"].dims == ("chain", "draw", "channel", "year")
    assert "prior" in small_fit.idata.groups()


def test_fit_learns_from_the_history(small_fit):
    """The economic channel follows log trade: its 2022 level is far above its 2001 level."""
    state = small_fit.idata.posterior["state"].sel(channel="economic").mean(("chain", "draw"))
    assert float(state.sel(year=2022)) - float(state.sel(year=2001)) > 2.0
    table = small_fit.prior_vs_posterior()
    rho = table.set_index("parameter").loc["rho.economic"]
    assert rho["posterior_sd"] < rho["prior_sd"]


def test_same_seed_gives_identical_probability_tables(workbench, small_fit):
    again = workbench.fit(small_fit.lens, small_fit.settings)
    np.testing.assert_array_equal(again.idata.posterior["beta"].values, small_fit.idata.posterior["beta"].values)
    xr.testing.assert_identical(again.forecast().class_probabilities(), small_fit.forecast().class_probabilities())


def test_posterior_predictive_imputes_every_year(small_fit, spec):
    rep = small_fit.posterior_predictive()
    assert rep.sizes["year"] == 26 and rep.sizes["indicator"] == len(spec.indicator_names)
    assert np.isfinite(rep.values).all()


def _logp_at_initial_point(model) -> float:
    return float(model.compile_logp()(model.initial_point()))


def test_swapped_driver_codings_give_the_log_density_of_a_model_built_with_them(workbench, spec, baseline):
    """A lens's reading of the present is data of the compiled model: no recompile, same density."""
    from hedgecast.model.equations import build_model
    from hedgecast.model.fit import compiled_model

    lens = workbench.lens("baev_2025")
    theirs = workbench.inputs_for(lens)
    cm = compiled_model(spec, baseline, workbench.inputs)
    shared = _logp_at_initial_point(cm.model)
    same = compiled_model(spec, baseline, theirs)
    assert same is cm
    swapped = _logp_at_initial_point(cm.model)
    built = _logp_at_initial_point(build_model(spec, baseline, theirs))
    assert swapped == pytest.approx(built, rel=1e-10, abs=1e-8)
    assert abs(swapped - shared) > 1e-6
    np.testing.assert_array_equal(cm.inputs.drivers, theirs.drivers)
    np.testing.assert_allclose(cm.inputs.driver_means, theirs.driver_means)
    compiled_model(spec, baseline, workbench.inputs)  # back to the shared codings
    assert _logp_at_initial_point(cm.model) == pytest.approx(shared, rel=1e-10)


def test_another_inclusion_rule_is_data_of_the_same_compiled_model(workbench, spec, baseline):
    """Incident counts of another rule swap into the compiled model (no recompile) and give the density of a model built with them."""
    from hedgecast.model.equations import build_model
    from hedgecast.model.fit import compiled_model

    loose = workbench.inputs_for(baseline, inclusion="loose")
    assert loose.incidents.sum() > workbench.inputs.incidents.sum() and loose.inclusion == "loose"
    cm = compiled_model(spec, baseline, workbench.inputs)
    shared = _logp_at_initial_point(cm.model)
    assert compiled_model(spec, baseline, loose) is cm
    swapped = _logp_at_initial_point(cm.model)
    assert swapped == pytest.approx(_logp_at_initial_point(build_model(spec, baseline, loose)), rel=1e-10, abs=1e-8)
    assert abs(swapped - shared) > 1e-6
    assert cm.inputs.inclusion == "loose"
    np.testing.assert_array_equal(cm.inputs.incidents, loose.incidents)
    compiled_model(spec, baseline, workbench.inputs)
    assert _logp_at_initial_point(cm.model) == pytest.approx(shared, rel=1e-10) and cm.inputs.inclusion == "main"


@pytest.mark.slow
def test_nutpie_with_data_really_swaps_the_driver_codings(workbench, spec, baseline, small_fit):
    """The compiled nutpie model gives, with a lens's codings, the log density PyMC gives with them."""
    import ctypes

    from hedgecast.model.fit import compiled_model

    lens = workbench.lens("baev_2025")
    theirs = workbench.inputs_for(lens)
    cm = compiled_model(spec, baseline, theirs)
    compiled = cm.nutpie_model(baseline)
    point = cm.model.initial_point()
    x = np.concatenate([np.asarray(point[v.name], dtype=float).ravel() for v in cm.model.value_vars])
    grad, out = np.zeros_like(x), np.zeros(1)
    ptr = ctypes.POINTER(ctypes.c_double)
    code = compiled.compiled_logp_func.ctypes(
        x.size, x.ctypes.data_as(ptr), grad.ctypes.data_as(ptr), out.ctypes.data_as(ptr), compiled.user_data.ctypes.data
    )
    assert code == 0
    want = _logp_at_initial_point(cm.model)
    assert float(out[0]) == pytest.approx(want, rel=1e-8)
    compiled_model(spec, baseline, workbench.inputs)
    assert _logp_at_initial_point(cm.model) != pytest.approx(want, rel=1e-8)
def test_progress_bar_shows_in_jupyter_only_unless_told(monkeypatch):
    """Fits show nutpie's progress bar in a Jupyter kernel; HEDGECAST_PROGRESS=0/1 overrides (headless runs set 0)."""
    import IPython

    from hedgecast.model.fit import PROGRESS_ENV, show_progress

    class ZMQInteractiveShell:  # what a Jupyter kernel's get_ipython() is
        pass

    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert show_progress() is False  # a script or a test
    monkeypatch.setattr(IPython, "get_ipython", lambda: ZMQInteractiveShell())
    assert show_progress() is True
    monkeypatch.setenv(PROGRESS_ENV, "0")
    assert show_progress() is False
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    monkeypatch.setenv(PROGRESS_ENV, "1")
    assert show_progress() is True


def test_nutpie_gets_the_settings_mass_matrix_and_target_accept(monkeypatch):
    import nutpie

    from hedgecast.model.fit import SamplerSettings, run_nutpie

    seen = {}
    monkeypatch.setattr(nutpie, "sample", lambda compiled, **kw: seen.update(kw) or "idata")
    assert run_nutpie("model", SamplerSettings(draws=7), seed=3, cores=1) == "idata"
    assert (seen["low_rank_modified_mass_matrix"], seen["target_accept"], seen["draws"], seen["seed"]) == (True, 0.985, 7, 3)
    assert not seen["save_warmup"] and not seen["store_unconstrained"]
    run_nutpie("model", SamplerSettings(low_rank=False, target_accept=0.995), seed=3, cores=1)
    assert (seen["low_rank_modified_mass_matrix"], seen["target_accept"]) == (False, 0.995)


def test_settings_of_a_run_saved_before_the_low_rank_option_say_diagonal():
    from dataclasses import asdict

    from hedgecast.model.fit import SamplerSettings

    old = {k: v for k, v in asdict(SamplerSettings()).items() if k != "low_rank"}
    assert SamplerSettings.from_record(old).low_rank is False
    assert SamplerSettings.from_record(asdict(SamplerSettings())) == SamplerSettings()
