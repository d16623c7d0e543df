"""hedgecast benchmarks: everything measured in one run on this machine, compared as ratios.

    make bench            # or: .venv/bin/python benchmarks/run.py [--quick]

Prints a table, writes reports/benchmarks.json, and ends with exactly one line:
RESULT ess_per_s_ratio=<ours/baseline> reweight_speedup=<refit/reweight> forecast_share=<forecast/report>
       report_full_s=<s> report_edit_s=<s> report_unchanged_s=<s> compile_new_process_s=<s>

ESS per second counts the whole wall time a user waits for a usable posterior (compile +
sampling), and ESS is the minimum bulk ESS over all free parameters. Compile time is measured
in a new process (``compile_probe.py``) twice: with this machine's disk caches (what an analyst
meets every day after the first run; used for the ratio) and with empty caches (the first run
ever on a machine; shown, with its own ratio). Sampling time excludes compilation for both.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def _timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def min_bulk_ess(idata, names) -> float:
    import arviz as az

    ess = az.ess(idata.posterior[names], method="bulk")
    return float(min(float(np.nanmin(ess[v].values)) for v in ess.data_vars))


def compile_times(which: str, cold: bool) -> dict:
    """Compile ``which`` ("baseline" or "hedgecast") in a new process: warm disk caches, and empty ones."""
    probe = [sys.executable, str(ROOT / "benchmarks" / "compile_probe.py"), which]

    def run(env_extra: dict) -> float:
        done = subprocess.run(probe, env={**os.environ, **env_extra}, check=True, capture_output=True, text=True)
        return float(json.loads(done.stdout.strip().splitlines()[-1])["compile_s"])

    out = {}
    if cold:
        with tempfile.TemporaryDirectory() as empty:
            out["compile_cold_s"] = run({"PYTENSOR_FLAGS": f"base_compiledir={empty}"})
    run({})  # fills this machine's caches if they are empty (no-op when they are warm)
    out["compile_s"] = run({})
    return out


def bench_samplers(wb, lens, draws, tune, chains, seed, cold=True):
    """Baseline (scan + PyMC NUTS) vs hedgecast (vectorized centered path + nutpie)."""
    import pymc as pm
    from baseline_model import build_baseline_model

    from hedgecast import timing
    from hedgecast.model.fit import SamplerSettings, sample_posterior

    rows = {}
    model = build_baseline_model(wb.spec, lens, wb.inputs)
    with warnings.catch_warnings(), model:
        warnings.simplefilter("ignore")
        idata = pm.sample(draws=draws, tune=tune, chains=chains, cores=min(chains, 2), random_seed=seed, progressbar=False, compute_convergence_checks=False)
    free = [rv.name for rv in model.free_RVs]
    rows["baseline"] = {
        **compile_times("baseline", cold),
        "sample_s": float(idata.sample_stats.attrs["sampling_time"]),  # PyMC's own clock: excludes its compile
        "min_bulk_ess": min_bulk_ess(idata, free),
        "divergences": int(idata.sample_stats["diverging"].sum()),
    }
    settings = SamplerSettings(draws=draws, tune=tune, chains=chains, seed=seed)
    before = timing.totals().get("sampling", 0.0)
    idata = sample_posterior(wb.spec, lens, wb.inputs, settings)  # compiles in this process first (not timed here)
    rows["hedgecast"] = {
        **compile_times("hedgecast", cold),
        "sample_s": timing.totals()["sampling"] - before,  # nutpie's sampling alone
        "min_bulk_ess": min_bulk_ess(idata, idata.attrs["free_rvs"]),
        "divergences": int(idata.sample_stats["diverging"].sum()),
    }
    return rows


def with_rates(rows: dict) -> dict:
    """Add total time and ESS per second (total and sampling only) to each sampler's row."""
    for r in rows.values():
        r["total_s"] = r["compile_s"] + r["sample_s"]
        r["ess_per_s"] = r["min_bulk_ess"] / r["total_s"]
        r["ess_per_s_sampling"] = r["min_bulk_ess"] / r["sample_s"]
        if "compile_cold_s" in r:
            r["total_cold_s"] = r["compile_cold_s"] + r["sample_s"]
            r["ess_per_s_cold"] = r["min_bulk_ess"] / r["total_cold_s"]
    return rows


