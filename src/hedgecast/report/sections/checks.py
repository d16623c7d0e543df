"""Checks of the fit: what the history taught (prior vs posterior), predictive checks with PSIS-LOO, sampler diagnostics."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure as MplFigure

from hedgecast import plots
from hedgecast.dims import SAMPLE_DIMS
from hedgecast.model.fit import ESS_MIN, RHAT_MAX
from hedgecast.priors.groups import CRISIS_GROUPS, EFFECT_GROUPS
from hedgecast.report.contracts import Bullets, Figure, FitLike, Heading, Paragraph, Section, Table
from hedgecast.report.sections.common import clean_parameter, pct

K_HIGH = 0.7  # Pareto k̂ above which a PSIS-LOO term is unreliable
#: the crisis model's log-likelihood terms (one per year) and how the report names them
CRISIS_TERMS = {"incidents": "incidents per year", "escalations": "escalations per year"}


# ------------------------------------------------------------------------------------
# what the history taught us
# ------------------------------------------------------------------------------------
def learning_reading(shrinkage: float, shift: float) -> str:
    if not np.isfinite(shrinkage):
        return ""
    if shrinkage < 0:
        text = "none: posterior wider than prior"
    elif shrinkage >= 0.5:
        text = "much"
    elif shrinkage >= 0.1:
        text = "some"
    else:
        text = "little: the prior speaks"
    if np.isfinite(shift) and abs(shift) >= 1.0:
        text += f"; moved {abs(shift):.1f} prior sd {'up' if shift > 0 else 'down'}"
    return text


def learning_section(fit: FitLike) -> Section:
    """Prior vs posterior for every effect: shrinkage table and interval figure."""
    table = fit.prior_vs_posterior().copy()
    table["parameter"] = table["parameter"].map(clean_parameter)
    table["shift"] = (table["posterior_mean"] - table["prior_mean"]) / table["prior_sd"]
    table["reading"] = [learning_reading(s, d) for s, d in zip(table["shrinkage"], table["shift"])]
    much = list(table.loc[table["shrinkage"] >= 0.5, "parameter"])
    little = list(table.loc[table["shrinkage"] < 0.1, "parameter"])
    moved = list(table.loc[table["shift"].abs() >= 1.0, "parameter"])
    effects = [g for g in ("beta", "leverage_shift", "war_effect", "crisis_effect") if g in fit.idata.posterior]
    other = [g for g in ("rho", "cushion") if g in fit.idata.posterior]
    crisis = [g for g in EFFECT_GROUPS if g in CRISIS_GROUPS and g in fit.idata.posterior]
    counts = [max(1, int(table["parameter"].str.split(".").str[0].isin(g).sum())) for g in (effects, other, crisis)]
    fig = MplFigure(figsize=(9, 0.27 * sum(counts) + 3.2), layout="constrained")
    axes = fig.subplots(3, 1, height_ratios=counts)
    panels = (
        (effects, "Effects on the channels", "Effect (channel sd per unit of driver / state; 5–95% quantiles)"),
        (other, "Persistence and shock cushion", "rho: yearly persistence; cushion: per unit of leader ties"),
        (
            crisis,
            "Crisis model: what drives serious incidents and their escalation",
            "incident_*: log incident rate; escalation_*: log-odds that an incident escalates (per unit of driver / state)",
        ),
    )
    for i, (ax, (groups, title, xlabel)) in enumerate(zip(axes, panels)):
        plots.prior_posterior(fit.idata, ax=ax, groups=groups, title=title, xlabel=xlabel, legend=i == 0)
    lines = [
        f"The history narrowed {len(much)} of {len(table)} effects by half or more" + (f": {', '.join(much)}" if much else "") + ".",
        f"{len(little)} effects are essentially prior-driven (shrinkage below 0.1)"
        + (f": {', '.join(little)} — forecasts that depend on them repeat the lens's assumptions rather than evidence" if little else "")
        + ".",
    ]
    if moved:
        lines.append(f"The data moved {', '.join(moved)} by a prior standard deviation or more: check these priors against the papers.")
    frame = table.rename(
        columns={
            "parameter": "Effect",
            "prior_mean": "Prior mean",
            "prior_sd": "Prior sd",
            "posterior_mean": "Posterior mean",
            "posterior_sd": "Posterior sd",
            "shrinkage": "Shrinkage",
            "shift": "Shift (prior sd)",
            "reading": "Learned from the history",
        }
    ).set_index("Effect")
    formats = {c: "num.2" for c in ("Prior mean", "Prior sd", "Posterior mean", "Posterior sd", "Shrinkage")} | {
        "Shift (prior sd)": "num.1"
    }
    return Section(
        "learning",
        "Prior vs posterior: how much the history taught us",
        (
            Paragraph(
                "For each effect, the prior (what the lens believed from the papers) and the posterior (after fitting 2000–2025). "
                "Shrinkage = 1 − (posterior sd / prior sd)²: near 1, the history pinned the effect down; near 0, the forecast simply repeats "
                "the prior. Shift is how far the mean moved, in prior standard deviations."
            ),
            Bullets(tuple(lines), callout=True),
            Figure(
                fig,
                "Prior and posterior 90% intervals of every effect",
                "Grey bars: prior 90% interval (tick: median). Blue: posterior 90% interval and median.",
            ),
            Table(frame, formats=formats, code=("index",), css="small"),
        ),
    )


# ------------------------------------------------------------------------------------
# posterior predictive checks and PSIS-LOO
# ------------------------------------------------------------------------------------
def posterior_predictive(fit: FitLike) -> xr.DataArray:
    """``fit.posterior_predictive()`` with only its dimension coordinates."""
    # The concatenation in fit.posterior_predictive can carry per-indicator scalar coords
    # (channel, free_indicator) that conflict under xarray's current combine defaults;
    # the new defaults (compat="override") drop the conflict. Only the named dims are used.
    with xr.set_options(use_new_combine_kwarg_defaults=True):
        rep = fit.posterior_predictive()
    return rep.drop_vars([c for c in rep.coords if c not in rep.dims])


def ppc_coverage(observed: pd.DataFrame, y_rep: xr.DataArray, prob: float = 0.9) -> pd.DataFrame:
    """Per indicator: observed points, how many lie inside the central ``prob`` predictive band, and the share."""
    lo_q, hi_q = (1 - prob) / 2, 1 - (1 - prob) / 2
    q = y_rep.quantile([lo_q, hi_q], dim=[d for d in SAMPLE_DIMS if d in y_rep.dims])
    rows = []
    for name in [str(i) for i in y_rep["indicator"].values]:
        obs = observed[name].dropna() if name in observed else pd.Series(dtype=float)
        years = [y for y in obs.index if y in q["year"].values]
        lo = q.sel(indicator=name, quantile=lo_q).sel(year=years).values
        hi = q.sel(indicator=name, quantile=hi_q).sel(year=years).values
        v = obs.loc[years].to_numpy(dtype=float)
        inside = int(((v >= lo) & (v <= hi)).sum())
        rows.append(
            {"indicator": name, "observed": len(years), "inside": inside, "coverage": inside / len(years) if years else float("nan")}
        )
    return pd.DataFrame(rows)


def loo_summary(idata: az.InferenceData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PSIS-LOO of the indicators (``y``) and the crisis model's yearly counts: totals, and Pareto k̂ per indicator.

    Returns ``(totals, per_indicator)``. With one latent state per year, leaving one year out
    can move the posterior a lot: many k̂ above 0.7 then say the LOO estimate is unreliable, not
    that the model is wrong; they are reported as they are.
    """
    totals, rows = [], []
    ll = idata.log_likelihood
    for var in [v for v in ("y", *CRISIS_TERMS) if v in ll]:
        with warnings.catch_warnings():
            # ArviZ warns when k̂ exceeds its threshold; the k̂ values are reported below instead.
            warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto distribution", category=UserWarning)
            res = az.loo(idata, var_name=var, pointwise=True)
        k = res.pareto_k
        totals.append({"term": var, "elpd_loo": float(res.elpd_loo), "se": float(res.se), "p_loo": float(res.p_loo), "n": int(k.size)})
        # a cell whose log-likelihood is the same in every draw (no escalation possible in a year
        # without incidents) carries no information: its k̂ is undefined (ArviZ gives inf), and
        # leaving it out changes nothing, so it is counted apart, not as unreliable
        cell = ll[var].transpose("chain", "draw", *k.dims)
        constant = (cell.max(dim=("chain", "draw")) == cell.min(dim=("chain", "draw"))).values.ravel()
        index = _indicators(k) if var == "y" else [var] * int(k.size)
        frame = pd.DataFrame({"k": k.values.ravel(), "constant": constant}, index=pd.Index(index, name="term"))
        for name, g in frame.groupby(level=0, sort=False):
            ks = g["k"][~g["constant"]]
            rows.append(
                {
                    "term": str(name),
                    "cells": len(g),
                    "ok": int((ks <= K_HIGH).sum()),
                    "high": int((ks > K_HIGH).sum()),
                    "constant": int(g["constant"].sum()),
                    "max_k": float(ks.max()) if len(ks) else float("nan"),
                }
            )
    return pd.DataFrame(totals), pd.DataFrame(rows)


