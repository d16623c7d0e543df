"""Backtests end to end: a mock-sampler backtest scores every window against both baselines,
round-trips through JSON and renders."""

import json

import numpy as np
import pandas as pd
import pytest

from hedgecast.forecasting.observed import realised_class
from hedgecast.validate import backtest as bt
from hedgecast.validate.baselines import BASELINES
from hedgecast.validate.parallel import cluster_client
from hedgecast.validate.window_scores import FORECASTERS
from hedgecast.validate.windows import WINDOWS, BacktestSettings


@pytest.fixture(scope="module")
def mock_backtest(workbench, baseline):
    settings = BacktestSettings(draws=40, chains=2, sampler="mock", seed=5)
    # one thread worker: the mock fits use the session's model (no compile), so this is quick
    with cluster_client(1, processes=False) as client:
        return bt.run_backtest(workbench.spec, baseline, workbench.history, settings, client)


def test_mock_backtest_scores_every_window_against_both_baselines(mock_backtest, spec, workbench):
    table = mock_backtest.table()
    assert list(table.columns[:4]) == list(FORECASTERS)
    windows = [w.name for w in WINDOWS]
    assert list(dict.fromkeys(table.index.get_level_values("window"))) == windows
    for w in windows:
        rows = table.loc[w]
        assert ("all_indicators", "crps") in rows.index and ("crisis_year", "log_score") in rows.index
        assert ("crisis_any", "brier") in rows.index and ("trade_usd_bn", "crps") in rows.index
        assert np.isfinite(rows[list(FORECASTERS)].to_numpy()).all()
    # classes: only where the training history holds the 2015–16 fall the rupture rule measures against
    assert "trajectory_class" not in table.loc[windows[0]].index.get_level_values("target")
    assert ("trajectory_class", "rps") in table.loc[windows[1]].index
    excluded = {(x["window"], x["target"]) for w in mock_backtest.windows for x in w["exclusions"]}
    assert (windows[0], "trajectory_class") in excluded
    assert (windows[0], "gdelt_tone") in excluded  # no GDELT data before 2018
    # the realised class is the class rules applied to the observed record, with the cut-off's references
    assert mock_backtest.windows[1]["classes"]["realised"] == realised_class(spec, workbench.history, 2024, as_of=2019).name
    reasons = {x["window"]: x["reason"] for w in mock_backtest.windows for x in w["exclusions"] if x["target"] == "trajectory_class"}
    assert "russian_tourists_k_low_2015_16" in reasons[windows[0]]  # the 2015–16 low lies after a 2014 cut-off
    assert "realised class of 2025 is undetermined" in reasons[windows[2]]  # no 2025 visitor figure
    # crisis in 2015 is the only crisis in the test years
    crisis = mock_backtest.cells.query("target == 'crisis_year' and metric == 'log_score' and forecaster == 'climatology'")
    assert len(crisis) == 5 + 5 + 4
    first = crisis[crisis["window"] == windows[0]].set_index("year")["value"]
    assert first[2015] > first[2016]  # the crisis year is the surprising one for a low base rate


def test_backtest_result_round_trips_and_renders(mock_backtest, tmp_path):
    path = bt.save_backtest(mock_backtest, tmp_path / "backtest.json")
    data = json.loads(path.read_text())
    assert data["kind"] == "hedgecast.backtest" and data["table"] and "standardized" in data["space"]
    back = bt.load_backtest(path)
    pd.testing.assert_frame_equal(back.table(), mock_backtest.table())
    from hedgecast.report.sections.validation import backtest_section

    section = backtest_section(path)  # the report section, from the saved file
    assert section.title == bt.SECTION_TITLE
    text = " ".join(section.paragraphs) + " ".join(" ".join(t.frame.columns) for t in section.tables)
    assert "persistence" in text and "climatology" in text and len(section.figures) == 1
    assert "mock sampler" in text


def test_losses_lists_every_row_where_the_model_is_worse(mock_backtest):
    losses = mock_backtest.losses()
    table = mock_backtest.table()
    expected = sum(
        int(r[m] > r[b]) for _, r in table.iterrows() for m in ("model_unconditional", "model_conditional") for b in BASELINES
    )
    assert len(losses) == expected
    if len(losses):
        assert (losses["model_score"] > losses["baseline_score"]).all()
