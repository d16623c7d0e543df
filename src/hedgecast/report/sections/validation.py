"""Validation sections: simulation-based calibration and leave-future-out backtests, from their results or saved JSON."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgecast.report.contracts import Bullets, Figure, Paragraph, Section, Table
from hedgecast.validate import backtest as bt
from hedgecast.validate import sbc
from hedgecast.validate.scoring import METRICS
from hedgecast.validate.window_scores import FORECASTERS


def _result(result: Any, load: Callable[[Path], Any], from_dict: Callable[[dict], Any]) -> Any:
    """A validation result given as itself, its ``to_dict()`` (``from_dict``), or the path of its saved JSON (``load``)."""
    if isinstance(result, (str, Path)):
        return load(result)
    if isinstance(result, dict):
        return from_dict(result)
    return result


def sbc_section(result: Any) -> Section:
    """Build the SBC section: what was run, the verdict, the worst parameters, and the rank figures.

    ``result``: an :class:`~hedgecast.validate.sbc.SBCResult`, its ``to_dict()``, or the path of ``reports/sbc.json``.
    """
    result = _result(result, sbc.load_sbc, sbc.SBCResult.from_dict)
    s = result.summary()
    st = result.settings
    n = s["n_parameters"]
    if s["calibrated"]:
        verdict = Paragraph(
            f"No evidence of miscalibration: the smallest ECDF-test p-value over all {n} parameters is {s['worst_ecdf_p']:.3g} "
            f"({s['worst_parameter']}), {s['worst_ecdf_p_bonferroni']:.3g} after Bonferroni adjustment for {n} tests."
        )
    else:
        verdict = Paragraph(
            f"Evidence of miscalibration: {s['worst_parameter']} has ECDF-test p = {s['worst_ecdf_p']:.3g} "
            f"({s['worst_ecdf_p_bonferroni']:.3g} after Bonferroni adjustment for {n} tests). Its posterior is systematically too narrow, "
            "too wide or shifted relative to the prior it was simulated from; see its rank histogram below (a U shape = too narrow, "
            "a hump = too wide, a slope = biased).",
            style="warn",
        )
    sampler = (
        "prior draws dressed as posterior draws (mock sampler; a check of the machinery only)"
        if st.sampler == "mock"
        else f"nutpie NUTS, {st.chains} chains × {st.draws} draws after {st.tune} tuning steps"
    )
    head = Paragraph(
        f"{s['n_sims']} histories were simulated from the {result.lens} lens's priors (parameters, then crisis years, then the latent path, "
        f"then the indicators on exactly the cells observed in 2000–2025) and refitted with {sampler}. For each of the {n} scalar parameters "
        f"the rank of the true value among {s['ranks_max']} thinned posterior draws should be uniform on 0–{s['ranks_max']} if inference is "
        f"calibrated. {s['fits_with_divergences']} of {s['n_sims']} refits had divergent transitions; the largest R-hat in any refit was "
        f"{s['max_rhat']:.3f}. Wall time {result.seconds / 60:.1f} min on {result.workers or '?'} dask workers."
    )
    worst = result.statistics.sort_values("ecdf_p").head(10)
    df = int(worst["bins"].iloc[0]) - 1 if len(worst) else 0
    frame = pd.DataFrame(
        {
            "ECDF γ": worst["ecdf_gamma"].map(lambda v: f"{v:.3g}"),
            "p": worst["ecdf_p"].map(lambda v: f"{v:.3g}"),
            "p (Bonferroni)": worst["ecdf_p"].map(lambda v: f"{min(1.0, v * n):.3g}"),
            f"χ² ({df} df)": worst["chi2"],
            "p (χ²)": worst["chi2_p"].map(lambda v: f"{v:.3g}"),
            "mean rank / L": worst["mean_rank"],
        }
    )
    frame.index = pd.Index([str(i) for i in worst.index], name="parameter")
    return Section(
        "sbc",
        sbc.SECTION_TITLE,
        (
            head,
            verdict,
            Paragraph(
                "The ten parameters with the smallest ECDF-test p-values (γ: smallest pointwise two-sided Binomial tail probability of the rank "
                "ECDF; its p-value is simulated under exact uniformity; χ²: rank histogram for reference; mean rank / L should be near 0.5):"
            ),
            Table(frame, formats={f"χ² ({df} df)": "num.1", "mean rank / L": "num.2"}, code=("index",), css="small"),
            Figure(sbc.plot_rank_histograms(result), "SBC rank histograms"),
            Figure(sbc.plot_ecdf_differences(result), "SBC ECDF differences"),
        ),
        status="ok" if s["calibrated"] else "fail",
    )


def backtest_section(result: Any) -> Section:
    """Build the backtest section: the score table against both baselines, where the model loses, a figure, the fits.

    ``result``: a :class:`~hedgecast.validate.backtest.BacktestResult`, its ``to_dict()``, or the path of ``reports/backtest.json``.
    """
    result = _result(result, bt.load_backtest, bt.BacktestResult.from_dict)
    st = result.settings
    table = result.table()
    rows, marks = [], []
    for (w, target, metric), r in table.iterrows():
        rows.append(
            {"window": w, "target": target.replace("_", " "), "score": METRICS[metric].label}
            | {f.replace("_", " "): r.get(f, np.nan) for f in FORECASTERS}
            | {"cells": r["n"]}
        )
        marks.append(["", "", ""] + ["best" if f == r["best"] else "" for f in FORECASTERS] + [""])
    scores = pd.DataFrame(rows)
    formats = {f.replace("_", " "): "num.3" for f in FORECASTERS} | {"cells": "int"}
    losses = result.losses()
    unc = losses[losses["model"] == "model_unconditional"] if not losses.empty else losses
    sampler = (
        "mock sampler (prior draws; a check of the machinery only)"
        if st.sampler == "mock"
        else f"nutpie NUTS, {st.chains} chains × {st.draws} draws after {st.tune} tuning steps"
    )
    blocks: list = [
        Paragraph(
            f"Leave-future-out backtests of the {result.lens} lens: each window is fitted on the record up to its cut-off ({sampler}) and forecast "
            "for the years after it. Model, unconditional is the forecast as the product makes it (drivers random-walk from the cut-off, the war "
            "follows the lens's Markov chain); model, conditional plugs in the realised driver codings and war states (an oracle for the exogenous "
            "inputs, and a flattering one: a crisis year's codings partly record the crisis itself). Persistence carries the last observation forward "
            "with the historical year-to-year spread; climatology is the distribution of observations up to the cut-off. All scores are "
            "lower-is-better; the best forecaster per row is in bold. CRPS is in training-window standard-deviation units of the transformed "
            "indicator. Crisis probabilities from the model are the mean over draws of P(a serious incident escalates that year), "
            "1 − exp(−incident rate × escalation probability); baselines use smoothed historical crisis rates."
        )
    ]
    if unc.empty:
        blocks.append(Paragraph("The unconditional model beats both baselines on every row."))
    else:
        fmt = lambda v: "–" if v is None or not np.isfinite(v) else f"{v:.3f}"  # noqa: E731
        blocks += [
            Paragraph(f"Where the unconditional model loses to a baseline ({len(unc)} of {2 * len(table)} comparisons):", style="strong"),
            Bullets(
                tuple(
                    f"{r.window}, {r.target.replace('_', ' ')} ({METRICS[r.metric].label}): model {fmt(r.model_score)} vs {r.baseline} {fmt(r.baseline_score)}"
                    for r in unc.itertuples()
                )
            ),
        ]
    blocks += [
        Table(scores, formats=formats, marks=pd.DataFrame(marks, columns=scores.columns), index=False, css="small"),
        Figure(bt.plot_indicator_crps(result), "Backtest CRPS per indicator"),
    ]
    classes = [
        f"{w['window']}: realised class {w['classes']['realised'].replace('_', ' ')}; "
        + ", ".join(
            f"{k.replace('_', ' ')} gave it {100 * v[w['classes']['realised']]:.0f}%" for k, v in w["classes"]["probabilities"].items()
        )
        for w in result.windows
        if w.get("classes")
    ]
    if classes:
        blocks += [Paragraph("Trajectory class at each window's last year:"), Bullets(tuple(classes))]
    excluded = [f"{x['window']}: {x['target']} — {x['reason']}" for w in result.windows for x in w["exclusions"]]
    if excluded:
        blocks += [Paragraph("Not scored:"), Bullets(tuple(excluded))]
    fits = [
        f"{w['window']}: R-hat {w['diagnostics']['max_rhat']:.3f}, bulk ESS {w['diagnostics']['min_ess_bulk']:.0f}, "
        f"{w['diagnostics']['divergences']} divergences" + ("" if w["diagnostics"]["passed"] else " (diagnostics failed)")
        for w in result.windows
    ]
    blocks += [
        Paragraph("Fits:"),
        Bullets(tuple(fits)),
        Paragraph(f"Wall time {result.seconds / 60:.1f} min on {result.workers or '?'} dask workers."),
    ]
    failed = any(not w["diagnostics"]["passed"] for w in result.windows)
    return Section("backtest", bt.SECTION_TITLE, tuple(blocks), status="warn" if (failed or not unc.empty) else "ok")


def unreadable_section(name: str, path: Path, err: Exception) -> Section:
    """Turn a saved result that cannot be read into a section saying so (the report is still written)."""
    return Section(
        f"unreadable-{Path(name).stem}",
        f"Validation result {name}",
        (Paragraph(f"{path} could not be read: {err}", style="warn"),),
        status="fail",
    )
