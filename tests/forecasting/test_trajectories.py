import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgecast.forecasting.trajectories import RuleError, TrajectoryClass, class_probabilities, classify, compile_rule


def _states(values, years=(2026, 2027, 2028)):
    arr = np.asarray(values, dtype=float)
    return xr.DataArray(arr, dims=("draw", "year", "channel"), coords={"year": list(years), "channel": ["economic", "political"]})


def _history(n, depth_econ=1.0, depth_pol=1.0):
    years = [2014, 2015, 2016, 2024, 2025]
    h = np.zeros((n, len(years), 2))
    h[:, 0, :] = [depth_econ, depth_pol]  # 2014 level; 2015/16 at 0 -> depth = 2014 level
    return xr.DataArray(h, dims=("draw", "year", "channel"), coords={"year": years, "channel": ["economic", "political"]})


def test_compile_rule_evaluates_elementwise():
    fn = compile_rule("political_change >= 1.0 and not crisis")
    env = {"political_change": np.array([0.5, 1.5, 2.0]), "crisis": np.array([False, False, True])}
    assert fn(env).tolist() == [False, True, False]


def test_compile_rule_chained_comparison_and_functions():
    fn = compile_rule("-1 < economic_change < abs(political_change)")
    env = {"economic_change": np.array([0.0, 2.0, -2.0]), "political_change": np.array([-1.0, 1.0, 5.0])}
    assert fn(env).tolist() == [True, False, False]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("security_change > 1", "did you mean"),
        ("political_change >", "cannot parse"),
        ("__import__('os')", "not allowed"),
        ("political_change.real > 0", "not allowed"),
    ],
)
def test_bad_rules_are_rejected_with_a_reason(rule, message):
    with pytest.raises(RuleError, match=message):
        compile_rule(rule)


CLASSES = [
    TrajectoryClass("rupture", "crisis or (political_fall_2y >= rupture_depth_political and economic_fall_2y >= rupture_depth_economic)"),
    TrajectoryClass("strategic_alignment", "political_change >= 1.0 and economic_change >= 0.0"),
    TrajectoryClass("managed_erosion", "political_change <= -0.5 or economic_change <= -0.5"),
    TrajectoryClass("transactional_equilibrium", "otherwise"),
]


def test_classify_known_paths():
    # draw 0: flat (equilibrium); 1: political rises; 2: slow erosion; 3: a crisis; 4: both collapse
    paths = [
        [[0, 0], [0, 0], [0, 0]],
        [[0.5, 0.5], [0.5, 1.2], [0.5, 1.5]],
        [[0, -0.2], [0, -0.4], [0, -0.7]],
        [[0, 0], [0, 0], [0, 0]],
        [[-1.2, -1.3], [-1.2, -1.3], [-1.2, -1.3]],
    ]
    crisis = xr.DataArray(np.array([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 1, 0], [0, 0, 0]]), dims=("draw", "year"), coords={"year": [2026, 2027, 2028]})
    labels = classify(CLASSES, _states(paths), crisis, _history(5), [2028])
    names = [CLASSES[i].name for i in labels.sel(year=2028).values]
    assert names == ["transactional_equilibrium", "strategic_alignment", "managed_erosion", "rupture", "rupture"]


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=40), st.integers(min_value=0, max_value=2**31 - 1))
def test_every_path_gets_exactly_one_class(n, seed):
    rng = np.random.default_rng(seed)
    states = _states(rng.normal(0, 1.5, (n, 3, 2)))
    crisis = xr.DataArray(rng.integers(0, 2, (n, 3)) * (rng.random((n, 3)) < 0.2), dims=("draw", "year"), coords={"year": [2026, 2027, 2028]})
    labels = classify(CLASSES, states, crisis, _history(n, *rng.uniform(0.2, 1.5, 2)), [2027, 2028])
    assert labels.min() >= 0 and labels.max() < len(CLASSES)
    probs = class_probabilities(labels, sample_dims=("draw",))
    np.testing.assert_allclose(probs.sum("trajectory").values, 1.0)
