"""PSIS-LOO in the predictive-checks section: cells without information are counted apart, not as unreliable."""

from __future__ import annotations

import arviz as az
import numpy as np
import xarray as xr

from hedgecast.report.sections.checks import loo_summary


def test_a_cell_with_the_same_log_likelihood_in_every_draw_is_not_counted_as_unreliable():
    rng = np.random.default_rng(0)
    chains, draws, years = 2, 500, 6
    ll = rng.normal(-1.0, 0.05, size=(chains, draws, years))  # synthetic: well-behaved cells
    ll[:, :, [1, 4]] = 0.0  # synthetic: years without incidents, where P(0 escalations) = 1 in every draw
    idata = az.InferenceData(
        posterior=xr.Dataset({"a": (("chain", "draw"), rng.normal(size=(chains, draws)))}),
        log_likelihood=xr.Dataset({"escalations": (("chain", "draw", "year"), ll)}, coords={"year": np.arange(2000, 2000 + years)}),
    )
    totals, per = loo_summary(idata)
    row = per.set_index("term").loc["escalations"]
    assert row["cells"] == 6 and row["constant"] == 2 and row["ok"] + row["high"] == 4
    assert row["high"] == 0 and np.isfinite(row["max_k"]) and row["max_k"] <= 0.7
    assert totals.set_index("term").loc["escalations", "n"] == 6


def test_indicator_cells_are_counted_per_indicator_from_their_labels():
    """ArviZ's pointwise k̂ keeps only the ``obs`` labels ("<indicator> <year>"): one row per indicator, not one "y" row."""
    rng = np.random.default_rng(1)
    chains, draws = 2, 400
    labels = ["trade_usd_bn 2001", "trade_usd_bn 2002", "trade_usd_bn 2003", "leader_meetings 2010", "leader_meetings 2011"]
    ll = rng.normal(-1.0, 0.05, size=(chains, draws, len(labels)))  # synthetic, well-behaved cells
    idata = az.InferenceData(
        posterior=xr.Dataset({"a": (("chain", "draw"), rng.normal(size=(chains, draws)))}),
        log_likelihood=xr.Dataset({"y": (("chain", "draw", "obs"), ll)}, coords={"obs": labels}),
    )
    _, per = loo_summary(idata)
    assert per.set_index("term")["cells"].to_dict() == {"trade_usd_bn": 3, "leader_meetings": 2}
