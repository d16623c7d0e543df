"""Which scenarios a what-if on a prior touches (hedgecast.stress.changes.affects)."""

from __future__ import annotations

import dataclasses

from hedgecast.inputs.spec_parts import Scenario
from hedgecast.stress.changes import affects


def test_a_scenario_probability_affects_every_scenario_that_includes_it(spec):
    composed = Scenario("t_composed", includes=("post_erdogan_2028",))  # synthetic test fixture
    s = dataclasses.replace(spec, scenarios={**spec.scenarios, "t_composed": composed})
    prior = "scenario_probability.post_erdogan_2028"
    assert affects(s, prior, "post_erdogan_2028") and affects(s, prior, "t_composed")
    assert not affects(s, prior, "status_quo") and not affects(s, prior, "new_low")
    assert affects(s, "incident_friction", "status_quo")  # fitted priors touch every scenario
