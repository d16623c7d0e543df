"""The derived groups of a fit, all draws at once, are PyMC's own: the same log densities, the same
posterior predictive distribution (checked against PyMC's functions on the same model)."""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pymc as pm
import pytest
import xarray as xr
from pymc_extras.prior import Prior

from hedgecast.model.derived import PREDICTIVE
from hedgecast.model.fit import compiled_model
from hedgecast.validate.simulate_history import data_snapshot


@pytest.fixture(scope="module")
def cm(mock_fit):
    return compiled_model(mock_fit.spec, mock_fit.lens, mock_fit.inputs)


def _pymc_log_densities(model, posterior) -> tuple[xr.Dataset, xr.Dataset]:
    free = [rv.name for rv in model.free_RVs]
    trace = az.InferenceData(posterior=posterior[free])
    with model:
        ll = pm.compute_log_likelihood(trace, extend_inferencedata=False, progressbar=False)
        lp = pm.compute_log_prior(trace, var_names=free, extend_inferencedata=False, progressbar=False)
    return ll, lp


def _assert_same(ours: xr.Dataset, pymc: xr.Dataset) -> None:
    assert list(ours.data_vars) == list(pymc.data_vars)
    for name in pymc.data_vars:
        assert ours[name].dims == pymc[name].dims, name
        np.testing.assert_allclose(ours[name].values, pymc[name].values, rtol=1e-9, atol=1e-10, err_msg=name)
    xr.testing.assert_allclose(ours, pymc)


def test_the_fits_log_likelihood_and_log_prior_are_pymcs(mock_fit, cm):
    """The groups a fit stores equal pm.compute_log_likelihood / pm.compute_log_prior, element by element."""
    posterior = mock_fit.idata.posterior.isel(draw=slice(0, 5))
    ll, lp = _pymc_log_densities(cm.model, posterior)
    _assert_same(mock_fit.idata.log_likelihood.isel(draw=slice(0, 5)), ll)
    _assert_same(mock_fit.idata.log_prior.isel(draw=slice(0, 5)), lp)


def test_one_compiled_function_follows_another_lens_of_the_same_structure(mock_fit, cm):
    """The function is built once per compiled model: it reads the current lens's hyperparameters at each call."""
    old = mock_fit.lens.prior("cushion")
    assert old.distribution == "Normal"
    moved = Prior("Normal", mu=float(old.parameters["mu"]) + 0.7, sigma=0.1)
    lens = mock_fit.lens.derive("derived_test").with_prior("cushion", moved, reason="test")
    posterior = mock_fit.idata.posterior.isel(draw=slice(0, 4))
    try:
        edited = compiled_model(mock_fit.spec, lens, mock_fit.inputs)
        assert edited is cm
        fn = cm.derived_groups
        ours = fn(posterior, [1, 7])
        _, lp = _pymc_log_densities(cm.model, posterior)
        _assert_same(ours["log_prior"], lp)
        assert not np.allclose(ours["log_prior"]["cushion"].values, mock_fit.idata.log_prior["cushion"].isel(draw=slice(0, 4)).values)
        np.testing.assert_array_equal(ours["log_prior"]["rho"].values, mock_fit.idata.log_prior["rho"].isel(draw=slice(0, 4)).values)
    finally:
        compiled_model(mock_fit.spec, mock_fit.lens, mock_fit.inputs)
    assert cm.derived_groups is fn


