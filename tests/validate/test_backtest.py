"""Backtests end to end: a mock-sampler backtest fits each window with the lens as known at its cut-off,
scores every window against both baselines with every comparison kept, checks interval coverage,
round-trips through JSON and renders; and the forecast of a window reads nothing after its cut-off."""

import copy
import json

import numpy as np
import pandas as pd

from hedgecast.forecasting.observed import realised_class
from hedgecast.priors.known_by import known_at
from hedgecast.validate import backtest as bt
from hedgecast.validate.baselines import BASELINES
from hedgecast.validate.window_scores import MODEL, ORACLE
from hedgecast.validate.windows import WINDOWS, BacktestSettings


def test_mock_backtest_scores_every_window_against_both_baselines(mock_backtest, spec, workbench):
    table = mock_backtest.table()
    assert list(table.columns[:3]) == [MODEL, *BASELINES] and ORACLE not in table.columns  # the oracle is opt-in
    windows = [w.name for w in WINDOWS]
    assert list(dict.fromkeys(table.index.get_level_values("window"))) == windows
    for w in windows:
        rows = table.loc[w]
        assert ("all_indicators", "crps") in rows.index and ("crisis_year", "log_score") in rows.index
        assert ("crisis_any", "brier") in rows.index and ("trade_usd_bn", "crps") in rows.index
        assert np.isfinite(rows[[MODEL, *BASELINES]].to_numpy()).all()
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


def test_each_window_lists_the_priors_it_could_not_know(mock_backtest, baseline):
    for w, window in zip(mock_backtest.windows, WINDOWS):
        _, expected = known_at(baseline, window.cutoff)
        assert [f["prior"] for f in w["fallbacks"]] == [f.prior for f in expected] and expected
        assert all(f["known_by"] > window.cutoff for f in w["fallbacks"])
    first, second = ({f["prior"] for f in w["fallbacks"]} for w in mock_backtest.windows[:2])
    assert "crisis_effect.economic" in first and "crisis_effect.economic" not in second  # learnt from 2015–16


def test_run_backtest_fits_and_forecasts_each_window_with_the_lens_known_at_its_cutoff(monkeypatch, workbench, baseline):
    """Wiring only: every window's fit and forecast get the lens as known at its cut-off; nothing else is fitted (the realised class is read from the record)."""
    fitted, scored = [], []

    def fake_map(client, fn, args, **kw):
        fitted.extend((a[1], a[3]) for a in args)
        return [{"cutoff": a[3], "seconds": 0.0} for a in args]

    def fake_score(window, fit, spec, lens, history, **kw):
        scored.append((window.cutoff, lens, kw["fallbacks"]))
        return {"window": window.name, "cells": [], "intervals": []}

    monkeypatch.setattr(bt, "map_tasks", fake_map)
    monkeypatch.setattr(bt, "score_window", fake_score)
    monkeypatch.setattr(bt, "worker_count", lambda client: 0)
    bt.run_backtest(workbench.spec, baseline, workbench.history, BacktestSettings(sampler="mock"), client=None)
    assert [cutoff for _, cutoff in fitted] == [w.cutoff for w in WINDOWS]  # no full-record fit
    for lens, cutoff in fitted:
        assert lens == known_at(baseline, cutoff)[0] != baseline
    for cutoff, lens, fallbacks in scored:
        window_lens, expected = known_at(baseline, cutoff)
        assert lens == window_lens and [f["prior"] for f in fallbacks] == [f.prior for f in expected]
        assert (
            lens.prior("leverage_shift.economic")
            == window_lens.prior("leverage_shift.economic")
            != baseline.prior("leverage_shift.economic")
        )


def test_every_comparison_is_kept_and_counted(mock_backtest):
    comp = mock_backtest.comparisons()
    table = mock_backtest.table()
    assert len(comp) == len(table)
    for b in BASELINES:
        expected = np.where(comp[MODEL] < comp[b], "win", np.where(comp[MODEL] > comp[b], "loss", "tie"))
        assert (comp[f"vs_{b}"].to_numpy() == expected).all()
    t = mock_backtest.tally()
    assert t["all_rows"]["comparisons"] == 2 * len(table) == t["all_rows"]["wins"] + t["all_rows"]["losses"] + t["all_rows"]["ties"]
    indicator_rows = comp[comp["kind"] == "indicator"]
    assert t["indicator_crps"]["rows"] == len(indicator_rows) and (indicator_rows["metric"] == "crps").all()
    assert "all_indicators" not in set(indicator_rows["target"])
    assert t["all_rows"]["losses"] == len(mock_backtest.losses())


