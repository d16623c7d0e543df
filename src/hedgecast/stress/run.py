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
section, :meth:`StressResult.to_json` the machine-readable record, and
:func:`cli_stress` does both for the ``hedgecast stress`` command.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hedgecast.stress import sensitivity as sens
from hedgecast.stress.believe import ALREADY, NONE, REACHED, UNDETERMINED, BelieveResult, Target, what_would_you_have_to_believe
from hedgecast.stress.pooling import Pool, lens_forecast, log_pool, pool
from hedgecast.stress.reweight import HEADLINE_YEAR, K_THRESHOLD, RefitPool, Reweighter, edit_prior, metric_name

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.forecasting.forecast import Forecast
    from hedgecast.workbench import Fit, Workbench

__all__ = ["StressResult", "StressSettings", "cli_stress", "run_stress", "stress_section"]

TITLE = "Stress test"
RUPTURE = metric_name("rupture")
TRANSACTIONAL = metric_name("transactional_equilibrium")
Progress = Callable[[str, float, float], None]


@dataclass(frozen=True)
class StressSettings:
    """What the stress test looks at and how much it may spend.

    Attributes
    ----------
    scenarios : tuple of str, optional
        Scenarios whose headline probabilities are tracked (default: all in the forecast).
    focus : tuple of str
        Scenarios shown with their own tornado and Sobol charts in the report.
    metrics : tuple of str
        Headline probabilities tracked (default: P(rupture by 2030), P(transactional_equilibrium in 2030)).
    targets : tuple of Target
        "What would you have to believe" targets.
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
    metrics: tuple[str, ...] = (RUPTURE, TRANSACTIONAL)
    targets: tuple[Target, ...] = (
        Target(RUPTURE, "protracted_war", ">=", 0.30),
        Target(RUPTURE, "protracted_war", "<=", 0.20),
    )
    year: int = HEADLINE_YEAR
    groups: tuple[str, ...] = sens.EFFECT_GROUPS
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

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        d["targets"] = [t.to_dict() for t in self.targets]
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
    power: sens.PowerScaling
    outcome: sens.OutcomeSensitivity
    sobol: sens.SobolResult
    believe: list[BelieveResult]
    pool: Pool | None
    refits: list[dict]
    timings: dict[str, float]
    notes: list[str] = field(default_factory=list)
    created: str = ""

    def top(self, scenario: str, metric: str = RUPTURE, k: int = 3) -> pd.DataFrame:
        """Return the ``k`` assumptions that move ``metric`` under ``scenario`` most (tornado swing)."""
        return self.outcome.tornado(scenario, metric).head(k)

    def to_dict(self) -> dict:
        scen = self.outcome.base["scenario"].unique().tolist()
        return _clean(
            {
                "created": self.created,
                "lens": self.lens,
                "n_draws": self.n_draws,
                "sampler": self.sampler,
                "diagnostics": self.diagnostics,
                "settings": self.settings.to_dict(),
                "k_threshold": K_THRESHOLD,
                "base": sens._records(self.base),
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
                "tornado": {s: {m: sens._records(self.outcome.tornado(s, m)) for m in self.settings.metrics} for s in scen},
                "sobol": self.sobol.to_dict(),
                "what_would_you_have_to_believe": [b.to_dict() for b in self.believe],
                "pool": self.pool.to_dict(list(self.settings.metrics)) if self.pool is not None else None,
                "refits": self.refits,
                "timings": self.timings,
                "notes": self.notes,
            }
        )

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)


def _clean(x: Any) -> Any:
    """JSON-safe: NaN/inf → None, numpy → Python."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return _clean(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


