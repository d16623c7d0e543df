"""Backtests: fit on the record up to a cut-off year, forecast the years after it, score.

Leave-future-out, with explicit windows (never "now"): :data:`WINDOWS` fits on
2000–2014 and forecasts 2015–2019, on 2000–2019 → 2020–2024, on 2000–2021 → 2022–2025.
Fits run in parallel on a dask cluster (:mod:`hedgecast.validate.parallel`); forecasting and
scoring are cheap and run where the results are gathered.

No look-ahead: a window uses only what was known at its cut-off. Its fit and forecast use
the lens as known then (:func:`hedgecast.priors.known_by.known_at`): every prior whose
content could only be known later (``known_by`` after the cut-off) is replaced by its group's
vague fallback, and the result lists which (``fallbacks`` per window). The driver codings and
war states after the cut-off are not read: the forecast simulates them.

Forecasters scored on the same cells:

``model_unconditional`` (the model)
    the model as used for the real forecast: drivers follow their random walk from the
    cut-off year and the war follows the lens's Markov chain from its cut-off state
    (the status-quo forecast; checked against :func:`hedgecast.forecasting.forecast.forecast`).
``model_conditional`` (the oracle; only with ``BacktestSettings(oracle=True)``)
    the same posterior, but the realised driver codings and war states of the test
    years are plugged in (it scores the model's dynamics and measurement given the
    drivers, not its ability to foresee them). Not a forecast, and never counted in the
    wins and losses: the codings were made after the fact, and a crisis year's coding
    partly records the crisis itself (leader ties collapse and friction peaks in 2015).
``persistence``
    the last observed value carried forward, spread as a random walk whose annual step
    is the root-mean-square of the observed year-to-year changes up to the cut-off.
``climatology``
    the indicator's observed values up to the cut-off, as an empirical distribution.

Targets and scores (all negatively oriented: **lower is better**), from
:data:`hedgecast.validate.scoring.METRICS`:

* every indicator in every test year where it was observed: **CRPS**, in the model's
  standardized space of the *training window* (the indicator transformed — log, log1p
  or identity — then z-scored with the cut-off history's mean and sd), so one unit is
  one training-period standard deviation of the transformed series; and the **coverage**
  of the central 50% and 90% predictive intervals (:meth:`BacktestResult.coverage`, with a
  Wilson interval for the share). Indicators with fewer than :data:`MIN_TRAIN_OBS`
  observations up to the cut-off are not scored (no baseline can be built for them) and
  are listed as exclusions;
* **crisis years** (a serious incident escalated to a rupture in that year): log score
  and Brier, per year, and for the event "at least one crisis in the window". The model's
  probability is the mean over draws of its probability of a rupture year,
  1 − exp(−incident rate · escalation probability) (Rao-Blackwellized, never exactly 0
  or 1); the baselines use the Jeffreys-smoothed crisis frequency up to the
  cut-off (climatology) or after a year with the cut-off year's status (persistence);
* **trajectory classes** at the window's last year: log score, RPS (classes ordered
  from coldest to warmest: rupture, managed erosion, transactional equilibrium,
  strategic alignment) and Brier. The realised class is the spec's class rules applied
  to the observed record (indicators in their own units, escalated incidents), with the
  references a forecast made at the cut-off would use
  (:func:`hedgecast.forecasting.observed.realised_class`). A window is not scored when
  its training record lacks a reference the rules use (the 2015–16 lows, in the 2014
  window: that fall *is* the test data) or when the realised class is undetermined (an
  indicator the rules need was not observed); the exclusion says which.
  Baselines simulate channel paths: a random walk from the cut-off state
  (persistence) or years resampled from the training path (climatology), read through
  the window posterior's measurement equation into indicators.

Every comparison of the model with persistence and with climatology is kept, losses
included (:meth:`BacktestResult.comparisons`, :meth:`BacktestResult.tally`).

The pieces: :mod:`~hedgecast.validate.windows` (windows, settings, the fit and the
simulated test years), :mod:`~hedgecast.validate.scoring` (the metric registry),
:mod:`~hedgecast.validate.baselines`, :mod:`~hedgecast.validate.window_scores` (scoring one
window), :mod:`~hedgecast.validate.comparisons` (wins, losses and coverage); this module runs
them and holds the result.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgecast.files import write_json
from hedgecast.inputs.history import History
from hedgecast.inputs.spec import ModelSpec
from hedgecast.priors.known_by import known_at
from hedgecast.priors.lenses import Lens
from hedgecast.validate.baselines import BASELINES
from hedgecast.validate.comparisons import INTERVAL_COLUMNS, comparison_table, coverage_table, tally
from hedgecast.validate.parallel import map_tasks, task_seed, worker_count
from hedgecast.validate.window_scores import FORECASTERS, MODEL, score_window
from hedgecast.validate.windows import BacktestSettings, Window, backtest_fit

SECTION_TITLE = "Backtests: leave-future-out forecasts against baselines"


# ------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------
@dataclass
class BacktestResult:
    """Every scored cell and interval check, the aggregated tables, and what was left out, fell back, and why."""

    settings: BacktestSettings
    lens: str
    cells: pd.DataFrame  # window, target, year, forecaster, metric, value
    windows: list[dict]  # per window: fallbacks, exclusions, crisis probabilities, class probabilities, diagnostics
    seconds: float = float("nan")
    workers: int = 0
    created: str = ""
    fit_seconds: dict = field(default_factory=dict)
    intervals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=INTERVAL_COLUMNS))
    """One row per held-out indicator value, forecaster and interval level: its central interval and whether it covered the value."""

    @property
    def forecasters(self) -> list[str]:
        """The forecasters scored, in display order (the oracle only if it was asked for)."""
        present = set(self.cells["forecaster"]) if len(self.cells) else set()
        return [f for f in FORECASTERS if f in present]

    def scores(self) -> pd.DataFrame:
        """Mean score per (window, target, metric, forecaster); indicators also pooled as ``all_indicators``."""
        c = self.cells
        keys = ["window", "target", "metric", "forecaster"]
        per = c.groupby(keys, sort=False)["value"].agg(["mean", "count"]).reset_index()
        ind = c[c["metric"] == "crps"].assign(target="all_indicators")
        pooled = ind.groupby(keys, sort=False)["value"].agg(["mean", "count"]).reset_index()
        return pd.concat([per, pooled], ignore_index=True).rename(columns={"mean": "value", "count": "n"})

    def table(self) -> pd.DataFrame:
        """Rows ``(window, target, metric)``, columns: forecasters, ``n``, and which forecaster is best."""
        s = self.scores()
        wide = s.pivot_table(index=["window", "target", "metric"], columns="forecaster", values="value", sort=False)
        wide = wide[[f for f in FORECASTERS if f in wide.columns]]
        wide["n"] = s.groupby(["window", "target", "metric"], sort=False)["n"].max()
        wide["best"] = wide[[f for f in FORECASTERS if f in wide.columns]].idxmin(axis=1)
        return wide

    def comparisons(self) -> pd.DataFrame:
        """Every row of :meth:`table` with the model's result against each baseline and the winner of the three (oracle excluded)."""
        return comparison_table(self.table())

    def tally(self) -> dict:
        """Wins and losses of the model against persistence and climatology: on indicator CRPS, and on every row."""
        return tally(self.comparisons())

    def coverage(self, forecaster: str = MODEL) -> pd.DataFrame:
        """Coverage of the 50% and 90% central intervals per window and indicator, pooled per window and overall, with Wilson intervals."""
        return coverage_table(self.intervals, forecaster)

    def losses(self) -> pd.DataFrame:
        """Rows where the model (the forecast; never the oracle) scores worse than a baseline: by how much."""
        t = self.table()
        rows = []
        for idx, r in t.iterrows():
            for model in (MODEL,):
                for base in BASELINES:
                    if np.isfinite(r[model]) and np.isfinite(r[base]) and r[model] > r[base]:
                        rows.append(
                            {
                                "window": idx[0],
                                "target": idx[1],
                                "metric": idx[2],
                                "model": model,
                                "baseline": base,
                                "model_score": r[model],
                                "baseline_score": r[base],
                                "skill": 1 - r[model] / r[base] if r[base] else float("-inf"),
                            }
                        )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        table = self.table().reset_index()
        return {
            "kind": "hedgecast.backtest",
            "version": 2,
            "created": self.created,
            "lens": self.lens,
            "settings": {**asdict(self.settings), "windows": [asdict(w) for w in self.settings.windows]},
            "seconds": self.seconds,
            "workers": self.workers,
            "fit_seconds": self.fit_seconds,
            "space": (
                "CRPS in each training window's standardized space (transformed, then z-scored with the "
                "cut-off history's mean and sd); all scores lower-is-better"
            ),
            "table": table.to_dict("records"),
            "comparisons": self.comparisons().to_dict("records"),
            "tally": self.tally(),
            "coverage": self.coverage().to_dict("records"),
            "losses": self.losses().to_dict("records"),
            "windows": self.windows,
            "cells": self.cells.to_dict("records"),
            "intervals": self.intervals.to_dict("records"),
        }

    @classmethod
    def from_dict(cls, data: dict) -> BacktestResult:
        if data.get("kind") != "hedgecast.backtest":
            raise ValueError("not a backtest result (expected kind 'hedgecast.backtest')")
        s = dict(data["settings"])
        s["windows"] = tuple(Window(**w) for w in s["windows"])
        return cls(
            BacktestSettings.from_record(s),
            data["lens"],
            pd.DataFrame(data["cells"]),
            data["windows"],
            data.get("seconds", float("nan")),
            data.get("workers", 0),
            data.get("created", ""),
            data.get("fit_seconds", {}),
            pd.DataFrame(data.get("intervals", []), columns=INTERVAL_COLUMNS),  # results saved before version 2 have none
        )


