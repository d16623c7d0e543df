"""Unsourced and partial values: flagged cells are left out of what the model observes,
``hedgecast check`` says how many and which, and a year that is not over must be flagged."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hedgecast.config import Paths
from hedgecast.inputs import data, flags
from hedgecast.inputs.history import load_history

ROOT = Path(__file__).resolve().parents[2]
PATHS = Paths(ROOT)
SERIES = "data/curated/series.csv"


@pytest.fixture
def project(tmp_path: Path) -> Paths:
    root = tmp_path / "proj"
    for sub in ("raw", "curated"):
        shutil.copytree(ROOT / "data" / sub, root / "data" / sub)
    (root / "data" / "processed").mkdir()
    return Paths(root)


def _set_note(paths: Paths, series: str, year: int, note: str) -> None:
    path = paths.root / SERIES
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    hit = (frame["series"] == series) & (frame["year"] == str(year))
    assert hit.sum() == 1
    frame.loc[hit, "note"] = note
    frame.to_csv(path, index=False, lineterminator="\n")


def test_flags_are_read_from_the_start_of_the_note():
    assert flags.flag_of("UNSOURCED: recalled") == "unsourced"
    assert flags.flag_of("PARTIAL: January-June") == "partial"
    assert flags.flag_of("CHANGED from 4710; UNSOURCED: no") == ""
    assert flags.flag_of("") == ""


def test_what_counts_as_a_source():
    assert flags.cites_a_source("001_19e99d834b398c11.txt")
    assert flags.cites_a_source("https://example.org/x (2020-01-01) | TurkStat")
    assert flags.cites_a_source("data/raw/peacesciencer_cow_mid5_dirdisps_TUR_RUS.csv (dispnum 1)")
    assert not flags.cites_a_source("public record (news reports and official statements of the day)")
    assert not flags.cites_a_source("hedgecast project coding (analyst judgement)")


def test_unsourced_and_partial_cells_of_the_real_data(spec):
    excluded = flags.excluded_cells(PATHS, spec.indicator_names)
    per = excluded.groupby(["indicator", "reason"]).size().to_dict()
    assert per == {
        ("trade_usd_bn", "unsourced"): 1,
        ("gdelt_tone", "partial"): 1,
    }
    gdelt = excluded[excluded["indicator"] == "gdelt_tone"].iloc[0]
    assert gdelt["year"] == 2024 and "54 days" in gdelt["note"]
    series = data.load_series(PATHS)
    assert int(series["note"].str.startswith("UNSOURCED:").sum()) == 26


def test_the_history_treats_flagged_cells_as_missing(spec):
    history = load_history(spec, PATHS)
    kept = load_history(spec, PATHS, unsourced_as_missing=False)
    raw = data.build_indicators(PATHS)
    for row in history.excluded.itertuples(index=False):
        assert np.isnan(history.indicators.loc[row.year, row.indicator])
        assert raw.loc[row.year, row.indicator] == pytest.approx(row.value)
    assert np.isnan(kept.indicators.loc[2024, "gdelt_tone"])  # partial years are always left out
    assert kept.indicators.loc[2016, "trade_usd_bn"] == 16.9
    assert int(history.indicators.notna().sum().sum()) == int(kept.indicators.notna().sum().sum()) - 1
    # the standardization is over the cells the model observes
    _, scaling = history.standardized(spec)
    assert scaling.loc["russian_tourists_k", "n_observed"] == 23


def test_a_partial_row_is_left_out_and_listed_by_check(project, spec):
    _set_note(project, "trade_total_usd_bn", 2019, "PARTIAL: January-June only")
    history = load_history(spec, project)
    assert np.isnan(history.indicators.loc[2019, "trade_usd_bn"])
    hit = history.excluded[(history.excluded["indicator"] == "trade_usd_bn") & (history.excluded["year"] == 2019)]
    assert list(hit["reason"]) == ["partial"]


def test_a_value_for_a_year_not_over_must_be_flagged_partial(project, monkeypatch):
    monkeypatch.setattr(flags, "today", lambda: dt.date(2025, 9, 30))
    problems = flags.partial_year_problems(project)
    assert len(problems) == 1  # the one 2025 row (leader_meetings)
    assert problems[0].file == SERIES and "column note" in problems[0].field and "PARTIAL:" in problems[0].message
    _set_note(project, "leader_meetings", 2025, "PARTIAL: January-September")
    assert flags.partial_year_problems(project) == []


def test_unsourced_summary_is_one_line():
    line = flags.unsourced_summary(PATHS)
    assert "\n" not in line
    assert "26 of 157 series values are UNSOURCED" in line
