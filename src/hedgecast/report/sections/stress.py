"""The stress test section, built from the stress test's record (``StressResult.to_dict()`` or ``reports/stress.json``).

Reading the record rather than the live objects means a saved result and a fresh one give
the same section, and the report does not depend on the stress machinery.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from hedgecast import plots
from hedgecast.report.contracts import Bullets, Figure, Heading, Paragraph, Section, Table

TITLE = "Stress test"
NUMERIC = ("p_low", "p_high", "base", "probability", "mcse", "pareto_k", "S1", "S1_conf", "ST", "ST_conf", "shift", "swing")


def _record(result: Any) -> dict:
    if isinstance(result, (str, Path)):
        return json.loads(Path(result).read_text(encoding="utf-8"))
    if isinstance(result, Mapping):
        return dict(result)
    return json.loads(result.to_json())  # a StressResult: the same record as the saved file


def _frame(records: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(records)
    for c in df.columns:
        if c in NUMERIC or c.startswith(("k_", "p_", "mcse_")):
            df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


def _f(x: Any) -> float:
    return float("nan") if x is None else float(x)


def _p(x: Any, digits: int = 1) -> str:
    x = _f(x)
    return "–" if not math.isfinite(x) else f"{100 * x:.{digits}f}%"


def _k(x: Any, threshold: float) -> str:
    x = _f(x)
    if not math.isfinite(x):
        return "–"
    return f"{x:.2f}" + (f" (> {threshold})" if x > threshold else "")


def _label(metric: str) -> str:
    return metric.replace(", ", " by ", 1) if metric.startswith("P(rupture") else metric.replace(", ", " in ", 1)


def stress_section(result: Any) -> Section:
    """Tornado charts, Sobol indices, what you would have to believe, the pooled forecast and power-scaling, as data.

    ``result``: a :class:`~hedgecast.stress.run.StressResult`, its ``to_dict()``, or the path of ``reports/stress.json``.
    """
    d = _record(result)
    K = d["k_threshold"]
    metrics = list(d["settings"]["metrics"])
    primary = d.get("primary_metric", metrics[0])
    focus = list(d["settings"]["focus"])
    sampler = d.get("sampler", {})
    blocks: list = [
        Paragraph(
            f"Stress test of lens {d['lens']} on {d['n_draws']} posterior draws ({sampler.get('chains')} chains × {sampler.get('draws')}), "
            f"in {_f(d['timings'].get('total_s')):.0f} s with {len(d['refits'])} warm refit(s). Every reweighted number carries its "
            f"Pareto k̂; none with k̂ > {K} is shown without a refit."
        )
    ]
    blocks += [Paragraph(n, style="warn") for n in d.get("notes", [])]
    blocks += _latency(d.get("latency") or {}, K, primary)
    blocks += _influential(d, primary, focus, K)
    blocks += _tornado(d, focus, metrics, K)
    blocks += _sobol(d, focus, primary, K)
    blocks += _believe(d, K)
    blocks += _pool(d, metrics, K)
    blocks += _power(d, primary, K)
    if d["refits"]:
        rows = [
            {
                "changed prior": "; ".join(f"{k}: {v}" for k, v in r["changes"].items()),
                "why": r["why"],
                "sampling": f"{r['refit_s']:.1f} s",
                "model": "warm" if r["warm"] else "recompiled",
                "diagnostics": "passed" if r["diagnostics_passed"] else "; ".join(r["problems"]),
            }
            for r in d["refits"]
        ]
        blocks.append(Table(pd.DataFrame(rows), caption="Refits", collapsed=True, index=False, css="small"))
    status = "warn" if d.get("notes") else "ok"
    return Section("stress", TITLE, tuple(blocks), status=status)


def _latency(lat: dict, K: float, primary: str) -> list:
    if not lat:
        return []
    text = (
        f"Instant edit. Changing a prior ({lat['change']}) updates every probability by reweighting the existing posterior draws in "
        f"{lat['reweighted_edit_s'] * 1000:.0f} ms ({lat['reweighted_edit_warm_s'] * 1000:.0f} ms when repeated), Pareto "
        f"k̂ = {_k(lat['pareto_k'], K)}, effective sample size {lat['ess']:.0f}."
    )
    if "refit_edit_s" in lat:
        text += f" The same edit through a warm refit (no recompile) took {lat['refit_edit_s']:.1f} s (×{lat['ratio_refit_to_reweight']:.0f} the reweighted edit)."
        agree = [r for r in lat.get("agreement", []) if r["se_difference"] and r["se_difference"] > 0]
        if agree:
            z = max(abs(r["difference"]) / r["se_difference"] for r in agree)
            text += f" Reweighted and refitted {_label(primary)} agree within {z:.1f} Monte Carlo standard errors across the {len(lat['agreement'])} scenarios."
    text += f" Above k̂ = {K} reweighted numbers are never shown: the workbench refits instead."
    return [Paragraph(text)]


def _influential(d: dict, primary: str, focus: list[str], K: float) -> list:
    base = _frame(d["base"])
    scenarios = list(dict.fromkeys([*focus, *base["scenario"]]))
    rows = []
    for s in scenarios:
        top = d["tornado"].get(s, {}).get(primary, [])[:3]
        p0 = base[(base["scenario"] == s) & (base["metric"] == primary)]["probability"]
        row = {"scenario": s, _label(primary): _p(p0.iloc[0]) if len(p0) else "–"}
        for i, r in enumerate(top):
            flag = "" if r["complete"] else f" (one end k̂ > {K})"
            row[("1st", "2nd", "3rd")[i]] = f"{r['assumption']}: {_p(r.get('p_low'))} … {_p(r.get('p_high'))}{flag}"
        rows.append(row)
    return [
        Heading(f"The three assumptions that move {_label(primary)} most"),
        Paragraph(
            "One at a time, across the tornado range of each assumption (location ± 1 prior sd; scale × 2/3 … 3/2; probabilities ± 1 prior sd). "
            "The probabilities are at the low … high end of the range."
        ),
        Table(pd.DataFrame(rows).set_index("scenario"), css="small"),
    ]


def _tornado(d: dict, focus: list[str], metrics: list[str], K: float) -> list:
    out: list = [Heading("Tornado charts")]
    for s in focus:
        for m in metrics:
            t = _frame(d["tornado"][s][m])
            out.append(
                Figure(plots.plot_tornado(t, title=f"{_label(m)} under {s}", xlabel=_label(m)), f"Tornado chart of {_label(m)} under {s}")
            )
    pts = pd.DataFrame(d["outcome_sensitivity"]["points"])
    per = max(1, pts[["scenario", "metric"]].drop_duplicates().shape[0]) if len(pts) else 1
    n_unrel = int((~pts["reliable"].astype(bool)).sum() // per) if len(pts) else 0
    n_refit = int((pts["method"] == "refit").sum() // per) if len(pts) else 0
    out.append(Paragraph(f"{n_refit} range ends were refitted (k̂ > {K}); {n_unrel} remain unreliable and are marked ✕, not drawn."))
    return out


def _sobol(d: dict, focus: list[str], primary: str, K: float) -> list:
    sob = d["sobol"]
    text = (
        f"The {len(sob['assumptions'])} most influential assumptions varied jointly and uniformly over their tornado ranges: "
        f"{sob['n_evaluations']} evaluations ({sob['n_base']} base samples, Saltelli scheme), each a reweighting, in {sob['seconds']:.0f} s. "
        "S1 is the share of the variance of the probability due to an assumption alone, ST including its interactions (95% bootstrap intervals). "
    )
    if sob["n_unreliable"]:
        text += f"{sob['n_unreliable']} evaluations ({100 * sob['share_unreliable']:.1f}%) had k̂ > {K} (largest k̂ {_f(sob['max_pareto_k']):.2f}): the indices are approximate to that extent."
    else:
        text += f"Every evaluation had k̂ ≤ {K} (largest {_f(sob['max_pareto_k']):.2f})."
    out: list = [Heading("Sobol indices"), Paragraph(text, style="warn" if sob["n_unreliable"] else "p")]
    idx = _frame(sob["indices"])
    for s in focus:
        t = (
            idx[(idx["scenario"] == s) & (idx["metric"] == primary)].sort_values("ST", ascending=False).reset_index(drop=True)
            if len(idx)
            else idx
        )
        out.append(Figure(plots.plot_sobol(t, title=f"Sobol indices: {_label(primary)} under {s}"), f"Sobol indices under {s}"))
        rows = [
            {"assumption": r["assumption"], "S1": f"{r['S1']:.2f} ± {r['S1_conf']:.2f}", "ST": f"{r['ST']:.2f} ± {r['ST_conf']:.2f}"}
            for _, r in t.iterrows()
        ]
        out.append(Table(pd.DataFrame(rows, columns=["assumption", "S1", "ST"]), index=False, css="small"))
    return out


def _believe(d: dict, K: float) -> list:
    v = d.get("verdicts", {})
    reached_v, already_v, none_v, und_v = (v.get(k) for k in ("reached", "already", "none", "undetermined"))
    out: list = [
        Heading("What would you have to believe?"),
        Paragraph(
            "For each target, the smallest move of one assumption (the others as in the lens) that makes it hold, searched in both directions "
            "over the plausible range (location ± 3 prior sd; scale × 1/4 … 4; probabilities 0.01 … 0.99). "
            f"Where reweighting is unreliable (k̂ > {K}) a warm refit decides, within a budget; otherwise the row says it is undetermined."
        ),
    ]
    for b in d["what_would_you_have_to_believe"]:
        t = _frame(b["table"])
        out += [
            Heading(b["target"]["text"], level=4),
            Paragraph(f"With the lens as it is: {_p(b['base'])} (± {_p(b['base_mcse'])} Monte Carlo SE)."),
        ]
        if b["within_noise"]:
            out.append(
                Paragraph(
                    "The lens is already within two Monte Carlo standard errors of the threshold: the shifts below are within the noise of the "
                    "forecast, not real disagreements (and no refits were spent on it).",
                    style="strong",
                )
            )
        if len(t) and (t["verdict"] == already_v).all():
            out.append(Paragraph("The target already holds: nothing has to change."))
            continue
        reached = t[t["verdict"] == reached_v] if len(t) else t
        reached = reached.reindex(reached["shift"].abs().sort_values().index) if len(reached) else reached
        rows = [
            {
                "assumption": r["assumption"],
                "value needed": f"{r['base_value']:.3g} → {r['required_value']:.3g}",
                "shift": r["shift_text"],
                "probability there": f"{_p(r['probability'])} ± {_p(r['mcse'])}",
                "k̂": _k(r["pareto_k"], K),
                "how": r["method"],
            }
            for _, r in reached.iterrows()
        ]
        if rows:
            out.append(Table(pd.DataFrame(rows[:12]), index=False, css="small"))
            if len(rows) > 12:
                out.append(
                    Table(
                        pd.DataFrame(rows[12:]),
                        caption=f"{len(rows) - 12} more that reach it with larger shifts",
                        collapsed=True,
                        index=False,
                        css="small",
                    )
                )
        counts = t["verdict"].value_counts() if len(t) else pd.Series(dtype=int)
        none = t[t["verdict"] == none_v]["assumption"].tolist() if len(t) else []
        und = t[t["verdict"] == und_v] if len(t) else t
        out.append(
            Paragraph(
                f"{counts.get(reached_v, 0)} of {len(t)} assumptions can reach the target alone; for {counts.get(none_v, 0)} no value in the plausible range does"
                + (f"; {len(und)} are undetermined without more refits" if len(und) else "")
                + "."
            )
        )
        if none or len(und):
            items = [f"{a}: none in the plausible range" for a in none] + [
                f"{r['assumption']}: undetermined — {r['note']}" for _, r in und.iterrows()
            ]
            out.append(Bullets(tuple(items)))
    return out


def _pool(d: dict, metrics: list[str], K: float) -> list:
    p = d.get("pool")
    if not p:
        return []
    members = [
        f"{m['name']} (weight {w:.2f}): "
        + (m["message"] if m["method"] == "fit" else f"{m['method']}, k̂ {_k(m['pareto_k'], K)} — {m['message']}")
        for m, w in zip(p["members"], p["weights"], strict=True)
    ]
    out: list = [
        Heading("Pooled forecast across lenses"),
        Paragraph(f"Each lens's forecast comes from its own posterior: reweighted from this fit where k̂ ≤ {K}, refitted warm otherwise."),
        Bullets(tuple(members)),
    ]
    if p["excluded"]:
        out.append(Paragraph(f"Left out (unreliable, no refit budget): {', '.join(p['excluded'])}.", style="strong"))
    if p.get("log_pool"):
        lp = p["log_pool"]
        out.append(
            Paragraph(
                f"Logarithmic pool of the priors (closed form per prior; precision-weighted for Normal priors): {lp['method']}, k̂ {_k(lp['pareto_k'], K)} — {lp['message']}."
            )
        )
    table = pd.DataFrame(p["table"])
    names = [m["name"] for m in p["members"]]
    for m in metrics:
        t = table[table["metric"] == m] if len(table) else table
        cols = ["scenario", *names, "linear pool", "log pool", "sd between lenses", "sd within lenses", "share between"]
        frame = t.reindex(columns=cols).set_index("scenario").apply(pd.to_numeric, errors="coerce")
        frame = frame.rename(columns={"share between": "share of variance between"})
        fmt = {c: "pct.1%" for c in frame.columns} | {"share of variance between": "pct.0%"}
        out += [Heading(_label(m), level=4), Table(frame, formats=fmt, css="small")]
    out.append(
        Paragraph(
            "The spread of each probability over lens × posterior draw splits into a between-lens part (the lenses disagree) and a within-lens part "
            "(each lens's own posterior uncertainty, estimated as the covariance of two independent forecast paths per draw)."
        )
    )
    return out


def _power(d: dict, primary: str, K: float) -> list:
    ps = d["power_scaling"]
    threshold = d.get("sensitivity_threshold")
    matrix = pd.DataFrame.from_dict(ps["matrix"], orient="index").apply(pd.to_numeric, errors="coerce")
    t = pd.DataFrame(ps["table"])
    flagged = t[t["diagnosis"] != ""] if len(t) else t
    out: list = [
        Heading("Prior sensitivity (power-scaling)"),
        Paragraph(
            "How much each posterior quantity moves when one prior group is made slightly stronger or weaker (p(θ)^α, α = 1 ± 0.01; "
            "Kallioinen et al. 2024, cumulative Jensen–Shannon distance via importance weights, arviz.psens). "
            f"Sensitivity ≥ {threshold} to both the prior and the likelihood flags a prior–data conflict; to the prior only, a prior that dominates weak data."
        ),
        Figure(plots.plot_power_scaling(matrix), "Power-scaling sensitivity matrix"),
    ]
    conflicts = flagged[flagged["diagnosis"] == "prior-data conflict"] if len(flagged) else flagged
    out.append(
        Paragraph(f"{len(conflicts)} parameters show prior–data conflict, {len(flagged) - len(conflicts)} are dominated by their prior.")
    )
    if len(flagged):
        f = flagged.assign(prior=pd.to_numeric(flagged["prior"]), likelihood=pd.to_numeric(flagged["likelihood"])).sort_values(
            "prior", ascending=False
        )
        frame = pd.DataFrame(
            {
                "parameter": f["parameter"],
                "prior sensitivity": f["prior"],
                "likelihood sensitivity": f["likelihood"],
                "diagnosis": f["diagnosis"],
                "most influential prior group": [f"{g} ({_f(s):.3f})" for g, s in zip(f["dominant_prior"], f["dominant_sensitivity"])],
            }
        )
        out.append(
            Table(
                frame,
                caption=f"Flagged parameters ({len(frame)})",
                formats={"prior sensitivity": "num.3", "likelihood sensitivity": "num.3"},
                collapsed=True,
                index=False,
                css="small",
            )
        )
    h = _frame(ps["headline"])
    if len(h):
        h = h[h["metric"] == primary]
        top = h.assign(a=h["dP_dlog2alpha"].abs()).sort_values("a", ascending=False).drop_duplicates("prior_group").head(6)
        rows = [
            {
                "prior group": r["prior_group"],
                "scenario (largest)": r["scenario"],
                "dP / dlog₂α": f"{100 * r['dP_dlog2alpha']:+.2f} pp",
                "k̂": _k(r["pareto_k"], K),
            }
            for _, r in top.iterrows()
        ]
        out += [
            Paragraph(
                f"Which prior groups the headline leans on: the change of {_label(primary)} per doubling of a prior group's weight (local slope at α = 1)."
            ),
            Table(pd.DataFrame(rows), index=False, css="small"),
        ]
    return out
