"""SBC's simulated histories come from the drawn parameters."""

import numpy as np
import pytest

from hedgecast.model.equations import ESCALATION_COUNTS, INCIDENT_COUNTS
from hedgecast.validate.simulate_history import generator_model, simulate_history


def test_simulated_history_comes_from_the_drawn_parameters(workbench, baseline, spec):
    """The indicators are the drawn path seen through the drawn loadings and noise; the simulated incident
    and escalation counts are the model's data, which set the crisis years that feed the path."""
    model = generator_model(spec, baseline, workbench.inputs)
    inputs = workbench.inputs
    anchors = {c.anchor for c in spec.channels.values()}
    free = [i for i in spec.indicator_names if i not in anchors]
    channel = np.array([spec.channel_names.index(spec.indicators[n].channel) for n in spec.indicator_names])
    sign = np.array([spec.indicators[n].sign for n in spec.indicator_names], dtype=float)
    residuals, simulated_incidents = [], []
    for seed in range(3):
        truth, y, counts = simulate_history(model, seed)
        assert y.shape == inputs.obs_value.shape
        assert set(counts) == {INCIDENT_COUNTS, ESCALATION_COUNTS}
        incidents, escalations = counts[INCIDENT_COUNTS], counts[ESCALATION_COUNTS]
        assert incidents.shape == escalations.shape == inputs.incidents.shape
        assert (escalations <= incidents).all() and (incidents >= 0).all()
        for name, value in counts.items():
            np.testing.assert_array_equal(model[name].get_value(), value)
        simulated_incidents.append(incidents)
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
    assert not all(np.array_equal(simulated_incidents[0], other) for other in simulated_incidents[1:])
    _again, y2, c2 = simulate_history(model, 0)
    _truth0, y0, c0 = simulate_history(model, 0)
    np.testing.assert_array_equal(y0, y2)
    for name in c0:
        np.testing.assert_array_equal(c0[name], c2[name])


def test_simulated_crises_hit_the_path_in_their_year(workbench, baseline, spec):
    """A simulated escalation makes its year a crisis year of the path: the path's log density at the truth
    changes when the escalations are taken away (and not when incidents that did not escalate are)."""
    import pymc as pm

    model = generator_model(spec, baseline, workbench.inputs)
    for seed in range(40):
        truth, _y, counts = simulate_history(model, seed)
        if counts[ESCALATION_COUNTS][1:].any():
            break
    else:
        pytest.fail("no simulated history with a crisis in 40 seeds")
    point = model.initial_point()  # crisis_effect at its prior means (-1.0, -1.5): a crisis year moves the path
    point[model.rvs_to_values[model["path"]].name] = truth["path"]
    path_logp = model.compile_logp(vars=[model["path"]])
    with_crisis = path_logp(point)
    with model:
        pm.set_data({ESCALATION_COUNTS: np.zeros_like(counts[ESCALATION_COUNTS])})
    without = path_logp(point)
    with model:
        pm.set_data({ESCALATION_COUNTS: counts[ESCALATION_COUNTS], INCIDENT_COUNTS: counts[INCIDENT_COUNTS] + 1})
    assert path_logp(point) == pytest.approx(with_crisis)
    assert with_crisis != pytest.approx(without)
