"""``hedgecast validate``: simulation-based calibration and backtests, fitted on a dask cluster.

    hedgecast validate sbc --sims 100 --draws 250 --tune 500 --chains 4 --workers 2
    hedgecast validate backtest --workers 2
    hedgecast validate sbc --scheduler tcp://10.0.0.5:8786      # an existing cluster

Each writes its result as JSON under ``reports/`` (atomically: an interrupted run
leaves the previous file intact) plus a standalone HTML page of its report section;
``hedgecast report`` adds the sections of whichever results exist
(:func:`hedgecast.report.api.saved_sections`). Also runnable as ``python -m hedgecast.cli.validate``.

The options every command shares are defined once (:class:`ClusterRun`,
:func:`cluster_command`) and checked before any work, as are the command's own.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from hedgecast.cli.app import STATE, app, console, out
from hedgecast.cli.options import check_counts, check_sampler, load_lenses, options, sampler_options, shared_options
from hedgecast.errors import HedgecastError

validate_app = typer.Typer(
    help="Validate the model: simulation-based calibration (SBC) and leave-future-out backtests.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(validate_app, name="validate", help="Check the inference: simulation-based calibration and backtests.")

_STATE: dict = {"root": None}

SBC_JSON = "sbc.json"
BACKTEST_JSON = "backtest.json"

WorkersOpt = Annotated[int, typer.Option(help="Worker processes of the local dask cluster (one thread each).")]
SchedulerOpt = Annotated[
    str | None, typer.Option(help="Address of an existing dask scheduler (tcp://host:8786) instead of a local cluster.")
]
LensOpt = Annotated[str, typer.Option("--lens", "-l", help="Lens name or path.")]
SamplerOpt = Annotated[str, typer.Option(help="'nutpie' (NUTS), or 'mock' (prior draws; checks the machinery in seconds).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Where to write the JSON result (default: reports/<name>.json).")]


@dataclass(frozen=True)
class ClusterRun(sampler_options(per_fit=True, draws=500, tune=1000)):
    """The options every ``validate`` command shares: how each fit samples, which lens, where the fits run."""

    lens: LensOpt = "baseline"
    workers: WorkersOpt = 2
    scheduler: SchedulerOpt = None
    sampler: SamplerOpt = "nutpie"
    out_path: OutOpt = None

    def problems(self, samplers: tuple[str, ...]):
        """Collect (not raise) the options' mistakes: the command adds its own, then raises."""
        problems = options()
        check_counts(problems, 1, draws=self.draws, chains=self.chains, workers=self.workers)
        check_counts(problems, 0, tune=self.tune)
        check_sampler(problems, self.sampler, samplers)
        return problems


@validate_app.callback()
def _main(root: Annotated[Path | None, typer.Option("--root", help="Project folder (default: as for hedgecast).")] = None) -> None:
    """Simulation-based calibration and backtests."""
    _STATE["root"] = root


def _paths():
    from hedgecast.config import Paths

    return Paths.discover(_STATE["root"] if _STATE["root"] is not None else STATE["root"])


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _write_page(path: Path, section) -> Path:
    """Write a standalone, self-contained HTML page holding one report section."""
    from hedgecast.files import write_atomic
    from hedgecast.report.render import render_page

    return write_atomic(path, render_page(section))


def run_and_save(run: ClusterRun, name: str, total: int, description: str, describe: Callable[[dict], str], job: Callable, save, section):
    """Run ``job(wb, lens, client, on_done)`` on the run's dask cluster and save its result.

    Loads the project and the lens, shows a progress bar of ``total`` fits, and writes the
    result as JSON (``reports/<name>``) and as a standalone HTML page.

    Returns ``(result, json path, page path)``.
    """
    from hedgecast.validate.parallel import cluster_client
    from hedgecast.workbench import Workbench

    paths = _paths()
    wb = Workbench.load(paths.root)
    (lens,) = load_lenses(wb, [run.lens])
    target = run.out_path or paths.reports / name
    with _progress() as progress:
        task = progress.add_task(description, total=total)

        def done(_i: int, res: dict) -> None:
            progress.update(task, advance=1, description=describe(res))

        with cluster_client(run.workers, run.scheduler) as client:
            result = job(wb, lens, client, done)
        progress.update(task, completed=total)
    save(result, target)
    return result, target, _write_page(target.with_suffix(".html"), section(result))