class _Stages:
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
    fit: Fit, forecast: Forecast, assumption: sens.Assumption, *, refit: bool = True, scenarios: Sequence[str] | None = None
) -> dict:
    """Time one instant edit (reweighting) and, if asked, the same edit forced through a warm refit.

    The edit moves ``assumption`` by half its tornado range upwards. Both results are
    kept, so the reweighted numbers can be compared with the refit's.
    """
    _, hi = (assumption.coordinate(v) for v in assumption.tornado)
    c0 = assumption.coordinate(assumption.base)
    value = assumption.value(c0 + 0.5 * (hi - c0))
    change = sens.changes_for(fit.lens, {assumption: value})
    edit = edit_prior(fit, forecast, change, refit="never", scenarios=scenarios)
    again = edit_prior(fit, forecast, change, refit="never", scenarios=scenarios)
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
        ref = edit_prior(fit, forecast, change, refit="always", scenarios=scenarios)
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
    assumptions: Sequence[sens.Assumption] | None = None,
    progress: Progress | None = None,
) -> StressResult:
    """Stress-test ``fit`` (and its ``forecast``): see the module docstring for the steps.

    ``progress(description, completed, total)`` is called as the steps advance.
    """
    settings = settings or StressSettings()
    t_all = time.perf_counter()
    stages = _Stages(progress)
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
    A = list(assumptions) if assumptions is not None else sens.default_assumptions(fit.lens, settings.groups)
    if not fit.diagnostics.passed:
        notes.append(
            "The fit's sampler diagnostics failed (" + "; ".join(fit.diagnostics.problems) + "): every number below inherits that."
        )

    # 2. power-scaling
    t = time.perf_counter()
    power = sens.power_scaling(fit, rw, metrics=metrics, progress=stages.stage("power"))
    timings["power_scaling_s"] = time.perf_counter() - t

    # 3. outcome sensitivity
    t = time.perf_counter()
    refits.budget = refits.used + settings.refits_tornado
    outcome = sens.outcome_sensitivity(rw, A, metrics=metrics, n_points=settings.n_points, refits=refits, progress=stages.stage("outcome"))
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
    latency = measure_latency(fit, forecast, fitted[0], refit=settings.measure_refit, scenarios=scenarios) if fitted else {}
    stage("Measured edit latency", 1, 1)
    timings["latency_s"] = time.perf_counter() - t

    # 4. Sobol over the top assumptions
    t = time.perf_counter()
    top = A_ranked[: settings.sobol_top]
    sobol = sens.sobol_indices(rw, top, metrics=metrics, n=settings.sobol_n, seed=settings.seed, progress=stages.stage("sobol"))
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


# ------------------------------------------------------------------------------------
# the report section
# ------------------------------------------------------------------------------------
def _figure(fig: Figure, alt: str) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", pad_inches=0.08, metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img style="max-width:100%" src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _e(x: Any) -> str:
    return html.escape(str(x))


def _p(x: float, digits: int = 1) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{100 * x:.{digits}f}%"


