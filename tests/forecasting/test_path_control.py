"""Triggers, crisis interventions, mixtures and joint tables change the simulated paths as defined.

Scenarios here are synthetic test fixtures on the real spec; the posterior is the mock fit's
prior draws (the sampler is not what is tested).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hedgecast.forecasting.forecast import forecast, forecast_priors
from hedgecast.forecasting.path_control import PathBefore, path_control
from hedgecast.forecasting.scenarios import activations, branch_key, common_noise, driver_paths, resolve, war_paths
from hedgecast.forecasting.simulate import draw_parameters, simulate_states
from hedgecast.inputs.spec_parts import (
    ConditionalIntervention,
    CrisisIntervention,
    DriverIntervention,
    JointOutcome,
    JointTable,
    Scenario,
    Trigger,
    WarIntervention,
)


def with_scenarios(spec, *scenarios: Scenario):
    """The spec with its scenarios replaced by ``scenarios`` (synthetic test fixtures)."""
    return dataclasses.replace(spec, scenarios={"status_quo": Scenario("status_quo"), **{s.name: s for s in scenarios}})


def when(driver: str, by: float, trigger: Trigger, **kw) -> ConditionalIntervention:
    return ConditionalIntervention(DriverIntervention(driver, 2026, by=by, **kw), trigger)


def switched_on(condition: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Per path and year t, whether ``condition`` held in some year before t (``first``: the last fitted year)."""
    before = np.concatenate([first[:, None], condition[:, :-1]], axis=1)
    return np.maximum.accumulate(before, axis=1).astype(bool)


@pytest.fixture(scope="module")
def triggered(mock_fit, spec, baseline):
    s = with_scenarios(
        spec,
        Scenario("eases_if_frozen", conditional=(when("sanctions_enforcement", -0.2, Trigger(war_state=("frozen", "settlement"))),)),
        Scenario("cools_after_rupture", conditional=(when("leader_ties", -0.3, Trigger(rupture_event=True)),)),
        Scenario("friction_if_pressure", conditional=(when("regional_friction", 0.2, Trigger(driver="nato_pressure", above=0.62)),)),
        Scenario("rupture_2027", crisis=(CrisisIntervention("rupture_event", year=2027),)),
        Scenario("more_incidents", crisis=(CrisisIntervention("incident_rate", from_year=2027, factor=3.0),)),
    )
    return s, forecast(mock_fit.idata, s, baseline, mock_fit.inputs, None, seed=4)


def cells(fc, scenario, var, driver=None):
    da = fc.data[var].sel(scenario=scenario)
    if driver is not None:
        da = da.sel(driver=driver)
    return da.transpose("chain", "draw", "year").values.reshape(-1, da.sizes["year"])


def check_only_where_on(fc, s, scenario, driver, on, sign):
    """The driver moves (in ``sign``'s direction, or sits on its bound) exactly on the path-years ``on``."""
    moved, base = cells(fc, scenario, "driver_value", driver), cells(fc, "status_quo", "driver_value", driver)
    lo, hi = s.drivers[driver].range
    assert on.any() and (~on).any()
    np.testing.assert_array_equal(moved[~on], base[~on])  # untouched wherever the trigger has not fired
    bound = hi if sign > 0 else lo
    assert (((moved - base) * sign > 0) | (base == bound))[on].all()


def test_a_war_trigger_fires_only_on_paths_that_froze(triggered, mock_fit):
    s, fc = triggered
    w = cells(fc, "eases_if_frozen", "war")
    cond = np.isin(w, [s.war_states.index("frozen"), s.war_states.index("settlement")])
    first = np.full(len(w), s.war_states[int(mock_fit.inputs.war_index[-1])] in ("frozen", "settlement"))
    check_only_where_on(fc, s, "eases_if_frozen", "sanctions_enforcement", switched_on(cond, first), -1)


