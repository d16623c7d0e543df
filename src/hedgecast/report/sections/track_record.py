"""Track record: how the issued forecasts did, first in the report once ledgered questions have resolved.

Reads ``ledger/`` (:mod:`hedgecast.forecasting.ledger`) and resolves and scores as ``hedgecast
score`` does (:mod:`hedgecast.forecasting.track_record`), as of today. No section while nothing
has resolved; a malformed ledger gives a warning section naming the file.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from hedgecast.errors import HedgecastError
from hedgecast.forecasting.ledger import ledger_forecasts, load_ledger, load_resolutions
from hedgecast.forecasting.question_sheet import project_questions
from hedgecast.forecasting.questions import RECORD_LENS, RECORD_SCENARIO
from hedgecast.forecasting.track_record import calibration, resolve, score_forecasts, summarize, surprises
from hedgecast.inputs import data, flags
from hedgecast.plots.calibration import calibration_plot
from hedgecast.report.contracts import Figure, FitLike, Paragraph, Section, Table
from hedgecast.report.sections.common import num, pct, problems_section

__all__ = ["track_record_sections"]


def track_record_sections(fit: FitLike, as_of: dt.date | None = None) -> list[Section]:
    """The Track record section (as a list: empty while no ledgered question has resolved)."""
    wb = getattr(fit, "workbench", None)
    if wb is None or not wb.paths.ledger.is_dir():
        return []
    try:
        entries = load_ledger(wb.paths.ledger)
        if not entries:
            return []
        resolutions = load_resolutions(wb.paths.ledger)
        qset = project_questions(wb)
    except HedgecastError as err:
        return [problems_section("track-record", "Track record", "The ledger could not be read:", err, status="warn")]
    when = as_of or flags.today()
    forecasts = ledger_forecasts(entries)
    resolved = resolve(qset, wb.history, data.load_incidents(wb.paths), resolutions, when, forecasts["id"].unique())
    scored = score_forecasts(forecasts, resolved, resolutions)
    if not len(scored) or not scored["scored"].any():
        return []
    return [_section(entries, resolved, scored, when)]


def _section(entries: list[dict], resolved: pd.DataFrame, scored: pd.DataFrame, when: dt.date) -> Section:
    latest = surprises(scored)
    issued = latest["issued_at"].iloc[0][:10] if len(latest) else "–"
    hits, misses = int(latest["hit"].sum()) if len(latest) else 0, int((~latest["hit"]).sum()) if len(latest) else 0
    record = scored[scored["scored"] & (scored["lens"] == RECORD_LENS) & (scored["scenario"] == RECORD_SCENARIO)]
    b, bb = float(record["brier"].mean()), float(record["base_brier"].mean())
    n_res = int((resolved["status"] == "resolved").sum())
    blocks: list = [
        Paragraph(
            f"As of {when.isoformat()}, {n_res} of the questions in the forecast ledger ({len(entries)} issued forecasts) have resolved. "
            f"The latest forecast of record that covered them (lens {RECORD_LENS}, {RECORD_SCENARIO}, issued {issued}) got {hits} "
            f"right and {misses} wrong (right = P ≥ 50% and YES, or P < 50% and NO). Over every issued forecast of record, the mean "
            f"Brier score is {num(b, 3)} against {num(bb, 3)} for the base rates issued with them (lower is better)."
        )
    ]
    if len(latest):
        frame = pd.DataFrame({
            "Question": latest["id"], "P issued": latest["probability"], "Outcome": np.where(latest["outcome"] == 1.0, "YES", "NO"),
            "Hit": np.where(latest["hit"], "hit", "miss"), "Log score": latest["log"], "Brier": latest["brier"],
        })  # fmt: skip
        blocks.append(
            Table(
                frame,
                caption="The latest forecast of record on each resolved question, the largest surprises (log score) first",
                formats={"P issued": "pct.0%", "Log score": "num.2", "Brier": "num.3"},
                index=False,
                code=("Question",),
                css="small",
            )
        )
    by_scenario = summarize(scored, "scenario")
    if len(by_scenario) > 1:
        blocks.append(
            Table(
                by_scenario[["n", "brier", "log", "base_brier"]],
                caption="Mean scores per scenario (premises that held only)",
                formats={"brier": "num.3", "log": "num.2", "base_brier": "num.3"},
                css="small",
            )
        )
    cal = calibration(scored)
    blocks.append(
        Figure(
            calibration_plot(cal),
            alt="Calibration of the forecasts of record",
            caption="Forecast probability against the share that came true, with the number of forecasts in each bin",
        )
    )
    blocks.append(
        Paragraph(
            "Resolved against the data (or the analyst's recorded resolutions, ledger/resolutions.toml); scenario forecasts are scored only "
            "where the analyst recorded that their premise held. `hedgecast score` gives every score per question, lens and scenario. "
            f"Bins with forecasts: {', '.join(f'{r.bin} ({r.n})' for r in cal.itertuples() if r.n) or 'none'}; "
            f"largest surprise: {latest['id'].iloc[0] if len(latest) else '–'} (P = {pct(latest['probability'].iloc[0]) if len(latest) else '–'}%).",
            style="note",
        )
    )
    return Section("track-record", "Track record", tuple(blocks), status="info")