def test_coverage_is_checked_for_every_held_out_indicator_value(mock_backtest):
    crps = mock_backtest.cells.query("metric == 'crps' and forecaster == @MODEL")
    iv = mock_backtest.intervals.query("forecaster == @MODEL")
    assert len(iv) == 2 * len(crps) and set(iv["level"]) == {0.5, 0.9}
    inner = iv[iv["level"] == 0.5].set_index(["window", "target", "year"])
    outer = iv[iv["level"] == 0.9].set_index(["window", "target", "year"])
    assert (outer["lower"] <= inner["lower"]).all() and (inner["upper"] <= outer["upper"]).all()
    assert (outer["covered"] | ~inner["covered"]).all()  # inside the 50% interval means inside the 90% one
    cov = mock_backtest.coverage()
    overall = cov[(cov["window"] == "all windows") & (cov["target"] == "all_indicators")].iloc[0]
    assert overall["n"] == len(crps) and overall["covered_90"] == int(outer["covered"].sum())
    assert overall["low_90"] <= overall["coverage_90"] <= overall["high_90"]


def test_backtest_result_round_trips_and_renders(mock_backtest, tmp_path):
    path = bt.save_backtest(mock_backtest, tmp_path / "backtest.json")
    data = json.loads(path.read_text())
    assert data["kind"] == "hedgecast.backtest" and data["table"] and "standardized" in data["space"]
    assert data["tally"]["all_rows"]["comparisons"] == 2 * len(data["table"]) and data["coverage"]
    assert data["windows"][0]["fallbacks"] and data["windows"][0]["fallbacks"][0]["why"]
    back = bt.load_backtest(path)
    pd.testing.assert_frame_equal(back.table(), mock_backtest.table())
    pd.testing.assert_frame_equal(back.coverage(), mock_backtest.coverage())
    from hedgecast.report.sections.validation import backtest_section

    section = backtest_section(path)  # the report section, from the saved file
    assert section.title == bt.SECTION_TITLE
    text = " ".join(section.paragraphs) + " ".join(" ".join(t.frame.columns) for t in section.tables)
    assert "persistence" in text and "climatology" in text and len(section.figures) == 1
    assert "mock sampler" in text
    t = mock_backtest.tally()
    assert f"loses {t['all_rows']['losses']} of {t['all_rows']['comparisons']}" in text  # the totals, in the text
    assert f"loses {t['indicator_crps']['losses']} of {t['indicator_crps']['comparisons']}" in text
    assert "inside 90% interval" in text and "Wilson" in text
    fell = mock_backtest.windows[0]["fallbacks"][0]
    assert any(fell["prior"] in item for b in section.blocks if hasattr(b, "items") for item in b.items)


def test_losses_lists_every_row_where_the_model_is_worse(mock_backtest):
    losses = mock_backtest.losses()
    table = mock_backtest.table()
    expected = sum(int(r[MODEL] > r[b]) for _, r in table.iterrows() for b in BASELINES)
    assert len(losses) == expected
    if len(losses):
        assert (losses["model_score"] > losses["baseline_score"]).all() and set(losses["model"]) == {MODEL}


def test_a_result_saved_before_version_2_still_loads_and_says_what_it_lacks(mock_backtest):
    from hedgecast.report.sections.validation import backtest_section

    old = copy.deepcopy(mock_backtest.to_dict())  # the session's result is shared: never edit it
    old["version"] = 1
    del old["intervals"]
    for w in old["windows"]:
        del w["fallbacks"]
    back = bt.BacktestResult.from_dict(old)
    assert back.intervals.empty and back.coverage().empty
    section = backtest_section(back)
    assert any("saved before priors stated when they could be known" in p for p in section.paragraphs)
