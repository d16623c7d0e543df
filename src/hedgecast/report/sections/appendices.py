"""Appendices: every scenario's interventions and provenance, every prior with its source, the data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgecast.forecasting.scenario_words import branch_text, intervention_lines
from hedgecast.inputs.scenario_compose import compose
from hedgecast.report.contracts import Bullets, FitLike, Heading, Paragraph, Quote, Section, Table
from hedgecast.report.sections.common import pct, year_ranges


def probability_text(spec: Any, name: str, forecast: Any, lens: Any) -> str:
    """How often the scenario is applied (its own probability; included parts say theirs in the bullets)."""
    s = spec.scenarios[name]
    p = s.probability
    if s.branches and p is None:
        return f"A mixture. {branch_text(spec, name, lens)}."
    if p is None:
        parts = " (an uncertain part it includes says its own share)" if _uncertain_parts(spec, name) else ""
        return f"Certain: applied on every simulated path{parts}."
    if p == "lens":
        prior = lens.priors.get(f"scenario_probability.{name}")
        share = ""
        if "active" in forecast.data and name in forecast.scenarios:
            share = f"; it happened in {pct(float(forecast.data['active'].sel(scenario=name).mean()))}% of simulated paths"
        dist = f" {prior.prior.distribution}({', '.join(f'{k}={v:g}' for k, v in prior.prior.parameters.items())})" if prior else ""
        return f"Uncertain: per path, applied with a probability drawn from the lens prior scenario_probability.{name}{dist}{share}."
    return f"Applied with probability {float(p):.0%} per simulated path."


def _uncertain_parts(spec: Any, name: str) -> bool:
    tree, _ = compose(spec.scenarios, name)
    return any(node.scenario.probability is not None for node, _ in tree.walk() if node is not tree)


def scenarios_section(spec: Any, forecast: Any, lens: Any) -> Section:
    """Every scenario's label, description, interventions, probability and provenance."""
    blocks: list = [
        Paragraph(
            "Scenarios are interventions on the future drivers and on the war's Markov chain. "
            f"Unspecified drivers drift from their {spec.history[1]} values. An included scenario is applied first and keeps its own "
            "probability; “to” sets a level, “by” and “factor” move the path from where it would otherwise be. "
            "A conditional intervention switches on, path by path, the year after its trigger (a war state, a driver "
            "level, an incident or rupture event, a year) is first met; crisis interventions scale the rate of serious "
            "incidents or the chance one escalates, or pin one in a year; a mixture sends each path down one of its "
            "branches, with the lens's probabilities."
        )
    ]
    for name, s in spec.scenarios.items():
        pv = s.provenance
        blocks += [
            Heading(s.label or name, code=name, note="" if name in forecast.scenarios else "(not forecast in this report)"),
            Paragraph(s.description),
            Bullets(tuple(intervention_lines(spec, name, lens))),
            Paragraph("Probability: " + probability_text(spec, name, forecast, lens)),
            Paragraph(
                "Provenance: "
                + (pv.source or ("" if pv.reason else "none given"))
                + (" (hypothetical: no source anticipates it)" if s.hypothetical else "")
            ),
        ]
        if pv.quote:
            blocks.append(Quote(pv.quote))
        if pv.reason:
            blocks.append(Paragraph(pv.reason))
    return Section("scenarios", "Appendix A: Scenarios", tuple(blocks), appendix=True)


def priors_section(lens: Any) -> Section:
    """Every prior of the lens with its distribution and provenance (source, verbatim quote, reason)."""
    rows = lens.table().fillna("")
    n_seed = int((rows["quote"] != "").sum())
    where = f" ({Path(lens.path).name})" if lens.path else ""
    frame = rows[["prior", "distribution", "source", "quote", "reason"]].rename(
        columns={"prior": "Prior", "distribution": "Distribution", "source": "Source", "quote": "Quote", "reason": "Reason"}
    )
    return Section(
        "priors",
        "Appendix B: Priors and their sources",
        (
            Paragraph(
                f"All {len(frame)} priors of lens {lens.name}{where}; {n_seed} cite a verbatim passage of a seed paper, the others state the analyst's reasoning."
            ),
            Table(frame, code=("Prior", "Distribution", "Source"), index=False),
        ),
        appendix=True,
    )


def data_section(fit: FitLike) -> Section:
    """Per indicator the years observed and missing, and the events table."""
    from hedgecast.inputs.data import load_events

    spec = fit.spec
    years = list(fit.inputs.years)
    raw = fit.workbench.history.indicators.reindex(years)
    rows = []
    for name, ind in spec.indicators.items():
        col = raw[name] if name in raw else pd.Series(np.nan, index=years)
        seen = [int(y) for y in col.index[col.notna()]]
        missing = [int(y) for y in col.index[col.isna()]]
        rows.append(
            {"Indicator": f"{ind.label or name} ({name})", "Channel": ind.channel, "Transform": ind.transform}
            | {"Years observed": f"{len(seen)} / {len(years)}", "Observed": year_ranges(seen), "Missing (imputed)": year_ranges(missing)}
        )
    events = load_events(fit.workbench.paths).sort_values("date")
    ev = pd.DataFrame(
        {
            "Date": [pd.Timestamp(d).strftime("%Y-%m-%d") for d in events["date"]],
            "Event": events["title"].to_list(),
            "Channel": events["channel"].to_list(),
            "Direction": ["+1 warming" if int(x) > 0 else "−1 cooling" for x in events["direction"]],
            "Size": [int(x) for x in events["size"]],
            "Rupture-scale": ["yes" if bool(x) else "no" for x in events["rupture_scale"]],
            "Source": events["source"].to_list(),
        }
    )
    marks = pd.DataFrame([[""] * 5 + ["best" if r == "yes" else "", ""] for r in ev["Rupture-scale"]], columns=ev.columns)
    return Section(
        "data",
        "Appendix C: Data",
        (
            Heading(f"Indicators, {years[0]}–{years[-1]}"),
            Paragraph(
                "Years without an observation are not dropped: the model imputes them through the latent channel state, "
                "and the fan charts and predictive checks cover them."
            ),
            Table(pd.DataFrame(rows).set_index("Indicator")),
            Heading("Events"),
            Paragraph(
                "Dated episodes coded from the seed papers and the public record. The crisis years the model fits are not read from here but "
                "from the serious incidents of incidents.csv that escalated (the crisis model section); the rupture-scale events mark the same years."
            ),
            Table(ev, marks=marks, code=("Source",), wrap=("Source",), index=False),
        ),
        appendix=True,
    )
