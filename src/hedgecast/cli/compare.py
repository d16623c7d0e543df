"""``hedgecast compare RUN_A RUN_B``: what changed between two runs, and why each headline probability moved.

    hedgecast compare RUN_A RUN_B                     # priors, data, settings; the attribution of the status quo
    hedgecast compare RUN_A RUN_B -s new_low --chart why.png --json why.json
    hedgecast compare RUN_A RUN_B --no-explain        # the list of changes only (no forecasts)

The attribution is :func:`hedgecast.stress.attribution.explain_change`: exact Shapley values
over the prior edits, the data, the scenario definition and the code, with Monte Carlo errors,
a remainder row so the table sums to the change, and its cost.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from hedgecast.cli.app import STATE, app, console, out
from hedgecast.cli.options import check_scenarios, options
from hedgecast.errors import HedgecastError

__all__ = ["attribution_table", "compare"]


def _pts(x: float, se: float | None = None) -> str:
    return f"{100 * x:+.1f}" + ("" if se is None else f" ± {100 * se:.1f}")


def attribution_table(res, scenario: str) -> Table:
    """One row per headline quantity: run A, each cause (largest first on the first row) ± MC error, the remainder, run B."""
    s = res.scenarios.index(scenario)
    order = [res.players.index(next(p for p in res.players if p.label == label)) for label in res.ranked(scenario=scenario)]
    table = Table(title=f"Why the numbers moved: {scenario} (points of probability ± Monte Carlo s.e.; each row sums to B − A)")
    table.add_column("headline")
    table.add_column("run A", justify="right")
    for i in order:
        table.add_column(escape(res.players[i].label), justify="right")
    table.add_column("MC remainder", justify="right")
    table.add_column("run B", justify="right")
    table.add_column("B − A", justify="right")
    for q, name in enumerate(res.quantities):
        cells = [f"{100 * res.start[q, s]:.1f}%"]
        cells += [_pts(res.contributions[i, q, s], res.contribution_se[i, q, s]) for i in order]
        cells += [_pts(res.residual[q, s], res.residual_se[q, s]), f"{100 * res.end[q, s]:.1f}%", _pts(res.total[q, s], res.total_se[q, s])]
        table.add_row(escape(name), *cells)
    return table


def _run_fit(wb, run):
    """Load a saved run as a fit bound to its own copy of the spec (so a changed scenario definition shows), and its saved forecast."""
    from hedgecast.forecasting.forecast import Forecast
    from hedgecast.inputs.spec import load_spec

    fit = wb.load_fit(run.id)
    own = load_spec(run.spec_path)
    if own.sha256 != fit.spec.sha256:
        fit = dataclasses.replace(fit, lens=dataclasses.replace(fit.lens, spec=own), _forecasts={})
    saved = Forecast(fit.idata.predictions, fit.spec) if "predictions" in fit.idata.groups() else None
    return fit, saved


def _code_change(a, b) -> str:
    ma, mb = a.manifest, b.manifest
    parts = []
    if ma.get("hedgecast") != mb.get("hedgecast"):
        parts.append(f"hedgecast {ma.get('hedgecast')} → {mb.get('hedgecast')}")
    if ma.get("git_commit") != mb.get("git_commit"):
        parts.append(f"commit {str(ma.get('git_commit'))[:10]} → {str(mb.get('git_commit'))[:10]}")
    return ", ".join(parts)


def _stale_data(wb, runs) -> list[str]:
    from hedgecast.runs import data_hashes

    now = data_hashes(wb.paths)
    notes = []
    for run in runs:
        files = sorted(k for k, v in run.manifest.get("data", {}).items() if now.get(k) != v)
        if files:
            notes.append(
                f"run {run.id} was made from data files that differ from those on disk ({', '.join(files)}): its history is rebuilt "
                "from today's files, so what its own data did is not attributed (it stays in the remainder)"
            )
    return notes


def _print_changes(diff: dict) -> None:
    out.print(f"[bold]{diff['a']}[/] → [bold]{diff['b']}[/]")
    out.print(f"spec changed: {diff['spec_changed']}; data files changed: {', '.join(diff['data']) or 'none'}")
    if diff["settings"]:
        out.print(f"settings: {diff['settings']}")
    t = Table(title="Priors that differ")
    for col in ("prior", "a", "b", "why"):
        t.add_column(col)
    for row in diff["priors"]:
        vals = list(row.values())
        t.add_row(*[str(v) for v in [*vals, "", "", "", ""][:4]])
    out.print(t)
    t = Table(title="Headline probabilities")
    for col in ("scenario", "quantity", "a", "b", "change"):
        t.add_column(col)
    for row in diff["headline"]:
        if abs(row["change"]) > 0 or len(diff["headline"]) < 60:
            t.add_row(
                row["scenario"], row["quantity"], f"{100 * row['a']:.1f}%", f"{100 * row['b']:.1f}%", f"{100 * row['change']:+.1f} pts"
            )
    out.print(t)


@app.command()
def compare(
    run_a: str,
    run_b: str,
    scenario: Annotated[
        list[str] | None, typer.Option("--scenario", "-s", help="Scenario to explain (repeatable; default: the status quo).")
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain/--no-explain", help="Attribute each headline change to its causes (Shapley values).")
    ] = True,
    chart: Annotated[Path | None, typer.Option("--chart", help="Write the waterfall chart of the first headline (PNG) here.")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the attribution (table, causes, cost) as JSON here.")] = None,
) -> None:
    """Show what changed between two runs (priors, data, settings, headline probabilities) and why each headline probability moved."""
    from hedgecast.files import write_json
    from hedgecast.runs import compare_runs, load_run
    from hedgecast.workbench import Workbench

    wb = Workbench.load(STATE["root"])
    problems = options()
    check_scenarios(problems, wb.spec, scenario)
    if chart is not None and chart.suffix.lower() != ".png":
        problems.add("", f"--chart {chart} must end in .png")
    problems.raise_if_any(HedgecastError)
    a, b = load_run(run_a, wb.paths), load_run(run_b, wb.paths)
    _print_changes(compare_runs(a, b))
    if not explain:
        return
    from hedgecast.stress.attribution import explain_change

    progress = Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console, transient=True
    )
    with progress:
        task = progress.add_task("Loading the two runs", total=None)
        fit_a, saved_a = _run_fit(wb, a)
        fit_b, saved_b = _run_fit(wb, b)

        def report(description: str, done: float, total: float) -> None:
            progress.update(task, description=f"Attributing the change: {description}", completed=done, total=total)

        res = explain_change(
            fit_a,
            fit_b,
            scenarios=scenario,
            saved_a=_covering(saved_a, scenario),
            saved_b=_covering(saved_b, scenario),
            code=_code_change(a, b),
            labels=(a.id, b.id),
            progress=report,
        )
    res.notes.extend(_stale_data(wb, [a, b]))
    for s in res.scenarios:
        out.print(attribution_table(res, s))
    out.print(escape(res.summary()), highlight=False, soft_wrap=True)
    for p in res.players:
        if p.detail:
            out.print(f"  • {escape(p.label)}: {escape(p.detail)}", highlight=False, soft_wrap=True)
    for note in res.notes:
        out.print(f"  [dim]note: {escape(note)}[/]", highlight=False, soft_wrap=True)
    out.print(res.cost_line(), highlight=False)
    if chart is not None:
        res.waterfall().savefig(chart, dpi=120, bbox_inches="tight")
        out.print(f"chart: {chart}")
    if json_path is not None:
        write_json(json_path, res.to_dict())
        out.print(f"json: {json_path}")


def _covering(saved, scenarios):
    """Return ``saved`` if it has the scenarios asked for (None: the fit's forecast is made instead)."""
    from hedgecast.stress.attribution import REFERENCE_SCENARIO

    wanted = scenarios or [REFERENCE_SCENARIO]
    return saved if saved is not None and all(s in saved.scenarios for s in wanted) else None
