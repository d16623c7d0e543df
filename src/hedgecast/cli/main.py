"""The ``hedgecast`` command line: fit, forecast, report, check, lenses, scenarios, runs, compare.

User mistakes print one clear message and exit with code 2 (``--debug`` shows the
traceback); a fit that fails its diagnostics still writes its report, flagged on top,
and exits with code 3 unless ``--allow-warnings``.
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from hedgecast.cli.app import STATE, app, console, out, runs_app
from hedgecast.cli.tables import base_rate_table, probability_table
from hedgecast.cli.options import check_scenarios, check_year, load_lenses, options, sampler_options, sampler_settings, shared_options
import hedgecast.cli.scenarios  # noqa: F401 (importing it registers `hedgecast scenarios` on the app)
import hedgecast.cli.questions  # noqa: F401 (importing it registers `hedgecast questions` and `hedgecast signposts`)
from hedgecast.cli.score import issue_report  # importing it registers `hedgecast score`
import hedgecast.cli.compare  # noqa: F401 (importing it registers `hedgecast compare`)
import hedgecast.cli.validate  # noqa: F401 (importing it registers `hedgecast validate …` on the app)
import hedgecast.cli.seminar  # noqa: F401 (importing it registers `hedgecast seminar`)
from hedgecast.errors import DiagnosticsFailed, HedgecastError

LensOpt = Annotated[list[str] | None, typer.Option("--lens", "-l", help="Lens name or path (repeatable). Default: baseline.")]
AllowOpt = Annotated[bool, typer.Option("--allow-warnings", help="Exit 0 even if sampler diagnostics fail.")]


def _print_version(value: bool) -> None:
    """Print ``hedgecast <version>`` and stop (the eager ``--version`` option)."""
    if value:
        from hedgecast import __version__

        typer.echo(f"hedgecast {__version__}")
        raise typer.Exit()


@dataclass(frozen=True)
class Sampling(sampler_options()):
    """The sampler options of every command that fits (one definition: :func:`shared_options`)."""

    def settings(self):
        """Return the :class:`~hedgecast.model.fit.SamplerSettings`, checked (exit 2 on a mistake)."""
        return sampler_settings(self.draws, self.tune, self.chains, self.seed)


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks.")] = False,
    root: Annotated[Path | None, typer.Option("--root", help="Project folder (default: found from the current directory).")] = None,
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True, expose_value=False)
    ] = False,
) -> None:
    """Bayesian scenario forecasting of Türkiye–Russia relations."""
    STATE["debug"], STATE["root"] = debug, root


def _relative_to_project(err: HedgecastError) -> HedgecastError:
    """Return the same error with file names relative to the project (as the user types them)."""
    import dataclasses

    from hedgecast.config import Paths

    root = str(Paths.discover(STATE["root"]).root).rstrip("/") + "/"
    problems = [dataclasses.replace(p, file=p.file[len(root) :]) if p.file.startswith(root) else p for p in err.problems]
    return HedgecastError(problems)  # only rendered: the subclass's own constructor may take other arguments


def run() -> None:
    """Entry point that turns user mistakes into clean messages and exit codes.

    Exit codes: 0 success; 2 a mistake in the input (spec, lens, data, command line),
    printed as one message naming file and field, no traceback unless ``--debug``;
    3 sampler diagnostics failed (the report is still written); 130 interrupted;
    1 anything else (an environment problem such as a full disk, or a bug).
    """
    from rich.markup import escape

    def fail(message: str, code: int, style: str = "bold red", label: str = "error") -> None:
        if STATE["debug"]:
            console.print_exception()
        console.print(f"[{style}]{label}:[/] {escape(message)}", highlight=False, soft_wrap=True)
        sys.exit(code)

    STATE["debug"] = "--debug" in sys.argv[1:]  # so that errors before the callback honour it too
    try:
        code = app(standalone_mode=False)
    except HedgecastError as err:
        fail(_relative_to_project(err).render(), err.exit_code)
    except DiagnosticsFailed as err:
        fail(str(err), DiagnosticsFailed.exit_code, "bold yellow", "diagnostics failed")
    except KeyboardInterrupt:
        code = 130
    except typer.Exit as err:
        code = err.exit_code
    except typer.Abort:
        console.print("[yellow]aborted[/]")
        sys.exit(1)
    except typer.TyperException as err:  # usage mistakes: unknown command or option, bad value
        if STATE["debug"]:
            console.print_exception()
        show = getattr(err, "show", None)
        if callable(show):
            show()
        else:
            console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except SystemExit:
        raise
    except OSError as err:  # a full disk, a read-only folder, a missing permission: not a bug
        where = f" ({err.filename})" if getattr(err, "filename", None) else ""
        fail(f"{err.strerror or err}{where}; nothing already saved was changed (run with --debug for details)", 1)
    if code == 130:  # Ctrl-C (typer turns it into exit code 130)
        console.print("[yellow]interrupted: earlier runs and reports are untouched[/]")
    if isinstance(code, int) and code:
        sys.exit(code)


@contextmanager
def steps():
    """A Rich progress display: one line per slow step, with elapsed time."""
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console, transient=False)
    with progress:
        yield progress


def _step(progress: Progress, text: str):
    return progress.add_task(text, total=1)


def _done(progress: Progress, task, text: str | None = None) -> None:
    progress.update(task, completed=1, description=text or progress.tasks[task].description)


def _workbench():
    from hedgecast.workbench import Workbench

    return Workbench.load(STATE["root"])


def _fit_lenses(wb, lenses: list, settings, progress: Progress, *, reuse: bool = False, refit: bool = False):
    """Fit lenses already loaded (so checked: see :func:`hedgecast.cli.options.load_lenses`).

    With ``reuse``, a lens whose fit key matches a saved passing run is loaded, not refitted
    (``refit`` forces fitting); each fit the report makes is then saved as a run, so the next
    report can reuse it.
    """
    fits = []
    for lens in lenses:
        task = _step(progress, f"Fitting lens [bold]{lens.name}[/] ({settings.chains}×{settings.draws} draws; first fit compiles the model)")
        t0 = time.perf_counter()
        fit = wb.fit_or_reuse(lens, settings, refit=refit) if reuse else wb.fit(lens, settings)
        d = fit.diagnostics
        flag = "[green]ok[/]" if d.passed else "[red]diagnostics failed[/]"
        how = f"Reused [bold]{lens.name}[/] from run {fit.reused_from}" if fit.reused_from else f"Fitted [bold]{lens.name}[/]"
        _done(progress, task, f"{how} in {time.perf_counter() - t0:.0f}s — R-hat {d.max_rhat:.3f}, bulk ESS {d.min_ess_bulk:.0f}, {d.divergences} divergences {flag}")
        fits.append(fit)
    return fits


def reused_or_saved_runs(wb, fits, forecast):
    """Save every fit the report made as a run (the main one with its forecast); return the main run.

    A reused fit is not saved again: its run is returned as it is.
    """
    from hedgecast.runs import load_run, save_run

    for fit in fits[1:]:
        if not fit.reused_from:
            save_run(fit, None, wb.paths, headline={})
    main = fits[0]
    if main.reused_from:
        return load_run(main.reused_from, wb.paths)
    return save_run(main, forecast, wb.paths, headline=forecast.headline())


@app.command()
def check() -> None:
    """Validate the model spec, every lens, and every data file, without fitting."""
    from rich.markup import escape

    from hedgecast.check import check_project

    report = check_project(STATE["root"])
    for line in report.ok:
        out.print(f"[green]✓[/] {escape(line)}", highlight=False, soft_wrap=True)
    for line in report.notes:
        out.print(f"[yellow]![/] {escape(line)}", highlight=False, soft_wrap=True)
    for warning in report.warnings:
        out.print(f"[bold yellow]warning:[/] {escape(str(warning))}", highlight=False, soft_wrap=True)
    report.raise_if_problems()
    out.print(f"[bold green]All files are valid[/] ({report.seconds:.1f} s).")


@app.command()
def lenses() -> None:
    """List the lenses with one-line summaries."""
    from hedgecast.config import Paths
    from hedgecast.inputs.spec import load_spec
    from hedgecast.priors.lenses import Lens, list_lenses

    paths = Paths.discover(STATE["root"])
    spec = load_spec(paths.spec)
    table = Table(title="Lenses (models/lenses/)")
    table.add_column("name")
    table.add_column("extends")
    table.add_column("summary")
    for path in list_lenses(paths):
        lens = Lens.load(path, spec, paths)
        table.add_row(lens.name, lens.extends or "—", lens.summary)
    out.print(table)


def _raise_if_diagnostics_failed(fits, allow_warnings: bool, note: str = "") -> None:
    """Exit 3 (via DiagnosticsFailed) when any fit failed its diagnostics, unless warnings are allowed."""
    failed = [f"{f.lens.name}: " + "; ".join(f.diagnostics.problems) for f in fits if not f.diagnostics.passed]
    if failed and not allow_warnings:
        raise DiagnosticsFailed(" | ".join(failed) + note)


@app.command()
@shared_options(Sampling)
def fit(sampling: Sampling, lens: LensOpt = None, allow_warnings: AllowOpt = False) -> None:
    """Fit lenses to the 2000–2025 record and save each as a run."""
    from hedgecast.runs import save_run

    settings = sampling.settings()
    with steps() as progress:
        task = _step(progress, "Loading spec and data")
        wb = _workbench()
        lenses = load_lenses(wb, lens or ["baseline"])
        _done(progress, task)
        fits = _fit_lenses(wb, lenses, settings, progress)
        for f in fits:
            fc = f.forecast()
            run = save_run(f, fc, wb.paths, headline=fc.headline())
            out.print(f"saved run [bold]{run.id}[/]")
    _raise_if_diagnostics_failed(fits, allow_warnings)


@app.command()
@shared_options(Sampling)
def forecast(
    sampling: Sampling,
    lens: LensOpt = None,
    scenario: Annotated[list[str] | None, typer.Option("--scenario", "-s", help="Scenario (repeatable). Default: all.")] = None,
    year: Annotated[int | None, typer.Option(help="Year for the probability table (default: each of the spec's headline years).")] = None,
    allow_warnings: AllowOpt = False,
) -> None:
    """Fit, forecast the scenarios and print P(trajectory class) per scenario."""
    settings = sampling.settings()
    with steps() as progress:
        wb = _workbench()
        problems = options()
        check_scenarios(problems, wb.spec, scenario)
        check_year(problems, wb.spec, year)
        lenses = load_lenses(wb, lens or ["baseline"], problems)
        fits = _fit_lenses(wb, lenses, settings, progress)
    for f in fits:
        fc = f.forecast(scenario)
        out.print(f"[bold]Lens {f.lens.name}[/]")
        for y in (fc.spec.headline_years or (fc.spec.headline_year,)) if year is None else (year,):
            out.print(probability_table(fc, y))
    _raise_if_diagnostics_failed(fits, allow_warnings)


def write_report(main_fit, fc, *, run_manifest: dict, compare_fits=(), inclusion_fits=(), out_path: Path | None = None) -> Path:
    """The report of ``main_fit``: the same function as ``Fit.report()``, with the run record on top.

    A Lenses section when ``compare_fits``; the headline under other incident inclusion rules
    when ``inclusion_fits``; saved stress / SBC / backtest results under reports/ included.
    """
    from hedgecast.report import api

    return api.write_report(main_fit, out_path, forecast=fc, compare=compare_fits, inclusion_fits=inclusion_fits, run_info=run_manifest)


def _fit_other_rules(wb, main_fit, settings, progress: Progress, refit: bool) -> list:
    """The baseline lens under the other incident inclusion rules (for the crisis model section), each saved as a run."""
    from hedgecast.runs import save_run

    if main_fit.lens.name != "baseline":
        return []
    task = _step(progress, "Fitting the baseline lens under the other incident inclusion rules (the same compiled model)")
    fits = wb.fit_other_rules(main_fit.lens, settings, refit=refit)
    for f in fits:
        if not f.reused_from:
            save_run(f, None, wb.paths, headline={})
    how = ", ".join(f"{f.inputs.inclusion} " + ("reused" if f.reused_from else "fitted") for f in fits)
    _done(progress, task, f"Other inclusion rules: {how}")
    return fits


@app.command()
@shared_options(Sampling)
def report(
    sampling: Sampling,
    lens: LensOpt = None,
    compare: Annotated[bool, typer.Option("--compare/--no-compare", help="Fit every lens for the report's Lenses section (default: on when --lens is not given).")] = True,
    out_path: Annotated[Path | None, typer.Option("--out", help="Report path. Default: reports/turkiye-russia.html")] = None,
    allow_warnings: AllowOpt = False,
    refit: Annotated[bool, typer.Option("--refit", help="Refit every lens, even when a saved run with the same inputs could be reused.")] = False,
    issue: Annotated[bool, typer.Option("--issue", help="Issue this forecast: record its question probabilities as one new file in ledger/ (hedgecast score scores them).")] = False,
) -> None:
    """The main job: fit, forecast every scenario, compare the lenses, save the run, write the HTML report.

    A lens whose spec, priors, data, sampler settings, seed and model code are unchanged since a saved passing run is reused from that run, not refitted (--refit forces fitting); the report says which lenses were reused.
    """
    from hedgecast import timing
    from hedgecast.files import write_json
    from hedgecast.report import api

    settings = sampling.settings()
    t0, before = time.perf_counter(), timing.totals()
    with steps() as progress:
        task = _step(progress, "Loading spec and data")
        wb = _workbench()
        _done(progress, task)
        names = list(lens or ["baseline"])
        if compare and not lens:
            names += [n for n in wb.lenses() if n not in names]
        fits = _fit_lenses(wb, load_lenses(wb, names), settings, progress, reuse=True, refit=refit)
        main_fit = fits[0]
        rule_fits = _fit_other_rules(wb, main_fit, settings, progress, refit)
        task = _step(progress, f"Forecasting {len(wb.spec.scenarios)} scenarios × {len(wb.spec.forecast_years)} years × {main_fit.diagnostics.n_samples} draws")
        fc = main_fit.forecast()
        _done(progress, task)
        task = _step(progress, "Saving the runs")
        run = reused_or_saved_runs(wb, fits, fc)
        _done(progress, task, f"Run {run.id}" + (" (reused)" if main_fit.reused_from else " saved"))
        task = _step(progress, "Writing the report")
        done = {f.lens.name: f"reused run {f.reused_from}" if f.reused_from else "fitted" for f in fits}
        done |= {f"{f.lens.name} ({f.inputs.inclusion} incidents)": f"reused run {f.reused_from}" if f.reused_from else "fitted" for f in rule_fits}
        manifest = {**run.manifest, "fits": done}
        with timing.stage("report writing"):
            path = write_report(main_fit, fc, run_manifest=manifest, compare_fits=fits[1:], inclusion_fits=rule_fits, out_path=out_path)
        _done(progress, task, f"Wrote {path}")
    spent = {**timing.since(before), "total": time.perf_counter() - t0}
    # where the time went: beside the report always, and in the run when this report made it
    timings = {k: round(v, 3) for k, v in spent.items()}
    write_json(wb.paths.reports / "timings.json", timings)
    if not main_fit.reused_from:
        write_json(run.path / "timings.json", timings)
    for y in fc.spec.headline_years or (fc.spec.headline_year,):
        out.print(probability_table(fc, y))
    rates = base_rate_table(main_fit, fc, lambda fit, fc, years: api.cached_headline_rates(fit, fc, years, api.section_cache(fit)))
    if rates is not None:
        out.print(rates)
    out.print(f"report: [bold]{path}[/]")
    out.print("time: " + ", ".join(f"{k} {spent[k]:.1f} s" for k in ("total", "fit", "reuse", "compile", "sampling", "forecast", "report writing") if k in spent), highlight=False)
    _raise_if_diagnostics_failed([*fits, *rule_fits], allow_warnings, f" (the report at {path} says so on top)")
    if issue:  # only a forecast whose diagnostics passed (or were allowed) is issued
        out.print(f"issued: [bold]{issue_report(wb, fits, fc, run.id)}[/]")


@app.command()
@shared_options(Sampling)
def stress(
    sampling: Sampling,
    run_id: Annotated[str | None, typer.Option("--run", help="Stress-test a saved run (default: the latest passing baseline run of this spec; fits one if there is none).")] = None,
) -> None:
    """Which assumptions drive the headline: sensitivity, Sobol indices, 'what would you have to believe', pooling.

    Writes reports/stress.json; every later report includes it as its Stress test section.
    """
    from hedgecast.runs import list_runs, load_run, save_run
    from hedgecast.stress.run import cli_stress

    settings = sampling.settings()
    with steps() as progress:
        task = _step(progress, "Loading spec and data")
        wb = _workbench()
        _done(progress, task)
        runs = [r for r in list_runs(wb.paths) if r.manifest.get("lens", {}).get("name") == "baseline" and r.manifest.get("spec", {}).get("sha256") == wb.spec.sha256]
        # prefer the latest run whose diagnostics passed, then the one with most draws
        runs.sort(key=lambda r: (r.manifest["diagnostics"].get("passed", False), r.manifest["diagnostics"].get("n_samples", 0), r.id))
        if run_id or runs:
            rid = run_id or runs[-1].id
            task = _step(progress, f"Loading run {rid}")
            main_fit = wb.load_fit(rid)
            manifest = load_run(rid, wb.paths).manifest
            _done(progress, task)
        else:
            main_fit = _fit_lenses(wb, load_lenses(wb, ["baseline"]), settings, progress)[0]
            manifest = None
        fc = main_fit.forecast()
        if manifest is None:
            manifest = save_run(main_fit, fc, wb.paths, headline=fc.headline()).manifest
        task = progress.add_task("Stress test", total=None)

        def report_progress(description: str, completed: float, total: float) -> None:
            progress.update(task, description=f"Stress test: {description}", completed=completed, total=total)

        cli_stress(wb, main_fit, fc, report_progress)
        progress.update(task, description=f"Stress test done: wrote {wb.paths.reports / 'stress.json'}")
        task = _step(progress, "Writing the report")
        path = write_report(main_fit, fc, run_manifest=manifest)
        _done(progress, task, f"Wrote {path}")
    out.print(f"report: [bold]{path}[/] (section 'Stress test'); data: {wb.paths.reports / 'stress.json'}")


@runs_app.command("list")
def runs_list() -> None:
    """List saved runs."""
    from hedgecast.config import Paths
    from hedgecast.runs import list_runs

    table = Table(title="Runs (runs/)")
    for col in ("id", "lens", "seed", "draws", "diagnostics", "P(rupture, status_quo)"):
        table.add_column(col)
    for r in list_runs(Paths.discover(STATE["root"])):
        m = r.manifest
        head = m.get("headline", {}).get("status_quo", {})
        key = next((k for k in head if k.startswith("P(rupture, ")), "")  # at the run's headline year
        rupture = f"{100 * head[key]:.1f}% in {key[len('P(rupture, '):-1]}" if key else "—"
        table.add_row(r.id, m["lens"]["name"], str(m["settings"]["seed"]), f"{m['settings']['chains']}×{m['settings']['draws']}", "passed" if m["diagnostics"]["passed"] else "failed", rupture)
    out.print(table)


@runs_app.command("show")
def runs_show(run_id: str) -> None:
    """Show one run's manifest."""
    from hedgecast.config import Paths
    from hedgecast.runs import load_run

    run = load_run(run_id, Paths.discover(STATE["root"]))
    out.print_json(json.dumps(run.manifest, default=str))


@runs_app.command("reproduce")
def runs_reproduce(run_id: str) -> None:
    """Refit a saved run from its own lens, spec and seed, and check the numbers are identical."""
    from hedgecast.reproduce import reproduce_run
    from hedgecast.runs import load_run

    with steps() as progress:
        wb = _workbench()
        run = load_run(run_id, wb.paths, spec=wb.spec)
        task = _step(progress, f"Refitting run {run.id} with seed {run.manifest['settings']['seed']}")
        identical, differences = reproduce_run(run, wb)
        _done(progress, task)
    if identical:
        out.print(f"[bold green]identical[/]: run {run.id} reproduced bit for bit")
        return
    for d in differences:
        out.print(f"  - {d}", highlight=False)
    raise HedgecastError(f"run {run.id} did not reproduce: {len(differences)} differences (listed above)")
