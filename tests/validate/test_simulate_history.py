"""SBC's simulated histories come from the drawn parameters."""

import numpy as np

from hedgecast.validate.simulate_history import generator_model, simulate_history


def test_simulated_history_comes_from_the_drawn_parameters(workbench, baseline, spec):
    """The indicators are the drawn path seen through the drawn loadings and noise; crises feed the path."""
    model = generator_model(spec, baseline, workbench.inputs)
    inputs = workbench.inputs
    anchors = {c.anchor for c in spec.channels.values()}
    free = [i for i in spec.indicator_names if i not in anchors]
    channel = np.array([spec.channel_names.index(spec.indicators[n].channel) for n in spec.indicator_names])
    sign = np.array([spec.indicators[n].sign for n in spec.indicator_names], dtype=float)
    residuals = []
    for seed in range(3):
        truth, y, crisis = simulate_history(model, seed)
        assert y.shape == inputs.obs_value.shape and crisis.shape == inputs.crisis.shape
        np.testing.assert_array_equal(model["crisis_years"].get_value(), crisis)
        state = np.concatenate([truth["initial"][:, None], truth["path"]], axis=1)
        load, icpt = np.ones(len(channel)), np.zeros(len(channel))
        for j, name in enumerate(free):
            k = spec.indicator_names.index(name)
            load[k], icpt[k] = truth["loading"][j], truth["intercept"][j]
        i, t = inputs.obs_indicator, inputs.obs_year
        mean = icpt[i] + sign[i] * load[i] * state[channel[i], t]
        residuals.append((y - mean) / truth["noise"][i])
    r = np.concatenate(residuals)
    # standardized measurement residuals: N(0, 1) if y was drawn given the SAME parameters
    assert abs(r.mean()) < 0.25 and 0.8 < r.std() < 1.25
    _again, y2, c2 = simulate_history(model, 0)
    _truth0, y0, c0 = simulate_history(model, 0)
    np.testing.assert_array_equal(y0, y2)
    np.testing.assert_array_equal(c0, c2)
