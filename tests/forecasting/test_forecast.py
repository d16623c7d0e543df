import numpy as np
import pytest
import xarray as xr

from hedgecast.forecasting.forecast import forecast
from hedgecast.forecasting.scenarios import common_noise


@pytest.fixture(scope="module")
def fc(mock_fit):
    return mock_fit.forecast()


def test_forecast_has_named_dims_for_every_scenario(fc, spec):
    assert fc.data["state"].dims == ("chain", "draw", "scenario", "year", "channel")
    assert fc.scenarios == list(spec.scenarios)
    assert list(fc.data.year.values) == list(range(2026, 2036))


def test_class_probabilities_sum_to_one_per_scenario_and_year(fc):
    probs = fc.class_probabilities((2026, 2030, 2035))
    np.testing.assert_allclose(probs.sum("trajectory").values, 1.0, atol=1e-12)
    assert (probs >= 0).all()


def test_forecasting_leaves_the_fitted_history_untouched(mock_fit, spec, baseline):
    before = mock_fit.idata.posterior["state"].values.copy()
    a = forecast(mock_fit.idata, spec, baseline, mock_fit.inputs, ["status_quo"], seed=3)
    b = forecast(mock_fit.idata, spec, baseline, mock_fit.inputs, ["russian_setback"], seed=3)
    np.testing.assert_array_equal(mock_fit.idata.posterior["state"].values, before)
    # a scenario that only changes the future: the starting point (2025) is the same posterior
    assert a.data["state"].isel(year=0).shape == b.data["state"].isel(year=0).shape


def test_same_seed_same_numbers_and_scenarios_do_not_interact(mock_fit, spec, baseline):
    full = forecast(mock_fit.idata, spec, baseline, mock_fit.inputs, None, seed=9)
    again = forecast(mock_fit.idata, spec, baseline, mock_fit.inputs, None, seed=9)
    xr.testing.assert_identical(full.class_probabilities(), again.class_probabilities())
    alone = forecast(mock_fit.idata, spec, baseline, mock_fit.inputs, ["post_erdogan_2028"], seed=9)
    np.testing.assert_array_equal(full.data["state"].sel(scenario="post_erdogan_2028").values, alone.data["state"].sel(scenario="post_erdogan_2028").values)
    other = forecast(mock_fit.idata, spec, baseline, mock_fit.inputs, None, seed=10)
    assert not np.array_equal(full.data["state"].values, other.data["state"].values)


def test_scenarios_share_random_numbers(fc):
    # status_quo and protracted_war differ only through the war; in years when both are in
    # the same war state on the same draw with the same drivers, shocks are identical, so
    # the first-year states coincide wherever the first-year war state does.
    sq, pw = fc.data.sel(scenario="status_quo"), fc.data.sel(scenario="protracted_war")
    same = (sq["war"].isel(year=0) == pw["war"].isel(year=0)).values
    assert same.any()
    np.testing.assert_allclose(sq["state"].isel(year=0).values[same], pw["state"].isel(year=0).values[same])


def _fixed(idata, **values):
    post = idata.posterior.copy(deep=True)
    for name, v in values.items():
        post[name] = xr.full_like(post[name], v)
    out = idata.copy()
    out.posterior = post
    return out