def _n(x: float, digits: int = 2) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _k(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    flag = ' <span style="color:#b00">(&gt; 0.7)</span>' if x > K_THRESHOLD else ""
    return f"{x:.2f}{flag}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "stress") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _label(metric: str) -> str:
    return metric.replace(", ", " by ", 1) if metric.startswith("P(rupture") else metric.replace(", ", " in ", 1)


def _latency_html(lat: dict) -> str:
    if not lat:
        return ""
    parts = [
        f"<p><b>Instant edit.</b> Changing a prior ({_e(lat['change'])}) updates every probability by reweighting the "
        f"{'existing'} posterior draws in <b>{lat['reweighted_edit_s'] * 1000:.0f} ms</b> "
        f"({lat['reweighted_edit_warm_s'] * 1000:.0f} ms when repeated), Pareto "
        f"k̂ = {_k(lat['pareto_k'])}, effective sample size {lat['ess']:.0f}."
    ]
    if "refit_edit_s" in lat:
        parts.append(
            f" The same edit through a warm refit (no recompile) took <b>{lat['refit_edit_s']:.1f} s</b> "
            f"(×{lat['ratio_refit_to_reweight']:.0f} the reweighted edit). "
        )
        agree = lat.get("agreement", [])
        if agree:
            z = max(abs(r["difference"]) / r["se_difference"] for r in agree if r["se_difference"] > 0)
            parts.append(
                f"Reweighted and refitted P(rupture by 2030) agree within {z:.1f} "
                f"Monte Carlo standard errors across the {len(agree)} scenarios."
            )
    parts.append(f" Above k̂ = {K_THRESHOLD} reweighted numbers are never shown: the workbench refits instead.</p>")
    return "".join(parts)


def _influential_html(res: StressResult) -> str:
    rows = []
    scen = list(dict.fromkeys([*res.settings.focus, *res.outcome.base["scenario"].unique()]))
    for s in scen:
        t = res.top(s, RUPTURE, 3)
        base = float(res.base.query("scenario == @s and metric == @RUPTURE")["probability"].iloc[0])
        cells = [f"<b>{_e(s)}</b>", _p(base)]
        for _, r in t.iterrows():
            cells.append(
                f"{_e(r['assumption'])}<br><small>{_p(r.get('p_low', np.nan))} … "
                f"{_p(r.get('p_high', np.nan))}{'' if r['complete'] else ' (one end k̂ &gt; 0.7)'}</small>"
            )
        rows.append(cells)
    return (
        "<h3>The three assumptions that move P(rupture by 2030) most</h3>"
        "<p>One at a time, across the tornado range of each assumption (location "
        "± 1 prior sd; scale × 2/3 … 3/2; probabilities ± 1 prior sd). "
        "The probabilities are at the low … high end of the range.</p>"
        + _table(["scenario", "P(rupture by 2030)", "1st", "2nd", "3rd"], rows)
    )


def _tornado_html(res: StressResult) -> str:
    out = ["<h3>Tornado charts</h3>"]
    for s in res.settings.focus:
        for m in res.settings.metrics:
            t = res.outcome.tornado(s, m)
            fig = sens.plot_tornado(t, title=f"{_label(m)} under {s}", xlabel=_label(m))
            out.append(_figure(fig, f"Tornado chart of {_label(m)} under {s}"))
    n_unrel = int((~res.outcome.points["reliable"]).sum() // max(1, res.outcome.points[["scenario", "metric"]].drop_duplicates().shape[0]))
    n_refit = int(
        (res.outcome.points["method"] == "refit").sum() // max(1, res.outcome.points[["scenario", "metric"]].drop_duplicates().shape[0])
    )
    out.append(
        f"<p>{n_refit} range ends were refitted (k̂ &gt; {K_THRESHOLD}); {n_unrel} remain unreliable and are marked ✕, not drawn.</p>"
    )
    return "".join(out)


def _sobol_html(res: StressResult) -> str:
    sob = res.sobol
    out = [
        f"<h3>Sobol indices</h3><p>The {len(sob.assumptions)} most influential "
        "assumptions varied jointly and uniformly over their tornado ranges: "
        f"{sob.n_evaluations} evaluations ({sob.n_base} base samples, Saltelli scheme), each a reweighting, in {sob.seconds:.0f} s. "
        "S1 is the share of the variance of the probability due to an assumption "
        "alone, ST including its interactions (95% bootstrap intervals). "
    ]
    if sob.n_unreliable:
        out.append(
            f'<b style="color:#b00">{sob.n_unreliable} evaluations ({100 * sob.share_unreliable:.1f}%) had k̂ &gt; '
            f"{K_THRESHOLD}</b> (largest k̂ {sob.max_pareto_k:.2f}): the indices are approximate to that extent."
        )
    else:
        out.append(f"Every evaluation had k̂ ≤ {K_THRESHOLD} (largest {sob.max_pareto_k:.2f}).")
    out.append("</p>")
    for s in res.settings.focus:
        t = sob.table(s, RUPTURE)
        out.append(_figure(sens.plot_sobol(t, title=f"Sobol indices: P(rupture by 2030) under {s}"), f"Sobol indices under {s}"))
        out.append(
            _table(
                ["assumption", "S1", "ST"],
                [
                    [_e(r["assumption"]), f"{r['S1']:.2f} ± {r['S1_conf']:.2f}", f"{r['ST']:.2f} ± {r['ST_conf']:.2f}"]
                    for _, r in t.iterrows()
                ],
            )
        )
    return "".join(out)


def _believe_html(res: StressResult) -> str:
    out = [
        "<h3>What would you have to believe?</h3><p>For each target, the smallest "
        "move of one assumption (the others as in the lens) that makes it hold, "
        "searched in both directions over the plausible range (location ± 3 prior sd; scale × 1/4 … 4; probabilities 0.01 … 0.99). "
        f"Where reweighting is unreliable (k̂ &gt; {K_THRESHOLD}) a warm refit "
        "decides, within a budget; otherwise the row says it is undetermined.</p>"
    ]
    for b in res.believe:
        t = b.table
        out.append(f"<h4>{_e(b.target)}</h4><p>With the lens as it is: {_p(b.base)} (± {_p(b.base_se)} Monte Carlo SE).</p>")
        if b.within_noise:
            out.append(
                "<p><b>The lens is already within two Monte Carlo standard errors of the threshold</b>: "
                "the shifts below are within the noise of the forecast, not real disagreements (and no refits were spent on it).</p>"
            )
        if (t["verdict"] == ALREADY).all():
            out.append("<p>The target already holds: nothing has to change.</p>")
            continue
        reached = b.reached()
        rows = [
            [
                _e(r["assumption"]),
                _e(f"{r['base_value']:.3g} → {r['required_value']:.3g}"),
                _e(r["shift_text"]),
                f"{_p(r['probability'])} ± {_p(r['mcse'])}",
                _k(r["pareto_k"]),
                _e(r["method"]),
            ]
            for _, r in reached.iterrows()
        ]
        header = ["assumption", "value needed", "shift", "probability there", "k̂", "how"]
        if rows:
            out.append(_table(header, rows[:12]))
            if len(rows) > 12:
                out.append(
                    f"<details><summary>{len(rows) - 12} more that reach it with "
                    f"larger shifts</summary>{_table(header, rows[12:])}</details>"
                )
        counts = t["verdict"].value_counts()
        none = t[t["verdict"] == NONE]["assumption"].tolist()
        und = t[t["verdict"] == UNDETERMINED]
        out.append(
            f"<p>{counts.get(REACHED, 0)} of {len(t)} assumptions can reach the target alone; "
            f"for {counts.get(NONE, 0)} no value in the plausible range does"
            + (f"; {len(und)} are undetermined without more refits" if len(und) else "")
            + ".</p>"
        )
        if none or len(und):
            items = "".join(f"<li>{_e(a)}: none in the plausible range</li>" for a in none)
            items += "".join(f"<li>{_e(r['assumption'])}: undetermined — {_e(r['note'])}</li>" for _, r in und.iterrows())
            out.append(f"<details><summary>Assumptions that cannot reach it</summary><ul>{items}</ul></details>")
    return "".join(out)


def _pool_html(res: StressResult) -> str:
    p = res.pool
    if p is None:
        return ""
    members = "".join(
        f"<li><b>{_e(m.name)}</b> (weight {w:.2f}): "
        + (_e(m.message) if m.method == "fit" else f"{_e(m.method)}, k̂ {_k(m.pareto_k)} — {_e(m.message)}")
        + "</li>"
        for m, w in zip(p.members, p.weights, strict=True)
    )
    out = [
        "<h3>Pooled forecast across lenses</h3>",
        "<p>Each lens's forecast comes from its own posterior: reweighted from this "
        f"fit where k̂ ≤ {K_THRESHOLD}, refitted warm otherwise.</p><ul>{members}</ul>",
    ]
    if p.excluded:
        out.append(f"<p><b>Left out</b> (unreliable, no refit budget): {_e(', '.join(p.excluded))}.</p>")
    if p.log is not None:
        out.append(
            "<p>Logarithmic pool of the priors (closed form per prior; precision-weighted for "
            f"Normal priors): {_e(p.log.method)}, k̂ {_k(p.log.pareto_k)} — {_e(p.log.message)}.</p>"
        )
    for m in res.settings.metrics:
        t = p.table([m])
        header = [
            "scenario",
            *[mm.name for mm in p.members],
            "linear pool",
            "log pool",
            "sd between lenses",
            "sd within lenses",
            "share of variance between",
        ]
        rows = []
        for _, r in t.iterrows():
            rows.append(
                [
                    _e(r["scenario"]),
                    *[_p(r[mm.name]) for mm in p.members],
                    f"<b>{_p(r['linear pool'])}</b>",
                    _p(r["log pool"]),
                    _p(r.get("sd between lenses", np.nan)),
                    _p(r.get("sd within lenses", np.nan)),
                    _p(r.get("share between", np.nan), 0),
                ]
            )
        out.append(f"<h4>{_e(_label(m))}</h4>" + _table(header, rows))
    out.append(
        "<p>The spread of each probability over lens × posterior draw splits "
        "into a between-lens part (the lenses disagree) and a within-lens part "
        "(each lens's own posterior uncertainty, estimated as the covariance of two independent forecast paths per draw).</p>"
    )
    return "".join(out)


def _power_html(res: StressResult) -> str:
    ps = res.power
    t = ps.table
    flagged = t[t["diagnosis"] != ""]
    out = [
        "<h3>Prior sensitivity (power-scaling)</h3>",
        "<p>How much each posterior quantity moves when one prior group is "
        "made slightly stronger or weaker (p(θ)<sup>α</sup>, α = 1 ± 0.01; "
        "Kallioinen et al. 2024, cumulative Jensen–Shannon distance via importance weights, <code>arviz.psens</code>). "
        f"Sensitivity ≥ {sens.SENSITIVITY_THRESHOLD} to both the prior and the likelihood flags "
        "a prior–data conflict; to the prior only, a prior that dominates weak data.</p>",
    ]
    out.append(_figure(sens.plot_power_scaling(ps), "Power-scaling sensitivity matrix"))
    conflicts = flagged[flagged["diagnosis"] == "prior-data conflict"]
    strong = flagged[flagged["diagnosis"] != "prior-data conflict"]
    out.append(f"<p>{len(conflicts)} parameters show prior–data conflict, {len(strong)} are dominated by their prior.</p>")
    if len(flagged):
        rows = [
            [
                _e(r["parameter"]),
                _n(r["prior"], 3),
                _n(r["likelihood"], 3),
                _e(r["diagnosis"]),
                f"{_e(r['dominant_prior'])} ({_n(r['dominant_sensitivity'], 3)})",
            ]
            for _, r in flagged.sort_values("prior", ascending=False).iterrows()
        ]
        out.append(
            f"<details><summary>Flagged parameters ({len(flagged)})</summary>"
            + _table(["parameter", "prior sensitivity", "likelihood sensitivity", "diagnosis", "most influential prior group"], rows)
            + "</details>"
        )
    h = ps.headline
    if len(h):
        h = h[h["metric"] == RUPTURE]
        piv = h.assign(a=h["dP_dlog2alpha"].abs()).sort_values("a", ascending=False).drop_duplicates("prior_group").head(6)
        rows = [
            [_e(r["prior_group"]), _e(r["scenario"]), f"{100 * r['dP_dlog2alpha']:+.2f} pp", _k(r["pareto_k"])] for _, r in piv.iterrows()
        ]
        out.append(
            "<p>Which prior groups the headline leans on: the change of P(rupture by "
            "2030) per doubling of a prior group's weight (local slope at α = 1).</p>"
            + _table(["prior group", "scenario (largest)", "dP / dlog₂α", "k̂"], rows)
        )
    return "".join(out)


STYLE = """<style>
table.stress{border-collapse:collapse;font-size:0.85em;margin:0.5em 0 1em}
table.stress th,table.stress td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
table.stress th{background:#f4f4f4}
</style>"""


def stress_section(result: StressResult) -> tuple[str, str]:
    """Render the report section ``(title, html)``.

    Tornado charts, Sobol indices, the believe table, the pooled forecast and power-scaling.

    Self-contained HTML (figures as base64 PNG, no external files).
    """
    res = result
    head = (
        f"<p>Stress test of lens <b>{_e(res.lens)}</b> on {res.n_draws} posterior "
        f"draws ({res.sampler.get('chains')} chains × {res.sampler.get('draws')}), "
        f"in {res.timings.get('total_s', float('nan')):.0f} s with {len(res.refits)} "
        "warm refit(s). Every reweighted number carries its Pareto k̂; "
        f"none with k̂ &gt; {K_THRESHOLD} is shown without a refit.</p>"
    )
    notes = "".join(f'<p style="color:#b00">{_e(n)}</p>' for n in res.notes)
    parts = [
        STYLE,
        head,
        notes,
        _latency_html(res.latency),
        _influential_html(res),
        _tornado_html(res),
        _sobol_html(res),
        _believe_html(res),
        _pool_html(res),
        _power_html(res),
    ]
    if res.refits:
        rows = [
            [
                _e("; ".join(f"{k}: {v}" for k, v in r["changes"].items())),
                _e(r["why"]),
                f"{r['refit_s']:.1f} s",
                "warm" if r["warm"] else "recompiled",
                "passed" if r["diagnostics_passed"] else _e("; ".join(r["problems"])),
            ]
            for r in res.refits
        ]
        parts.append(
            "<details><summary>Refits</summary>" + _table(["changed prior", "why", "sampling", "model", "diagnostics"], rows) + "</details>"
        )
    return TITLE, "".join(parts)


# ------------------------------------------------------------------------------------
# the command line entry
# ------------------------------------------------------------------------------------
def _write_atomic(path: Path, text: str) -> Path:
    from hedgecast.report.build import write_atomic

    return write_atomic(path, text)


def cli_stress(
    workbench: Workbench,
    fit: Fit,
    forecast: Forecast,
    progress_callback: Progress | None = None,
    *,
    settings: StressSettings | None = None,
    json_path: str | os.PathLike | None = None,
) -> tuple[StressResult, tuple[str, str]]:
    """Run the stress test, write ``reports/stress.json`` (atomically) and return the result and the report section.

    ``progress_callback(description, completed, total)`` drives a progress bar.
    """
    result = run_stress(fit, forecast, settings, workbench=workbench, progress=progress_callback)
    target = Path(json_path) if json_path is not None else workbench.paths.reports / "stress.json"
    _write_atomic(target, result.to_json())
    return result, stress_section(result)