def test_a_rupture_trigger_fires_the_year_after_the_paths_own_rupture(triggered, mock_fit):
    s, fc = triggered
    crisis = cells(fc, "cools_after_rupture", "crisis") > 0
    first = np.full(len(crisis), mock_fit.inputs.escalations[-1] > 0)
    check_only_where_on(fc, s, "cools_after_rupture", "leader_ties", switched_on(crisis, first), -1)


def test_a_driver_level_trigger_reads_the_driver_the_year_before(triggered, mock_fit):
    s, fc = triggered
    nato = cells(fc, "friction_if_pressure", "driver_value", "nato_pressure")
    k = s.continuous_drivers.index("nato_pressure")
    first = np.full(len(nato), mock_fit.inputs.drivers[k, -1] > 0.62)
    check_only_where_on(fc, s, "friction_if_pressure", "regional_friction", switched_on(nato > 0.62, first), 1)


def test_a_pinned_rupture_event_happens_on_every_path_that_year(triggered):
    s, fc = triggered
    crisis, base = cells(fc, "rupture_2027", "crisis"), cells(fc, "status_quo", "crisis")
    assert (crisis[:, 1] == 1).all() and (cells(fc, "rupture_2027", "incidents")[:, 1] >= 1).all()
    assert base[:, 1].mean() < 0.9  # it would not have happened everywhere
    np.testing.assert_array_equal(crisis[:, 0], base[:, 0])  # 2026 untouched
    p = fc.p_rupture_event_by(2030)
    assert float(p.sel(scenario="rupture_2027")) == 1.0 > float(p.sel(scenario="status_quo"))


def test_a_scaled_incident_rate_raises_incidents_path_by_path_from_its_year(triggered):
    _, fc = triggered
    more, base = cells(fc, "more_incidents", "incidents"), cells(fc, "status_quo", "incidents")
    np.testing.assert_array_equal(more[:, 0], base[:, 0])
    assert (more >= base).all() and more[:, 1:].mean() > 2 * base[:, 1:].mean()


def test_crisis_factors_multiply_the_rate_and_the_escalation_probability(mock_fit, spec):
    s = with_scenarios(
        spec,
        Scenario(
            "scaled",
            crisis=(
                CrisisIntervention("incident_rate", from_year=2028, factor=1.5),
                CrisisIntervention("escalation", from_year=2026, factor=2.0, when=Trigger(incident=True)),
            ),
        ),
    )
    inputs, years = mock_fit.inputs, list(range(2026, 2036))
    p = draw_parameters(mock_fit.idata.posterior, s)
    n = len(p.nu)
    noise = common_noise(s, p.nu, 3, len(years))
    on = np.ones(n, dtype=bool)
    trans = np.broadcast_to(np.eye(len(s.future_war_states)), (n, len(s.future_war_states), len(s.future_war_states))).copy()

    def run(name):
        sc = resolve(s, name)
        x = driver_paths(s, sc, inputs.drivers[:, -1], noise, on, years)
        w = war_paths(s, sc, "attrition", trans, noise, on, years)
        last = PathBefore(inputs.years[-1], np.broadcast_to(inputs.drivers[:, -1], (n, x.shape[1])), w[:, 0], np.zeros(n), np.zeros(n))
        control = path_control(s, sc, on, None, noise, years, last)
        return simulate_states(p, s, x, w, noise, inputs.driver_means, years, control), control

    scaled, control = run("scaled")
    base, none = run("status_quo")
    assert none is None
    factor = np.where(np.array(years) >= 2028, 1.5, 1.0)
    np.testing.assert_allclose(scaled.incident_rate, base.incident_rate * factor)
    incident_before = np.concatenate([np.zeros((n, 1)), scaled.incidents[:, :-1]], axis=1) > 0
    on_paths = np.maximum.accumulate(incident_before, axis=1)
    np.testing.assert_allclose(scaled.escalation_p, np.where(on_paths, np.minimum(2 * base.escalation_p, 1.0), base.escalation_p))
    assert on_paths.any() and (~on_paths).any()
    assert [sw.label for sw in control.switches] == ["scaled: incident_rate", "scaled: escalation"]


