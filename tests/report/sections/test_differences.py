"""The scenario-difference table: every headline probability with its paired Monte Carlo standard error."""

from __future__ import annotations

import numpy as np

from hedgecast.report.sections.differences import scenario_difference_table


def test_the_rupture_event_probability_has_a_paired_difference_row(mock_fit):
    fc = mock_fit.forecast(scenarios=["status_quo", "black_sea_rupture_2027", "black_sea_spillover"])
    df = scenario_difference_table(fc, "status_quo", 2030)
    rows = df[df["measure"] == "P(rupture event by 2030)"].set_index("scenario")
    assert list(rows.index) == ["black_sea_rupture_2027", "black_sea_spillover"]
    p = fc.p_rupture_event_by(2030)
    pinned = rows.loc["black_sea_rupture_2027"]
    assert np.isclose(pinned["estimate"], 100 * (1 - float(p.sel(scenario="status_quo"))))  # pinned: every path has one
    hit = fc.data["crisis"].sel(year=slice(None, 2030)).max("year").astype(float)
    diff = (hit.sel(scenario="black_sea_spillover") - hit.sel(scenario="status_quo")).values.ravel()
    assert np.isclose(rows.loc["black_sea_spillover", "se"], 100 * diff.std(ddof=1) / np.sqrt(diff.size))
    assert rows.loc["black_sea_spillover", "estimate"] >= 0  # 1.5 times the incident rate: more rupture events
