import dataclasses

import numpy as np
import pytest

from hedgecast.errors import SpecError
from hedgecast.forecasting.scenarios import ResolvedScenario, activation, activations, common_noise, driver_paths, resolve, war_paths
from hedgecast.inputs.spec_parts import DriverIntervention, Scenario, WarIntervention

YEARS = list(range(2026, 2036))
LAST = np.array([0.7, 0.3, 0.6, 0.4, 0.2, 0.7])  # energy, ties, nato, friction, domestic, sanctions (synthetic)


def noise_for(spec, n, seed):
    return common_noise(spec, np.full(n, 8.0), seed=seed, n_years=len(YEARS))


def with_scenarios(spec, *scenarios: Scenario):
    """The spec with its scenarios replaced by ``scenarios`` (synthetic test fixtures)."""
    return dataclasses.replace(spec, scenarios={"status_quo": Scenario("status_quo"), **{s.name: s for s in scenarios}})


def inside(spec, name, *paths):
    """Per draw and year, True where every path lies strictly inside driver ``name``'s range."""
    lo, hi = spec.drivers[name].range
    return np.all([(p > lo) & (p < hi) for p in paths], axis=0)


def test_composed_scenario_is_a_tree_of_its_parts(spec):
    new_low = resolve(spec, "new_low")
    assert [p.name for p in new_low.parts] == ["protracted_war", "russia_loses_syria_bases"]
    assert new_low.parts[0].own.war.hold_state == "attrition" and new_low.parts[0].own.war.hold_until == 2030
    assert new_low.touches("regional_friction") and not new_low.touches("energy_leverage")
    assert [n.name for n in new_low.nodes()] == ["protracted_war", "russia_loses_syria_bases", "new_low"]


def test_unknown_scenario_suggests_the_closest(spec):
    with pytest.raises(SpecError, match="did you mean 'protracted_war'"):
        resolve(spec, "protracted_wars")


def test_an_absolute_target_is_reached_after_the_ramp(spec):
    n = 4000
    noise = noise_for(spec, n, 1)
    sc = ResolvedScenario(Scenario("t", drivers={"nato_pressure": DriverIntervention("nato_pressure", 2026, 0.8, ramp=2)}))
    paths = driver_paths(spec, sc, LAST, noise, np.ones(n, dtype=bool), YEARS)
    k = spec.continuous_drivers.index("nato_pressure")
    assert abs(np.median(paths[:, k, YEARS.index(2027)]) - 0.8) < 0.05
    base = driver_paths(spec, resolve(spec, "status_quo"), LAST, noise, np.ones(n, dtype=bool), YEARS)
    assert abs(np.median(base[:, k, -1]) - 0.6) < 0.05  # the random walk is centred on the 2025 value
    lo, hi = spec.drivers["nato_pressure"].range
    assert paths[:, k].min() >= lo and paths[:, k].max() <= hi


@pytest.mark.parametrize("driver", ["sanctions_enforcement", "leader_ties"])
def test_a_relative_move_changes_the_path_by_exactly_its_size(spec, driver):
    n = 3000
    noise = noise_for(spec, n, 2)
    on = np.arange(n) % 3 != 0  # applied on two draws in three
    sc = ResolvedScenario(Scenario("t", drivers={driver: DriverIntervention(driver, 2028, by=-0.2, ramp=2)}))
    moved = driver_paths(spec, sc, LAST, noise, on, YEARS)
    base = driver_paths(spec, resolve(spec, "status_quo"), LAST, noise, on, YEARS)
    k = spec.continuous_drivers.index(driver)
    diff = moved[:, k, :] - base[:, k, :]
    expected = np.array([0.0 if y < 2028 else (-0.1 if y == 2028 else -0.2) for y in YEARS])
    free = inside(spec, driver, moved[:, k, :], base[:, k, :]) & on[:, None]
    assert free.sum() > n  # most affected cells are away from the bounds
    np.testing.assert_allclose(diff[free], np.broadcast_to(expected, diff.shape)[free], atol=1e-12)
    assert (diff[~on] == 0).all()  # unaffected paths are untouched
    others = [j for j in range(len(LAST)) if j != k]
    np.testing.assert_array_equal(moved[:, others], base[:, others])


