"""New years of data extend the fitted history (hedgecast.inputs.updates), on a synthetic future in a temp copy."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from hedgecast.errors import DataError
from hedgecast.inputs import flags
from hedgecast.inputs.updates import extend_to_data, new_year_status
from hedgecast.workbench import Workbench


@pytest.fixture
def after_2027(monkeypatch):
    monkeypatch.setattr(flags, "today", lambda: dt.date(2028, 3, 1))


def test_a_synthetic_future_extends_the_history_and_keeps_the_centring(project_copy, synthetic_future, workbench, after_2027):
    synthetic_future(project_copy)
    wb = Workbench.load(project_copy)
    assert wb.spec.history == (2000, 2027) and wb.history.years[-1] == 2027
    assert wb.spec.forecast == (2028, 2037)  # the forecast keeps its length
    assert wb.spec.centring_period == (2000, 2025) == workbench.spec.history
    assert wb.spec.headline_years == workbench.spec.headline_years  # 2030, 2035 still forecast years
    assert wb.history.indicators.loc[2027, "trade_usd_bn"] == 28.0
    assert wb.history.war.loc[2027] == workbench.history.war.loc[2025]
    # the scale and the centring stay those of 2000–2025: a new year does not move them
    np.testing.assert_allclose(wb.inputs.scaling["mean"], workbench.inputs.scaling["mean"])
    np.testing.assert_allclose(wb.inputs.driver_means, workbench.inputs.driver_means)
    assert wb.inputs.n_centre == 26 and len(wb.inputs.years) == 28
    status = {y.year: y for y in new_year_status(wb.spec, wb.paths)}
    assert status[2027].missing == ("russian_tourists_k",) and status[2027].declared_partial


def test_the_forecast_starts_after_the_new_history_and_questions_read_the_observed_years(project_copy, synthetic_future, after_2027):
    synthetic_future(project_copy, years=(2026,), series={"trade_total_usd_bn": {2026: 28.0}}, escalated_in=(2026,))
    wb = Workbench.load(project_copy)
    fc = wb.fit("baseline", sampler="mock", draws=30, chains=2, seed=4).forecast(["status_quo"])
    assert int(fc.data["year"][0]) == 2027 and int(fc.data["year"][-1]) == 2036
    from hedgecast.forecasting.question_sheet import project_questions
    from hedgecast.forecasting.questions import probabilities

    qset = project_questions(wb)
    assert qset["trade_below_30bn_2026_2030"].observed == ((2026, 28.0),)
    assert qset["rupture_2027_2030"].observed == ()  # its window starts after the record
    assert list(qset.signposts.years) == [2027]  # 2026 is observed now: no longer a signpost
    probs = probabilities(qset, fc).set_index("id")["probability"]
    assert probs["trade_below_30bn_2026_2030"] == 1.0  # 2026's synthetic 28bn is below 30bn on every path
    assert probs["trade_2028_at_least_50bn"] < 1.0


def test_an_undeclared_partial_year_is_refused_naming_what_is_missing(project_copy, synthetic_future, spec, after_2027):
    synthetic_future(project_copy, declare_partial=False)
    from hedgecast.config import Paths

    with pytest.raises(DataError) as info:
        extend_to_data(spec, Paths.discover(project_copy))
    text = str(info.value)
    assert "war_states.csv" in text and "year 2026" in text and "russian_tourists_k" in text and "PARTIAL:" in text


def test_a_year_not_over_needs_the_declaration_even_when_complete(project_copy, synthetic_future, spec, monkeypatch):
    monkeypatch.setattr(flags, "today", lambda: dt.date(2026, 11, 27))
    synthetic_future(project_copy, years=(2026,), declare_partial=False, series={"russian_tourists_k": {2026: 6000.0}}, escalated_in=())
    from hedgecast.config import Paths

    with pytest.raises(DataError, match="the year is not over"):
        extend_to_data(spec, Paths.discover(project_copy))


def test_without_new_data_the_spec_is_unchanged(spec, workbench):
    assert extend_to_data(spec, workbench.paths).history == spec.history == (2000, 2025)
    assert new_year_status(spec, workbench.paths) == []
