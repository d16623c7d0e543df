"""``hedgecast questions`` and ``hedgecast signposts``: resolvable questions and what to watch.

    hedgecast questions                                  # the forecast of record (baseline lens, status quo)
    hedgecast questions -s protracted_war -s post_erdogan_2028 --csv q.csv --json q.json
    hedgecast questions --lens kusa_2022                 # another lens beside the forecast of record
    hedgecast signposts                                  # what to watch, for the headline questions
    hedgecast signposts -q rupture_2027_2030 -s new_low

Every option, and ``models/questions.toml``, is checked before any fitting (exit 2 naming the
file and field). Lenses are fitted or reused from saved passing runs (as ``hedgecast report``
does); a new fit is saved as a run, whose id the export carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hedgecast.cli.app import STATE, app, console, out
from hedgecast.cli.options import check_scenarios, load_lenses, options, sampler_options, sampler_settings, shared_options
from hedgecast.errors import DiagnosticsFailed, ProblemCollector

LensesOpt = Annotated[
    list[str] | None, typer.Option("--lens", "-l", help="Lens (repeatable), shown beside the forecast of record (baseline).")
]
ScenariosOpt = Annotated[list[str] | None, typer.Option("--scenario", "-s", help="Scenario (repeatable), shown beside status_quo.")]
FileOpt = Annotated[Path | None, typer.Option("--questions", help="Questions file (default: models/questions.toml).")]
AllowOpt = Annotated[bool, typer.Option("--allow-warnings", help="Exit 0 even if sampler diagnostics fail.")]


@dataclass(frozen=True)
class QuestionSampling(sampler_options()):
    """The sampler options, used only when a lens has no saved passing run to reuse."""


def _pct(p: float, digits: int = 1) -> str:
    return "–" if p != p else f"{100 * p:.{digits}f}%"


def _relative(path: str, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _check_out(problems: ProblemCollector, option: str, path: Path | None, suffix: str) -> None:
    if path is None:
        return
    if path.is_dir():
        problems.add("", f"{option} {path} is a folder: give a file name ending in {suffix}")
    elif path.suffix.lower() != suffix:
        problems.add("", f"{option} {path} must end in {suffix}")


def _prepare(
    lens: list[str] | None, scenario: list[str] | None, questions_file: Path | None, problems: ProblemCollector, question_ids=None
):
    """Load the workbench, questions and lenses, and check every option; raise all problems at once (exit 2)."""
    from hedgecast.errors import HedgecastError, suggest
    from hedgecast.forecasting.questions import RECORD_LENS, RECORD_SCENARIO
    from hedgecast.inputs.questions_file import load_questions
    from hedgecast.workbench import Workbench

    wb = Workbench.load(STATE["root"])
    check_scenarios(problems, wb.spec, scenario)
    qset = None
    try:
        qset = load_questions(questions_file or wb.paths.questions, wb.spec, wb.history)
    except HedgecastError as err:
        problems.extend(err.problems)
    for q in question_ids or []:
        if qset is not None and q not in qset.ids:
            problems.add("", f"unknown question '{q}': {suggest(q, qset.ids)}")
    names = [RECORD_LENS, *[n for n in (lens or []) if n != RECORD_LENS]]
    lenses = load_lenses(wb, names, problems)  # raises every problem collected so far
    scenarios = [RECORD_SCENARIO, *[s for s in (scenario or []) if s != RECORD_SCENARIO]]
    return wb, qset, lenses, scenarios


def _forecasts(wb, lenses, settings) -> tuple[dict, list]:
    """Fit or reuse each lens; save new fits as runs. Returns ``({lens: (forecast, run id)}, fits)``."""
    from hedgecast.runs import save_run

    found, fits = {}, []
    for lens in lenses:
        with console.status(f"Fitting or reusing lens [bold]{lens.name}[/]"):
            fit = wb.fit_or_reuse(lens, settings)
            fc = fit.forecast()
            run_id = fit.reused_from or save_run(fit, fc, wb.paths, headline=fc.headline()).id
        how = "reused" if fit.reused_from else "fitted and saved"
        console.print(f"lens [bold]{lens.name}[/]: {how} run {run_id}", highlight=False)
        found[lens.name] = (fc, run_id)
        fits.append(fit)
    return found, fits


def _raise_if_failed(fits, allow_warnings: bool) -> None:
    failed = [f"{f.lens.name}: " + "; ".join(f.diagnostics.problems) for f in fits if not f.diagnostics.passed]
    if failed and not allow_warnings:
        raise DiagnosticsFailed(" | ".join(failed))


@app.command()
@shared_options(QuestionSampling)
def questions(
    sampling: QuestionSampling,
    lens: LensesOpt = None,
    scenario: ScenariosOpt = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write every question × lens × scenario as CSV.")] = None,
    json: Annotated[Path | None, typer.Option("--json", help="Write the same as JSON (forecasting-platform fields).")] = None,
    questions_file: FileOpt = None,
    allow_warnings: AllowOpt = False,
) -> None:
    """Resolvable questions: the forecast of record (baseline lens, status quo), its Monte Carlo error and base rate.

    Questions live in models/questions.toml. --scenario and --lens add columns beside the forecast
    of record; --csv and --json export every row with the fields a forecasting platform needs.
    """
    from rich.markup import escape

    from hedgecast.forecasting.question_sheet import question_sheet
    from hedgecast.forecasting.questions import RECORD_LENS, RECORD_SCENARIO, export_csv, export_json

    problems = options()
    settings = sampler_settings(sampling.draws, sampling.tune, sampling.chains, sampling.seed)
    _check_out(problems, "--csv", csv, ".csv")
    _check_out(problems, "--json", json, ".json")
    wb, qset, lenses, scenarios = _prepare(lens, scenario, questions_file, problems)
    found, fits = _forecasts(wb, lenses, settings)
    sheet = question_sheet(wb, found, qset, scenarios=scenarios)
    table = Table(
        title=f"Questions ({len(qset.questions)}): forecast of record = lens {RECORD_LENS}, scenario {RECORD_SCENARIO}", show_lines=True
    )
    table.add_column("question", ratio=1, min_width=24)
    table.add_column("P", justify="right", no_wrap=True)
    table.add_column("MC s.e.", justify="right", no_wrap=True)
    others = [(ln, s) for ln in found for s in scenarios if (ln, s) != (RECORD_LENS, RECORD_SCENARIO)]
    for ln, s in others:
        table.add_column(s if ln == RECORD_LENS else f"{ln} / {s}", justify="right", no_wrap=True)
    table.add_column("base rate [90%]", justify="right", no_wrap=True)
    for q in qset.questions:
        rows = sheet[sheet["id"] == q.id].set_index(["lens", "scenario"])
        rec = rows.loc[(RECORD_LENS, RECORD_SCENARIO)]
        se = "–" if rec["mc_se"] != rec["mc_se"] else f"{100 * rec['mc_se']:.1f} {rec['se_basis']}"
        base = f"{_pct(rec['base_rate'], 0)} [{100 * rec['base_rate_low']:.0f}–{100 * rec['base_rate_high']:.0f}]"
        title = f"{escape(q.title)}\n[dim]{q.id}[/]" + (f"\n[yellow]{escape(rec['note'])}[/]" if rec["note"] else "")
        table.add_row(title, _pct(rec["probability"]), se, *[_pct(rows.loc[k, "probability"]) for k in others], base)
    out.print(table)
    out.print(
        "MC s.e. in points: sqrt(p(1−p)/ESS), ESS of the YES indicator over the posterior's chains and draws ('ess') or the number "
        "of paths ('n'). Base rate: the same rule on the record, 90% Jeffreys interval; each question's mapping and base-rate method "
        "are in the --csv / --json export.",
        style="dim",
    )
    meta = {
        "issued_at": str(sheet["issued_at"].iloc[0]) if len(sheet) else "",
        "questions_file": _relative(qset.path, wb.paths.root),
        "scenarios": scenarios,
        "lenses": list(found),
    }
    if csv:
        export_csv(sheet, csv)
        out.print(f"wrote {csv}")
    if json:
        export_json(sheet, json, meta=meta)
        out.print(f"wrote {json}")
    _raise_if_failed(fits, allow_warnings)


@app.command()
@shared_options(QuestionSampling)
def signposts(
    sampling: QuestionSampling,
    question: Annotated[
        list[str] | None, typer.Option("--question", "-q", help="Question id (repeatable). Default: the headline questions.")
    ] = None,
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="Scenario whose paths are conditioned.")] = "status_quo",
    lens: Annotated[str, typer.Option("--lens", "-l", help="Lens.")] = "baseline",
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the what-to-watch table as CSV.")] = None,
    questions_file: FileOpt = None,
    allow_warnings: AllowOpt = False,
) -> None:
    """What to watch: the 2026–2027 news that would move each headline question's probability most.

    Conditions the joint forecast draws (no refit): "if 2026 trade < X, P goes from a to b". Ranked by
    the expected absolute change in probability; splits with too few paths are not shown.
    """
    import io

    from hedgecast.files import write_atomic
    from hedgecast.forecasting.signposts import watch_notes, watch_table
    from hedgecast.inputs import data

    problems = options()
    settings = sampler_settings(sampling.draws, sampling.tune, sampling.chains, sampling.seed)
    _check_out(problems, "--csv", csv, ".csv")
    wb, qset, lenses, _ = _prepare([lens], [scenario], questions_file, problems, question)
    chosen = [ln for ln in lenses if ln.name == lens] or lenses[:1]
    found, fits = _forecasts(wb, chosen, settings)
    fc, run_id = next(iter(found.values()))
    watch = watch_table(qset, fc, scenario, question)
    for qid, part in watch.groupby("question", sort=False):
        q = qset[qid]
        table = Table(
            title=f"{q.title}\n{qid}: P = {_pct(part['p'].iloc[0])} (lens {chosen[0].name}, {scenario}, run {run_id})", show_lines=False
        )
        for col, just in (
            ("#", "right"),
            ("if …", "left"),
            ("share of paths", "right"),
            ("P if", "right"),
            ("± MC", "right"),
            ("P otherwise", "right"),
            ("E|ΔP|", "right"),
            ("when", "left"),
        ):
            table.add_column(col, justify=just)
        for r in part.itertuples(index=False):
            table.add_row(
                str(r.rank),
                r.condition,
                _pct(r.share, 0),
                _pct(r.p_if),
                f"{100 * r.se_if:.1f}",
                _pct(r.p_else),
                f"{100 * r.expected_change:.1f} pts",
                r.timing,
            )
        out.print(table)
    missing = [q.id for q in ([qset[q] for q in question] if question else qset.headline) if q.id not in set(watch["question"])]
    for qid in missing:
        out.print(f"[yellow]{qid}[/]: no signpost (not forecast, or no split with enough paths)")
    for note in watch_notes(qset, fc, data.load_incidents(wb.paths)):
        out.print(note, style="dim", highlight=False)
    if csv:
        buf = io.StringIO()
        watch.to_csv(buf, index=False, lineterminator="\n")
        write_atomic(csv, buf.getvalue())
        out.print(f"wrote {csv}")
    _raise_if_failed(fits, allow_warnings)