def bench_edits(wb, fit, fc, edits=5, refits=3):
    """Latency of a prior edit: PSIS reweighting vs a warm refit (same compiled model), as medians.

    Each edit moves the prior mean of one effect by a different amount. The first reweighted
    edit of a forecast also builds that forecast's per-draw headline table (kept for later
    edits); it is reported on its own.
    """
    from pymc_extras.prior import Prior

    from hedgecast.stress.edits import edit_prior

    name = "beta.political.leader_ties"
    old = fit.lens.prior(name)

    def moved(k: int) -> Prior:
        return Prior("Normal", mu=float(old.parameters["mu"]) + 0.05 * (k + 1), sigma=float(old.parameters["sigma"]))

    times, k_hat = [], []
    for k in range(edits):
        result, t = _timed(edit_prior, fit, fc, {name: moved(k)}, refit="never")
        times.append(t)
        k_hat.append(float(getattr(result, "pareto_k", float("nan"))))
    refit_times = []
    for k in range(refits):
        edited = fit.lens.derive(f"bench_edit_{k}").with_prior(name, moved(k), reason="benchmark")
        refit_times.append(_timed(lambda lens=edited: wb.fit(lens, fit.settings).forecast())[1])
    return {
        "reweight_s": float(np.median(times)),
        "reweight_first_s": times[0],
        "reweight_all_s": times,
        "warm_refit_s": float(np.median(refit_times)),
        "warm_refit_all_s": refit_times,
        "pareto_k": max(k_hat),
    }


def bench_growth(fit, draws_list, scen_list, seed, repeats=3):
    """Forecast time and peak memory as draws × scenarios grow (synthetic draws and scenarios)."""

    from hedgecast.forecasting.forecast import forecast
    from hedgecast.inputs.spec import ModelSpec

    spec = fit.spec
    base = list(spec.scenarios)
    post = fit.idata.posterior
    flat = post.stack(sample=("chain", "draw"))
    out = []
    for n in draws_list:
        idx = np.random.default_rng(seed).integers(0, flat.sizes["sample"], n)
        resampled = flat.isel(sample=idx).drop_vars(["chain", "draw", "sample"]).assign_coords(sample=np.arange(n))
        resampled = resampled.rename(sample="draw").expand_dims(chain=[0]).transpose("chain", "draw", ...)
        idata = fit.idata.copy()
        idata.posterior = resampled
        for s_count in scen_list:
            names = [base[i % len(base)] if i < len(base) else f"{base[i % len(base)]}__{i}" for i in range(s_count)]
            scenarios = dict(spec.scenarios)
            for nm in names:
                if nm not in scenarios:
                    src = scenarios[nm.split("__")[0]]
                    prob = 0.5 if src.probability == "lens" else src.probability  # clones have no lens prior of their own
                    scenarios[nm] = type(src)(**{**src.__dict__, "name": nm, "probability": prob})
            big_spec = ModelSpec(**{**spec.__dict__, "scenarios": scenarios})
            t = float("inf")
            for _ in range(repeats):  # best of a few: the least disturbed by the rest of the machine
                gc.collect()
                t = min(t, _timed(forecast, idata, big_spec, fit.lens, fit.inputs, names, seed)[1])
            gc.collect()
            tracemalloc.start()  # a second pass for memory: tracing slows allocation down
            forecast(idata, big_spec, fit.lens, fit.inputs, names, seed)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out.append({"draws": n, "scenarios": s_count, "forecast_s": t, "peak_mb": peak / 2**20})
    return out


def linear_fit(rows: list[dict], key: str) -> dict:
    """Least squares ``key = intercept + slope × (draws × scenarios)``, with R²."""
    x = np.array([r["draws"] * r["scenarios"] for r in rows], dtype=float)
    y = np.array([r[key] for r in rows], dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (intercept + slope * x)
    r2 = 1.0 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum()) if len(rows) > 2 else float("nan")
    return {"slope": float(slope), "intercept": float(intercept), "r2": r2}


