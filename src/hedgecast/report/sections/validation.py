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
from hedgecast.validate.baselines import BASELINES
from hedgecast.validate.comparisons import ALL_WINDOWS, POOLED
from hedgecast.validate.scoring import METRICS
from hedgecast.validate.window_scores import MODEL, ORACLE


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
    """Build the backtest section: what each window could not know, every comparison with both baselines, interval coverage, the fits.

    ``result``: a :class:`~hedgecast.validate.backtest.BacktestResult`, its ``to_dict()``, or the path of ``reports/backtest.json``.
    """
    result = _result(result, bt.load_backtest, bt.BacktestResult.from_dict)
    st = result.settings
    shown = result.forecasters
    comparisons = result.comparisons()
    counts = result.tally()
    sampler = (
        "mock sampler (prior draws; a check of the machinery only)"
        if st.sampler == "mock"
        else f"nutpie NUTS, {st.chains} chains × {st.draws} draws after {st.tune} tuning steps"
    )
    oracle = (
        " The oracle plugs the realised driver codings and war states of the test years into the same posterior: a diagnostic of the "
        "dynamics given the drivers, not a forecast (those codings were made after the fact), and never counted below."
        if ORACLE in shown
        else ""
    )
    blocks: list = [
        Paragraph(
            f"Leave-future-out backtests of the {result.lens} lens: each window is fitted on the record up to its cut-off "
            f"({sampler}) and forecast for the years after it, using only what was known at the cut-off. Priors whose content "
            "could only be known later (their known_by year lies after the cut-off) are replaced by vague fallbacks, listed below; "
            "the driver codings and war states after the cut-off are not read: the model forecasts them as the product does "
            "(drivers random-walk from the cut-off, the war follows the lens's Markov chain). Persistence carries the last "
            "observation forward with the historical year-to-year spread; climatology is the distribution of observations up to "
            "the cut-off. All scores are lower-is-better. CRPS is in training-window standard-deviation units of the transformed "
            "indicator. Crisis probabilities from the model are the mean crisis hazard over draws; baselines use smoothed "
            "historical crisis rates." + oracle
        )
    ]
    blocks += _fallback_blocks(result.windows)
    blocks += _tally_blocks(comparisons, counts)
    blocks += [
        Table(*_comparison_frame(comparisons, shown), index=False, css="small"),
        Figure(bt.plot_indicator_crps(result), "Backtest CRPS per indicator"),
    ]
    blocks += _coverage_blocks(result.coverage())
    classes = [
        f"{w['window']}: realised class {w['classes']['realised'].replace('_', ' ')}; "
        + ", ".join(
            f"{bt.LABELS.get(k, k)} gave it {100 * v[w['classes']['realised']]:.0f}%" for k, v in w["classes"]["probabilities"].items()
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
    lost = counts["all_rows"]["losses"] > 0
    return Section("backtest", bt.SECTION_TITLE, tuple(blocks), status="warn" if (failed or lost) else "ok")


def _fallback_blocks(windows: list[dict]) -> list:
    """Which priors each window could not know and what it used instead (results saved before version 2 have no list)."""
    if not any("fallbacks" in w for w in windows):
        text = "This result was saved before priors stated when they could be known: its windows used every prior as written."
        return [Paragraph(text, "warn")]
    items = []
    rules: dict[str, str] = {}
    for w in windows:
        fb = w.get("fallbacks", [])
        if not fb:
            items.append(f"{w['window']}: none; every prior was known by {w['cutoff']}.")
            continue
        names = ", ".join(f"{f['prior']} ({f['known_by']}{'' if f['stated'] else ', its lens year'})" for f in fb)
        items.append(f"{w['window']}: {len(fb)} priors fell back — {names}.")
        for f in fb:
            rules.setdefault(f["prior"].split(".")[0], f"{f['fallback']}: {f['why']}")
    blocks: list = [
        Paragraph(
            "Priors each window could not know (in brackets: the year they could first be known), replaced by their group's vague fallback:"
        ),
        Bullets(tuple(items)),
    ]
    if rules:
        frame = pd.DataFrame({"fallback": list(rules.values())}, index=pd.Index(list(rules), name="group"))
        blocks.append(Table(frame, caption="The fallback of each group that fell back", code=("index",), css="small", collapsed=True))
    return blocks


def _tally_blocks(comparisons: pd.DataFrame, counts: dict) -> list:
    """Wins and losses against both baselines, stated in the text, and every loss listed."""
    ind, every = counts["indicator_crps"], counts["all_rows"]

    def against(c: dict) -> str:
        def n(k: int, word: str) -> str:
            return f"{k} {word}" + ("" if k == 1 else "es" if word.endswith("s") else "s")

        return "; ".join(f"{n(c[b]['wins'], 'win')} and {n(c[b]['losses'], 'loss')} against {b}" for b in BASELINES)

    text = (
        f"Every comparison of the model with persistence and with climatology, losses included. On the CRPS of single indicators "
        f"(per window and indicator, {ind['rows']} rows) the model wins {ind['wins']} and loses {ind['losses']} of {ind['comparisons']} "
        f"comparisons ({against(ind)}). Over every scored row ({every['rows']} rows: indicators, pooled indicators, crisis years, "
        f"any crisis, trajectory classes) it wins {every['wins']} and loses {every['losses']} of {every['comparisons']} ({against(every)})."
    )
    blocks: list = [Paragraph(text, style="warn" if every["losses"] else "p")]
    lost = np.zeros(len(comparisons), dtype=bool)
    for b in BASELINES:
        lost |= (comparisons[f"vs_{b}"] == "loss").to_numpy() if len(comparisons) else lost
    losses = comparisons[lost]
    if len(losses):
        fmt = lambda v: "–" if v is None or not np.isfinite(v) else f"{v:.3f}"  # noqa: E731
        lines = []
        for r in losses.itertuples():
            beaten = [b for b in BASELINES if getattr(r, f"vs_{b}") == "loss"]
            lines.append(
                f"{r.window}, {r.target.replace('_', ' ')} ({METRICS[r.metric].label}): model {fmt(getattr(r, MODEL))} vs "
                + ", ".join(f"{b} {fmt(getattr(r, b))}" for b in beaten)
            )
        blocks += [Paragraph("Where the model loses to a baseline:", style="strong"), Bullets(tuple(lines))]
    return blocks


def _comparison_frame(comparisons: pd.DataFrame, shown: list[str]) -> tuple[pd.DataFrame, str, dict, pd.DataFrame]:
    """Lay the comparison table out as shown: one row per window × target × score, the winner marked."""
    rows, marks = [], []
    for r in comparisons.itertuples():
        rows.append(
            {"window": r.window, "target": r.target.replace("_", " "), "score": METRICS[r.metric].label}
            | {bt.LABELS[f]: getattr(r, f, np.nan) for f in shown}
            | {"cells": r.n, "winner": bt.LABELS.get(r.winner, r.winner)}
            | {f"vs {b}": getattr(r, f"vs_{b}") for b in BASELINES}
        )
        marks.append(
            ["", "", ""]
            + ["best" if f == r.winner else "" for f in shown]
            + ["", ""]
            + ["good" if getattr(r, f"vs_{b}") == "win" else "bad" if getattr(r, f"vs_{b}") == "loss" else "" for b in BASELINES]
        )
    frame = pd.DataFrame(rows)
    formats = {bt.LABELS[f]: "num.3" for f in shown} | {"cells": "int"}
    caption = "Model against persistence and climatology: every window, indicator and score (lower is better; winner of the three in bold)"
    return frame, caption, formats, pd.DataFrame(marks, columns=frame.columns)


def _coverage_blocks(coverage: pd.DataFrame) -> list:
    """Coverage of the model's central 50% and 90% intervals, with 95% Wilson intervals of the share."""
    if coverage.empty:
        return []

    def share(r, pct: int) -> str:
        if not r["n"]:
            return "–"
        return f"{r[f'covered_{pct}']}/{r['n']} = {r[f'coverage_{pct}']:.0%} [{r[f'low_{pct}']:.0%}–{r[f'high_{pct}']:.0%}]"

    frame = pd.DataFrame(
        {
            "window": coverage["window"],
            "indicator": coverage["target"].str.replace("_", " "),
            "held-out values": coverage["n"],
            "inside 50% interval": [share(r, 50) for _, r in coverage.iterrows()],
            "inside 90% interval": [share(r, 90) for _, r in coverage.iterrows()],
        }
    )
    overall = coverage[(coverage["window"] == ALL_WINDOWS) & (coverage["target"] == POOLED)]
    text = (
        "Are the model's intervals honest? Share of held-out values inside its central 50% and 90% predictive intervals "
        "(a calibrated forecast covers about 50% and 90%), with a 95% Wilson interval for the share. The held-out years of one "
        "window are not independent (forecast errors persist from year to year), so these intervals are, if anything, too narrow."
    )
    if len(overall):
        o = overall.iloc[0]
        text += f" Over all windows and indicators: {share(o, 50)} inside the 50% intervals, {share(o, 90)} inside the 90% intervals."
    caption = "Coverage of the model's predictive intervals"
    return [Paragraph(text), Table(frame, caption=caption, formats={"held-out values": "int"}, index=False, css="small")]


def unreadable_section(name: str, path: Path, err: Exception) -> Section:
    """Turn a saved result that cannot be read into a section saying so (the report is still written)."""
    return Section(
        f"unreadable-{Path(name).stem}",
        f"Validation result {name}",
        (Paragraph(f"{path} could not be read: {err}", style="warn"),),
        status="fail",
    )
