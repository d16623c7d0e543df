import numpy as np
import pytest

from hedgecast.errors import SpecError
from hedgecast.forecasting.scenarios import activation, common_noise, driver_paths, resolve, war_paths

YEARS = list(range(2026, 2036))


def test_composed_scenario_merges_its_parts(spec):
    new_low = resolve(spec, "new_low")
    assert new_low.hold_state == "attrition" and new_low.hold_until == 2030
    assert "regional_friction" in new_low.drivers


def test_unknown_scenario_suggests_the_closest(spec):
    with pytest.raises(SpecError, match="did you mean 'protracted_war'"):
        resolve(spec, "protracted_wars")


def test_intervention_reaches_its_level_after_the_ramp(spec):
    n = 4000
    noise = common_noise(spec, np.full(n, 8.0), seed=1, n_years=len(YEARS))
    last = np.array([0.7, 0.3, 0.6, 0.4, 0.2, 0.7])
    sc = resolve(spec, "us_turkiye_realignment")  # nato_pressure -> 0.8 from 2026, ramp 2
    paths = driver_paths(spec, sc, last, noise, np.ones(n, dtype=bool), YEARS)
    k = spec.continuous_drivers.index("nato_pressure")
    assert abs(np.median(paths[:, k, YEARS.index(2027)]) - 0.8) < 0.05
    base = driver_paths(spec, resolve(spec, "status_quo"), last, noise, np.ones(n, dtype=bool), YEARS)
    assert abs(np.median(base[:, k, -1]) - 0.6) < 0.05  # the random walk is centred on the 2025 value
    lo, hi = spec.drivers["nato_pressure"].range
    assert paths.min() >= -1 and paths[:, k].min() >= lo and paths[:, k].max() <= hi


def test_war_pins_and_holds(spec):
    n = 2000
    noise = common_noise(spec, np.full(n, 8.0), seed=2, n_years=len(YEARS))
    rng = np.random.default_rng(0)
    trans = rng.dirichlet(np.ones(len(spec.future_war_states)), size=(n, len(spec.future_war_states)))
    on = np.ones(n, dtype=bool)
    held = war_paths(spec, resolve(spec, "protracted_war"), "attrition", trans, noise, on, YEARS)
    attrition = spec.war_states.index("attrition")
    assert (held[:, : YEARS.index(2030) + 1] == attrition).all()
    assert (held[:, -1] != attrition).any()  # after the hold the chain moves again
    pinned = war_paths(spec, resolve(spec, "negotiated_settlement"), "attrition", trans, noise, on, YEARS)
    assert (pinned[:, YEARS.index(2027)] == spec.war_states.index("settlement")).all()


def test_war_chain_follows_its_transition_matrix(spec):
    n = 20000
    noise = common_noise(spec, np.full(n, 8.0), seed=3, n_years=len(YEARS))
    k = len(spec.future_war_states)
    row = np.array([0.1, 0.6, 0.1, 0.1, 0.1])
    trans = np.broadcast_to(row, (n, k, k)).copy()
    paths = war_paths(spec, resolve(spec, "status_quo"), "attrition", trans, noise, np.ones(n, dtype=bool), YEARS)
    first = np.bincount(paths[:, 0], minlength=len(spec.war_states))[[spec.war_states.index(s) for s in spec.future_war_states]] / n
    np.testing.assert_allclose(first, row, atol=0.015)


def test_uncertain_scenario_happens_with_its_probability(spec):
    sc = resolve(spec, "post_erdogan_2028")
    n = 20000
    active = activation(spec, sc, {"post_erdogan_2028": np.full(n, 0.3)}, seed=5, n=n)
    assert abs(active.mean() - 0.3) < 0.015


def test_fixed_transition_rows_replace_the_lens_draws(spec):
    import dataclasses

    from hedgecast.forecasting.scenarios import ResolvedScenario

    n = 5000
    noise = common_noise(spec, np.full(n, 8.0), seed=4, n_years=len(YEARS))
    k = len(spec.future_war_states)
    trans = np.broadcast_to(np.full(k, 1.0 / k), (n, k, k)).copy()
    fixed = {"attrition": {"settlement": 1.0}}
    sc = dataclasses.replace(resolve(spec, "status_quo"), transition=fixed)
    assert isinstance(sc, ResolvedScenario)
    active = np.arange(n) < n // 2
    paths = war_paths(spec, sc, "attrition", trans, noise, active, YEARS)
    settlement = spec.war_states.index("settlement")
    assert (paths[active, 0] == settlement).all()
    assert (paths[~active, 0] != settlement).any()
