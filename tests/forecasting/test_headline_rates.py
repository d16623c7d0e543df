"""The headline table: every headline probability beside its base rate, its prior-only value and its flags."""

from __future__ import annotations

import pytest

from hedgecast.forecasting.base_rates import odds_ratio
from hedgecast.forecasting.headline_rates import COLUMNS, headline_rates, prior_only_forecast


@pytest.fixture(scope="module")
def table(mock_fit):
    fc = mock_fit.forecast(scenarios=["status_quo", "protracted_war"])
    return headline_rates(mock_fit, fc, [2030, 2035]), fc


def test_one_row_per_headline_probability_with_every_column(table, mock_fit):
    frame, fc = table
    assert list(frame.columns) == COLUMNS[1:]
    assert len(frame) == 2 * (1 + len(mock_fit.spec.class_names))
    row = frame.loc["P(rupture event by 2030)"]
    assert row["posterior"] == pytest.approx(float(fc.p_rupture_event_by(2030).sel(scenario="status_quo")))
    # the record: one rupture year since 1992, over the five forecast years 2026–2030
    assert row["base rate"] == pytest.approx(1 - (1 - 1 / 34) ** 5)
    lo, hi = row["base-rate interval"]
    assert lo < row["base rate"] < hi
    assert frame.loc["P(rupture event by 2035)", "base rate"] > row["base rate"]
    assert row["odds ratio"] == pytest.approx(odds_ratio(row["prior only"], row["posterior"]))
    assert "Jeffreys" in frame.attrs["rules"]


def test_prior_only_is_the_forecast_from_the_prior_draws(mock_fit):
    prior_fc = prior_only_forecast(mock_fit)
    assert prior_fc.data.sizes["draw"] == mock_fit.idata.prior.sizes["draw"]
    assert prior_fc.scenarios == ["status_quo"]


def test_class_base_rates_sum_to_one_over_classes(table, mock_fit):
    frame, _ = table
    names = [t.label or t.name for t in mock_fit.spec.trajectories]
    total = sum(frame.loc[f"P({n} in 2030)", "base rate"] for n in names)
    assert total == pytest.approx(1.0)


def test_a_headline_without_status_quo_is_refused(mock_fit):
    fc = mock_fit.forecast(scenarios=["protracted_war"])
    with pytest.raises(ValueError, match="status_quo"):
        headline_rates(mock_fit, fc, [2030])
