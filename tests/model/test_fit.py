"""The real sampler on the real model, with few draws (the session fixture compiles once)."""

import numpy as np
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