def _indicators(k: xr.DataArray) -> list[str]:
    """The indicator of each observed cell of ``k`` (over ``obs``), from its ``obs_indicator`` coordinate or its label.

    ArviZ's pointwise k̂ keeps only the ``obs`` index, whose labels are ``"<indicator> <year>"``
    (:func:`hedgecast.model.equations.observation_labels`).
    """
    if "obs_indicator" in k.coords:
        return [str(v) for v in np.asarray(k["obs_indicator"].values).ravel()]
    if "obs" in k.coords:
        return [str(v).rsplit(" ", 1)[0] for v in np.asarray(k["obs"].values).ravel()]
    return ["y"] * int(k.size)


def ppc_section(fit: FitLike) -> Section:
    """Observed standardized indicators against their posterior-predictive bands, coverage, and PSIS-LOO with its k̂."""
    spec = fit.spec
    y_rep = posterior_predictive(fit)
    observed = fit.inputs.standardized
    cov = ppc_coverage(observed, y_rep)
    labels = {k: (i.label or k) for k, i in spec.indicators.items()}
    fig = plots.ppc(observed, y_rep, labels=labels, coverage=dict(zip(cov["indicator"], cov["coverage"])))
    total_obs, total_in = int(cov["observed"].sum()), int(cov["inside"].sum())
    overall = total_in / total_obs if total_obs else float("nan")
    rows, marks = [], []
    for r in cov.to_dict("records"):
        flag = ""
        if r["observed"] and r["coverage"] < 0.75:
            flag = "too few inside: the model is overconfident about this series"
        elif r["observed"] >= 8 and r["coverage"] == 1.0:
            flag = "all inside: bands may be wider than needed"
        rows.append(
            {"Indicator": labels.get(r["indicator"], r["indicator"]), "Observed points": r["observed"], "Inside 90% band": r["inside"]}
            | {"Coverage": r["coverage"], "Note": flag}
        )
        marks.append(["", "", "bad" if flag and r["coverage"] < 0.75 else "", ""])
    frame = pd.DataFrame(rows).set_index("Indicator")
    blocks: list = [
        Paragraph(
            "Does the fitted model reproduce the data it was fitted to? For every indicator, the posterior-predictive 50% and 90% bands "
            "(standardized units) against the observed values. A calibrated model puts about 90% of the points inside the 90% band. "
            "This is an in-sample check: it finds misfit, it does not measure forecast skill. Bands also cover the years where an indicator "
            "was not observed: there the model imputes it from the latent state."
        ),
        Paragraph(
            f"Coverage overall: {pct(overall, 0)}% ({total_in} of {total_obs} observed points inside their 90% band).", style="strong"
        ),
        Table(
            frame,
            formats={"Observed points": "int", "Inside 90% band": "int", "Coverage": "pct.0%"},
            marks=pd.DataFrame(marks, index=frame.index, columns=frame.columns),
            css="small",
        ),
        Figure(
            fig,
            "Posterior predictive 90% bands and observed values per indicator",
            "Posterior predictive check per indicator. Crosses mark observed values outside the 90% band.",
        ),
    ]
    blocks += loo_blocks(fit, labels)
    status = "warn" if (cov["observed"].gt(0) & cov["coverage"].lt(0.75)).any() else "ok"
    return Section("ppc", "Posterior predictive checks", tuple(blocks), status=status)