def edit_one_prior(lens_file: Path) -> str:
    """Change one prior of one lens the way an analyst would (its first location/scale number × 1.2)."""
    import re

    text = lens_file.read_text(encoding="utf-8")
    edited, n = re.subn(r"(\[priors\.cushion\][^\[]*?\n(?:mu|sigma|alpha|beta) = )(-?[0-9.]+)", lambda m: f"{m.group(1)}{float(m.group(2)) * 1.2:.6g}", text, count=1)
    if n != 1:
        raise RuntimeError(f"no cushion prior to edit in {lens_file}")
    lens_file.write_text(edited, encoding="utf-8")
    return "cushion"


def bench_report(quick: bool, cold: bool = True):
    """End-to-end ``hedgecast report`` in new processes, in a scratch copy of the project.

    * ``cold_s`` — empty compile caches, every lens fitted (the first run ever; skipped with ``cold=False``);
    * ``full_s`` — warm caches, every lens refitted (``--refit``);
    * ``unchanged_s`` — warm, nothing changed: every fit and the forecast reused from the saved runs;
    * ``edit_s`` — warm, one prior of one lens edited: that lens refitted, the others reused.

    Each report's own stage timings (``reports/timings.json``) are kept beside its wall time.
    """
    args = [sys.executable, "-m", "hedgecast", "report", "--allow-warnings", "--out"]  # this interpreter's hedgecast
    extra = ["--draws", "300", "--tune", "500", "--chains", "2"] if quick else []
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        # a scratch project (a copy of models/, links to data/) so the benchmark's runs, reports
        # and its edited lens never land among the analyst's own
        scratch = Path(cache) / "project"
        scratch.mkdir()
        shutil.copytree(ROOT / "models", scratch / "models")
        for name in ("data", "pyproject.toml"):
            (scratch / name).symlink_to(ROOT / name)
        env = {**os.environ, "HEDGECAST_ROOT": str(scratch)}

        def report(key: str, *more: str, env_extra: dict | None = None) -> None:
            t0 = time.perf_counter()
            subprocess.run([*args, str(Path(cache) / f"{key}.html"), *extra, *more], cwd=scratch, env={**env, **(env_extra or {})}, check=True, capture_output=True)
            out[f"{key}_s"] = time.perf_counter() - t0
            out[f"{key}_stages"] = json.loads((scratch / "reports" / "timings.json").read_text())

        if cold:
            report("cold", "--refit", env_extra={"PYTENSOR_FLAGS": f"base_compiledir={cache}", "NUMBA_CACHE_DIR": cache})
        report("full", "--refit")
        report("unchanged")
        out["edited_prior"] = edit_one_prior(scratch / "models" / "lenses" / "kusa_2022.toml")
        report("edit")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small draws, fewer growth points, no empty-cache compiles (the smoke test)")
    parser.add_argument("--no-report", action="store_true", help="skip the end-to-end report timing")
    parser.add_argument("--no-cold", action="store_true", help="skip compiling with empty caches")
    parser.add_argument("--draws", type=int, help="draws per chain for both samplers (default 1000; 100 with --quick)")
    parser.add_argument("--tune", type=int, help="tuning steps per chain (default: the product's, 1000; 150 with --quick)")
    parser.add_argument("--chains", type=int, help="chains (default 4; 2 with --quick)")
    args = parser.parse_args(argv)
    from rich.console import Console
    from rich.table import Table

    from hedgecast.workbench import Workbench

    console = Console()
    q = args.quick
    from hedgecast.model.fit import SamplerSettings

    draws, tune, chains, seed = (100, 150, 2, 1) if q else (1000, SamplerSettings().tune, 4, 2026)
    draws, tune, chains = args.draws or draws, args.tune or tune, args.chains or chains
    cold = not (q or args.no_cold)
    wb = Workbench.load(ROOT)
    lens = wb.lens("baseline")
    results: dict = {"settings": {"draws": draws, "tune": tune, "chains": chains, "seed": seed, "cores": os.cpu_count()}}
    console.print(f"[bold]samplers[/] (baseline: scan + PyMC NUTS; hedgecast: vectorized + nutpie), {chains} chains × ({tune} tune + {draws} draws)")
    results["samplers"] = with_rates(bench_samplers(wb, lens, draws, tune, chains, seed, cold=cold))
    fit = wb.fit(lens, draws=draws, tune=tune, chains=chains, seed=seed)
    fc, t_fc = _timed(fit.forecast)
    n_draws = fit.idata.posterior.sizes["chain"] * fit.idata.posterior.sizes["draw"]
    results["forecast"] = {"seconds": t_fc, "draws": n_draws, "scenarios": len(wb.spec.scenarios), "years": len(wb.spec.forecast_years)}
    console.print("[bold]prior edits[/]")
    results["edits"] = bench_edits(wb, fit, fc)
    console.print("[bold]growth[/]")
    results["growth"] = bench_growth(fit, [1000, 4000] if q else [1000, 4000, 16000], [7, 20] if q else [7, 20, 50], seed)
    results["growth_fit"] = {"seconds": linear_fit(results["growth"], "forecast_s"), "peak_mb": linear_fit(results["growth"], "peak_mb")}
    if not args.no_report:
        console.print("[bold]end-to-end report[/] (new processes: cold, full refit, nothing changed, one prior edited)")
        results["report"] = bench_report(q, cold=cold)
    s = results["samplers"]
    table = Table(title="samplers: the same model and data, the same draws (one run, this machine)")
    for col in ("measure", "baseline", "hedgecast", "hedgecast / baseline"):
        table.add_column(col, justify="right")
    rows = [("compile_s", "compile in a new process, warm disk caches, s"), ("sample_s", "sampling, s"), ("total_s", "total, s"), ("min_bulk_ess", "min bulk ESS"), ("divergences", "divergences"), ("ess_per_s", "min ESS / s (total)"), ("ess_per_s_sampling", "min ESS / s (sampling only)")]
    if "compile_cold_s" in s["hedgecast"]:
        rows += [("compile_cold_s", "compile, empty caches (first run ever), s"), ("ess_per_s_cold", "min ESS / s (total, empty caches)")]
    for key, label in rows:
        b, o = s["baseline"][key], s["hedgecast"][key]
        table.add_row(label, f"{b:.2f}", f"{o:.2f}", f"{o / b:.2f}" if b else "—")
    console.print(table)

    e = results["edits"]
    t2 = Table(title="forecast, prior edits, report")
    t2.add_column("measure")
    t2.add_column("value", justify="right")
    t2.add_row(f"forecast {results['forecast']['draws']} draws × {results['forecast']['scenarios']} scenarios × {results['forecast']['years']} years", f"{t_fc:.3f} s")
    t2.add_row(f"prior edit by reweighting, median of {len(e['reweight_all_s'])} (k̂ ≤ {e['pareto_k']:.2f})", f"{e['reweight_s']:.3f} s")
    t2.add_row("   the first edit of a forecast (builds its per-draw table)", f"{e['reweight_first_s']:.3f} s")
    t2.add_row(f"prior edit by warm refit (no recompile) + forecast, median of {len(e['warm_refit_all_s'])}", f"{e['warm_refit_s']:.2f} s")
    report_s = forecast_s = float("nan")
    r = results.get("report", {})
    if r:
        stages = r["full_stages"]
        report_s, forecast_s = stages.get("total", r["full_s"]), stages.get("forecast", t_fc)
        if "cold_s" in r:
            t2.add_row("hedgecast report, cold (new process, empty caches, every lens fitted)", f"{r['cold_s']:.1f} s")
        t2.add_row("hedgecast report, warm, every lens refitted (--refit)", f"{r['full_s']:.1f} s")
        for k in ("compile", "sampling", "prior draws", "derived groups", "forecast", "report writing"):
            if k in stages:
                t2.add_row(f"   of which {k} (all lenses)", f"{stages[k]:.1f} s")
        t2.add_row(f"hedgecast report after editing one prior of one lens ({r['edited_prior']} in kusa_2022)", f"{r['edit_s']:.1f} s")
        t2.add_row("hedgecast report with nothing changed (fits and forecast reused)", f"{r['unchanged_s']:.1f} s")
    console.print(t2)

    t3 = Table(title="growth of forecasting (time and memory measured in separate passes)")
    for col in ("draws", "scenarios", "draws×scenarios", "seconds", "µs per draw×scenario", "peak MB", "bytes per draw×scenario"):
        t3.add_column(col, justify="right")
    for g in results["growth"]:
        cells = g["draws"] * g["scenarios"]
        t3.add_row(str(g["draws"]), str(g["scenarios"]), str(cells), f"{g['forecast_s']:.3f}", f"{1e6 * g['forecast_s'] / cells:.1f}", f"{g['peak_mb']:.1f}", f"{g['peak_mb'] * 2**20 / cells:.0f}")
    console.print(t3)
    gt, gm = results["growth_fit"]["seconds"], results["growth_fit"]["peak_mb"]
    console.print(
        f"linear fit over draws × scenarios: time = {gt['intercept']:.3f} s + {1e6 * gt['slope']:.2f} µs × cells (R² {gt['r2']:.4f}); "
        f"memory = {gm['intercept']:.1f} MB + {gm['slope'] * 2**20:.0f} B × cells (R² {gm['r2']:.4f})",
        highlight=False,
    )

    ess_ratio = s["hedgecast"]["ess_per_s"] / s["baseline"]["ess_per_s"]
    speedup = e["warm_refit_s"] / e["reweight_s"]
    share = forecast_s / report_s
    compile_s = s["hedgecast"]["compile_s"]
    results["result"] = {
        "ess_per_s_ratio": ess_ratio,
        "reweight_speedup": speedup,
        "forecast_share": share,
        "report_full_s": r.get("full_s", float("nan")),
        "report_edit_s": r.get("edit_s", float("nan")),
        "report_unchanged_s": r.get("unchanged_s", float("nan")),
        "compile_new_process_s": compile_s,
    }
    t4 = Table(title="targets")
    for col in ("target", "measured", "met"):
        t4.add_column(col)
    for label, value, ok in (
        ("min ESS / s (compile + sampling) ≥ 10 × baseline", f"{ess_ratio:.2f} ×", ess_ratio >= 10),
        ("model ready to sample in a new process (warm caches) ≤ 10 s", f"{compile_s:.1f} s", compile_s <= 10),
        ("report after editing one prior of one lens ≤ 30 s", f"{r.get('edit_s', float('nan')):.1f} s", r.get("edit_s", float("inf")) <= 30),
        ("report with nothing changed ≤ 15 s", f"{r.get('unchanged_s', float('nan')):.1f} s", r.get("unchanged_s", float("inf")) <= 15),
        ("reweighted edit ≥ 50 × faster than a warm refit", f"{speedup:.1f} ×", speedup >= 50),
        ("forecasting all scenarios < 10% of the report's time", f"{100 * share:.2f} %", share < 0.10),
        ("forecast time and memory linear in draws × scenarios (R² ≥ 0.99)", f"{gt['r2']:.4f} / {gm['r2']:.4f}", gt["r2"] >= 0.99 and gm["r2"] >= 0.99),
    ):
        t4.add_row(label, value, "yes" if ok else "[bold red]no[/]")
    console.print(t4)
    out = ROOT / "reports" / "benchmarks.json"
    out.parent.mkdir(exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2))
    os.replace(tmp, out)
    res = results["result"]
    print(
        f"RESULT ess_per_s_ratio={ess_ratio:.2f} reweight_speedup={speedup:.1f} forecast_share={share:.4f} "
        f"report_full_s={res['report_full_s']:.1f} report_edit_s={res['report_edit_s']:.1f} "
        f"report_unchanged_s={res['report_unchanged_s']:.1f} compile_new_process_s={compile_s:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