def test_a_factor_scales_where_the_path_would_otherwise_be(spec):
    n = 3000
    noise = noise_for(spec, n, 3)
    on = np.ones(n, dtype=bool)
    sc = ResolvedScenario(Scenario("t", drivers={"energy_leverage": DriverIntervention("energy_leverage", 2027, factor=1.2)}))
    moved = driver_paths(spec, sc, LAST, noise, on, YEARS)
    base = driver_paths(spec, resolve(spec, "status_quo"), LAST, noise, on, YEARS)
    k = spec.continuous_drivers.index("energy_leverage")
    free = inside(spec, "energy_leverage", moved[:, k, :], base[:, k, :])
    expected = np.where(np.array(YEARS) >= 2027, 1.2, 1.0)[None, :] * base[:, k, :]
    assert free.sum() > n
    np.testing.assert_allclose(moved[:, k, :][free], expected[free], atol=1e-12)


def test_parts_add_up_and_an_own_target_replaces_them(spec):
    n = 500
    noise = noise_for(spec, n, 4)
    up = Scenario("up", drivers={"nato_pressure": DriverIntervention("nato_pressure", 2026, by=0.1)})
    more = Scenario("more", drivers={"nato_pressure": DriverIntervention("nato_pressure", 2026, by=0.05)})
    both = Scenario("both", includes=("up", "more"))
    stacked = Scenario("stacked", includes=("up",), drivers={"nato_pressure": DriverIntervention("nato_pressure", 2026, by=0.05)})
    fixed = Scenario("fixed", includes=("up",), drivers={"nato_pressure": DriverIntervention("nato_pressure", 2026, 0.6)})
    s = with_scenarios(spec, up, more, both, stacked, fixed)
    on = np.ones(n, dtype=bool)
    k = s.continuous_drivers.index("nato_pressure")

    def path(name):
        return driver_paths(s, resolve(s, name), LAST, noise, on, YEARS)[:, k, :]

    base = path("status_quo")
    free = inside(s, "nato_pressure", base, path("both"))
    np.testing.assert_allclose((path("both") - base)[free], 0.15, atol=1e-12)
    np.testing.assert_allclose((path("stacked") - base)[free], 0.15, atol=1e-12)
    np.testing.assert_allclose(path("fixed"), base)  # to = the 2025 value (0.6): the part's +0.1 is replaced


def test_war_pins_and_holds(spec):
    n = 2000
    noise = noise_for(spec, n, 5)
    rng = np.random.default_rng(0)
    trans = rng.dirichlet(np.ones(len(spec.future_war_states)), size=(n, len(spec.future_war_states)))
    on = np.ones(n, dtype=bool)
    held = war_paths(spec, resolve(spec, "protracted_war"), "attrition", trans, noise, on, YEARS)
    attrition = spec.war_states.index("attrition")
    assert (held[:, : YEARS.index(2030) + 1] == attrition).all()
    assert (held[:, -1] != attrition).any()  # after the hold the chain moves again
    pinned = war_paths(spec, resolve(spec, "negotiated_settlement"), "attrition", trans, noise, on, YEARS)
    assert (pinned[:, YEARS.index(2027)] == spec.war_states.index("settlement")).all()
    composed = war_paths(spec, resolve(spec, "new_low"), "attrition", trans, noise, on, YEARS)
    np.testing.assert_array_equal(composed, held)  # the hold comes from the part


def test_an_own_hold_replaces_a_parts_hold(spec):
    n = 1000
    noise = noise_for(spec, n, 6)
    k = len(spec.future_war_states)
    trans = np.broadcast_to(np.full(k, 1.0 / k), (n, k, k)).copy()
    long = Scenario("long", war=WarIntervention(hold_state="attrition", hold_until=2030))
    short = Scenario("short", includes=("long",), war=WarIntervention(hold_state="frozen", hold_until=2027))
    s = with_scenarios(spec, long, short)
    paths = war_paths(s, resolve(s, "short"), "attrition", trans, noise, np.ones(n, dtype=bool), YEARS)
    assert (paths[:, : YEARS.index(2027) + 1] == s.war_states.index("frozen")).all()
    assert (paths[:, YEARS.index(2028)] != s.war_states.index("attrition")).any()  # the part's hold to 2030 does not apply