def loo_blocks(fit: FitLike, labels: dict[str, str]) -> list:
    """Heading, reading and tables of PSIS-LOO (nothing when the fit has no log-likelihood)."""
    if "log_likelihood" not in fit.idata.groups():
        return [
            Heading("Leave-one-out (PSIS-LOO)"),
            Paragraph("This fit carries no log-likelihood: PSIS-LOO cannot be computed.", style="note"),
        ]
    totals, per = loo_summary(fit.idata)
    high = int(per["high"].sum()) if len(per) else 0
    cells = int(per["cells"].sum()) if len(per) else 0
    constant = int(per["constant"].sum()) if len(per) else 0
    cells -= constant
    reading = (
        f"{high} of {cells} observed cells have Pareto k̂ > {K_HIGH}: for them the leave-one-out estimate is unreliable. "
        "The model has one latent state per year, so leaving a year out can move the posterior much more than importance sampling "
        "can correct; high k̂ here mostly says that, and that an exact refit without the year would be needed to score it."
        if high
        else f"Every observed cell has Pareto k̂ ≤ {K_HIGH}: the leave-one-out estimates are reliable."
    )
    if constant:
        reading += (
            f" Another {constant} cells have the same log-likelihood in every draw (no escalation is possible in a year without "
            "incidents): they carry no information, leaving them out changes nothing, and their k̂ is undefined."
        )
    t = totals.rename(columns={"term": "Term", "elpd_loo": "elpd_loo", "se": "SE", "p_loo": "p_loo", "n": "Terms"}).set_index("Term")
    t.index = [{"y": "indicators (y)", **CRISIS_TERMS}.get(i, i) for i in t.index]
    t.index.name = "Log-likelihood"
    p = (
        per.assign(term=[labels.get(x, CRISIS_TERMS.get(x, x)) for x in per["term"]])
        .rename(columns={"term": "Indicator", "cells": "Cells", "ok": f"k̂ ≤ {K_HIGH}", "high": f"k̂ > {K_HIGH}", "max_k": "Largest k̂"})
        .rename(columns={"constant": "No information (k̂ undefined)"})
        .set_index("Indicator")
    )
    flagged = f"k̂ > {K_HIGH}"
    marks = pd.DataFrame([["bad" if c == flagged and h else "" for c in p.columns] for h in per["high"]], index=p.index, columns=p.columns)
    return [
        Heading("Leave-one-out (PSIS-LOO)"),
        Paragraph(
            "Expected log predictive density of each observed cell when it is left out, estimated from the posterior draws by Pareto-smoothed "
            "importance sampling (arviz.loo). Pareto k̂ says per cell whether that estimate can be trusted."
        ),
        Paragraph(reading, style="warn" if high else "p"),
        Table(t, formats={"elpd_loo": "num.1", "SE": "num.1", "p_loo": "num.1", "Terms": "int"}, css="small"),
        Table(
            p,
            caption="Pareto k̂ per indicator",
            formats={
                "Cells": "int",
                f"k̂ ≤ {K_HIGH}": "int",
                flagged: "int",
                "No information (k̂ undefined)": "int",
                "Largest k̂": "num.2",
            },
            marks=marks,
            css="small",
        ),
    ]


