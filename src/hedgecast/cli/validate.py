"""``hedgecast validate``: simulation-based calibration and backtests, fitted on a dask cluster.

    hedgecast validate sbc --sims 100 --draws 250 --tune 500 --chains 4 --workers 2
    hedgecast validate backtest --workers 2
    hedgecast validate sbc --scheduler tcp://10.0.0.5:8786      # an existing cluster

Each writes its result as JSON under ``reports/`` (atomically: an interrupted run
leaves the previous file intact) plus a standalone HTML page of its report section;
``hedgecast report`` adds the sections of whichever results exist
(:func:`validation_sections`). Also runnable as ``python -m hedgecast.validate_cli``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from hedgecast.errors import HedgecastError

validate_app = typer.Typer(
    help="Validate the model: simulation-based calibration (SBC) and leave-future-out backtests.",
    no_args_is_help=True,
    add_completion=False,
)

console = Console(stderr=True)
out = Console()
_STATE: dict = {"root": None}

SBC_JSON = "sbc.json"
BACKTEST_JSON = "backtest.json"

DrawsOpt = Annotated[int, typer.Option(help="Posterior draws per chain, per fit.")]
TuneOpt = Annotated[int, typer.Option(help="Tuning steps per chain, per fit.")]
ChainsOpt = Annotated[int, typer.Option(help="Chains per fit.")]
SeedOpt = Annotated[int, typer.Option(help="Base seed; each fit's seed is derived from it and the fit's index.")]
WorkersOpt = Annotated[int, typer.Option(help="Worker processes of the local dask cluster (one thread each).")]
SchedulerOpt = Annotated[
    str | None, typer.Option(help="Address of an existing dask scheduler (tcp://host:8786) instead of a local cluster.")
]
LensOpt = Annotated[str, typer.Option("--lens", "-l", help="Lens name or path.")]
SamplerOpt = Annotated[str, typer.Option(help="'nutpie' (NUTS), or 'mock' (prior draws; checks the machinery in seconds).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Where to write the JSON result (default: reports/<name>.json).")]


@validate_app.callback()
def _main(root: Annotated[Path | None, typer.Option("--root", help="Project folder (default: as for hedgecast).")] = None) -> None:
    """Simulation-based calibration and backtests."""
    _STATE["root"] = root


def _paths():
    from hedgecast.config import Paths

    root = _STATE["root"]
    if root is None:
        try:
            from hedgecast.cli import main as cli

            root = cli.STATE.get("root")
        except ImportError:  # pragma: no cover - cli always exists in the package
            root = None
    return Paths.discover(root)


def _check(draws: int, tune: int, chains: int, workers: int) -> None:
    if draws < 1 or chains < 1 or tune < 0 or workers < 1:
        raise HedgecastError("--draws, --chains and --workers must be at least 1, --tune at least 0")


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


def _write_page(path: Path, section: tuple[str, str]) -> Path:
    """Write a standalone, self-contained HTML page holding one report section."""
    import html

    from hedgecast.report.build import write_atomic

    title, body = section
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;line-height:1.45}"
        "table{border-collapse:collapse;font-size:.85rem}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right}"
        "td:first-child,th:first-child{text-align:left}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return write_atomic(path, page)


@validate_app.command()
def sbc(
    sims: Annotated[int, typer.Option(help="Number of simulated histories (each refitted once).")] = 100,
    draws: DrawsOpt = 250,
    tune: TuneOpt = 500,
    chains: ChainsOpt = 4,
    seed: SeedOpt = 2026,
    lens: LensOpt = "baseline",
    workers: WorkersOpt = 2,
    scheduler: SchedulerOpt = None,
    sampler: SamplerOpt = "nutpie",
    thin_to: Annotated[int, typer.Option(help="L: posterior draws each rank is computed from (ranks run 0..L).")] = 99,
    out_path: OutOpt = None,
) -> None:
    """Simulation-based calibration: simulate histories from the prior, refit each, test rank uniformity."""
    from hedgecast.priors.lenses import Lens
    from hedgecast.validate.parallel import cluster_client
    from hedgecast.validate.sbc import SBCSettings, run_sbc, save_sbc, sbc_section
    from hedgecast.workbench import Workbench

    _check(draws, tune, chains, workers)
    if sims < 1:
        raise HedgecastError("--sims must be at least 1")
    try:
        settings = SBCSettings(sims=sims, draws=draws, tune=tune, chains=chains, seed=seed, sampler=sampler, thin_to=thin_to)
    except ValueError as err:
        raise HedgecastError(str(err)) from None
    paths = _paths()
    wb = Workbench.load(paths.root)
    the_lens: Lens = wb.lens(lens)
    target = out_path or paths.reports / SBC_JSON
    t0 = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task(
            f"SBC: {sims} refits ({chains}×{draws} draws; the first fit on each worker compiles the model)", total=sims
        )

        def done(_i: int, res: dict) -> None:
            progress.update(task, advance=1, description=f"SBC: last refit {res['seconds']:.0f}s, {res.get('divergences', 0)} divergences")

        with cluster_client(workers, scheduler) as client:
            result = run_sbc(wb.spec, the_lens, wb.inputs_for(the_lens), settings, client, on_done=done)
    save_sbc(result, target)
    page = _write_page(target.with_suffix(".html"), sbc_section(result))
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
def backtest(
    draws: DrawsOpt = 500,
    tune: TuneOpt = 1000,
    chains: ChainsOpt = 4,
    seed: SeedOpt = 2026,
    lens: LensOpt = "baseline",
    workers: WorkersOpt = 2,
    scheduler: SchedulerOpt = None,
    sampler: SamplerOpt = "nutpie",
    out_path: OutOpt = None,
) -> None:
    """Leave-future-out backtests (fit ≤2014 → 2015–19, ≤2019 → 2020–24, ≤2021 → 2022–25) against persistence and climatology."""
    from hedgecast.validate.backtest import FORECASTERS, METRICS, BacktestSettings, backtest_section, run_backtest, save_backtest
    from hedgecast.validate.parallel import cluster_client
    from hedgecast.workbench import Workbench

    _check(draws, tune, chains, workers)
    if sampler not in ("nutpie", "pymc", "mock"):
        raise HedgecastError(f"unknown sampler {sampler!r}: use 'nutpie' or 'mock'")
    settings = BacktestSettings(draws=draws, tune=tune, chains=chains, seed=seed, sampler=sampler)
    paths = _paths()
    wb = Workbench.load(paths.root)
    the_lens = wb.lens(lens)
    target = out_path or paths.reports / BACKTEST_JSON
    t0 = time.perf_counter()
    n_fits = len(settings.windows) + 1
    with _progress() as progress:
        task = progress.add_task(f"Backtest: {n_fits} fits ({chains}×{draws} draws; each fit compiles its own model)", total=n_fits)

        def done(_i: int, res: dict) -> None:
            progress.update(task, advance=1, description=f"Backtest: fitted ≤{res['cutoff']} in {res['seconds']:.0f}s")

        with cluster_client(workers, scheduler) as client:
            result = run_backtest(wb.spec, the_lens, wb.history, settings, client, on_done=done)
            progress.update(task, completed=n_fits)
    save_backtest(result, target)
    page = _write_page(target.with_suffix(".html"), backtest_section(result))
    t = result.table()
    table = Table(title="Backtest scores (lower is better; * = best)")
    for col in ("window", "target", "score", *[f.replace("_", " ") for f in FORECASTERS], "n"):
        table.add_column(col, justify="left" if col in ("window", "target", "score") else "right")
    for (w, target_name, metric), r in t.iterrows():
        vals = [f"{r[f]:.3f}{'*' if r['best'] == f else ''}" for f in FORECASTERS]
        table.add_row(w, target_name, METRICS[metric].name, *vals, str(int(r["n"])))
    out.print(table)
    losses = result.losses()
    n_loss = int((losses["model"] == "model_unconditional").sum()) if not losses.empty else 0
    out.print(f"the unconditional model loses {n_loss} of {2 * len(t)} comparisons with a baseline; {time.perf_counter() - t0:.0f}s")
    out.print(f"wrote [bold]{target}[/] and {page}")


def validation_sections(paths=None) -> list[tuple[str, str]]:
    """Report sections for whichever of ``reports/sbc.json`` and ``reports/backtest.json`` exist.

    For ``hedgecast report``: ``extra_sections=[*others, *validation_sections(wb.paths)]``.
    A result file that cannot be read becomes a section saying so (the report is still written).
    """
    from hedgecast.validate.backtest import backtest_section
    from hedgecast.validate.sbc import sbc_section

    paths = paths or _paths()
    sections = []
    for name, make in ((SBC_JSON, sbc_section), (BACKTEST_JSON, backtest_section)):
        path = paths.reports / name
        if not path.is_file():
            continue
        try:
            sections.append(make(path))
        except (OSError, ValueError, KeyError, TypeError) as err:
            import html

            sections.append(
                (
                    f"Validation result {name}",
                    f"<p style='color:#b22222'>{html.escape(str(path))} could not be read: {html.escape(str(err))}</p>",
                )
            )
    return sections


def main() -> None:
    """``python -m hedgecast.validate_cli``: user mistakes print one line and exit 2."""
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
