"""The PyMC model is the one definition of the equations: every fast NumPy path is checked against it.

The forecast simulation (state equation, crisis hazard, measurement), the stored log-likelihood and
the NumPy prior densities behind reweighting are compared with what the compiled PyMC model computes
at random parameter points — never with a second hand-written formula of the model. (The 0.1 power-
scaling used uncentred drivers in the crisis hazard; the hazard test below fails on that.)
"""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pymc as pm
import pytest
import xarray as xr
from scipy import stats

from hedgecast.forecasting.scenarios import CommonNoise
from hedgecast.forecasting.simulate import draw_parameters, indicator_draws, simulate_states
from hedgecast.priors.families import logpdf as prior_logpdf
from hedgecast.stress.draws import element_draws
from hedgecast.stress.power_scaling import group_log_prior

DRAWS = 6


@pytest.fixture(scope="module")
def point(mock_fit):
    """A handful of random parameter points (prior draws) from the mock fit, one chain."""
    return mock_fit.idata.posterior.isel(chain=[0], draw=slice(0, DRAWS))


@pytest.fixture(scope="module")
def model(mock_fit):
    from hedgecast.model.fit import compiled_model

    return compiled_model(mock_fit.spec, mock_fit.lens, mock_fit.inputs).model


def _pymc(model, posterior: xr.Dataset, kind: str, var_names) -> xr.Dataset:
    trace = az.InferenceData(posterior=posterior[[v for v in posterior.data_vars if v in model.named_vars]])
    with model:
        if kind == "likelihood":
            return pm.compute_log_likelihood(trace, var_names=var_names, extend_inferencedata=False, progressbar=False)
        return pm.compute_log_prior(trace, var_names=var_names, extend_inferencedata=False, progressbar=False)


def _history_simulation(mock_fit, point, shock):
    """Simulate the fitted years with the forecast's NumPy path, starting from each draw's initial state."""
    inputs, spec = mock_fit.inputs, mock_fit.spec
    p = draw_parameters(point, spec)
    p.last_state = point["initial"].transpose("chain", "draw", "channel").values.reshape(DRAWS, -1)
    T = len(inputs.years) - 1
    x = np.broadcast_to(inputs.drivers[None, :, 1:], (DRAWS, *inputs.drivers[:, 1:].shape)).copy()
    w = np.broadcast_to(inputs.war_index[None, 1:], (DRAWS, T)).copy()
    # crisis uniforms that reproduce the observed crisis years: 0 < hazard always, 1 < hazard never
    crisis_u = np.where(inputs.crisis[None, 1:] == 1, 0.0, 1.0).repeat(DRAWS, 0)
    noise = CommonNoise(
        driver_steps=np.zeros((DRAWS, x.shape[1], T)),
        level_noise=np.zeros((DRAWS, x.shape[1])),
        war_uniform=np.zeros((DRAWS, T)),
        crisis_uniform=crisis_u,
        shock=shock,
        measurement=np.zeros((DRAWS, T, len(spec.indicator_names))),
    )
    return p, simulate_states(p, spec, x, w, noise, inputs.driver_means, inputs.years[1:])


def test_crisis_hazard_of_the_simulation_is_the_models(mock_fit, point, model):
    """The yearly crisis hazard of the forecast path gives PyMC's own crisis log-likelihood."""
    inputs = mock_fit.inputs
    C = len(mock_fit.spec.channel_names)
    _, (_, crises, hazards) = _history_simulation(mock_fit, point, np.zeros((DRAWS, len(inputs.years) - 1, C)))
    np.testing.assert_array_equal(crises, np.broadcast_to(inputs.crisis[1:], crises.shape))
    c = inputs.crisis[1:]
    numpy_ll = np.where(c == 1, np.log(hazards), np.log1p(-hazards))
    pymc_ll = _pymc(model, point, "likelihood", ["crisis"])["crisis"].isel(chain=0).values[:, 1:]
    np.testing.assert_allclose(numpy_ll, pymc_ll, rtol=1e-9, atol=1e-12)


def test_state_equation_of_the_simulation_is_the_models(mock_fit, point, model):
    """A path simulated with known shocks has, under PyMC's path density, exactly those shocks' density."""
    spec, inputs = mock_fit.spec, mock_fit.inputs
    C, T = len(spec.channel_names), len(inputs.years) - 1
    rng = np.random.default_rng(3)
    nu = point["nu"].values.ravel()
    shock = stats.t.rvs(nu[:, None, None], size=(DRAWS, T, C), random_state=rng)
    p, (states, _, _) = _history_simulation(mock_fit, point, shock)
    path = xr.DataArray(states.transpose(0, 2, 1)[None], dims=("chain", "draw", "channel", "shock_year"))
    simulated = point.assign(path=path.assign_coords(point["path"].coords))
    pymc_lp = _pymc(model, simulated, "prior", ["path"])["path"].isel(chain=0).values  # (draw, channel, year)
    ties = inputs.drivers[spec.continuous_drivers.index("leader_ties"), 1:]
    scale = p.sigma[:, :, None] * np.exp(-p.cushion[:, None, None] * ties[None, None, :])
    expected = stats.t.logpdf(shock.transpose(0, 2, 1), nu[:, None, None]) - np.log(scale)
    np.testing.assert_allclose(pymc_lp, expected, rtol=1e-8, atol=1e-10)