def test_mixture_branches_in_their_proportions_and_paired_with_the_branches_alone(spec, mock_fit, baseline):
    x = Scenario("x", war=WarIntervention(pin={2026: "settlement"}))
    y = Scenario("y", drivers={"nato_pressure": DriverIntervention("nato_pressure", 2026, by=0.3)})
    z = Scenario("z")
    s = with_scenarios(spec, x, y, z, Scenario("mix", branches=("x", "y", "z"), branch_probabilities=(0.5, 0.3, 0.2)))
    n = 40000
    on = activations(s, resolve(s, "mix"), {}, seed=6, n=n)
    assert not (on["x"] & on["y"]).any() and (on["x"] | on["y"] | on["z"]).all()  # exactly one branch per path
    for name, share in (("x", 0.5), ("y", 0.3), ("z", 0.2)):
        assert abs(on[name].mean() - share) < 3 * np.sqrt(share * (1 - share) / n)
    fc = forecast(mock_fit.idata, s, baseline, mock_fit.inputs, ["mix", "x", "y"], seed=6)
    picked = activations(s, resolve(s, "mix"), {}, seed=6, n=len(cells(fc, "mix", "war")))
    for name in ("x", "y"):
        for var in ("war", "crisis", "driver_value"):
            a, b = fc.data[var].sel(scenario="mix"), fc.data[var].sel(scenario=name)
            mask = picked[name].reshape(a.sizes["chain"], a.sizes["draw"])
            np.testing.assert_array_equal(a.values[mask], b.values[mask])  # a branch's paths are that scenario's paths


def test_lens_branch_probabilities_are_dirichlet_draws(spec, baseline):
    mixtures = spec.lens_mixtures()
    assert "erdogan_succession" in mixtures
    _, probs = forecast_priors(baseline, 20000, seed=1)
    w = probs[branch_key("erdogan_succession")]
    a = np.asarray(baseline.prior("branch_probability.erdogan_succession").parameters["a"], dtype=float)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    np.testing.assert_allclose(w.mean(axis=0), a / a.sum(), atol=0.01)
    on = activations(spec, resolve(spec, "erdogan_succession"), probs, seed=2, n=20000)
    shares = [on[b].mean() for b in spec.scenarios["erdogan_succession"].branches]
    np.testing.assert_allclose(shares, a / a.sum(), atol=3 * np.sqrt(0.25 / 20000) + 0.005)


def test_dependent_events_at_their_joint_tables_frequencies(spec):
    a = Scenario("a", probability=0.4, drivers={"nato_pressure": DriverIntervention("nato_pressure", 2026, by=0.1)})
    b = Scenario("b", probability=0.5)
    table = {("a", "b"): 0.3, ("a",): 0.1, ("b",): 0.2, (): 0.4}
    ab = Scenario("ab", includes=("a", "b"), joint=JointTable(("a", "b"), tuple(JointOutcome(frozenset(k), p) for k, p in table.items())))
    s = with_scenarios(spec, a, b, ab)
    n = 40000
    on = activations(s, resolve(s, "ab"), {}, seed=7, n=n)
    for combo, p in table.items():
        hit = np.ones(n, dtype=bool)
        for e in ("a", "b"):
            hit &= on[e] if e in combo else ~on[e]
        assert abs(hit.mean() - p) < 3 * np.sqrt(p * (1 - p) / n), (combo, hit.mean())
    independent = activations(s, resolve(s, "a"), {}, seed=7, n=n)["a"] & activations(s, resolve(s, "b"), {}, seed=7, n=n)["b"]
    assert abs(independent.mean() - 0.2) < 0.015  # without the table they would be independent (0.4 × 0.5)
