"""Scenario differences from the reference: paired probabilities and channel levels, with their uncertainty."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hedgecast import plots
from hedgecast.report.contracts import Bullets, Figure, Paragraph, ReportConfig, Section, Table
from hedgecast.report.sections.common import DEFAULT, class_labels, reference, scenario_labels, short


def scenario_difference_table(forecast: Any, ref: str, year: int | None = None) -> pd.DataFrame:
    """Paired differences from ``ref`` (long format: scenario, measure, estimate, lower, upper, unit, kind).

    Class probabilities and P(rupture event by ``year``): estimate ± 2 Monte Carlo standard errors (paired, common
    random numbers). Channel levels: the mean per-draw difference and its 5–95%
    posterior interval.
    """
    classes = forecast.spec.class_names
    want = [c for c in ("rupture", "transactional_equilibrium") if c in classes] or classes[:2]
    clabels = class_labels(forecast.spec)
    rows = []
    year = forecast.spec.headline_year if year is None else year
    state = forecast.data["state"].sel(year=year)
    for s in forecast.scenarios:
        if s == ref:
            continue
        for c in want:
            d = forecast.difference(s, ref, year=year, trajectory=c)
            est, se = 100 * d["difference"], 100 * d["se"]
            label = f"P({short(clabels.get(c, c))}{' by' if c == 'rupture' else ','} {year})"
            rows.append(
                {"scenario": s, "measure": label, "estimate": est, "lower": est - 2 * se, "upper": est + 2 * se, "se": se}
                | {"unit": "percentage points", "kind": "probability"}
            )
        d = forecast.rupture_event_difference(s, ref, year=year)
        est, se = 100 * d["difference"], 100 * d["se"]
        rows.append(
            {"scenario": s, "measure": f"P(rupture event by {year})", "estimate": est, "lower": est - 2 * se, "upper": est + 2 * se, "se": se}
            | {"unit": "percentage points", "kind": "probability"}
        )
        for ch in forecast.data["channel"].values:
            diff = (state.sel(scenario=s, channel=ch) - state.sel(scenario=ref, channel=ch)).values.ravel()
            lo, hi = np.quantile(diff, [0.05, 0.95])
            rows.append(
                {"scenario": s, "measure": f"{str(ch).capitalize()} level, {year}", "estimate": float(diff.mean()), "lower": float(lo)}
                | {"upper": float(hi), "se": float("nan"), "unit": "sd", "kind": "level"}
            )
    return pd.DataFrame(rows)


def differences_section(forecast: Any, config: ReportConfig = DEFAULT) -> Section:
    """Table and figure of differences from the reference scenario with their uncertainty."""
    ref = reference(forecast, config)
    slabels = scenario_labels(forecast.spec)
    ref_label = slabels.get(ref, ref)
    year = forecast.spec.headline_year
    year = year if year in forecast.data["year"].values else int(forecast.data["year"].values[-1])
    uncertain = [slabels.get(s, s) for s in forecast.scenarios if forecast.spec.scenarios[s].probability is not None]
    bold = "Bold blue: the interval excludes zero."
    if uncertain:
        bold += f" Uncertain scenarios ({', '.join(uncertain)}) are averaged over the paths where they do and do not happen."
    blocks: list = [
        Paragraph(
            f"How each scenario changes the {year} outlook relative to {ref_label}. Every scenario is simulated from the same posterior draws "
            "with the same random numbers, so these are paired differences."
        ),
        Bullets(
            (
                "Probabilities: difference in percentage points ± 2 Monte Carlo standard errors (the simulation's own noise; rerunning with more draws shrinks it).",
                "Channel levels: mean difference in channel sd units with its 90% posterior interval (how uncertain the scenario's effect is).",
                bold,
            )
        ),
    ]
    df = scenario_difference_table(forecast, ref, year)
    if df.empty:
        blocks.append(Paragraph("Only one scenario was forecast: nothing to compare."))
        return Section("differences", "Scenario differences vs status quo", tuple(blocks))
    measures = list(dict.fromkeys(df["measure"]))
    texts, marks, index = [], [], []
    for s in dict.fromkeys(df["scenario"]):
        row, mark = [], []
        for m in measures:
            r = df[(df["scenario"] == s) & (df["measure"] == m)].iloc[0]
            if r["kind"] == "probability":
                row.append(f"{r['estimate']:+.1f} ± {2 * r['se']:.1f}")
            else:
                row.append(f"{r['estimate']:+.2f} [{r['lower']:+.2f}, {r['upper']:+.2f}]")
            mark.append("num clear" if (r["lower"] > 0 or r["upper"] < 0) else "num")
        texts.append(row)
        marks.append(mark)
        index.append(slabels.get(s, s))
    idx = pd.Index(index, name=f"Scenario vs {ref_label}")
    fig = plots.scenario_differences(df, labels=slabels, reference_label=ref_label)
    blocks += [
        Table(pd.DataFrame(texts, index=idx, columns=measures), marks=pd.DataFrame(marks, index=idx, columns=measures)),
        Figure(
            fig,
            f"Differences from {ref_label} in {year}, with uncertainty",
            f"Differences from {ref_label}: probabilities ± 2 Monte Carlo standard errors, channel levels with 90% posterior intervals.",
        ),
    ]
    return Section("differences", "Scenario differences vs status quo", tuple(blocks))