def test_measurement_of_the_simulation_is_the_models(mock_fit, point, model):
    """Indicators drawn by the NumPy path, placed on the observed cells, score as PyMC's ``y`` says."""
    spec, inputs = mock_fit.spec, mock_fit.inputs
    T, I = len(inputs.years), len(spec.indicator_names)
    p = draw_parameters(point, spec)
    rng = np.random.default_rng(5)
    eps = rng.standard_normal((DRAWS, T, I))
    states = point["state"].transpose("chain", "draw", "year", "channel").values[0]
    noise = CommonNoise(*(np.zeros(1),) * 5, measurement=eps)
    z = indicator_draws(p, spec, states, noise)  # (draw, year, indicator)
    oi, ot = inputs.obs_indicator, inputs.obs_year
    logps = []
    for d in range(DRAWS):
        with model:
            pm.set_data({"obs_value": z[d, ot, oi]})
            logps.append(_pymc(model, point.isel(draw=[d]), "likelihood", ["y"])["y"].values.ravel())
        with model:
            pm.set_data({"obs_value": inputs.obs_value})
    expected = stats.norm.logpdf(eps[:, ot, oi]) - np.log(p.noise_sd[:, oi])
    np.testing.assert_allclose(np.array(logps), expected, rtol=1e-9)


def test_stored_log_likelihood_and_log_prior_are_the_compiled_models(mock_fit, model):
    """The fit's log_likelihood and log_prior groups are the compiled model's logp at each draw."""
    idata = mock_fit.idata
    names = [v.name for v in model.value_vars]
    logp = model.compile_logp(vars=[model["y"], model["crisis"]], jacobian=False)
    prior_logp = model.compile_logp(vars=model.free_RVs, jacobian=False)
    for d in (0, 13, 57):
        draw = idata.posterior.isel(chain=1, draw=d)
        point = {}
        for rv, value_var in zip(model.free_RVs, model.value_vars, strict=True):
            value = draw[rv.name].values
            transform = model.rvs_to_transforms.get(rv)
            point[value_var.name] = transform.forward(value, *rv.owner.inputs).eval() if transform is not None else value
        assert set(point) == set(names)
        ll = float(idata.log_likelihood["y"].isel(chain=1, draw=d).sum() + idata.log_likelihood["crisis"].isel(chain=1, draw=d).sum())
        assert ll == pytest.approx(float(logp(point)), rel=1e-9)
        lp = sum(float(idata.log_prior[v].isel(chain=1, draw=d).sum()) for v in idata.log_prior.data_vars)
        assert lp == pytest.approx(float(prior_logp(point)), rel=1e-9)


def test_numpy_prior_densities_behind_reweighting_are_the_models(mock_fit):
    """``prior_logpdf`` (the 9 ms reweighting path) agrees with PyMC's log_prior, element by element."""
    lens, idata = mock_fit.lens, mock_fit.idata
    groups = ["beta", "cushion", "rho", "sigma", "nu", "hazard_intercept", "noise", "war_effect"]
    stored = group_log_prior(idata, groups)
    for g in groups:
        names = [n for n in lens.priors if n.split(".")[0] == g]
        numpy_sum = sum(prior_logpdf(lens.priors[n].prior, element_draws(idata.posterior, lens, n)) for n in names)
        np.testing.assert_allclose(numpy_sum, stored[g].transpose("chain", "draw").values.ravel(), rtol=1e-8, err_msg=g)


def test_arviz_works_on_the_fit(mock_fit):
    """LOO (with its Pareto k̂), the PPC plot data and power-scaling run on ``fit.idata`` as it is."""
    idata = mock_fit.idata
    with warnings.catch_warnings():
        # prior draws as a posterior: high k̂ is expected here, and is what the report shows, not hides
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto", category=UserWarning)
        loo = az.loo(idata, var_name="y", pointwise=True)
    assert loo.pareto_k.sizes["obs"] == len(mock_fit.inputs.obs_value)
    by_indicator = loo.pareto_k.groupby(idata.observed_data["obs_indicator"]).max()
    assert set(by_indicator["obs_indicator"].values) == set(mock_fit.spec.indicator_names)
    lik = az.psens(idata, component="likelihood", var_names=["cushion", "rho"])
    assert np.isfinite(lik["rho"].values).all()
    sens = az.psens(idata, component="prior", component_var_names=["cushion"], var_names=["cushion", "rho"])
    # on prior draws, scaling the cushion prior moves the cushion, not the (independent) persistence
    assert float(sens["cushion"]) > 0.05 > float(sens["rho"].max())
    assert idata.posterior_predictive["y"].sizes["obs"] == idata.observed_data["y"].sizes["obs"]
    assert idata.posterior_predictive["y_all"].sizes["year"] == len(mock_fit.inputs.years)
