"""The PyMC model is the one definition of the equations: every fast NumPy path is checked against it.

The forecast simulation (crisis model, state equation, measurement), the stored log-likelihood and
the NumPy prior densities behind reweighting are compared with what the compiled PyMC model computes
at random parameter points — never with a second hand-written formula of the model. (The 0.1 power-
scaling used uncentred drivers in the crisis hazard; the crisis-model tests below fail on that.)
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
from hedgecast.model.equations import ESCALATION_COUNTS, INCIDENT_COUNTS
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


def _value_point(model, draw: xr.Dataset) -> dict:
    """One posterior draw as the model's value variables (transformed where the model transforms)."""
    point = {}
    for rv, value_var in zip(model.free_RVs, model.value_vars, strict=True):
        value = draw[rv.name].values
        transform = model.rvs_to_transforms.get(rv)
        point[value_var.name] = transform.forward(value, *rv.owner.inputs).eval() if transform is not None else value
    return point


def _history_simulation(mock_fit, point, shock):
    """Simulate the fitted years with the forecast's NumPy path, starting from each draw's initial state.

    The incident and escalation uniforms are put in the middle of the observed counts' CDF
    steps (at the simulation's own rates), so the simulated counts, and with them the crisis
    years, are the observed ones.
    """
    inputs, spec = mock_fit.inputs, mock_fit.spec
    p = draw_parameters(point, spec)
    p.last_state = point["initial"].transpose("chain", "draw", "channel").values.reshape(DRAWS, -1)
    T = len(inputs.years) - 1
    x = np.broadcast_to(inputs.drivers[None, :, 1:], (DRAWS, *inputs.drivers[:, 1:].shape)).copy()
    w = np.broadcast_to(inputs.war_index[None, 1:], (DRAWS, T)).copy()

    def noise(incident_u, escalation_u):
        return CommonNoise(
            driver_steps=np.zeros((DRAWS, x.shape[1], T)),
            level_noise=np.zeros((DRAWS, x.shape[1])),
            war_uniform=np.zeros((DRAWS, T)),
            incident_uniform=incident_u,
            shock=shock,
            measurement=np.zeros((DRAWS, T, len(spec.indicator_names))),
            escalation_uniform=escalation_u,
        )

    first = simulate_states(p, spec, x, w, noise(np.full((DRAWS, T), 0.5), np.full((DRAWS, T), 0.5)), inputs.driver_means, inputs.years[1:])
    k, e = inputs.incidents[None, 1:], inputs.escalations[None, 1:]
    rate, prob = first.incident_rate, first.escalation_p
    incident_u = (stats.poisson.cdf(k - 1, rate) + stats.poisson.cdf(k, rate)) / 2
    escalation_u = (stats.binom.cdf(e - 1, k, prob) + stats.binom.cdf(e, k, prob)) / 2
    return p, simulate_states(p, spec, x, w, noise(incident_u, escalation_u), inputs.driver_means, inputs.years[1:])


