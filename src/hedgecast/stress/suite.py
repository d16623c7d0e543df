"""The stress test: which assumptions carry the forecast, what one would have to believe, the pooled view.

:func:`run_stress` runs, on one fit and its forecast:

1. the latency of an instant (reweighted) prior edit and of a warm refit, measured;
2. power-scaling sensitivity per prior group (prior–data conflict flagged);
3. outcome sensitivity of the headline probabilities to every assumption (tornado);
4. Sobol indices over the most influential assumptions jointly;
5. "what would you have to believe" for the targets;
6. the linear and logarithmic pools of the project's lenses, with the spread of each
   headline probability split into between-lens and within-lens parts.

Everything is reweighting except where k̂ > 0.7, which is refitted warm within a budget
or marked and not reported as a number. :func:`stress_section` renders the report
section (:mod:`hedgecast.stress.run`), :meth:`StressResult.to_json` the machine-readable record.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import pandas as pd

from hedgecast.files import dumps, json_safe, records
from hedgecast.priors.groups import STRESS_GROUPS
from hedgecast.stress.assumptions import Assumption, changes_for, default_assumptions
from hedgecast.stress.believe import ALREADY, NONE, REACHED, UNDETERMINED, BelieveResult, Target, what_would_you_have_to_believe
from hedgecast.stress.draws import metric_name
from hedgecast.stress.edits import edit_prior
from hedgecast.stress.log_pool import log_pool
from hedgecast.stress.pooling import Pool, lens_forecast, pool
from hedgecast.stress.power_scaling import SENSITIVITY_THRESHOLD, PowerScaling, power_scaling
from hedgecast.stress.progress import Progress
from hedgecast.stress.psis import K_THRESHOLD
from hedgecast.stress.refits import RefitPool
from hedgecast.stress.reweight import Reweighter
from hedgecast.stress.sobol import SobolResult, sobol_indices
from hedgecast.stress.tornado import OutcomeSensitivity, outcome_sensitivity

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.forecasting.forecast import Forecast
    from hedgecast.inputs.spec import ModelSpec
    from hedgecast.workbench import Fit, Workbench

__all__ = ["StressResult", "StressSettings", "measure_latency", "run_stress"]


@dataclass(frozen=True)
class StressSettings:
    """What the stress test looks at and how much it may spend.

    Attributes
    ----------
    scenarios : tuple of str, optional
        Scenarios whose headline probabilities are tracked (default: all in the forecast).
    focus : tuple of str
        Scenarios shown with their own tornado and Sobol charts in the report.
    metrics : tuple of str, optional
        Headline probabilities tracked (default: P(rupture, <year>), P(transactional_equilibrium, <year>)).
    targets : tuple of Target, optional
        "What would you have to believe" targets (default: P(rupture, <year>) ≥ 0.30 and ≤ 0.20
        under protracted_war).
    year : int, optional
        The headline year (default: the spec's first headline year).
    sobol_top, sobol_n : int
        Sobol indices over the ``sobol_top`` most influential assumptions (by tornado
        swing of the first metric under the first focus scenario), ``sobol_n`` base samples.
    lenses : tuple of str, optional
        Lenses to pool (default: every lens in the project), with ``pool_weights``.
    refits_tornado, refits_believe, refits_pool : int
        Warm-refit budgets of the steps (a refit at default sampler settings takes tens of
        seconds on a laptop); ``measure_refit`` spends one more to time it.

    """

    scenarios: tuple[str, ...] | None = None
    focus: tuple[str, ...] = ("protracted_war", "status_quo")
    metrics: tuple[str, ...] | None = None
    targets: tuple[Target, ...] | None = None
    year: int | None = None
    groups: tuple[str, ...] = STRESS_GROUPS
    n_points: int = 3
    sobol_top: int = 8
    sobol_n: int = 256
    lenses: tuple[str, ...] | None = None
    pool_weights: tuple[float, ...] | None = None
    refits_tornado: int = 2
    refits_believe: int = 3
    refits_pool: int = 4
    measure_refit: bool = True
    seed: int = 2026

    def resolved(self, spec: ModelSpec) -> StressSettings:
        """These settings with the year, metrics and targets left open filled in from ``spec``'s headline year."""
        year = spec.headline_year if self.year is None else self.year
        rupture = metric_name("rupture", year)
        metrics = self.metrics if self.metrics is not None else (rupture, metric_name("transactional_equilibrium", year))
        targets = (
            self.targets
            if self.targets is not None
            else (Target(rupture, "protracted_war", ">=", 0.30), Target(rupture, "protracted_war", "<=", 0.20))
        )
        return replace(self, year=year, metrics=metrics, targets=targets)

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["targets"] = None if self.targets is None else [t.to_dict() for t in self.targets]
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


@dataclass
class StressResult:
    """Everything the stress test found, with how each number was computed."""

    settings: StressSettings
    lens: str
    n_draws: int
    sampler: dict
    diagnostics: dict
    base: pd.DataFrame  # scenario, metric, probability, mcse
    latency: dict
    power: PowerScaling
    outcome: OutcomeSensitivity
    sobol: SobolResult
    believe: list[BelieveResult]
    pool: Pool | None
    refits: list[dict]
    timings: dict[str, float]
    notes: list[str] = field(default_factory=list)
    created: str = ""

    def top(self, scenario: str, metric: str | None = None, k: int = 3) -> pd.DataFrame:
        """Return the ``k`` assumptions that move ``metric`` (default: the first tracked) under ``scenario`` most (tornado swing)."""
        return self.outcome.tornado(scenario, self.settings.metrics[0] if metric is None else metric).head(k)

    def to_dict(self) -> dict:
        scen = self.outcome.base["scenario"].unique().tolist()
        return json_safe(
            {
                "created": self.created,
                "lens": self.lens,
                "n_draws": self.n_draws,
                "sampler": self.sampler,
                "diagnostics": self.diagnostics,
                "primary_metric": self.settings.metrics[0],
                "sensitivity_threshold": SENSITIVITY_THRESHOLD,
                "verdicts": {"reached": REACHED, "already": ALREADY, "none": NONE, "undetermined": UNDETERMINED},
                "settings": self.settings.to_dict(),
                "k_threshold": K_THRESHOLD,
                "base": records(self.base),
                "latency": self.latency,
                "most_influential": {
                    s: {
                        m: self.top(s, m)[["assumption", "p_low", "p_high", "swing", "complete"]].to_dict(orient="records")
                        for m in self.settings.metrics
                    }
                    for s in scen
                },
                "power_scaling": self.power.to_dict(),
                "outcome_sensitivity": self.outcome.to_dict(),
                "tornado": {s: {m: records(self.outcome.tornado(s, m)) for m in self.settings.metrics} for s in scen},
                "sobol": self.sobol.to_dict(),
                "what_would_you_have_to_believe": [b.to_dict() for b in self.believe],
                "pool": self.pool.to_dict(list(self.settings.metrics)) if self.pool is not None else None,
                "refits": self.refits,
                "timings": self.timings,
                "notes": self.notes,
            }
        )

    def to_json(self, indent: int = 2) -> str:
        return dumps(self.to_dict(), indent=indent, allow_nan=False)


class Stages:
    """Maps each step's own progress onto one bar (0 … 100)."""

    WEIGHTS = (("power", 5), ("outcome", 20), ("latency", 10), ("sobol", 15), ("believe", 25), ("pool", 25))  # in run order

    def __init__(self, callback: Progress | None):
        self.cb = callback
        self.start = {}
        acc = 0.0
        for name, w in self.WEIGHTS:
            self.start[name] = (acc, w)
            acc += w
        self.total = acc

    def stage(self, name: str) -> Progress:
        lo, w = self.start[name]

        def cb(desc: str, done: float, total: float) -> None:
            if self.cb is not None:
                frac = min(max(done / total, 0.0), 1.0) if total else 1.0
                self.cb(desc, lo + w * frac, self.total)

        return cb

    def done(self) -> None:
        if self.cb is not None:
            self.cb("Stress test done", self.total, self.total)


def measure_latency(
    fit: Fit,
    forecast: Forecast,
    assumption: Assumption,
    *,
    refit: bool = True,
    scenarios: Sequence[str] | None = None,
    year: int | None = None,
) -> dict:
    """Time one instant edit (reweighting) and, if asked, the same edit forced through a warm refit.

    The edit moves ``assumption`` by half its tornado range upwards. Both results are
    kept, so the reweighted numbers can be compared with the refit's (P(rupture) at
    ``year``, default the spec's first headline year).
    """
    year = forecast.spec.headline_year if year is None else year
    RUPTURE = metric_name("rupture", year)
    _, hi = (assumption.coordinate(v) for v in assumption.tornado)
    c0 = assumption.coordinate(assumption.base)
    value = assumption.value(c0 + 0.5 * (hi - c0))
    change = changes_for(fit.lens, {assumption: value})
    edit = edit_prior(fit, forecast, change, refit="never", scenarios=scenarios, year=year)
    again = edit_prior(fit, forecast, change, refit="never", scenarios=scenarios, year=year)
    out = {
        "change": f"{assumption.name}: {assumption.describe(value)}",
        "reweighted_edit_s": edit.latency_s,
        "reweighted_edit_warm_s": again.latency_s,
        "pareto_k": edit.pareto_k,
        "ess": edit.ess,
        "reweighted": {RUPTURE: edit.table([RUPTURE]).to_dict(orient="records")},
        "message": edit.message,
    }
    if refit:
        ref = edit_prior(fit, forecast, change, refit="always", scenarios=scenarios, year=year)
        out["refit_edit_s"] = ref.latency_s
        out["refit_sampling_s"] = ref.timings.get("refit_s")
        out["refit_message"] = ref.message
        out["ratio_refit_to_reweight"] = ref.latency_s / edit.latency_s if edit.latency_s > 0 else None
        rows = []
        for s in edit.probabilities["scenario"].values:
            a, b = float(edit.probabilities.sel(quantity=RUPTURE, scenario=s)), float(ref.probabilities.sel(quantity=RUPTURE, scenario=s))
            sa, sb = float(edit.mcse.sel(quantity=RUPTURE, scenario=s)), float(ref.mcse.sel(quantity=RUPTURE, scenario=s))
            rows.append({"scenario": str(s), "reweighted": a, "refit": b, "difference": a - b, "se_difference": math.hypot(sa, sb)})
        out["agreement"] = rows
        out["refit_diagnostics_passed"] = bool(ref.fit.diagnostics.passed) if ref.fit is not None else None
    return out


def run_stress(
    fit: Fit,
    forecast: Forecast,
    settings: StressSettings | None = None,
    *,
    workbench: Workbench | None = None,
    assumptions: Sequence[Assumption] | None = None,
    progress: Progress | None = None,
) -> StressResult:
    """Stress-test ``fit`` (and its ``forecast``): see the module docstring for the steps.

    ``progress(description, completed, total)`` is called as the steps advance.
    """
    settings = (settings or StressSettings()).resolved(forecast.spec)
    t_all = time.perf_counter()
    stages = Stages(progress)
    timings: dict[str, float] = {}
    notes: list[str] = []
    scenarios = list(settings.scenarios) if settings.scenarios else list(forecast.scenarios)
    missing = [s for s in (*settings.focus, *(t.scenario for t in settings.targets)) if s not in scenarios]
    if missing:
        raise ValueError(f"scenario(s) {', '.join(sorted(set(missing)))} not in the forecast ({', '.join(scenarios)})")
    metrics = list(settings.metrics)
    rw = Reweighter(fit, forecast, scenarios=scenarios, year=settings.year)
    refits = RefitPool(rw, 0)
    base_ev = rw.base()
    base = pd.DataFrame(
        [{"scenario": s, "metric": m, "probability": base_ev.value(m, s), "mcse": base_ev.se(m, s)} for s in scenarios for m in metrics]
    )
    A = list(assumptions) if assumptions is not None else default_assumptions(fit.lens, settings.groups)
    if not fit.diagnostics.passed:
        notes.append(
            "The fit's sampler diagnostics failed (" + "; ".join(fit.diagnostics.problems) + "): every number below inherits that."
        )

    # 2. power-scaling
    t = time.perf_counter()
    power = power_scaling(fit, rw, metrics=metrics, progress=stages.stage("power"))
    timings["power_scaling_s"] = time.perf_counter() - t

    # 3. outcome sensitivity
    t = time.perf_counter()
    refits.budget = refits.used + settings.refits_tornado
    outcome = outcome_sensitivity(rw, A, metrics=metrics, n_points=settings.n_points, refits=refits, progress=stages.stage("outcome"))
    timings["outcome_sensitivity_s"] = time.perf_counter() - t
    focus0 = settings.focus[0]
    ranked = outcome.tornado(focus0, metrics[0])
    order = {name: i for i, name in enumerate(ranked["assumption"])}
    A_ranked = sorted(A, key=lambda a: order.get(a.name, len(order)))

    # 1. latency of an instant edit vs a warm refit, on the most influential fitted assumption
    t = time.perf_counter()
    stage = stages.stage("latency")
    stage("Measuring an instant edit and a warm refit", 0, 1)
    fitted = [a for a in A_ranked if not a.is_forecast_only and a.knob == "location"]
    latency = (
        measure_latency(fit, forecast, fitted[0], refit=settings.measure_refit, scenarios=scenarios, year=settings.year) if fitted else {}
    )
    stage("Measured edit latency", 1, 1)
    timings["latency_s"] = time.perf_counter() - t

    # 4. Sobol over the top assumptions
    t = time.perf_counter()
    top = A_ranked[: settings.sobol_top]
    sobol = sobol_indices(rw, top, metrics=metrics, n=settings.sobol_n, seed=settings.seed, progress=stages.stage("sobol"))
    timings["sobol_s"] = time.perf_counter() - t
    if sobol.n_unreliable:
        notes.append(
            f"Sobol: {sobol.n_unreliable} of {sobol.n_evaluations} evaluations ({100 * sobol.share_unreliable:.1f}%) "
            f"had k̂ > {K_THRESHOLD}; the indices are approximate to that extent."
        )

    # 5. what would you have to believe
    t = time.perf_counter()
    refits.budget = refits.used + settings.refits_believe
    believe = []
    bstage = stages.stage("believe")
    for i, target in enumerate(settings.targets):

        def cb(desc, done, total, i=i, target=target):
            bstage(f"{target}: {desc}", i + (done / total if total else 1), len(settings.targets))

        believe.append(what_would_you_have_to_believe(rw, target, A_ranked, refits=refits, progress=cb))
    timings["believe_s"] = time.perf_counter() - t

    # 6. pooling the project's lenses
    t = time.perf_counter()
    pstage = stages.stage("pool")
    wb = workbench or fit.workbench
    names = list(settings.lenses) if settings.lenses else wb.lenses()
    refits.budget = refits.used + settings.refits_pool
    members = []
    for i, name in enumerate(names):
        pstage(f"Pooling: lens {name}", i, len(names) + 1)
        lens = fit.lens if name == fit.lens.name else wb.lens(name)
        members.append(lens_forecast(rw, lens, refits=refits))
    pstage("Pooling: logarithmic pool", len(names), len(names) + 1)
    weights = list(settings.pool_weights) if settings.pool_weights else None
    proposals = [rw, *[r for r in refits.cache.values()]]
    logp = log_pool(proposals, [m.lens for m in members], weights, refits=refits)
    pooled = pool(members, weights, log=logp, metrics=metrics)
    if pooled.excluded:
        notes.append(
            f"Pooling left out {', '.join(pooled.excluded)}: reweighting was unreliable (k̂ > {K_THRESHOLD}) and the refit budget was spent."
        )
    timings["pool_s"] = time.perf_counter() - t
    timings["total_s"] = time.perf_counter() - t_all
    stages.done()
    return StressResult(
        settings=settings,
        lens=fit.lens.name,
        n_draws=rw.n,
        sampler=dict(fit.settings.__dict__),
        diagnostics=fit.diagnostics.to_dict(),
        base=base,
        latency=latency,
        power=power,
        outcome=outcome,
        sobol=sobol,
        believe=believe,
        pool=pooled,
        refits=list(refits.records),
        timings=timings,
        notes=notes,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
