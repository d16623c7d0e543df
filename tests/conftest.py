"""Shared fixtures: the project, a mocked fit (no sampler) and one small real NUTS fit per session.

Slow checks (full fits, SBC) are marked ``slow`` and run with ``--run-slow`` (``make test``
passes it when RUN_SLOW=1, which CI sets when time allows).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False, help="run slow tests (full fits, SBC)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow") or os.environ.get("RUN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow (or RUN_SLOW=1)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def workbench():
    from hedgecast.workbench import Workbench

    return Workbench.load(ROOT)


@pytest.fixture(scope="session")
def spec(workbench):
    return workbench.spec


@pytest.fixture(scope="session")
def baseline(workbench):
    return workbench.lens("baseline")


@pytest.fixture(scope="session")
def mock_fit(workbench, baseline):
    """Prior draws dressed as a posterior: for everything downstream of the sampler."""
    return workbench.fit(baseline, sampler="mock", draws=100, chains=2, seed=11)


@pytest.fixture(scope="session")
def small_fit(workbench, baseline):
    """One real NUTS fit with few draws (compiles the model once per session)."""
    return workbench.fit(baseline, draws=150, tune=300, chains=2, seed=7)


@pytest.fixture(scope="session")
def mock_backtest(workbench, baseline):
    """The three default backtest windows with the mock sampler (prior draws; scores the machinery, not the model)."""
    from hedgecast.validate.backtest import run_backtest
    from hedgecast.validate.parallel import cluster_client
    from hedgecast.validate.windows import BacktestSettings

    settings = BacktestSettings(draws=40, chains=2, sampler="mock", seed=5)
    # one thread worker: the mock fits use the session's model (no compile), so this is quick
    with cluster_client(1, processes=False) as client:
        return run_backtest(workbench.spec, baseline, workbench.history, settings, client)


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """A writable copy of the project's inputs (models, data, pyproject) for tests that edit files."""
    for name in ("models", "data"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("processed"))
    (tmp_path / "data" / "processed").mkdir()
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


SYNTHETIC = "SYNTHETIC test value, not a real-world observation (tests only)"


def add_synthetic_future(root: Path, years=(2026, 2027), *, declare_partial: bool = True, series: dict | None = None, escalated_in=(2027,)) -> None:
    """Append made-up rows for ``years`` to a copy's curated files, every one labelled synthetic.

    Driver codings carry the 2025 value forward; the war stays in 2025's state; ``series`` maps a
    ``series.csv`` name to ``{year: value}``; one escalated serious incident (main rule) in each of
    ``escalated_in``. With ``declare_partial`` each new war-state row's note starts ``PARTIAL:``
    (the synthetic years lack the UNGA and GDELT indicators).
    """
    import csv

    import pandas as pd

    cur = root / "data" / "curated"
    drivers = pd.read_csv(cur / "drivers.csv")
    last = drivers[drivers["year"] == 2025]
    wars = pd.read_csv(cur / "war_states.csv")
    state = wars.loc[wars["year"] == 2025, "state"].iloc[0]
    series = series if series is not None else {"trade_total_usd_bn": {2026: 41.0, 2027: 28.0}, "leader_meetings": {2026: 2, 2027: 1}}

    def append(name: str, rows: list[list]) -> None:
        with open(cur / name, "a", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)

    for y in years:
        append("drivers.csv", [[r.driver, y, r.value, "synthetic: 2025 carried forward", SYNTHETIC, "", SYNTHETIC] for r in last.itertuples()])
        note = ("PARTIAL: " if declare_partial else "") + SYNTHETIC
        append("war_states.csv", [[y, state, "synthetic: 2025 state carried forward", SYNTHETIC, "", note]])
    units = {"trade_total_usd_bn": "USD bn", "leader_meetings": "count", "russian_tourists_k": "thousand"}
    append("series.csv", [[name, y, v, units.get(name, "unit"), SYNTHETIC, "", SYNTHETIC] for name, by_year in series.items() for y, v in by_year.items()])
    append(
        "incidents.csv",
        [[f"{y}_synthetic_rupture", f"{y}-06-01", "airspace_clash", f"{SYNTHETIC}: an incident followed by state measures", 0, "true", "main", f"{SYNTHETIC} (a) | {SYNTHETIC} (b)", SYNTHETIC] for y in escalated_in],
    )


@pytest.fixture
def synthetic_future():
    """The function that writes a synthetic 2026–27 into a project copy (see :func:`add_synthetic_future`)."""
    return add_synthetic_future
