"""SBC's refit: swapping simulated data into the compiled nutpie model changes its likelihood as PyMC's."""

import pytest

from hedgecast.validate.refit import check_data_swap
from hedgecast.validate.simulate_history import generator_model, simulate_history


@pytest.mark.slow
def test_nutpie_with_data_really_swaps_the_observed_data(small_fit, workbench, baseline, spec):
    """The refits rely on it: nutpie's log density with swapped data equals PyMC's with that data."""
    from hedgecast.model.fit import compiled_model

    model = generator_model(spec, baseline, workbench.inputs)
    _truth, y, counts = simulate_history(model, 5)
    cm = compiled_model(spec, baseline, workbench.inputs)
    check = check_data_swap(cm.nutpie_model(baseline), model, y, counts)
    assert check["ok"] and check["pymc_logp"] != check["pymc_logp_original_data"]
