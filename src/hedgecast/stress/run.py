"""The stress test's report section and its command-line entry.

:func:`hedgecast.stress.suite.run_stress` computes the stress test; :func:`stress_section`
renders its report section and :func:`cli_stress` runs it for the ``hedgecast stress``
command, writing ``reports/stress.json``.
"""

from __future__ import annotations

import base64
import html
import io
import os
import types
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from hedgecast.files import write_atomic
from hedgecast.stress.believe import ALREADY, NONE, REACHED, UNDETERMINED
from hedgecast.stress.draws import metric_name
from hedgecast.stress.power_scaling import SENSITIVITY_THRESHOLD, plot_power_scaling
from hedgecast.stress.progress import Progress
from hedgecast.stress.psis import K_THRESHOLD
from hedgecast.stress.sobol import plot_sobol
from hedgecast.stress.suite import StressResult, StressSettings, run_stress
from hedgecast.stress.tornado import plot_tornado

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.forecasting.forecast import Forecast
    from hedgecast.workbench import Fit, Workbench

__all__ = ["cli_stress", "stress_section"]

TITLE = "Stress test"
# The report section below (moving to hedgecast.report) reads the charts under the name of the
# module they came from, and quotes the model spec's first headline year, 2030.
sens = types.SimpleNamespace(
    plot_tornado=plot_tornado, plot_sobol=plot_sobol, plot_power_scaling=plot_power_scaling, SENSITIVITY_THRESHOLD=SENSITIVITY_THRESHOLD
)
RUPTURE = metric_name("rupture", 2030)


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
    write_atomic(target, result.to_json())
    return result, stress_section(result)