def test_war_chain_follows_its_transition_matrix(spec):
    n = 20000
    noise = noise_for(spec, n, 7)
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


def test_a_composed_uncertain_scenario_is_applied_on_the_stated_share_of_paths(spec):
    """X (p = 0.5) includes Y (p = 0.4): Y's move on 20% of paths, X's own on 50%, Y paired with Y alone."""
    n = 20000
    noise = noise_for(spec, n, 8)
    y = Scenario("y", probability=0.4, drivers={"regional_friction": DriverIntervention("regional_friction", 2026, by=0.2)})
    x = Scenario("x", probability=0.5, includes=("y",), drivers={"nato_pressure": DriverIntervention("nato_pressure", 2026, by=0.2)})
    s = with_scenarios(spec, y, x)
    sc = resolve(s, "x")
    on = activations(s, sc, {}, seed=9, n=n)
    base = driver_paths(s, resolve(s, "status_quo"), LAST, noise, np.ones(n, dtype=bool), YEARS)
    moved = driver_paths(s, sc, LAST, noise, on["x"], YEARS, on)
    changed = {
        d: np.abs(moved[:, s.continuous_drivers.index(d), 0] - base[:, s.continuous_drivers.index(d), 0]) > 1e-9
        for d in ("regional_friction", "nato_pressure")
    }
    for share, hit in ((0.2, changed["regional_friction"]), (0.5, changed["nato_pressure"])):
        se = np.sqrt(share * (1 - share) / n)
        assert abs(hit.mean() - share) < 3 * se, (share, hit.mean())
    alone = activation(s, resolve(s, "y"), {}, seed=9, n=n)  # y forecast on its own: the same draws
    assert (changed["regional_friction"] <= alone).all() and (changed["regional_friction"] == (alone & on["x"])).all()
    with pytest.raises(ValueError, match="pass parts=activations"):
        driver_paths(s, sc, LAST, noise, on["x"], YEARS)


def test_an_uncertain_parts_war_pin_applies_only_where_it_happens(spec):
    n = 10000
    noise = noise_for(spec, n, 10)
    k = len(spec.future_war_states)
    trans = np.broadcast_to(np.eye(k)[spec.future_war_states.index("attrition")], (n, k, k)).copy()  # the chain stays in attrition
    maybe = Scenario("maybe", probability=0.3, war=WarIntervention(pin={2027: "frozen"}))
    top = Scenario("top", includes=("maybe",))
    s = with_scenarios(spec, maybe, top)
    sc = resolve(s, "top")
    on = activations(s, sc, {}, seed=11, n=n)
    paths = war_paths(s, sc, "attrition", trans, noise, on["top"], YEARS, on)
    frozen = paths[:, YEARS.index(2027)] == s.war_states.index("frozen")
    assert on["top"].all() and (frozen == on["maybe"]).all()
    assert abs(frozen.mean() - 0.3) < 3 * np.sqrt(0.3 * 0.7 / n)


def test_fixed_transition_rows_replace_the_lens_draws(spec):
    n = 5000
    noise = noise_for(spec, n, 12)
    k = len(spec.future_war_states)
    trans = np.broadcast_to(np.full(k, 1.0 / k), (n, k, k)).copy()
    fixed = {"attrition": {"settlement": 1.0}}
    sc = ResolvedScenario(Scenario("t", war=WarIntervention(transition=fixed)))
    active = np.arange(n) < n // 2
    paths = war_paths(spec, sc, "attrition", trans, noise, active, YEARS)
    settlement = spec.war_states.index("settlement")
    assert (paths[active, 0] == settlement).all()
    assert (paths[~active, 0] != settlement).any()