def save_backtest(result: BacktestResult, path: str | Path) -> Path:
    """Write ``result`` as JSON, atomically."""
    return write_json(path, result.to_dict())


def load_backtest(path: str | Path) -> BacktestResult:
    """Read a result written by :func:`save_backtest`."""
    return BacktestResult.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def run_backtest(
    spec: ModelSpec,
    lens: Lens,
    history: History,
    settings: BacktestSettings,
    client: Any,
    *,
    on_done: Callable[[int, dict], None] | None = None,
) -> BacktestResult:
    """Run the backtest: fit every window on the dask ``client``, then forecast and score it.

    Each window is fitted and forecast with ``lens`` as known at its cut-off
    (:func:`~hedgecast.priors.known_by.known_at`); the priors that fell back are listed in
    its ``fallbacks``. The realised classes come from the observed record
    (:func:`hedgecast.forecasting.observed.realised_class`), not from a fit.
    """
    t0 = time.perf_counter()
    windows = list(settings.windows)
    known = [known_at(lens, w.cutoff) for w in windows]
    args = [(spec, known[i][0], history, w.cutoff, settings.sampler_settings(i)) for i, w in enumerate(windows)]
    fits = map_tasks(client, backtest_fit, args, on_done=on_done, key_prefix="backtest")
    scored = [
        score_window(
            w,
            fits[i],
            spec,
            known[i][0],
            history,
            seed=task_seed(settings.seed, 1000 + i),
            oracle=settings.oracle,
            fallbacks=[f.to_dict() for f in known[i][1]],
        )
        for i, w in enumerate(windows)
    ]
    cells = pd.DataFrame([c for s in scored for c in s.pop("cells")])
    intervals = pd.DataFrame([r for s in scored for r in s.pop("intervals")], columns=INTERVAL_COLUMNS)
    return BacktestResult(
        settings,
        lens.name,
        cells,
        scored,
        seconds=time.perf_counter() - t0,
        workers=worker_count(client),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        fit_seconds={str(f["cutoff"]): f["seconds"] for f in fits},
        intervals=intervals,
    )