# ------------------------------------------------------------------------------------
# sampler diagnostics
# ------------------------------------------------------------------------------------
def worst_parameters(idata: az.InferenceData, var_names: Sequence[str], k: int = 10) -> pd.DataFrame:
    """The ``k`` parameter elements with the highest R-hat, with their bulk and tail ESS."""
    names = [v for v in var_names if v in idata.posterior]
    if not names:
        return pd.DataFrame(columns=["parameter", "rhat", "ess_bulk", "ess_tail"])
    post = idata.posterior[names]
    rhat, bulk, tail = az.rhat(post), az.ess(post, method="bulk"), az.ess(post, method="tail")
    rows = []
    for v in names:
        r = rhat[v]
        values = [np.asarray(x.transpose(*r.dims).values, dtype=float).ravel() for x in (r, bulk[v], tail[v])]
        keys = [()] if not r.dims else list(np.ndindex(*r.shape))
        for j, idx in enumerate(keys):
            label = v + (
                "[" + ", ".join(str(r[d].values[i]) if d in r.coords else str(i) for d, i in zip(r.dims, idx)) + "]" if r.dims else ""
            )
            rows.append({"parameter": label, "rhat": values[0][j], "ess_bulk": values[1][j], "ess_tail": values[2][j]})
    rows.sort(key=lambda r: (-(r["rhat"] if np.isfinite(r["rhat"]) else np.inf), r["ess_bulk"]))
    return pd.DataFrame(rows[:k])