def test_stationary_mean_and_variance_match_closed_form(workbench, spec, baseline):
    """No drivers, no war effect, no crises: an AR(1) whose mean and variance are known exactly."""
    big = workbench.fit(baseline, sampler="mock", draws=4000, chains=2, seed=1)
    mu, rho, sigma = 0.3, 0.7, 0.4
    idata = _fixed(big.idata, mu=mu, rho=rho, sigma=sigma, nu=1e6, cushion=0.0, beta=0.0, leverage_shift=0.0, war_effect=0.0, crisis_effect=0.0, incident_intercept=-60.0, incident_friction=0.0, incident_war=0.0)
    start = 1.5
    idata.posterior["state"] = xr.where(idata.posterior["year"] == idata.posterior["year"].max(), start, idata.posterior["state"])
    fc = forecast(idata, spec, baseline, big.inputs, ["status_quo"], seed=4)
    s = fc.data["state"].sel(scenario="status_quo", channel="economic").stack(n=("chain", "draw"))
    for h in (1, 5, 10):
        x = s.isel(year=h - 1).values
        mean = mu + rho**h * (start - mu)
        var = sigma**2 * (1 - rho ** (2 * h)) / (1 - rho**2)
        se = np.sqrt(var / x.size)
        assert abs(x.mean() - mean) < 4 * se
        assert abs(x.var() / var - 1) < 0.06
    assert int(fc.data["crisis"].sum()) == 0 and int(fc.data["incidents"].sum()) == 0


def test_incidents_and_ruptures_have_the_rates_the_crisis_model_gives(workbench, spec, baseline):
    """With a constant incident rate λ and escalation probability p, path-years hold Poisson(λ) incidents
    and a rupture with probability 1 − exp(−λp) (escalated incidents are Poisson(λp))."""
    big = workbench.fit(baseline, sampler="mock", draws=4000, chains=2, seed=2)
    rate, prob = 0.5, 0.2
    idata = _fixed(
        big.idata,
        incident_intercept=np.log(rate),
        incident_friction=0.0,
        incident_war=0.0,
        escalation_intercept=np.log(prob / (1 - prob)),
        escalation_ties=0.0,
        escalation_energy=0.0,
    )
    fc = forecast(idata, spec, baseline, big.inputs, ["status_quo", "new_low"], seed=5)
    k = fc.data["incidents"].sel(scenario="status_quo").values.ravel()
    crisis = fc.data["crisis"].sel(scenario="status_quo").values.ravel()
    assert abs(k.mean() - rate) < 4 * np.sqrt(rate / k.size)
    assert abs(k.var() / rate - 1) < 0.05  # Poisson: variance = mean
    p_rupture = -np.expm1(-rate * prob)
    assert abs(crisis.mean() - p_rupture) < 4 * np.sqrt(p_rupture * (1 - p_rupture) / crisis.size)
    assert (k[crisis == 1] >= 1).all()  # a rupture is an escalated incident
    # the drivers do not move a constant rate: common random numbers give every scenario the same incidents
    np.testing.assert_array_equal(fc.data["incidents"].sel(scenario="new_low").values, fc.data["incidents"].sel(scenario="status_quo").values)


def test_more_friction_means_more_incidents_and_more_ruptures(workbench, spec, baseline):
    big = workbench.fit(baseline, sampler="mock", draws=1000, chains=2, seed=3)
    idata = _fixed(big.idata, incident_friction=2.0, incident_war=0.0, escalation_intercept=-1.0)
    fc = forecast(idata, spec, baseline, big.inputs, ["status_quo", "russia_loses_syria_bases"], seed=6)
    incidents = fc.data["incidents"].mean(("chain", "draw", "year"))
    assert float(incidents.sel(scenario="russia_loses_syria_bases")) > 1.2 * float(incidents.sel(scenario="status_quo"))
    crisis = fc.p_crisis_by(2035)
    assert float(crisis.sel(scenario="russia_loses_syria_bases")) > float(crisis.sel(scenario="status_quo"))