# ------------------------------------------------------------------------------------
# plot; the report section is hedgecast.report.sections.validation
# ------------------------------------------------------------------------------------
COLORS = {"model_conditional": "#4c72b0", "model_unconditional": "#55a868", "persistence": "#c44e52", "climatology": "#8172b2"}
LABELS = {
    "model_unconditional": "model",
    "persistence": "persistence",
    "climatology": "climatology",
    "model_conditional": "oracle (realised drivers)",
}
"""How each forecaster is named in tables, figures and the command line."""


def plot_indicator_crps(result: BacktestResult):
    """CRPS per indicator and window, one bar per forecaster."""
    from matplotlib.figure import Figure

    s = result.scores()
    s = s[s["metric"] == "crps"]
    wins = list(dict.fromkeys(s["window"]))
    shown = result.forecasters
    fig = Figure(figsize=(4.2 * len(wins), 3.4), layout="constrained")
    axes = fig.subplots(1, len(wins), squeeze=False)[0]
    for ax, w in zip(axes, wins):
        sw = s[s["window"] == w]
        targets = list(dict.fromkeys(sw["target"]))
        x = np.arange(len(targets))
        width = 0.8 / len(shown)
        for k, f in enumerate(shown):
            vals = [
                float(sw[(sw["target"] == t) & (sw["forecaster"] == f)]["value"].iloc[0])
                if ((sw["target"] == t) & (sw["forecaster"] == f)).any()
                else np.nan
                for t in targets
            ]
            ax.bar(x + (k - (len(shown) - 1) / 2) * width, vals, width, color=COLORS[f], label=LABELS[f])
        ax.set_xticks(x, [t.replace("_", " ") for t in targets], rotation=35, ha="right", fontsize=7)
        ax.set_title(w, fontsize=9)
        ax.set_ylabel("CRPS (training sd units)", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    axes[0].legend(fontsize=7, frameon=False)
    return fig


__all__ = [
    "LABELS",
    "SECTION_TITLE",
    "BacktestResult",
    "load_backtest",
    "plot_indicator_crps",
    "run_backtest",
    "save_backtest",
]