def diagnostics_section(fit: FitLike) -> Section:
    """R-hat, ESS and divergences against their thresholds, and the worst parameters."""
    d = fit.diagnostics
    checks = [
        ("Largest R-hat (rank-normalized)", f"{d.max_rhat:.3f}", f"≤ {RHAT_MAX}", d.max_rhat <= RHAT_MAX, d.worst.get("rhat", "")),
        ("Smallest bulk ESS", f"{d.min_ess_bulk:.0f}", f"≥ {ESS_MIN}", d.min_ess_bulk >= ESS_MIN, d.worst.get("ess_bulk", "")),
        ("Smallest tail ESS", f"{d.min_ess_tail:.0f}", f"≥ {ESS_MIN}", d.min_ess_tail >= ESS_MIN, d.worst.get("ess_tail", "")),
        ("Divergent transitions", f"{d.divergences}", "0", d.divergences == 0, ""),
        ("Posterior samples", f"{d.n_samples:,}", "", True, f"{fit.settings.chains} chains × {fit.settings.draws} draws"),
    ]
    frame = pd.DataFrame(
        [
            {"Value": v, "Required": t, "Result": ("✓ pass" if ok else "✗ fail") if t else "", "Worst parameter": w}
            for _, v, t, ok, w in checks
        ],
        index=pd.Index([c[0] for c in checks], name="Check"),
    )
    marks = pd.DataFrame([["num", "num", ("good" if ok else "bad"), ""] for *_, ok, _ in checks], index=frame.index, columns=frame.columns)
    if d.passed:
        lead = Paragraph("All checks passed.")
    else:
        lead = Paragraph(
            f"The fit failed these checks: {'; '.join(d.problems)}. Chains that disagree or explore too little give probabilities that can move when the fit is rerun.",
            style="strong",
        )
    blocks: list = [lead, Table(frame, marks=marks)]
    sampled = fit.idata  # the draws the sampler made
    if fit.reweighting is not None:
        rw = fit.reweighting
        sampled = rw.source
        blocks.append(
            Paragraph(
                f"These are the diagnostics of lens {rw.source_lens}'s sampler run. This report's draws are those draws, reweighted "
                f"for the edited priors (PSIS: k̂ = {rw.pareto_k:.2f}, effective sample size {rw.ess:.0f}) and resampled, so "
                "R-hat and ESS are not computed on them.",
                style="note",
            )
        )
    worst = worst_parameters(sampled, list(sampled.attrs.get("free_rvs", [])))
    if len(worst):
        w = worst.rename(columns={"parameter": "Parameter", "rhat": "R-hat", "ess_bulk": "Bulk ESS", "ess_tail": "Tail ESS"}).set_index(
            "Parameter"
        )
        wm = pd.DataFrame([["bad" if r > 1.01 else "", "", ""] for r in worst["rhat"]], index=w.index, columns=w.columns)
        blocks += [
            Heading("Parameters with the highest R-hat"),
            Table(w, formats={"R-hat": "num.3", "Bulk ESS": "num.0", "Tail ESS": "num.0"}, marks=wm, code=("index",), css="small"),
        ]
    return Section("diagnostics", "Sampler diagnostics", tuple(blocks), status="ok" if d.passed else "fail")