@validate_app.command()
@shared_options(ClusterRun, draws=250, tune=500)
def sbc(
    run: ClusterRun,
    sims: Annotated[int, typer.Option(help="Number of simulated histories (each refitted once).")] = 100,
    thin_to: Annotated[int, typer.Option(help="L: posterior draws each rank is computed from (ranks run 0..L).")] = 99,
) -> None:
    """Simulation-based calibration: simulate histories from the prior, refit each, test rank uniformity."""
    from hedgecast.report.sections.validation import sbc_section
    from hedgecast.validate.sbc import SBCSettings, run_sbc, save_sbc

    problems = run.problems(("nutpie", "mock"))
    check_counts(problems, 1, sims=sims, thin_to=thin_to)
    problems.raise_if_any(HedgecastError)
    settings = SBCSettings(
        sims=sims, draws=run.draws, tune=run.tune, chains=run.chains, seed=run.seed, sampler=run.sampler, thin_to=thin_to
    )
    t0 = time.perf_counter()
    result, target, page = run_and_save(
        run,
        SBC_JSON,
        sims,
        f"SBC: {sims} refits ({run.chains}×{run.draws} draws; the first fit on each worker compiles the model)",
        lambda res: f"SBC: last refit {res['seconds']:.0f}s, {res.get('divergences', 0)} divergences",
        lambda wb, lens, client, done: run_sbc(wb.spec, lens, wb.inputs_for(lens), settings, client, on_done=done),
        save_sbc,
        sbc_section,
    )
    s = result.summary()
    table = Table(title=f"SBC: {s['n_sims']} simulations, ranks 0–{s['ranks_max']}, {s['n_parameters']} parameters (smallest p first)")
    for col in ("parameter", "ECDF γ", "p", "p × params", "χ²", "p (χ²)"):
        table.add_column(col, justify="left" if col == "parameter" else "right")
    for name, r in result.statistics.sort_values("ecdf_p").head(8).iterrows():
        table.add_row(
            str(name),
            f"{r.ecdf_gamma:.3g}",
            f"{r.ecdf_p:.3g}",
            f"{min(1.0, r.ecdf_p * s['n_parameters']):.3g}",
            f"{r.chi2:.1f}",
            f"{r.chi2_p:.3g}",
        )
    out.print(table)
    verdict = "[green]no evidence of miscalibration[/]" if s["calibrated"] else "[bold red]evidence of miscalibration[/]"
    out.print(
        f"{verdict}: worst {s['worst_parameter']} (Bonferroni p {s['worst_ecdf_p_bonferroni']:.3g}); "
        f"{s['fits_with_divergences']} refits with divergences; {time.perf_counter() - t0:.0f}s"
    )
    out.print(f"wrote [bold]{target}[/] and {page}")