def test_forecast_matches_a_plain_loop_for_one_draw(mock_fit, spec, baseline):
    """Re-implement the state equation draw by draw in plain Python and compare."""
    seed = 21
    fc = forecast(mock_fit.idata, spec, baseline, mock_fit.inputs, ["russia_loses_syria_bases"], seed=seed)
    post = mock_fit.idata.posterior
    n = post.sizes["chain"] * post.sizes["draw"]
    noise = common_noise(spec, post["nu"].values.reshape(-1), seed, 10)
    drivers = spec.continuous_drivers
    for flat in (0, 57, n - 1):
        c, d = divmod(flat, post.sizes["draw"])
        p = post.isel(chain=c, draw=d)
        out = fc.data.isel(chain=c, draw=d).sel(scenario="russia_loses_syria_bases")
        prev = p["state"].isel(year=-1).values.copy()
        for t, _year in enumerate(out.year.values):
            x = out["driver_value"].isel(year=t).values
            ties, friction, energy = (x[drivers.index(k)] for k in ("leader_ties", "regional_friction", "energy_leverage"))
            means = mock_fit.workbench.history.drivers[drivers].mean().to_numpy()
            xc = x - means
            # the crisis model's rate and probability are tested against PyMC (tests/model/test_one_definition.py);
            # here: the year's rupture is an escalated incident, and it hits the state equation below
            crisis = int(out["crisis"].isel(year=t))
            assert crisis <= int(out["incidents"].isel(year=t))
            state_name = spec.war_states[int(out["war"].isel(year=t))]
            for ci, ch in enumerate(spec.channel_names):
                war = 0.0 if state_name == "none" else float(p["war_effect"].sel(channel=ch, war_state=state_name))
                shift = sum(float(p["beta"].sel(channel=ch, driver=k)) * xc[j] for j, k in enumerate(drivers))
                shift += float(p["leverage_shift"].sel(channel=ch)) * energy + war
                r, m = float(p["rho"].sel(channel=ch)), float(p["mu"].sel(channel=ch))
                scale = float(p["sigma"].sel(channel=ch)) * np.exp(-float(p["cushion"]) * ties)
                prev[ci] = m + r * (prev[ci] - m) + (1 - r) * shift + float(p["crisis_effect"].sel(channel=ch)) * crisis + scale * noise.shock[flat, t, ci]
            np.testing.assert_allclose(out["state"].isel(year=t).values, prev, rtol=1e-10, atol=1e-10)


def test_headline_and_differences(fc):
    head = fc.headline(2030)
    assert set(head) == set(fc.scenarios)
    row = head["status_quo"]
    assert abs(sum(v for k, v in row.items() if k.startswith("P(") and "rupture event" not in k) - 1) < 1e-9
    # P(rupture event by 2030) is its own number: any event from 2026 to 2030, whatever the class in 2030
    events = fc.data["crisis"].sel(scenario="status_quo", year=slice(2026, 2030)).max("year")
    assert row["P(rupture event by 2030)"] == float(events.mean())
    assert fc.p_crisis_by(2030).equals(fc.p_rupture_event_by(2030))
    diff = fc.difference("new_low", "status_quo")
    assert diff["se"] >= 0 and -1 <= diff["difference"] <= 1


def test_headline_years_come_from_the_spec(fc, spec, tmp_path):
    """A copy of the spec naming other headline years changes what the headline reports."""
    from pathlib import Path

    from hedgecast.forecasting.forecast import Forecast
    from hedgecast.inputs.spec import load_spec
    from hedgecast.stress.draws import headline_draws

    assert spec.headline_years == (2030, 2035)
    assert "P(rupture, 2030)" in fc.headline()["status_quo"]
    assert list(fc.class_probabilities()["year"].values) == [2030, 2035]
    text = Path(spec.path).read_text(encoding="utf-8")
    assert "headline_years = [2030, 2035]" in text
    copy = tmp_path / "spec.toml"
    copy.write_text(text.replace("headline_years = [2030, 2035]", "headline_years = [2028, 2033]"), encoding="utf-8")
    other = Forecast(fc.data, load_spec(copy))
    head = other.headline()["status_quo"]
    assert "P(rupture, 2028)" in head and "P(rupture event by 2028)" in head and not any("2030" in k for k in head)
    assert head == fc.headline(2028)["status_quo"]
    assert list(other.class_probabilities()["year"].values) == [2028, 2033]
    assert other.difference("status_quo", "protracted_war") == fc.difference("status_quo", "protracted_war", 2028)
    assert [str(q) for q in headline_draws(other)["quantity"].values][-1] == "P(rupture event by 2028)"