def test_the_posterior_predictive_is_pymcs_given_the_posterior(mock_fit, cm):
    """Given one posterior draw repeated, the replicated data have PyMC's distribution (PyMC told not to redraw
    the parameters: the fit's data as constant_data); the parameters are not redrawn from the prior."""
    n = 600
    one = mock_fit.idata.posterior.isel(chain=[0], draw=[3])
    posterior = one.isel(draw=np.zeros(n, dtype=int)).assign_coords(draw=np.arange(n))
    ours = cm.derived_groups(posterior, [5, 7])["posterior_predictive"]
    free = [rv.name for rv in cm.model.free_RVs]
    trace = az.InferenceData(posterior=posterior[free], constant_data=data_snapshot(cm.model))
    with cm.predictive_model, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not in the trace.*")
        theirs = pm.sample_posterior_predictive(trace, var_names=list(PREDICTIVE), random_seed=5, progressbar=False).posterior_predictive
    assert list(ours.data_vars) == list(PREDICTIVE)
    for name in PREDICTIVE:
        a, b = ours[name], theirs[name]
        assert a.dims == b.dims and a.dtype == b.dtype, name
        for dim in a.dims:
            np.testing.assert_array_equal(a[dim].values, b[dim].values)
        ma, mb = a.mean(("chain", "draw")).values, b.mean(("chain", "draw")).values
        sa, sb = a.std(("chain", "draw")).values, b.std(("chain", "draw")).values
        se = np.sqrt((sa**2 + sb**2) / n)
        assert np.all(np.abs(ma - mb) <= 5 * se + 1e-12), name
        spread = sb > 0.05
        ratio = sa[spread] / sb[spread]
        assert np.all((ratio > 0.75) & (ratio < 1.33)), name
    # y given one parameter point: its spread is the measurement noise alone, not the prior's
    noise = one["noise"].values.ravel()[cm.inputs.obs_indicator]
    np.testing.assert_allclose(ours["y"].std(("chain", "draw")).values, noise, rtol=0.2)


def test_the_posterior_predictive_follows_its_seed(mock_fit, cm):
    posterior = mock_fit.idata.posterior.isel(draw=slice(0, 3))
    a, b = (cm.derived_groups(posterior, [s, 7])["posterior_predictive"] for s in (1, 1))
    c = cm.derived_groups(posterior, [2, 7])["posterior_predictive"]
    xr.testing.assert_equal(a, b)
    assert not np.array_equal(a["y"].values, c["y"].values)


def test_a_new_process_loads_the_compiled_function_instead_of_compiling(mock_fit, cm, monkeypatch, tmp_path):
    """The function is pickled on first build; a later build of the same model loads it (no compile)
    and gives identical groups, predictive draws included; a damaged file is rebuilt, not fatal."""
    from hedgecast.model import derived

    monkeypatch.setattr(derived, "cache_file", lambda key, suffix: tmp_path / f"{key}{suffix}")
    posterior = mock_fit.idata.posterior.isel(draw=slice(0, 4))
    first = derived.DerivedGroups(cm.model, cm.predictive_model)
    (cached,) = tmp_path.glob("*.derived.pkl")
    built = first(posterior, [3, 7])

    def no_compile(*args, **kwargs):
        raise AssertionError("compiled again although the function was cached")

    with monkeypatch.context() as m:
        m.setattr(derived, "compile_pymc", no_compile)
        loaded = derived.DerivedGroups(cm.model, cm.predictive_model)
    assert loaded.fn is not first.fn
    again = loaded(posterior, [3, 7])
    for group in built:
        xr.testing.assert_equal(again[group], built[group])
    assert [v.name for v in loaded.data.values()] == [v.name for v in first.data.values()] and len(loaded.rngs) == len(first.rngs) > 0

    cached.write_bytes(b"not a pickle")
    rebuilt = derived.DerivedGroups(cm.model, cm.predictive_model)
    xr.testing.assert_equal(rebuilt(posterior, [3, 7])["log_likelihood"], built["log_likelihood"])
    assert cached.read_bytes() != b"not a pickle"  # stored afresh


def test_the_cache_key_follows_the_equations(mock_fit, cm):
    """Models built alike share a key (a new process finds its function); another prior family is another key."""
    from hedgecast.model.derived import derived_key
    from hedgecast.model.equations import build_model

    same = build_model(mock_fit.spec, mock_fit.lens, mock_fit.inputs)
    same_predictive = build_model(mock_fit.spec, mock_fit.lens, mock_fit.inputs, impute=True)
    key = derived_key(cm.model, cm.predictive_model, cm.logp_graph)
    assert derived_key(same, same_predictive) == key
    old = mock_fit.lens.prior("cushion")
    lens = mock_fit.lens.derive("key_test").with_prior("cushion", Prior("StudentT", nu=4, mu=float(old.parameters["mu"]), sigma=0.3), reason="test")
    other = build_model(mock_fit.spec, lens, mock_fit.inputs)
    assert derived_key(other, build_model(mock_fit.spec, lens, mock_fit.inputs, impute=True)) != key
