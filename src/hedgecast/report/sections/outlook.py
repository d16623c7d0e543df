"""The outlook: headline probabilities, the trajectory classes, channel fans, indicator fans."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure as MplFigure

from hedgecast import plots
from hedgecast.forecasting.observed import record_from_inputs
from hedgecast.forecasting.rule_variables import reference_names, rule_variable_table
from hedgecast.forecasting.trajectories import class_order, rule_names
from hedgecast.report.contracts import Bullets, Figure, FitLike, Heading, Paragraph, ReportConfig, Section, Table
from hedgecast.report.sections.common import (
    DEFAULT,
    class_labels,
    headline_years,
    interval_text,
    n_paths,
    pct,
    reference,
    scenario_labels,
    short,
    sig,
    units,
)


# ------------------------------------------------------------------------------------
# headline
# ------------------------------------------------------------------------------------
def headline_table(forecast: Any, config: ReportConfig = DEFAULT) -> Table:
    """P(each class) per scenario at the headline years, each year followed by P(rupture event by it); most likely class marked."""
    spec = forecast.spec
    years = headline_years(forecast, config)
    probs = forecast.class_probabilities(tuple(years)).transpose("scenario", "year", "trajectory")
    events = {y: forecast.p_rupture_event_by(y) for y in years}
    classes = class_order([str(c) for c in probs["trajectory"].values])
    clabels, slabels = class_labels(spec), scenario_labels(spec)
    colours = plots.class_colours(classes)
    event_label = "rupture event by then"
    columns = [col for y in years for col in [*((str(y), clabels.get(c, c)) for c in classes), (str(y), event_label)]]
    values, marks = [], []
    for s in forecast.scenarios:
        row, mark = [], []
        for y in years:
            p = probs.sel(scenario=s, year=y)
            best = str(p["trajectory"].values[int(p.argmax("trajectory"))])
            row += [float(p.sel(trajectory=c)) for c in classes] + [float(events[y].sel(scenario=s))]
            mark += ["best" if c == best else "" for c in classes] + [""]
        values.append(row)
        marks.append(mark)
    index = pd.Index([slabels.get(s, s) for s in forecast.scenarios], name="Scenario")
    cols = pd.MultiIndex.from_tuples(columns)
    return Table(
        frame=pd.DataFrame(values, index=index, columns=cols),
        formats={c: "pct.1" for c in columns},
        marks=pd.DataFrame(marks, index=index, columns=cols),
        swatches={clabels.get(c, c): colours[c] for c in classes},
        css="headline",
    )


def headline_reading(probs: xr.DataArray, events: xr.DataArray, spec: Any, year: int, diagnostics_passed: bool = True) -> list[str]:
    """Plain-language sentences generated from the headline numbers."""
    clabels, slabels = class_labels(spec), scenario_labels(spec)
    p = probs.sel(year=year)
    scenarios = [str(s) for s in p["scenario"].values]
    out = []
    best = {s: str(p["trajectory"].values[int(p.sel(scenario=s).argmax("trajectory"))]) for s in scenarios}
    common = set(best.values())
    if len(common) == 1:
        c = common.pop()
        lo = min(float(p.sel(scenario=s, trajectory=c)) for s in scenarios)
        hi = max(float(p.sel(scenario=s, trajectory=c)) for s in scenarios)
        out.append(f"In {year} the most likely class under every scenario is {short(clabels.get(c, c))} ({pct(lo, 0)}–{pct(hi, 0)}%).")
    else:
        by_class: dict[str, list[str]] = {}
        for s, c in best.items():
            by_class.setdefault(c, []).append(f"{slabels.get(s, s)} ({pct(float(p.sel(scenario=s, trajectory=c)), 0)}%)")
        parts = [f"{short(clabels.get(c, c))} under {', '.join(v)}" for c, v in by_class.items()]
        out.append(f"The most likely class in {year} is " + "; ".join(parts) + ".")
    if "rupture" in p["trajectory"].values and len(scenarios) > 1:
        r = p.sel(trajectory="rupture")
        hi_s = scenarios[int(r.argmax("scenario"))]
        lo_s = scenarios[int(r.argmin("scenario"))]
        out.append(
            f"The chance that the relationship is in rupture in {year} (a rupture event in {year - 2}–{year}, or Russian visitors "
            f"at their 2015–16 low) is highest under {slabels.get(hi_s, hi_s)} ({pct(float(r.sel(scenario=hi_s)))}%) and lowest under "
            f"{slabels.get(lo_s, lo_s)} ({pct(float(r.sel(scenario=lo_s)))}%)."
        )
    if len(scenarios) > 1:
        e_hi = scenarios[int(events.argmax("scenario"))]
        e_lo = scenarios[int(events.argmin("scenario"))]
        out.append(
            f"A rupture event (an escalated incident, like the 2015 shoot-down) at some point by {year} has probability "
            f"{pct(float(events.min()))}% ({slabels.get(e_lo, e_lo)}) to {pct(float(events.max()))}% ({slabels.get(e_hi, e_hi)}). "
            "It is a separate question from the classes: a path with an early rupture event that recovers counts here, "
            f"while its {year} class says where it is in {year}."
        )
    if not diagnostics_passed:
        out.append("These numbers come from a fit whose sampler diagnostics failed (see the banner above): read them as indicative only.")
    return out


def headline_section(fit: FitLike, forecast: Any, config: ReportConfig = DEFAULT) -> Section:
    """P(each class) at the headline years, P(rupture event by each), a plain reading, a figure."""
    spec = forecast.spec
    passed = bool(fit.diagnostics.passed)
    years = headline_years(forecast, config)
    probs = forecast.class_probabilities(tuple(years)).transpose("scenario", "year", "trajectory")
    events = forecast.p_rupture_event_by(years[0])
    clabels, slabels = class_labels(spec), scenario_labels(spec)
    n = n_paths(forecast)
    reading = headline_reading(probs, events, spec, years[0], passed)
    precision = f"Each percentage rests on {n:,} simulated paths per scenario"
    n_eff = float(n)
    if fit.reweighting is not None:  # a reweighted prior edit: say so first, and count only the effective draws
        reading.insert(0, fit.reweighting.method)
        n_eff = max(fit.reweighting.ess, 1.0)
        precision = f"Each percentage rests on {n:,} resampled paths per scenario, worth about {n_eff:.0f} after reweighting"
    fig = MplFigure(figsize=(11, 0.42 * len(forecast.scenarios) + 2.0), layout="constrained")
    axes = fig.subplots(1, len(years), sharey=True, squeeze=False).ravel()
    for ax, y in zip(axes, years):
        plots.class_probability_bars(
            probs, y, ax=ax, scenario_labels=slabels, class_labels=clabels, title=f"Trajectory class in {y}", legend=False
        )
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside upper center", ncols=len(names))
    return Section(
        "headline",
        "Headline",
        (
            Bullets(tuple(reading), callout=True, warn=not passed),
            Paragraph(
                "Probability (%) of each trajectory class per scenario in each headline year (where the relationship is that year: "
                "see Trajectory classes), and of at least one rupture event from the first forecast year to that year. "
                "The most likely class per year is in bold."
            ),
            headline_table(forecast, config),
            Paragraph(
                f"{precision}; its Monte Carlo standard error is at most {100 * 0.5 / np.sqrt(n_eff):.1f} points "
                "(more where the posterior draws are autocorrelated). Differences between scenarios "
                "are more precise than that, because every scenario is simulated with the same random numbers: see Scenario differences vs status quo.",
                style="note",
            ),
            Figure(
                fig,
                f"Stacked bars: probability of each trajectory class per scenario in {', '.join(map(str, years))}",
                "Trajectory class probabilities per scenario. Colours are fixed per class in every figure.",
            ),
        ),
        status="ok" if passed else "fail",
    )


# ------------------------------------------------------------------------------------
# classes, channels, indicators
# ------------------------------------------------------------------------------------
def classes_section(spec: Any, inputs: Any = None) -> Section:
    """Each class's label, rule and description in the order the rules are applied; the variables; the record's references.

    ``inputs`` (the fit's model inputs) gives the reference values the forecast used.
    """
    frame = pd.DataFrame(
        [
            {"#": i + 1, "Class": f"{t.label or t.name} ({t.name})", "Rule": t.rule, "Meaning": t.description}
            for i, t in enumerate(spec.trajectories)
        ]
    )
    used = {n for t in spec.trajectories for n in rule_names(t.rule)}
    variables = pd.DataFrame(
        [{"Variable": n, "Meaning": m, "Unit": u} for n, m, u in rule_variable_table(spec.indicators, spec.history) if n in used]
    )
    blocks: list = [
        Paragraph(
            "Every simulated path gets exactly one class in each year. Rules are checked from top to bottom; a path gets the first class "
            "whose rule holds, and the last class takes every remaining path. A class says where the relationship is in the year (or the "
            "three years ending there), in terms a reader can check against what happens: indicators in their own units, and rupture "
            "events (escalated incidents, under the escalation rule of data/curated/README.md). A path that recovers from a rupture leaves "
            "the rupture class; whether a rupture event happened by a year is the separate headline probability. The rules are edited "
            "in the model spec file."
        ),
        Table(frame, formats={"#": "int"}, code=("Rule",), wrap=("Rule",), index=False),
        Table(variables, caption="The variables the rules use", code=("Variable",), index=False, css="small"),
    ]
    if inputs is not None:
        record = record_from_inputs(spec, inputs)
        refs, sources = record.references(), record.reference_sources()
        rows = [{"Reference": n, "Value": sig(refs[n]), "From the record": sources[n]} for n in reference_names(sorted(used))]
        if rows:
            blocks.append(
                Table(
                    pd.DataFrame(rows),
                    caption="Reference values, read from the observed record the forecast starts from (data/curated/series.csv; UNSOURCED values are missing)",
                    code=("Reference",),
                    index=False,
                    css="small",
                )
            )
    return Section("classes", "Trajectory classes", tuple(blocks))


def channels_section(fit: FitLike, forecast: Any, config: ReportConfig = DEFAULT) -> Section:
    """One small-multiples fan chart per channel: every scenario, history included."""
    spec = fit.spec
    slabels = scenario_labels(spec)
    history = fit.idata.posterior["state"]
    ref = reference(forecast, config)
    blocks: list = [
        Paragraph(
            "The relationship is modelled as two latent channels. Grey: the fitted history (posterior median, 50% and 90% intervals); "
            f"blue: the forecast under each scenario. The dashed line repeats the {slabels.get(ref, ref)} median in every panel for comparison. "
            "Units: one standard deviation of the channel's anchor indicator over {}–{} (the spec's centring period).".format(*spec.centring_period)
        )
    ]
    for name, ch in spec.channels.items():
        fig = plots.fan_grid(
            history,
            forecast.data["state"],
            name,
            forecast.scenarios,
            reference=ref,
            labels=slabels,
            channel_label=ch.label or name,
            ncols=4,
        )
        anchor = spec.indicators.get(ch.anchor)
        label = ch.label or name
        blocks += [
            Heading(label),
            Paragraph(f"{ch.description} Anchor indicator: {anchor.label if anchor else ch.anchor}."),
            Figure(
                fig,
                f"Fan charts of the {name} channel, one panel per scenario",
                f"{label}: history 2010–{spec.history[1]} and forecast {spec.forecast[0]}–{spec.forecast[1]}, one panel per scenario.",
            ),
        ]
    return Section("channels", "Channels: history and forecast", tuple(blocks))


def contrasting_scenarios(forecast: Any, ref: str, k: int = 3, year: int | None = None) -> list[tuple[str, str]]:
    """Up to ``k`` scenarios that differ most from ``ref``, each with why it was chosen."""
    others = [s for s in forecast.scenarios if s != ref]
    if not others:
        return []
    year = forecast.spec.headline_year if year is None else year
    year = year if year in forecast.data["year"].values else int(forecast.data["year"].values[-1])
    chosen: list[tuple[str, str]] = []
    rup = forecast.class_probabilities((year,)).sel(year=year)
    if "rupture" in rup["trajectory"].values:
        r = rup.sel(trajectory="rupture").sel(scenario=others)
        chosen.append((others[int(r.argmax("scenario"))], f"highest P(rupture) in {year}"))
        low = others[int(r.argmin("scenario"))]
        if low not in [c for c, _ in chosen]:
            chosen.append((low, f"lowest P(rupture) in {year}"))
    mean = forecast.data["state"].sel(year=year).mean(("chain", "draw"))
    shift = np.abs(mean.sel(scenario=others) - mean.sel(scenario=ref)).sum("channel")
    for i in np.argsort(-shift.values):
        s = others[int(i)]
        if len(chosen) >= k:
            break
        if s not in [c for c, _ in chosen]:
            chosen.append((s, f"largest shift of the mean channel levels in {year}"))
    return chosen[:k]


def indicators_section(fit: FitLike, forecast: Any, config: ReportConfig = DEFAULT) -> Section:
    """Forecast fans in raw units for every indicator (reference + contrasting scenarios), and a table."""
    spec = fit.spec
    slabels = scenario_labels(spec)
    ref = reference(forecast, config)
    picks = contrasting_scenarios(forecast, ref)
    shown = [ref, *[s for s, _ in picks]]
    raw = fit.workbench.history.indicators.reindex(fit.inputs.years)
    names = [i for i in spec.indicator_names if i in forecast.data["indicator"].values]
    ncols = 2
    nrows = int(np.ceil(len(names) / ncols))
    fig = MplFigure(figsize=(11, 3.3 * nrows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    years = headline_years(forecast, config)
    ref_label = slabels.get(ref, ref)
    rows, below_zero = [], []
    for ax, name in zip(axes, names):
        ind = spec.indicators[name]
        plots.indicator_fan(
            raw[name] if name in raw else None,
            forecast.data["indicator_value"],
            name,
            shown,
            ax=ax,
            labels=slabels,
            indicator_label=ind.label or name,
            ylabel=units(ind.label or name),
            log_scale=ind.transform == "log",
            start_year=2005,
            legend=False,
        )
        obs = raw[name].dropna() if name in raw else pd.Series(dtype=float)
        q = (
            forecast.data["indicator_value"]
            .sel(indicator=name, scenario=ref, year=years)
            .quantile([0.05, 0.5, 0.95], dim=("chain", "draw"))
        )
        low = forecast.data["indicator_value"].sel(indicator=name, scenario=shown).quantile(0.05, dim=("chain", "draw"))
        if len(obs) and float(obs.min()) >= 0 and float(low.min()) < 0:
            below_zero.append(ind.label or name)
        row = {
            "Indicator": ind.label or name,
            "Channel": ind.channel,
            "Last observed": f"{sig(float(obs.iloc[-1]))} ({obs.index[-1]})" if len(obs) else "–",
        }
        for y in years:
            row[f"{ref_label} {y}: median [90% interval]"] = interval_text(*(q.sel(quantile=k, year=y).item() for k in (0.5, 0.05, 0.95)))
        rows.append(row)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 5))
    fig.suptitle("Indicators: observed (black) and forecast median with 50% band and 90% interval", fontweight="bold")
    frame = pd.DataFrame(rows).set_index("Indicator")
    blocks: list = [
        Paragraph(
            f"Forecasts of every observed indicator in its own units, under {ref_label} (grey, filled bands) and the scenarios that contrast with it most:"
        ),
        Bullets(tuple(f"{slabels.get(s, s)}: {why}" for s, why in picks)),
        Paragraph(
            "Bands include measurement noise, so they are wider than the channel fans. Series modelled on the log scale are drawn on a log axis."
        ),
    ]
    if below_zero:
        blocks.append(
            Paragraph(
                "The measurement model does not bound these series, and their forecast intervals reach below zero, which they cannot: "
                f"{', '.join(below_zero)}. Read a negative lower bound as “close to zero”.",
                style="warn",
            )
        )
    blocks += [
        Figure(
            fig,
            "Forecast fans of every indicator in raw units, with observed values",
            "Observed values (black) and forecast medians with 50% bands; dashed lines bound the 90% interval for the contrasting scenarios.",
        ),
        Table(frame, css="small"),
    ]
    return Section("indicators", "Indicators in their own units", tuple(blocks))
