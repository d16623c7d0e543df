"""The crisis model: the incident record, what the record taught each crisis parameter, and the
headline under the stricter and looser incident inclusion rules.

The crisis model counts serious bilateral incidents per year (Poisson) and, of those, the ones that
escalated to a rupture (Binomial); a year with an escalated incident is a rupture year. With one
escalation in 2000–2025, most of its parameters are learned little: the section says which, by a
stated rule, and shows how much the headline depends on which incidents are counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hedgecast.dims import SAMPLE_DIMS
from hedgecast.inputs.schemas import INCLUSION_LEVELS
from hedgecast.priors import families
from hedgecast.priors.groups import CRISIS_GROUPS
from hedgecast.report.contracts import Bullets, FitLike, Heading, Paragraph, ReportConfig, Section, Table
from hedgecast.report.sections.common import DEFAULT, headline_years, pct, scenario_labels

PRIOR_DRIVEN_RATIO = 0.8
"""A crisis parameter is flagged prior-driven when its posterior sd exceeds this share of its prior sd."""

MEANING = {
    "incident_intercept": "log incidents per year, average friction, no war",
    "incident_friction": "log-rate change per unit of regional friction",
    "incident_war": "log-rate change in this war state (Black Sea spillover)",
    "escalation_intercept": "log-odds an incident escalates, average ties and energy",
    "escalation_ties": "log-odds change per unit of leader ties",
    "escalation_energy": "log-odds change per unit of energy leverage",
}


def parameter_table(fit: FitLike) -> pd.DataFrame:
    """Per crisis parameter (every element of every crisis group): prior and posterior mean and sd, their ratio, and the flag.

    Prior moments are the lens prior's own (exact, not from prior draws); posterior moments are over
    every posterior draw. ``prior_driven`` is ``posterior_sd > PRIOR_DRIVEN_RATIO × prior_sd``.
    """
    rows = []
    post = fit.idata.posterior
    for name, lp in fit.lens.priors.items():
        group, *coords = name.split(".")
        if group not in CRISIS_GROUPS or group not in post:
            continue
        draws = post[group]
        if coords:  # one coordinate per dim, in the group's dim order
            draws = draws.sel(dict(zip([d for d in draws.dims if d not in SAMPLE_DIMS], coords, strict=True)))
        prior_sd, post_sd = families.sd(lp.prior), float(draws.std())
        rows.append(
            {
                "parameter": name,
                "meaning": MEANING.get(group, ""),
                "prior_mean": families.mean(lp.prior),
                "prior_sd": prior_sd,
                "posterior_mean": float(draws.mean()),
                "posterior_sd": post_sd,
                "sd_ratio": post_sd / prior_sd if prior_sd > 0 else float("nan"),
            }
        )
    table = pd.DataFrame(rows)
    if len(table):
        table["prior_driven"] = table["sd_ratio"] > PRIOR_DRIVEN_RATIO
    return table


def record_table(fit: FitLike) -> pd.DataFrame:
    """Per inclusion rule: incidents, years with one, escalated incidents and rupture years in the fitted history."""
    history = fit.workbench.history
    years = list(fit.inputs.years)
    rows = {}
    for level in INCLUSION_LEVELS:
        incidents, escalations = (s.reindex(years, fill_value=0) for s in history.incident_data(level))
        rows[level] = {
            "Incidents": int(incidents.sum()),
            "Years with an incident": int((incidents > 0).sum()),
            "Escalated": int(escalations.sum()),
            "Rupture years": ", ".join(str(y) for y in incidents.index[escalations > 0]) or "none",
            "Counted": "✓ this fit" if level == fit.inputs.inclusion else "",
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "Inclusion rule"
    return frame


def rule_headline(fit: FitLike, forecast: Any, others: Sequence[FitLike], year: int) -> pd.DataFrame:
    """P(crisis by ``year``) and P(rupture class, ``year``) per scenario, one column per inclusion rule fitted."""
    by_rule = {fit.inputs.inclusion: forecast, **{f.inputs.inclusion: f.forecast() for f in others}}
    levels = [level for level in INCLUSION_LEVELS if level in by_rule]
    labels = scenario_labels(fit.spec)
    scenarios = list(forecast.scenarios)
    columns, values = [], {s: [] for s in scenarios}
    for what in ("crisis", "rupture"):
        for level in levels:
            fc = by_rule[level]
            if what == "crisis":
                p = fc.p_crisis_by(year)
                columns.append((f"P(crisis by {year})", level))
            else:
                p = fc.class_probabilities((year,)).sel(year=year, trajectory="rupture")
                columns.append((f"P(rupture, {year})", level))
            for s in scenarios:
                values[s].append(float(p.sel(scenario=s)) if s in fc.scenarios else float("nan"))
    index = pd.Index([labels.get(s, s) for s in scenarios], name="Scenario")
    return pd.DataFrame([values[s] for s in scenarios], index=index, columns=pd.MultiIndex.from_tuples(columns))


def crisis_section(
    fit: FitLike, forecast: Any, others: Sequence[FitLike] = (), config: ReportConfig = DEFAULT, rules: pd.DataFrame | None = None
) -> Section:
    """Build the crisis model section: the record by inclusion rule, prior vs posterior of every crisis parameter,
    and the headline under the other inclusion rules (``others``: fits of the same lens counting other rules).

    ``rules``: :func:`rule_headline` of these fits at the first headline year, if already computed
    (the report keeps it in its section cache: it forecasts every other rule's fit).
    """
    params = parameter_table(fit)
    rule = fit.inputs.inclusion
    record = record_table(fit)
    blocks: list = [
        Paragraph(
            "Serious bilateral incidents (shoot-downs, lethal strikes, strikes on shipping, armed airspace clashes …; "
            "data/curated/incidents.csv and its README) are counted per year: incidents ~ Poisson(rate), with log rate = "
            "incident_intercept + incident_friction × regional friction + incident_war[war state] (the war's Black Sea spillover; "
            "no war = 0). Each incident escalates to a rupture — Russian measures of the November 2015 kind, or leader contact cut "
            "for three months — with probability p: escalations ~ Binomial(incidents, p), logit p = escalation_intercept + "
            "escalation_ties × leader ties + escalation_energy × energy leverage (drivers centred on their 2000–2025 means). "
            "A year with at least one escalated incident is a rupture year: it hits both channels (crisis_effect) and is the "
            f"'crisis' of the forecast. This fit counts incidents under the {rule} rule."
        ),
        Heading("The record", level=4),
        Table(record, formats={c: "int" for c in ("Incidents", "Years with an incident", "Escalated")}, css="small"),
        Heading("What the record taught each crisis parameter", level=4),
    ]
    if params.empty:
        blocks.append(Paragraph("This fit has no crisis-model parameters.", style="note"))
    else:
        driven = list(params.loc[params["prior_driven"], "parameter"])
        blocks += [
            Paragraph(
                f"Rule: a parameter is flagged prior-driven when its posterior sd is more than {PRIOR_DRIVEN_RATIO:g} × its prior sd, "
                f"i.e. the 2000–2025 record narrowed it by less than {1 - PRIOR_DRIVEN_RATIO:.0%}. Forecasts that lean on a "
                "prior-driven parameter repeat the lens's assumption, not evidence."
            ),
            Bullets(
                (
                    f"{len(driven)} of {len(params)} crisis parameters are prior-driven"
                    + (f": {', '.join(driven)}." if driven else "."),
                ),
                callout=True,
            ),
            Table(
                params.assign(prior_driven=np.where(params["prior_driven"], "prior-driven", "learned"))
                .rename(
                    columns={
                        "parameter": "Parameter",
                        "meaning": "Meaning",
                        "prior_mean": "Prior mean",
                        "prior_sd": "Prior sd",
                        "posterior_mean": "Posterior mean",
                        "posterior_sd": "Posterior sd",
                        "sd_ratio": "Posterior / prior sd",
                        "prior_driven": "Reading",
                    }
                )
                .set_index("Parameter"),
                formats={c: "num.2" for c in ("Prior mean", "Prior sd", "Posterior mean", "Posterior sd", "Posterior / prior sd")},
                marks=pd.DataFrame(
                    [["", "", "", "", "", "bad" if d else "", ""] for d in params["prior_driven"]],
                    index=pd.Index(params["parameter"], name="Parameter"),
                    columns=["Meaning", "Prior mean", "Prior sd", "Posterior mean", "Posterior sd", "Posterior / prior sd", "Reading"],
                ),
                code=("index",),
                css="small",
            ),
        ]
    year = headline_years(forecast, config)[0]
    blocks.append(Heading(f"The headline under other inclusion rules ({year})", level=4))
    status = "info"
    if others:
        table = rule_headline(fit, forecast, others, year) if rules is None else rules
        fitted = ", ".join(
            f"{f.inputs.inclusion}: " + (f"reused run {f.reused_from}" if getattr(f, "reused_from", None) else "fitted")
            + ("" if f.diagnostics.passed else " (diagnostics failed)")
            for f in others
        )
        blocks += [
            Paragraph(
                "The same lens fitted to the incidents of the stricter and the looser rule (the same compiled model with other incident "
                f"counts; {fitted}). The spread across rules is how much the headline depends on which incidents are counted."
            ),
            Table(table, formats={c: "pct.1" for c in table.columns}, css="small"),
        ]
        if any(not f.diagnostics.passed for f in others):
            status = "fail"
        base = table[(f"P(crisis by {year})", rule)] if (f"P(crisis by {year})", rule) in table.columns else None
        if base is not None and len(table.columns.levels[1]) > 1:
            spread = table.xs(f"P(crisis by {year})", axis=1, level=0)
            lo, hi = spread.min(axis=1), spread.max(axis=1)
            widest = (hi - lo).idxmax()
            blocks.append(
                Paragraph(
                    f"Across rules, P(crisis by {year}) moves by up to {pct(float((hi - lo).max()))} points "
                    f"({widest}: {pct(float(lo[widest]))}% to {pct(float(hi[widest]))}%).",
                    style="note",
                )
            )
    else:
        blocks.append(
            Paragraph(
                "Not computed for this report: `hedgecast report` fits the baseline lens under the other inclusion rules "
                "(Workbench.fit_or_reuse(lens, inclusion=…) in a notebook).",
                style="note",
            )
        )
    return Section("crisis-model", "The crisis model: incidents and their escalation", tuple(blocks), status=status)
