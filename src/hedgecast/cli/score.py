"""``hedgecast score``: resolve the ledgered questions and score every issued forecast.

    hedgecast report --issue          # records the report's question probabilities in ledger/
    hedgecast score                   # resolves questions closed by today, scores the ledger
    hedgecast score --as-of 2028-02-01 --plot calibration.png

Resolution and scoring rules: :mod:`hedgecast.forecasting.track_record`; the ledger and
``ledger/resolutions.toml``: :mod:`hedgecast.forecasting.ledger`. Needs no fit.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from hedgecast.cli.app import STATE, app, console, out
from hedgecast.errors import HedgecastError, Problem

__all__ = ["issue_report", "score"]


def _pct(p: float) -> str:
    return "–" if p != p else f"{100 * p:.1f}%"


def _num(x: float, digits: int = 3) -> str:
    return "–" if x != x else f"{x:.{digits}f}"


def _as_of(text: str | None) -> dt.date:
    from hedgecast.inputs.flags import today

    if text is None:
        return today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise HedgecastError(Problem("", "--as-of", f"must be a date such as 2028-02-01, got {text!r}")) from None


def issue_report(wb, fits, forecast, run_id: str) -> Path:
    """``hedgecast report --issue``: record the report's question probabilities (every lens, every scenario) in ``ledger/``."""
    from hedgecast.forecasting.ledger import issue

    forecasts = {fits[0].lens.name: (forecast, run_id)}
    for f in fits[1:]:
        forecasts.setdefault(f.lens.name, (f.forecast(), f.reused_from or run_id))
    return issue(wb, forecasts, run_id, lens_hashes={f.lens.name: f.lens.fingerprint() for f in fits})


@app.command()
def score(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Resolve the questions closed by this date (default: today).")] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the calibration plot here (PNG). Default: reports/calibration.png")
    ] = None,
) -> None:
    """Resolve the questions whose close date has passed and score every ledgered forecast (Brier, log score).

    Against the base rate issued with each forecast and the earliest ledgered forecast; per question, lens and
    scenario; with a calibration table and plot. Outcomes the data cannot give: ledger/resolutions.toml.
    """
    from hedgecast.files import records, write_atomic, write_json
    from hedgecast.forecasting.ledger import ledger_forecasts, load_ledger, load_resolutions
    from hedgecast.forecasting.question_sheet import project_questions
    from hedgecast.forecasting.track_record import calibration, resolve, score_forecasts, summarize
    from hedgecast.inputs import data
    from hedgecast.workbench import Workbench

    when = _as_of(as_of)
    wb = Workbench.load(STATE["root"])
    entries = load_ledger(wb.paths.ledger)
    if not entries:
        out.print(
            f"The ledger ({escape(str(wb.paths.ledger))}) has no issued forecasts yet: nothing to score. "
            "`hedgecast report --issue` records the report's question probabilities there.",
            highlight=False,
        )
        return
    resolutions = load_resolutions(wb.paths.ledger)
    forecasts = ledger_forecasts(entries)
    qset = project_questions(wb)
    resolved = resolve(qset, wb.history, data.load_incidents(wb.paths), resolutions, when, forecasts["id"].unique())
    scored = score_forecasts(forecasts, resolved, resolutions)
    n_res = int((resolved["status"] == "resolved").sum())
    out.print(
        f"Ledger: {len(entries)} issued forecasts ({entries[0]['issued_at'][:10]} to {entries[-1]['issued_at'][:10]}); "
        f"as of {when.isoformat()}: {n_res} of {len(resolved)} questions resolved, "
        f"{int((resolved['status'] == 'open').sum())} open, {int((resolved['status'] == 'unresolved').sum())} closed but unresolved; "
        f"data to {wb.history.years[-1]}.",
        highlight=False,
    )
    t = Table(title="Questions closed by " + when.isoformat())
    for col in ("question", "outcome", "how"):
        t.add_column(col)
    for r in resolved[resolved["status"] != "open"].itertuples():
        t.add_row(r.id, {1.0: "YES", 0.0: "NO"}.get(r.outcome, "unresolved"), escape(r.how))
    out.print(t)
    if not n_res or not scored["scored"].any():
        out.print("No forecast can be scored yet: no question has resolved (or no scored scenario's premise has held).")
        return
    for by, title in (("id", "per question"), ("lens", "per lens"), ("scenario", "per scenario")):
        summary = summarize(scored, by)
        t = Table(title=f"Scores {title} (lower is better)")
        for col in (by, "n", "Brier", "log", "Brier base rate", "Brier earliest", "skill vs base rate"):
            t.add_column(col)
        for key, r in summary.iterrows():
            t.add_row(
                str(key),
                str(int(r["n"])),
                _num(r["brier"]),
                _num(r["log"]),
                _num(r["base_brier"]),
                _num(r["earliest_brier"]),
                _num(r["skill_vs_base"], 2),
            )
        out.print(t)
    unscored = scored[~scored["scored"]]
    if len(unscored):
        reasons = unscored.groupby("why").size()
        out.print("Not scored: " + "; ".join(f"{n} forecasts — {escape(w)}" for w, n in reasons.items()), highlight=False)
    cal = calibration(scored)
    t = Table(title="Calibration of the forecasts of record (baseline lens, status quo)")
    for col in ("bin", "forecasts", "mean P", "came true"):
        t.add_column(col)
    for r in cal.itertuples():
        t.add_row(r.bin, str(r.n), _pct(r.mean_p), _pct(r.observed))
    out.print(t)
    target = plot or wb.paths.reports / "calibration.png"
    from hedgecast.plots.calibration import calibration_plot
    from hedgecast.report.render import figure_png

    write_atomic(target, figure_png(calibration_plot(cal), dpi=110))
    doc = {"as_of": when.isoformat(), "resolved": records(resolved.assign(close_date=resolved["close_date"].astype(str))),
           "scores": records(scored), "calibration": records(cal)}  # fmt: skip
    write_json(wb.paths.reports / "score.json", doc, allow_nan=False)
    console.print(f"calibration plot: {target}; scores: {wb.paths.reports / 'score.json'}", highlight=False)