@validate_app.command()
@shared_options(ClusterRun)
def backtest(
    run: ClusterRun,
    oracle: Annotated[
        bool,
        typer.Option(
            help="Also score the model with the realised driver codings and war states of the test years plugged in "
            "(a diagnostic, not a forecast: never counted in wins and losses)."
        ),
    ] = False,
) -> None:
    """Leave-future-out backtests (fit ≤2014 → 2015–19, ≤2019 → 2020–24, ≤2021 → 2022–25) against persistence and climatology.

    Each window uses only what was known at its cut-off: priors known later fall back to vague ones (listed), and the
    drivers and war after the cut-off are forecast, not read.
    """
    from hedgecast.report.sections.validation import backtest_section
    from hedgecast.validate.backtest import run_backtest, save_backtest
    from hedgecast.validate.windows import BacktestSettings

    run.problems(("nutpie", "pymc", "mock")).raise_if_any(HedgecastError)
    settings = BacktestSettings(draws=run.draws, tune=run.tune, chains=run.chains, seed=run.seed, sampler=run.sampler, oracle=oracle)
    t0 = time.perf_counter()
    n_fits = len(settings.windows) + 1
    result, target, page = run_and_save(
        run,
        BACKTEST_JSON,
        n_fits,
        f"Backtest: {n_fits} fits ({run.chains}×{run.draws} draws; each fit compiles its own model)",
        lambda res: f"Backtest: fitted ≤{res['cutoff']} in {res['seconds']:.0f}s",
        lambda wb, lens, client, done: run_backtest(wb.spec, lens, wb.history, settings, client, on_done=done),
        save_backtest,
        backtest_section,
    )
    print_backtest(result)
    out.print(f"{time.perf_counter() - t0:.0f}s; wrote [bold]{target}[/] and {page}")


def print_backtest(result) -> None:
    """Print what each window could not know, every comparison with both baselines, the coverage and the totals."""
    from hedgecast.validate.backtest import LABELS
    from hedgecast.validate.baselines import BASELINES
    from hedgecast.validate.scoring import METRICS

    for w in result.windows:
        fb = w.get("fallbacks", [])
        names = ", ".join(f"{f['prior']} ({f['known_by']})" for f in fb) or "none"
        out.print(f"[bold]{w['window']}[/]: {len(fb)} priors known only after {w['cutoff']} fell back to vague ones: {names}")
    shown = result.forecasters
    table = Table(title="Backtest scores (lower is better; * = winner of model, persistence, climatology)")
    for col in ("window", "target", "score", *[LABELS[f] for f in shown], "n", *[f"vs {b}" for b in BASELINES]):
        table.add_column(col, justify="left" if col in ("window", "target", "score") else "right")
    for r in result.comparisons().itertuples():
        vals = [f"{getattr(r, f):.3f}{'*' if r.winner == f else ''}" for f in shown]
        table.add_row(r.window, r.target, METRICS[r.metric].name, *vals, str(r.n), *[getattr(r, f"vs_{b}") for b in BASELINES])
    out.print(table)
    cov = Table(title="Model coverage: held-out values inside the central 50% / 90% predictive intervals [95% Wilson interval]")
    for col in ("window", "indicator", "n", "50%", "90%"):
        cov.add_column(col, justify="left" if col in ("window", "indicator") else "right")
    for _, r in result.coverage().iterrows():
        cells = [f"{r[f'covered_{p}']}/{r['n']} [{r[f'low_{p}']:.2f}–{r[f'high_{p}']:.2f}]" if r["n"] else "–" for p in (50, 90)]
        cov.add_row(r["window"], r["target"], str(r["n"]), *cells)
    out.print(cov)
    t = result.tally()
    for scope, label in (("indicator_crps", "indicator CRPS (window × indicator)"), ("all_rows", "every scored row")):
        c = t[scope]
        per = "; ".join(f"{c[b]['wins']}–{c[b]['losses']} vs {b}" for b in BASELINES)
        out.print(f"{label}: the model wins {c['wins']} and loses {c['losses']} of {c['comparisons']} comparisons with a baseline ({per})")


def main() -> None:
    """``python -m hedgecast.cli.validate``: user mistakes print one line and exit 2."""
    try:
        validate_app(standalone_mode=False)
    except HedgecastError as err:
        console.print(f"[bold red]error:[/] {err.render()}", highlight=False)
        sys.exit(2)
    except typer.Exit as err:
        sys.exit(err.exit_code)
    except click.ClickException as err:  # usage mistakes: unknown option, bad value
        err.show()
        sys.exit(2)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted: earlier results are untouched[/]")
        sys.exit(130)


if __name__ == "__main__":
    main()
