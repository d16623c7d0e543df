"""hedgecast benchmarks: everything measured in one run on this machine, compared as ratios.

    make bench            # or: .venv/bin/python benchmarks/run.py [--quick]

Prints a table, writes reports/benchmarks.json, and ends with exactly one line:
RESULT ess_per_s_ratio=<ours/baseline> reweight_speedup=<refit/reweight> forecast_share=<forecast/report>

ESS per second counts the whole wall time a user waits for a usable posterior (compile +
sampling), and ESS is the minimum bulk ESS over all free parameters.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
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


def bench_samplers(wb, lens, draws, tune, chains, seed):
    """Baseline (scan + PyMC NUTS) vs hedgecast (vectorized centered path + nutpie)."""
    import pymc as pm
    from baseline_model import build_baseline_model

    from hedgecast.fit import SamplerSettings, compiled_model, sample_posterior

    rows = {}
    # baseline: compile (PyMC compiles logp/dlogp inside pm.sample: time it separately first)
    model, t_build = _timed(build_baseline_model, wb.spec, lens, wb.inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, t_compile = _timed(model.compile_logp)
        _, t_compile_grad = _timed(model.compile_dlogp)
        with model:
            idata, t_sample = _timed(pm.sample, draws=draws, tune=tune, chains=chains, cores=min(chains, 2), random_seed=seed, progressbar=False, compute_convergence_checks=False)
    free = [rv.name for rv in model.free_RVs]
    ess = min_bulk_ess(idata, free)
    div = int(idata.sample_stats["diverging"].sum())
    rows["baseline"] = {"compile_s": t_build + t_compile + t_compile_grad, "sample_s": t_sample, "min_bulk_ess": ess, "divergences": div}
    # ours
    settings = SamplerSettings(draws=draws, tune=tune, chains=chains, seed=seed)
    cm, t_build = _timed(compiled_model, wb.spec, lens, wb.inputs)
    _, t_compile = _timed(cm.nutpie_model, lens)
    idata, t_sample = _timed(sample_posterior, wb.spec, lens, wb.inputs, settings)
    ours_free = idata.attrs["free_rvs"]
    ess = min_bulk_ess(idata, ours_free)
    div = int(idata.sample_stats["diverging"].sum())
    rows["hedgecast"] = {"compile_s": t_build + t_compile, "sample_s": t_sample, "min_bulk_ess": ess, "divergences": div}
    return rows


def with_rates(rows: dict) -> dict:
    """Add total time and ESS per second (total and sampling only) to each sampler's row."""
    for r in rows.values():
        r["total_s"] = r["compile_s"] + r["sample_s"]
        r["ess_per_s"] = r["min_bulk_ess"] / r["total_s"]
        r["ess_per_s_sampling"] = r["min_bulk_ess"] / r["sample_s"]
    return rows


def bench_edits(wb, fit, fc):
    """Latency of a prior edit: PSIS reweighting vs a warm refit (same compiled model)."""
    from pymc_extras.prior import Prior

    from hedgecast import reweight

    old = fit.lens.prior("beta.political.leader_ties")
    new = Prior("Normal", mu=float(old.parameters["mu"]) + 0.1, sigma=float(old.parameters["sigma"]))
    result, t_reweight = _timed(reweight.edit_prior, fit, fc, {"beta.political.leader_ties": new}, refit="never")
    edited = fit.lens.derive("bench_edit").set_prior("beta.political.leader_ties", new, reason="benchmark")
    _, t_refit = _timed(lambda: wb.fit(edited, fit.settings).forecast())
    return {"reweight_s": t_reweight, "warm_refit_s": t_refit, "pareto_k": float(getattr(result, "pareto_k", float("nan")))}


def bench_growth(fit, draws_list, scen_list, seed):
    """Forecast time and peak memory as draws × scenarios grow (synthetic draws and scenarios)."""
    import xarray as xr

    from hedgecast.forecast import forecast
    from hedgecast.spec import ModelSpec

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
            gc.collect()
            tracemalloc.start()
            _, t = _timed(forecast, idata, big_spec, fit.lens, fit.inputs, names, seed)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out.append({"draws": n, "scenarios": s_count, "forecast_s": t, "peak_mb": peak / 2**20})
            del _
            xr.set_options()
    return out


