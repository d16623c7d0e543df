"""Questions and what to watch: the forecast as resolvable questions, and the near-term news that would move it.

Both sections read ``models/questions.toml`` (:mod:`hedgecast.inputs.questions_file`). A
questions file with mistakes does not stop the report: the Questions section lists them
(``hedgecast check`` names the same problems) and the What to watch section is left out.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from hedgecast.errors import HedgecastError
from hedgecast.forecasting.question_sheet import project_questions, question_sheet
from hedgecast.forecasting.questions import RECORD_LENS, RECORD_SCENARIO
from hedgecast.forecasting.signposts import watch_notes, watch_table
from hedgecast.inputs import data
from hedgecast.report.contracts import Bullets, FitLike, Heading, Paragraph, ReportConfig, Section, Table
from hedgecast.report.sections.common import DEFAULT, n_paths, pct, problems_section, reference, scenario_labels

__all__ = ["question_sections", "questions_section", "watch_section"]


def _run_id(fit: FitLike) -> str:
    return getattr(fit, "reused_from", None) or "this report's fit"


def questions_section(fit: FitLike, forecast: Any, qset: Any, config: ReportConfig = DEFAULT) -> Section:
    """Each question: P under the reference scenario with its MC s.e., the range over scenarios, the base rate."""
    ref = reference(forecast, config)
    slabels = scenario_labels(forecast.spec)
    lens = fit.lens.name
    sheet = question_sheet(fit.workbench, {lens: (forecast, _run_id(fit))}, qset)
    rows, wide = [], {}
    for q in qset.questions:
        part = sheet[sheet["id"] == q.id].set_index("scenario")
        r = part.loc[ref]
        probs = part["probability"]
        known = probs.dropna()
        lo_s, hi_s = (known.idxmin(), known.idxmax()) if len(known) else ("", "")
        rows.append({
            "Question": q.title, "id": q.id, "Closes": q.close_date.isoformat(), "P": r["probability"], "MC s.e.": r["mc_se"],
            "Lowest scenario": f"{pct(probs.get(lo_s))}% ({slabels.get(lo_s, lo_s)})" if lo_s else "–",
            "Highest scenario": f"{pct(probs.get(hi_s))}% ({slabels.get(hi_s, hi_s)})" if hi_s else "–",
            "Base rate": r["base_rate"], "Base rate 90%": f"{pct(r['base_rate_low'], 0)}–{pct(r['base_rate_high'], 0)}%",
        })  # fmt: skip
        wide[q.id] = probs
    frame = pd.DataFrame(rows).set_index("Question")
    of_record = lens == RECORD_LENS and ref == RECORD_SCENARIO
    who = (
        f"These are the forecasts of record (lens {RECORD_LENS}, scenario {RECORD_SCENARIO})."
        if of_record
        else f"This report's lens is {lens} and its reference scenario {ref}; the forecast of record is lens {RECORD_LENS} "
        f"under {RECORD_SCENARIO} (hedgecast questions)."
    )
    bases = sorted({r["se_basis"] for _, r in sheet.iterrows() if r["n_paths"]})
    missing = [q.id for q in qset.questions if sheet[sheet["id"] == q.id]["note"].astype(bool).any()]
    blocks: list = [
        Paragraph(
            f"Each question below resolves YES or NO on a stated date from a named public source, so the forecast can be scored. "
            f"{who} P is the share of the {n_paths(forecast):,} simulated paths on which the question resolves YES; its Monte Carlo "
            "standard error is sqrt(P(1 − P)/ESS), with the effective sample size of the YES indicator over the posterior's "
            "chains and draws"
            + (" (or the number of paths where that is not available)" if "n" in bases else "")
            + ". The base rate applies the same rule to the record (90% Jeffreys interval); its method per question is in the export."
        ),
        Table(
            frame,
            caption=f"P(YES) under {slabels.get(ref, ref)} (%), its Monte Carlo standard error (points), the range over the "
            f"{len(forecast.scenarios)} scenarios, and the base rate (%)",
            formats={"P": "pct.1", "MC s.e.": "pct.1", "Base rate": "pct.0%"},
            code=("id",),
            css="small",
        ),
    ]
    if missing:
        blocks.append(Paragraph(f"Not forecast: {', '.join(missing)} — {sheet[sheet['id'] == missing[0]]['note'].iloc[0]}.", style="warn"))
    per = pd.DataFrame({qid: p for qid, p in wide.items()}).T
    per.columns = [slabels.get(s, s) for s in per.columns]
    per.index.name = "Question"
    blocks += [
        Table(per, caption="P(YES) per question and scenario (%)", formats={c: "pct.1" for c in per.columns}, collapsed=True, css="small"),
        Table(
            pd.DataFrame(
                [
                    (q.id, q.resolution, q.fine_print, q.resolution_source, q.open_date.isoformat(), q.close_date.isoformat())
                    for q in qset.questions
                ],
                columns=["id", "Resolution", "Fine print", "Resolution source", "Opens", "Closes"],
            ),
            caption="How each question resolves: criteria, fine print, source and dates",
            code=("id",),
            index=False,
            collapsed=True,
            css="small",
        ),
        Paragraph(
            "hedgecast questions --csv FILE --json FILE exports every question with the fields a forecasting platform needs.", style="note"
        ),
    ]
    return Section("questions", "Questions", tuple(blocks), status="warn" if missing else "info")


def watch_section(fit: FitLike, forecast: Any, qset: Any, config: ReportConfig = DEFAULT) -> Section:
    """What to watch: for each headline question, the near-term observables that move its probability most."""
    ref = reference(forecast, config)
    slabels = scenario_labels(forecast.spec)
    table = watch_table(qset, forecast, ref)
    blocks: list = [
        Paragraph(
            f"Which news from {', '.join(str(y) for y in qset.signposts.years)} should change the forecast, and by how much, under "
            f"{slabels.get(ref, ref)}: each row splits the simulated paths on one near-term observable and gives the probability on each "
            "side, so no refit is needed. Rows are ranked by the expected absolute change in probability, E|ΔP|: leading "
            "signposts (years before the question's window) first, then concurrent ones (years inside it), which can echo the "
            "outcome itself."
        )
    ]
    for q in qset.headline:
        part = table[table["question"] == q.id]
        if part.empty:
            blocks.append(Paragraph(f"{q.title} ({q.id}): no signpost — not forecast, or no split with enough paths.", style="note"))
            continue
        blocks.append(Heading(q.title, level=3, code=q.id, note=f"P = {pct(part['p'].iloc[0])}%"))
        frame = pd.DataFrame({
            "If …": part["condition"].to_numpy(), "Share of paths": part["share"].to_numpy(), "P if": part["p_if"].to_numpy(),
            "± MC": part["se_if"].to_numpy(), "Otherwise": part["otherwise"].to_numpy(), "P otherwise": part["p_else"].to_numpy(),
            "E|ΔP|": part["expected_change"].to_numpy(), "When": part["timing"].to_numpy(),
        })  # fmt: skip
        formats = {"Share of paths": "pct.0%", "P if": "pct.1", "± MC": "pct.1", "P otherwise": "pct.1", "E|ΔP|": "pct.1"}
        blocks.append(Table(frame, caption="", formats=formats, index=False, css="small"))
        blocks.append(Paragraph("In words: " + part["sentence"].iloc[0] + ".", style="note"))
    blocks.append(Bullets(tuple(watch_notes(qset, forecast, data.load_incidents(fit.workbench.paths)))))
    return Section("watch", "What to watch", tuple(blocks))


def question_sections(fit: FitLike, forecast: Any, config: ReportConfig = DEFAULT) -> list[Section]:
    """The Questions and What to watch sections (none when the project has no questions file)."""
    paths = fit.workbench.paths
    if not paths.questions.is_file():
        return []
    try:
        qset = project_questions(fit.workbench)
    except HedgecastError as err:
        return [problems_section("questions", "Questions", "models/questions.toml has mistakes (hedgecast check lists them):", err)]
    return [questions_section(fit, forecast, qset, config), watch_section(fit, forecast, qset, config)]