def test_crisis_model_of_the_simulation_is_the_models(mock_fit, point, model):
    """The simulation's yearly incident rate and escalation probability give PyMC's own log-likelihood
    of the observed incidents and escalations, at random parameter points."""
    inputs = mock_fit.inputs
    C = len(mock_fit.spec.channel_names)
    _, sim = _history_simulation(mock_fit, point, np.zeros((DRAWS, len(inputs.years) - 1, C)))
    k, e = inputs.incidents[1:], inputs.escalations[1:]
    assert k.sum() > e.sum() > 0  # the record has incidents that did not escalate and one that did
    pymc_ll = _pymc(model, point, "likelihood", ["incidents", "escalations"])
    numpy_incidents = stats.poisson.logpmf(k, sim.incident_rate)
    numpy_escalations = stats.binom.logpmf(e, k, sim.escalation_p)
    np.testing.assert_allclose(numpy_incidents, pymc_ll["incidents"].isel(chain=0).values[:, 1:], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(numpy_escalations, pymc_ll["escalations"].isel(chain=0).values[:, 1:], rtol=1e-9, atol=1e-12)
    # the parameter points differ, so a formula that ignored a parameter could not pass by luck
    assert np.ptp(sim.incident_rate[:, 0]) > 0 and np.ptp(sim.escalation_p[:, 0]) > 0


def test_simulated_counts_are_inverse_cdf_draws_and_ruptures_are_escalations(mock_fit, point):
    """Uniforms inside an observed count's CDF step give that count; a rupture year is a year with an escalation."""
    inputs = mock_fit.inputs
    C = len(mock_fit.spec.channel_names)
    _, sim = _history_simulation(mock_fit, point, np.zeros((DRAWS, len(inputs.years) - 1, C)))
    np.testing.assert_array_equal(sim.incidents, np.broadcast_to(inputs.incidents[1:], sim.incidents.shape))
    np.testing.assert_array_equal(sim.escalations, np.broadcast_to(inputs.escalations[1:], sim.escalations.shape))
    np.testing.assert_array_equal(sim.crises, np.broadcast_to(inputs.crisis[1:], sim.crises.shape))
    assert inputs.crisis.sum() == 1 and inputs.years[int(np.argmax(inputs.crisis))] == 2015


def test_rupture_probability_of_the_simulation_is_the_models(mock_fit, point, model):
    """P(a rupture year) = 1 − exp(−rate · p) is the model's P(no escalation) summed over every incident count."""
    inputs = mock_fit.inputs
    C, T = len(mock_fit.spec.channel_names), len(inputs.years)
    _, sim = _history_simulation(mock_fit, point, np.zeros((DRAWS, T - 1, C)))
    terms = model.logp(vars=[model["incidents"], model["escalations"]], sum=False, jacobian=False)
    logp = model.compile_fn(terms, inputs=model.value_vars, on_unused_input="ignore")
    kmax = int(max(60, 10 * sim.incident_rate.max()))
    old = {name: model[name].get_value().copy() for name in (INCIDENT_COUNTS, ESCALATION_COUNTS)}
    p_none = np.zeros((DRAWS, T))
    try:
        for d in range(DRAWS):
            values = _value_point(model, point.isel(chain=0, draw=d))
            for count in range(kmax + 1):
                with model:
                    pm.set_data({INCIDENT_COUNTS: np.full(T, count), ESCALATION_COUNTS: np.zeros(T, dtype=int)})
                inc, esc = logp(values)
                p_none[d] += np.exp(inc + esc)
    finally:
        with model:
            pm.set_data(old)
    np.testing.assert_allclose(sim.p_rupture, 1 - p_none[:, 1:], rtol=1e-7, atol=1e-12)
    assert (sim.p_rupture > 0).all() and (sim.p_rupture < 1).all()


def test_the_fast_poisson_quantile_is_scipys():
    from hedgecast.forecasting.simulate import poisson_quantile

    rng = np.random.default_rng(4)
    u, rate = rng.random(20_000), rng.gamma(1.0, 2.0, 20_000)
    u[:3] = [0.0, 1e-300, 1 - 1e-12]
    np.testing.assert_array_equal(poisson_quantile(u, rate), np.maximum(stats.poisson.ppf(u, rate), 0))


def test_state_equation_of_the_simulation_is_the_models(mock_fit, point, model):
    """A path simulated with known shocks has, under PyMC's path density, exactly those shocks' density."""
    spec, inputs = mock_fit.spec, mock_fit.inputs
    C, T = len(spec.channel_names), len(inputs.years) - 1
    rng = np.random.default_rng(3)
    nu = point["nu"].values.ravel()
    shock = stats.t.rvs(nu[:, None, None], size=(DRAWS, T, C), random_state=rng)
    p, sim = _history_simulation(mock_fit, point, shock)
    path = xr.DataArray(sim.states.transpose(0, 2, 1)[None], dims=("chain", "draw", "channel", "shock_year"))
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
    noise = CommonNoise(*(np.zeros(1),) * 5, measurement=eps, escalation_uniform=np.zeros(1))
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
    observed = [model["y"], model["incidents"], model["escalations"]]
    logp = model.compile_logp(vars=observed, jacobian=False)
    prior_logp = model.compile_logp(vars=model.free_RVs, jacobian=False)
    for d in (0, 13, 57):
        point = _value_point(model, idata.posterior.isel(chain=1, draw=d))
        assert set(point) == set(names)
        ll = sum(float(idata.log_likelihood[rv.name].isel(chain=1, draw=d).sum()) for rv in observed)
        assert ll == pytest.approx(float(logp(point)), rel=1e-9)
        lp = sum(float(idata.log_prior[v].isel(chain=1, draw=d).sum()) for v in idata.log_prior.data_vars)
        assert lp == pytest.approx(float(prior_logp(point)), rel=1e-9)


def test_numpy_prior_densities_behind_reweighting_are_the_models(mock_fit):
    """``prior_logpdf`` (the 9 ms reweighting path) agrees with PyMC's log_prior, element by element."""
    lens, idata = mock_fit.lens, mock_fit.idata
    groups = ["beta", "cushion", "rho", "sigma", "nu", "incident_intercept", "incident_war", "escalation_energy", "noise", "war_effect"]
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