def bench_report(quick: bool):
    """End-to-end `hedgecast report`, cold (fresh process, empty compile caches) and warm."""
    args = [str(ROOT / ".venv" / "bin" / "hedgecast"), "report", "--allow-warnings", "--out"]
    extra = ["--draws", "300", "--tune", "500", "--chains", "2"] if quick else []
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        # a scratch project (links to models/ and data/) so the benchmark's runs and reports
        # never land among the analyst's own
        scratch = Path(cache) / "project"
        scratch.mkdir()
        for name in ("models", "data", "pyproject.toml"):
            (scratch / name).symlink_to(ROOT / name)
        env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={cache}", "NUMBA_CACHE_DIR": cache, "HEDGECAST_ROOT": str(scratch)}
        t0 = time.perf_counter()
        subprocess.run([*args, str(Path(cache) / "cold.html"), *extra], cwd=scratch, env=env, check=True, capture_output=True)
        out["cold_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run([*args, str(Path(cache) / "warm.html"), *extra], cwd=scratch, env=env, check=True, capture_output=True)
        out["warm_s"] = time.perf_counter() - t0
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small draws, fewer growth points (the smoke test)")
    parser.add_argument("--no-report", action="store_true", help="skip the end-to-end report timing")
    args = parser.parse_args(argv)
    from rich.console import Console
    from rich.table import Table

    from hedgecast.workbench import Workbench

    console = Console()
    q = args.quick
    draws, tune, chains, seed = (100, 150, 2, 1) if q else (1000, 1500, 4, 2026)
    wb = Workbench.load(ROOT)
    lens = wb.lens("baseline")
    results: dict = {"settings": {"draws": draws, "tune": tune, "chains": chains, "seed": seed, "cores": os.cpu_count()}}
    console.print("[bold]samplers[/] (baseline: scan + PyMC NUTS; hedgecast: vectorized + nutpie)")
    results["samplers"] = with_rates(bench_samplers(wb, lens, draws, tune, chains, seed))
    fit = wb.fit(lens, draws=draws, tune=tune, chains=chains, seed=seed)
    fc, t_fc = _timed(fit.forecast)
    n_draws = fit.idata.posterior.sizes["chain"] * fit.idata.posterior.sizes["draw"]
    results["forecast"] = {"seconds": t_fc, "draws": n_draws, "scenarios": len(wb.spec.scenarios), "years": len(wb.spec.forecast_years)}
    console.print("[bold]prior edits[/]")
    results["edits"] = bench_edits(wb, fit, fc)
    console.print("[bold]growth[/]")
    results["growth"] = bench_growth(fit, [1000, 4000] if q else [1000, 4000, 16000], [7, 20] if q else [7, 20, 50], seed)
    if not args.no_report:
        console.print("[bold]end-to-end report[/] (cold and warm, fresh processes)")
        results["report"] = bench_report(q)
    s = results["samplers"]
    table = Table(title="hedgecast benchmarks (one run, this machine)")
    for col in ("measure", "baseline", "hedgecast", "ratio"):
        table.add_column(col, justify="right")
    for key, label in (("compile_s", "compile, s"), ("sample_s", "sampling, s"), ("total_s", "total, s"), ("min_bulk_ess", "min bulk ESS"), ("divergences", "divergences"), ("ess_per_s", "min ESS / s (total)"), ("ess_per_s_sampling", "min ESS / s (sampling)")):
        b, o = s["baseline"][key], s["hedgecast"][key]
        table.add_row(label, f"{b:.2f}", f"{o:.2f}", f"{o / b:.2f}" if b else "—")
    console.print(table)
    e = results["edits"]
    t2 = Table(title="forecast, edits, report")
    t2.add_column("measure")
    t2.add_column("value", justify="right")
    t2.add_row(f"forecast {results['forecast']['draws']} draws × {results['forecast']['scenarios']} scenarios × {results['forecast']['years']} years", f"{t_fc:.3f} s")
    t2.add_row(f"prior edit by reweighting (k̂ = {e['pareto_k']:.2f})", f"{e['reweight_s']:.3f} s")
    t2.add_row("prior edit by warm refit (no recompile)", f"{e['warm_refit_s']:.2f} s")
    if "report" in results:
        t2.add_row("hedgecast report, cold (fresh process, empty caches)", f"{results['report']['cold_s']:.1f} s")
        t2.add_row("hedgecast report, warm (fresh process, warm caches)", f"{results['report']['warm_s']:.1f} s")
    console.print(t2)
    t3 = Table(title="growth of forecasting")
    for col in ("draws", "scenarios", "draws×scenarios", "seconds", "µs per draw×scenario", "peak MB", "bytes per draw×scenario"):
        t3.add_column(col, justify="right")
    for g in results["growth"]:
        cells = g["draws"] * g["scenarios"]
        t3.add_row(str(g["draws"]), str(g["scenarios"]), str(cells), f"{g['forecast_s']:.3f}", f"{1e6 * g['forecast_s'] / cells:.1f}", f"{g['peak_mb']:.1f}", f"{g['peak_mb'] * 2**20 / cells:.0f}")
    console.print(t3)
    ess_ratio = s["hedgecast"]["ess_per_s"] / s["baseline"]["ess_per_s"]
    speedup = e["warm_refit_s"] / e["reweight_s"]
    report_s = results["report"]["warm_s"] if "report" in results else float("nan")
    share = t_fc / report_s
    results["result"] = {"ess_per_s_ratio": ess_ratio, "reweight_speedup": speedup, "forecast_share": share}
    out = ROOT / "reports" / "benchmarks.json"
    out.parent.mkdir(exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2))
    os.replace(tmp, out)
    print(f"RESULT ess_per_s_ratio={ess_ratio:.2f} reweight_speedup={speedup:.1f} forecast_share={share:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
