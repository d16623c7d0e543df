"""The scenario report: one self-contained HTML file from a fit and its forecast.

:func:`build_report` renders ``templates/report.html`` (Jinja2, autoescaped) with
figures embedded as base64 PNG and CSS inline: no external files, fonts, scripts or
URLs, so the file opens in any browser, offline, and can be mailed as it is. The file
is written atomically (a temporary file in the same folder, then ``os.replace``), so a
failure while rendering or writing leaves the previous report intact.

Each section is built by a small function returning a context dict; the template only
lays them out. Other modules add sections (lenses, stress test, validation) through
``extra_sections``: ``(title, trusted_html)`` pairs, placed before the appendices.

    >>> from hedgecast.report.build import build_report                            # doctest: +SKIP
    >>> build_report(fit, fit.forecast(), path="reports/turkiye-russia.html")  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from matplotlib.figure import Figure

from hedgecast import plots
from hedgecast.model.fit import ESS_MIN, RHAT_MAX

if TYPE_CHECKING:  # pragma: no cover
    from hedgecast.forecasting.forecast import Forecast
    from hedgecast.inputs.spec import ModelSpec
    from hedgecast.workbench import Fit

__all__ = ["SECTION_TITLES", "build_report", "render_report", "write_atomic"]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE = "report.html"
TITLE = "Türkiye–Russia relations 2026–2035: scenario report"
REFERENCE = "status_quo"
FIGURE_DPI = 100

#: section id -> title, in report order (extra sections go before the appendices)
SECTION_TITLES: dict[str, str] = {
    "headline": "Headline",
    "classes": "Trajectory classes",
    "channels": "Channels: history and forecast",
    "indicators": "Indicators in their own units",
    "differences": "Scenario differences vs status quo",
    "learning": "Prior vs posterior: how much the history taught us",
    "ppc": "Posterior predictive checks",
    "diagnostics": "Sampler diagnostics",
    "scenarios": "Appendix A: Scenarios",
    "priors": "Appendix B: Priors and their sources",
    "data": "Appendix C: Data",
}
APPENDICES = ("scenarios", "priors", "data")


# ------------------------------------------------------------------------------------
# entry points
# ------------------------------------------------------------------------------------
def build_report(
    fit: Fit,
    forecast: Forecast,
    *,
    path: str | os.PathLike,
    extra_sections: Iterable[tuple[str, str]] = (),
    run_info: Mapping[str, Any] | None = None,
) -> Path:
    """Write the scenario report for ``fit`` and ``forecast`` to ``path``; return the path.

    Parameters
    ----------
    fit : Fit
        A fitted lens (its diagnostics are shown on top, and a failed fit says so).
    forecast : Forecast
        ``fit.forecast()`` (any subset of scenarios; ``status_quo`` is the reference
        when present).
    path : path-like
        Target HTML file. Its folder is created if needed. Written atomically.
    extra_sections : iterable of (title, html)
        Sections from other modules, inserted before the appendices and listed in the
        table of contents. The HTML is trusted (not escaped).
    run_info : mapping, optional
        The run record (e.g. ``SavedRun.manifest``): seed, versions, hashes …, shown
        under the title.

    """
    target = Path(path)
    html = render_report(fit, forecast, extra_sections=extra_sections, run_info=run_info)
    return write_atomic(target, html)


def render_report(
    fit: Fit, forecast: Forecast, *, extra_sections: Iterable[tuple[str, str]] = (), run_info: Mapping[str, Any] | None = None
) -> str:
    """Render the report to an HTML string (see :func:`build_report`)."""
    spec = fit.spec
    extras = [
        {"id": f"extra-{i + 1}-{_slug(title)}", "title": str(title), "html": Markup(html)}  # noqa: S704 - trusted HTML from hedgecast modules
        for i, (title, html) in enumerate(extra_sections)
    ]
    main = [k for k in SECTION_TITLES if k not in APPENDICES]
    toc = [{"id": k, "title": SECTION_TITLES[k]} for k in main]
    toc += [{"id": e["id"], "title": e["title"]} for e in extras]
    toc += [{"id": k, "title": SECTION_TITLES[k]} for k in APPENDICES]
    context = {
        "title": TITLE,
        "sections": SECTION_TITLES,
        "toc": toc,
        "status": status_context(fit),
        "header": header_context(fit, forecast, run_info),
        "headline": headline_context(forecast, spec, fit.diagnostics.passed),
        "classes": classes_context(spec),
        "channels": channels_context(fit, forecast),
        "indicators": indicators_context(fit, forecast),
        "differences": differences_context(forecast),
        "learning": learning_context(fit),
        "ppc": ppc_context(fit),
        "diagnostics": diagnostics_context(fit),
        "extras": extras,
        "scenarios": scenarios_context(spec, forecast, fit.lens),
        "priors": priors_context(fit.lens),
        "data": data_context(fit),
    }
    return _environment().get_template(TEMPLATE).render(**context)


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` via a temporary file in the same folder and ``os.replace``.

    On any failure the temporary file is removed and an existing ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


# ------------------------------------------------------------------------------------
# shared helpers
# ------------------------------------------------------------------------------------
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = _pct
    env.filters["num"] = _num
    return env


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "section"


def _pct(p: float, digits: int = 1) -> str:
    return "–" if p is None or not np.isfinite(p) else f"{100 * p:.{digits}f}"


def _num(x: float, digits: int = 2) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def figure_html(fig: Figure, alt: str, dpi: int = FIGURE_DPI) -> Markup:
    """Embed the figure as an ``<img>`` holding a base64 PNG (no external file)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.08, metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return Markup('<img src="data:image/png;base64,{}" alt="{}">').format(data, alt)


def _scenario_labels(spec: ModelSpec) -> dict[str, str]:
    return {k: (s.label or k) for k, s in spec.scenarios.items()}


def _class_labels(spec: ModelSpec) -> dict[str, str]:
    return {t.name: (t.label or t.name) for t in spec.trajectories}


def _reference(forecast: Forecast) -> str:
    return REFERENCE if REFERENCE in forecast.scenarios else forecast.scenarios[0]


def _n_paths(forecast: Forecast) -> int:
    return int(forecast.data.sizes["chain"] * forecast.data.sizes["draw"])


def _headline_years(forecast: Forecast) -> list[int]:
    years = [int(y) for y in forecast.data["year"].values]
    chosen = [y for y in forecast.spec.headline_years if y in years]
    return chosen or [years[-1]]


def _year_ranges(years: Sequence[int]) -> str:
    """``[2000, 2001, 2002, 2005]`` → ``"2000–2002, 2005"``."""
    years = sorted(int(y) for y in years)
    if not years:
        return "none"
    parts, start, prev = [], years[0], years[0]
    for y in [*years[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(parts)


def _short(label: str) -> str:
    """Strip a label's parenthetical and lower-case it for prose: "Rupture (2015–16 scale)" → "rupture"."""
    return re.sub(r"\s*\(.*?\)", "", label).strip().lower()


def _sig(x: float, digits: int = 3) -> str:
    """``x`` to about ``digits`` significant figures, without scientific notation."""
    if x is None or not np.isfinite(x):
        return "–"
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - int(np.floor(np.log10(abs(x)))))
    return f"{x:,.{decimals}f}"


def _interval_text(mid: float, lo: float, hi: float) -> str:
    return f"{_sig(mid)} [{_sig(lo)} – {_sig(hi)}]"


def _units(label: str) -> str:
    """Return the units in a label's last parenthesis: "Bilateral trade (USD bn)" → "USD bn"."""
    found = re.findall(r"\(([^()]*)\)\s*$", label)
    return found[-1] if found else label


def _clean_parameter(name: str) -> str:
    """``"rho.('economic',)"`` → ``"rho.economic"`` (one-dim groups in prior_vs_posterior)."""
    return re.sub(r"\('([^']*)',?\)", r"\1", str(name))


# ------------------------------------------------------------------------------------
# top of the report
# ------------------------------------------------------------------------------------
def status_context(fit: Fit) -> dict:
    """Decide between the red banner (failed diagnostics, each problem named) and the green note."""
    d = fit.diagnostics
    return {"passed": bool(d.passed), "problems": list(d.problems), "n_samples": d.n_samples}


def _flatten(info: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows = []
    for key, value in info.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows += _flatten(value, name + ".")
        elif isinstance(value, (list, tuple)):
            rows.append((name, ", ".join(str(v) for v in value)))
        else:
            rows.append((name, str(value)))
    return rows


def header_context(fit: Fit, forecast: Forecast, run_info: Mapping[str, Any] | None) -> dict:
    """Lens, sampler settings, versions and hashes, and how the report was made."""
    from hedgecast import __version__
    from hedgecast.runs import package_versions

    info = dict(run_info or {})
    s = fit.settings
    key = [
        ("Lens", fit.lens.name),
        ("Seed (sampler / forecast)", f"{s.seed} / {forecast.data.attrs.get('seed', s.seed)}"),
        ("Sampler", f"{s.sampler}: {s.chains} chains × {s.draws} draws after {s.tune} tuning steps (target accept {s.target_accept})"),
        ("Forecast paths per scenario", f"{_n_paths(forecast):,}"),
        ("History fitted", f"{fit.inputs.years[0]}–{fit.inputs.years[-1]}"),
        ("Model spec", f"{fit.spec.name} v{fit.spec.version}, sha256 {fit.spec.sha256[:12]}"),
        ("Lens fingerprint", fit.lens.fingerprint()[:12]),
    ]
    if info.get("id"):
        key.insert(0, ("Run", str(info["id"])))
    versions = info.get("versions") or package_versions()
    record = [(k, v) for k, v in _flatten({k: v for k, v in info.items() if k not in ("diagnostics", "headline", "versions")})]
    created = str(info.get("created") or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    return {
        "lens": fit.lens.name,
        "lens_summary": fit.lens.summary,
        "key": key,
        "versions": sorted(versions.items()),
        "record": record,
        "generated": created,
        "hedgecast_version": str(info.get("hedgecast", __version__)),
        "spec_description": fit.spec.description,
    }


# ------------------------------------------------------------------------------------
# headline
# ------------------------------------------------------------------------------------
def headline_context(forecast: Forecast, spec: ModelSpec, diagnostics_passed: bool = True) -> dict:
    """P(each class) at the headline years, P(crisis by the first of them), a plain reading, a figure."""
    years = _headline_years(forecast)
    crisis_year = years[0]
    probs = forecast.class_probabilities(tuple(years)).transpose("scenario", "year", "trajectory")
    crisis = forecast.p_crisis_by(crisis_year)
    classes = plots._class_order([str(c) for c in probs["trajectory"].values])
    clabels, slabels = _class_labels(spec), _scenario_labels(spec)
    rows = []
    for s in forecast.scenarios:
        cells = []
        for y in years:
            p = probs.sel(scenario=s, year=y)
            best = str(p["trajectory"].values[int(p.argmax("trajectory"))])
            cells += [{"p": float(p.sel(trajectory=c)), "best": c == best} for c in classes]
        rows.append({"name": s, "label": slabels.get(s, s), "cells": cells, "crisis": float(crisis.sel(scenario=s))})
    n = _n_paths(forecast)
    fig = Figure(figsize=(11, 0.42 * len(forecast.scenarios) + 2.0), layout="constrained")
    axes = fig.subplots(1, len(years), sharey=True, squeeze=False).ravel()
    for ax, y in zip(axes, years):
        plots.class_probability_bars(
            probs, y, ax=ax, scenario_labels=slabels, class_labels=clabels, title=f"Trajectory class in {y}", legend=False
        )
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside upper center", ncols=len(names))
    return {
        "years": years,
        "crisis_year": crisis_year,
        "classes": [{"name": c, "label": clabels.get(c, c), "colour": plots._class_colours(classes)[c]} for c in classes],
        "rows": rows,
        "reading": headline_reading(probs, crisis, spec, years[0], diagnostics_passed),
        "n_paths": n,
        "mc_se_pp": 100 * 0.5 / np.sqrt(n),
        "figure": figure_html(fig, f"Stacked bars: probability of each trajectory class per scenario in {', '.join(map(str, years))}"),
    }


def headline_reading(probs: xr.DataArray, crisis: xr.DataArray, spec: ModelSpec, year: int, diagnostics_passed: bool = True) -> list[str]:
    """Plain-language sentences generated from the headline numbers."""
    clabels, slabels = _class_labels(spec), _scenario_labels(spec)
    p = probs.sel(year=year)
    scenarios = [str(s) for s in p["scenario"].values]
    out = []
    best = {s: str(p["trajectory"].values[int(p.sel(scenario=s).argmax("trajectory"))]) for s in scenarios}
    common = set(best.values())
    if len(common) == 1:
        c = common.pop()
        lo = min(float(p.sel(scenario=s, trajectory=c)) for s in scenarios)
        hi = max(float(p.sel(scenario=s, trajectory=c)) for s in scenarios)
        out.append(f"In {year} the most likely class under every scenario is {_short(clabels.get(c, c))} ({_pct(lo, 0)}–{_pct(hi, 0)}%).")
    else:
        by_class: dict[str, list[str]] = {}
        for s, c in best.items():
            by_class.setdefault(c, []).append(f"{slabels.get(s, s)} ({_pct(float(p.sel(scenario=s, trajectory=c)), 0)}%)")
        parts = [f"{_short(clabels.get(c, c))} under {', '.join(v)}" for c, v in by_class.items()]
        out.append(f"The most likely class in {year} is " + "; ".join(parts) + ".")
    rupture = "rupture" if "rupture" in p["trajectory"].values else None
    if rupture and len(scenarios) > 1:
        r = p.sel(trajectory=rupture)
        hi_s = scenarios[int(r.argmax("scenario"))]
        lo_s = scenarios[int(r.argmin("scenario"))]
        out.append(
            f"The risk of a rupture-class future by {year} is highest under {slabels.get(hi_s, hi_s)} "
            f"({_pct(float(r.sel(scenario=hi_s)))}%) and lowest under {slabels.get(lo_s, lo_s)} ({_pct(float(r.sel(scenario=lo_s)))}%)."
        )
        c_hi = scenarios[int(crisis.argmax("scenario"))]
        c_lo = scenarios[int(crisis.argmin("scenario"))]
        out.append(
            f"A rupture-scale crisis (like the 2015 shoot-down) by {year} has probability {_pct(float(crisis.min()))}% "
            f"({slabels.get(c_lo, c_lo)}) to {_pct(float(crisis.max()))}% ({slabels.get(c_hi, c_hi)}). The rupture class "
            f"is wider than the crisis alone: its rule is “{next((t.rule for t in spec.trajectories if t.name == 'rupture'), spec.trajectories[0].rule)}” "
            "(see Trajectory classes), so its probability is at least the crisis probability."
        )
    if not diagnostics_passed:
        out.append("These numbers come from a fit whose sampler diagnostics failed (see the banner above): read them as indicative only.")
    return out


# ------------------------------------------------------------------------------------
# trajectory classes, channels, indicators
# ------------------------------------------------------------------------------------
def classes_context(spec: ModelSpec) -> dict:
    """Each class's label, rule and description, in the order the rules are applied."""
    return {
        "classes": [{"name": t.name, "label": t.label or t.name, "rule": t.rule, "description": t.description} for t in spec.trajectories]
    }


def channels_context(fit: Fit, forecast: Forecast) -> dict:
    """One small-multiples fan chart per channel: every scenario, history included."""
    slabels = _scenario_labels(fit.spec)
    history = fit.idata.posterior["state"]
    ref = _reference(forecast)
    out = []
    for name, ch in fit.spec.channels.items():
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
        anchor = fit.spec.indicators.get(ch.anchor)
        out.append(
            {
                "name": name,
                "label": ch.label or name,
                "description": ch.description,
                "anchor": anchor.label if anchor else ch.anchor,
                "figure": figure_html(fig, f"Fan charts of the {name} channel, one panel per scenario"),
            }
        )
    return {"channels": out, "reference": slabels.get(ref, ref)}


def contrasting_scenarios(forecast: Forecast, reference: str, k: int = 3, year: int | None = None) -> list[tuple[str, str]]:
    """Up to ``k`` scenarios that differ most from ``reference``, each with why it was chosen."""
    others = [s for s in forecast.scenarios if s != reference]
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
    shift = np.abs(mean.sel(scenario=others) - mean.sel(scenario=reference)).sum("channel")
    for i in np.argsort(-shift.values):
        s = others[int(i)]
        if len(chosen) >= k:
            break
        if s not in [c for c, _ in chosen]:
            chosen.append((s, f"largest shift of the mean channel levels in {year}"))
    return chosen[:k]


def indicators_context(fit: Fit, forecast: Forecast) -> dict:
    """Forecast fans in raw units for every indicator (reference + contrasting scenarios)."""
    spec = fit.spec
    slabels = _scenario_labels(spec)
    ref = _reference(forecast)
    picks = contrasting_scenarios(forecast, ref)
    shown = [ref, *[s for s, _ in picks]]
    raw = fit.workbench.history.indicators.reindex(fit.inputs.years)
    names = [i for i in spec.indicator_names if i in forecast.data["indicator"].values]
    ncols = 2
    nrows = int(np.ceil(len(names) / ncols))
    fig = Figure(figsize=(11, 3.3 * nrows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    years = _headline_years(forecast)
    table, below_zero = [], []
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
            ylabel=_units(ind.label or name),
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
        table.append(
            {
                "label": ind.label or name,
                "channel": ind.channel,
                "last": (f"{_sig(float(obs.iloc[-1]))} ({obs.index[-1]})" if len(obs) else "–"),
                "cells": [_interval_text(*(q.sel(quantile=k, year=y).item() for k in (0.5, 0.05, 0.95))) for y in years],
            }
        )
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 5))
    fig.suptitle("Indicators: observed (black) and forecast median with 50% band and 90% interval", fontweight="bold")
    return {
        "reference": slabels.get(ref, ref),
        "picks": [{"label": slabels.get(s, s), "why": why} for s, why in picks],
        "figure": figure_html(fig, "Forecast fans of every indicator in raw units, with observed values"),
        "years": years,
        "table": table,
        "below_zero": below_zero,
    }


# ------------------------------------------------------------------------------------
# differences between scenarios
# ------------------------------------------------------------------------------------
def scenario_difference_table(forecast: Forecast, reference: str, year: int | None = None) -> pd.DataFrame:
    """Paired differences from ``reference`` (long format: scenario, measure, estimate, lower, upper, unit, kind).

    Class probabilities: estimate ± 2 Monte Carlo standard errors (paired, common
    random numbers). Channel levels: the mean per-draw difference and its 5–95%
    posterior interval.
    """
    year = forecast.spec.headline_year if year is None else year
    classes = forecast.spec.class_names
    want = [c for c in ("rupture", "transactional_equilibrium") if c in classes] or classes[:2]
    clabels = _class_labels(forecast.spec)
    rows = []
    state = forecast.data["state"].sel(year=year)
    for s in forecast.scenarios:
        if s == reference:
            continue
        for c in want:
            d = forecast.difference(s, reference, year=year, trajectory=c)
            est, se = 100 * d["difference"], 100 * d["se"]
            label = f"P({_short(clabels.get(c, c))}{' by' if c == 'rupture' else ','} {year})"
            rows.append(
                {
                    "scenario": s,
                    "measure": label,
                    "estimate": est,
                    "lower": est - 2 * se,
                    "upper": est + 2 * se,
                    "se": se,
                    "unit": "percentage points",
                    "kind": "probability",
                }
            )
        for ch in forecast.data["channel"].values:
            diff = (state.sel(scenario=s, channel=ch) - state.sel(scenario=reference, channel=ch)).values.ravel()
            lo, hi = np.quantile(diff, [0.05, 0.95])
            rows.append(
                {
                    "scenario": s,
                    "measure": f"{str(ch).capitalize()} level, {year}",
                    "estimate": float(diff.mean()),
                    "lower": float(lo),
                    "upper": float(hi),
                    "se": float("nan"),
                    "unit": "sd",
                    "kind": "level",
                }
            )
    return pd.DataFrame(rows)


def differences_context(forecast: Forecast) -> dict:
    """Table and figure of differences from the reference scenario with their uncertainty."""
    ref = _reference(forecast)
    slabels = _scenario_labels(forecast.spec)
    year = forecast.spec.headline_year if forecast.spec.headline_year in forecast.data["year"].values else int(forecast.data["year"].values[-1])
    df = scenario_difference_table(forecast, ref, year)
    if df.empty:
        return {"reference": slabels.get(ref, ref), "year": year, "measures": [], "rows": [], "figure": None}
    measures = list(dict.fromkeys(df["measure"]))
    rows = []
    for s in dict.fromkeys(df["scenario"]):
        cells = []
        for m in measures:
            r = df[(df["scenario"] == s) & (df["measure"] == m)].iloc[0]
            clear = r["lower"] > 0 or r["upper"] < 0
            if r["kind"] == "probability":
                text = f"{r['estimate']:+.1f} ± {2 * r['se']:.1f}"
            else:
                text = f"{r['estimate']:+.2f} [{r['lower']:+.2f}, {r['upper']:+.2f}]"
            cells.append({"text": text, "excludes_zero": bool(clear)})
        rows.append({"label": slabels.get(s, s), "cells": cells})
    fig = plots.scenario_differences(df, labels=slabels, reference_label=slabels.get(ref, ref))
    return {
        "reference": slabels.get(ref, ref),
        "year": year,
        "measures": measures,
        "rows": rows,
        "figure": figure_html(fig, f"Differences from {slabels.get(ref, ref)} in {year}, with uncertainty"),
        "uncertain": [slabels.get(s, s) for s in forecast.scenarios if forecast.spec.scenarios[s].probability is not None],
    }


# ------------------------------------------------------------------------------------
# what the history taught us
# ------------------------------------------------------------------------------------
def _learning_reading(shrinkage: float, shift: float) -> str:
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


def learning_context(fit: Fit) -> dict:
    """Prior vs posterior for every effect: shrinkage table and interval figure."""
    table = fit.prior_vs_posterior().copy()
    table["parameter"] = table["parameter"].map(_clean_parameter)
    table["shift"] = (table["posterior_mean"] - table["prior_mean"]) / table["prior_sd"]
    rows = [{**r, "reading": _learning_reading(r["shrinkage"], r["shift"])} for r in table.to_dict("records")]
    much = [r["parameter"] for r in rows if r["shrinkage"] >= 0.5]
    little = [r["parameter"] for r in rows if r["shrinkage"] < 0.1]
    moved = [r["parameter"] for r in rows if abs(r["shift"]) >= 1.0]
    effects = [g for g in ("beta", "leverage_shift", "war_effect", "crisis_effect") if g in fit.idata.posterior]
    other = [g for g in ("rho", "cushion", "hazard_friction", "hazard_ties") if g in fit.idata.posterior]
    counts = [max(1, int(table["parameter"].str.split(".").str[0].isin(g).sum())) for g in (effects, other)]
    fig = Figure(figsize=(9, 0.27 * sum(counts) + 2.4), layout="constrained")
    axes = fig.subplots(2, 1, height_ratios=counts)
    plots.prior_posterior(
        fit.idata,
        ax=axes[0],
        groups=effects,
        title="Effects on the channels",
        xlabel="Effect (channel sd per unit of driver / state; 5–95% quantiles)",
    )
    plots.prior_posterior(
        fit.idata,
        ax=axes[1],
        groups=other,
        title="Persistence, shock cushion and crisis hazard",
        xlabel="rho: yearly persistence; cushion: per unit of leader ties; hazard: logit scale",
        legend=False,
    )
    return {
        "rows": rows,
        "much": much,
        "little": little,
        "moved": moved,
        "n": len(rows),
        "figure": figure_html(fig, "Prior and posterior 90% intervals of every effect"),
    }


# ------------------------------------------------------------------------------------
# checks
# ------------------------------------------------------------------------------------
def _posterior_predictive(fit: Fit) -> xr.DataArray:
    # The concatenation in fit.posterior_predictive carries per-indicator scalar coords
    # (channel, free_indicator) that conflict under xarray's current combine defaults;
    # the new defaults (compat="override") drop the conflict. Only the named dims are used.
    with xr.set_options(use_new_combine_kwarg_defaults=True):
        rep = fit.posterior_predictive()
    return rep.drop_vars([c for c in rep.coords if c not in rep.dims])


def ppc_coverage(observed: pd.DataFrame, y_rep: xr.DataArray, prob: float = 0.9) -> pd.DataFrame:
    """Per indicator: observed points, how many lie inside the central ``prob`` predictive band, and the share."""
    lo_q, hi_q = (1 - prob) / 2, 1 - (1 - prob) / 2
    q = y_rep.quantile([lo_q, hi_q], dim=[d for d in ("chain", "draw") if d in y_rep.dims])
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


def ppc_context(fit: Fit) -> dict:
    """Observed standardized indicators against their posterior-predictive bands, and coverage."""
    spec = fit.spec
    y_rep = _posterior_predictive(fit)
    observed = fit.inputs.standardized
    cov = ppc_coverage(observed, y_rep)
    labels = {k: (i.label or k) for k, i in spec.indicators.items()}
    fig = plots.ppc(observed, y_rep, labels=labels, coverage=dict(zip(cov["indicator"], cov["coverage"])))
    total_obs, total_in = int(cov["observed"].sum()), int(cov["inside"].sum())
    rows = []
    for r in cov.to_dict("records"):
        flag = ""
        if r["observed"] and r["coverage"] < 0.75:
            flag = "too few inside: the model is overconfident about this series"
        elif r["observed"] >= 8 and r["coverage"] == 1.0:
            flag = "all inside: bands may be wider than needed"
        rows.append({**r, "label": labels.get(r["indicator"], r["indicator"]), "flag": flag})
    return {
        "rows": rows,
        "overall": total_in / total_obs if total_obs else float("nan"),
        "total_obs": total_obs,
        "total_in": total_in,
        "figure": figure_html(fig, "Posterior predictive 90% bands and observed values per indicator"),
    }


def worst_parameters(idata: az.InferenceData, var_names: Sequence[str], k: int = 10) -> list[dict]:
    """List the ``k`` parameter elements with the highest R-hat, with their bulk and tail ESS."""
    names = [v for v in var_names if v in idata.posterior]
    if not names:
        return []
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
    return rows[:k]


def diagnostics_context(fit: Fit) -> dict:
    """R-hat, ESS and divergences against their thresholds, and the worst parameters."""
    d = fit.diagnostics
    metrics = [
        {
            "name": "Largest R-hat (rank-normalized)",
            "value": f"{d.max_rhat:.3f}",
            "threshold": f"≤ {RHAT_MAX}",
            "ok": d.max_rhat <= RHAT_MAX,
            "where": d.worst.get("rhat", ""),
        },
        {
            "name": "Smallest bulk ESS",
            "value": f"{d.min_ess_bulk:.0f}",
            "threshold": f"≥ {ESS_MIN}",
            "ok": d.min_ess_bulk >= ESS_MIN,
            "where": d.worst.get("ess_bulk", ""),
        },
        {
            "name": "Smallest tail ESS",
            "value": f"{d.min_ess_tail:.0f}",
            "threshold": f"≥ {ESS_MIN}",
            "ok": d.min_ess_tail >= ESS_MIN,
            "where": d.worst.get("ess_tail", ""),
        },
        {"name": "Divergent transitions", "value": f"{d.divergences}", "threshold": "0", "ok": d.divergences == 0, "where": ""},
        {
            "name": "Posterior samples",
            "value": f"{d.n_samples:,}",
            "threshold": "",
            "ok": True,
            "where": f"{fit.settings.chains} chains × {fit.settings.draws} draws",
        },
    ]
    free = list(fit.idata.attrs.get("free_rvs", []))
    return {"passed": d.passed, "problems": d.problems, "metrics": metrics, "worst": worst_parameters(fit.idata, free)}


# ------------------------------------------------------------------------------------
# appendices
# ------------------------------------------------------------------------------------
def _interventions(spec: ModelSpec, name: str) -> list[str]:
    s = spec.scenarios[name]
    out = []
    if s.includes:
        out.append(
            "Combines " + ", ".join(spec.scenarios[i].label or i for i in s.includes if i in spec.scenarios) + " (its own settings win)."
        )
    for year, state in sorted(s.war.pin.items()):
        out.append(f"War state set to “{state}” in {year}.")
    if s.war.hold_state:
        out.append(f"War held in state “{s.war.hold_state}” until {s.war.hold_until}.")
    for d, iv in s.drivers.items():
        label = spec.drivers[d].label if d in spec.drivers else d
        sd = f" (uncertainty sd {iv.sd:g})" if iv.sd else ""
        ramp = f", reached over {iv.ramp} years" if iv.ramp > 1 else ""
        out.append(f"{label} ({d}) moves to {iv.to:g}{sd} from {iv.from_year}{ramp}.")
    if not out:
        out.append("None: every driver drifts from its 2025 value and the war follows the lens's Markov chain.")
    return out


def _probability_text(spec: ModelSpec, name: str, forecast: Forecast, lens) -> str:
    p = spec.scenarios[name].probability
    if p is None:
        return "Certain: applied in every simulated path."
    if p == "lens":
        prior = lens.priors.get(f"scenario_probability.{name}")
        share = ""
        if "active" in forecast.data and name in forecast.scenarios:
            share = f"; it happened in {_pct(float(forecast.data['active'].sel(scenario=name).mean()))}% of simulated paths"
        dist = f" {prior.prior.distribution}({', '.join(f'{k}={v:g}' for k, v in prior.prior.parameters.items())})" if prior else ""
        return f"Uncertain: per path, applied with a probability drawn from the lens prior scenario_probability.{name}{dist}{share}."
    return f"Applied with probability {float(p):.0%} per simulated path."


def scenarios_context(spec: ModelSpec, forecast: Forecast, lens) -> dict:
    """Every scenario's label, description, interventions, probability and provenance."""
    out = []
    for name, s in spec.scenarios.items():
        out.append(
            {
                "name": name,
                "label": s.label or name,
                "description": s.description,
                "interventions": _interventions(spec, name),
                "probability": _probability_text(spec, name, forecast, lens),
                "source": s.provenance.source,
                "quote": s.provenance.quote,
                "reason": s.provenance.reason,
                "forecast": name in forecast.scenarios,
            }
        )
    return {"scenarios": out}


def priors_context(lens) -> dict:
    """Every prior of the lens with its distribution and provenance."""
    table = lens.table()
    rows = table.fillna("").to_dict("records")
    n_seed = sum(1 for r in rows if r["quote"])
    return {"rows": rows, "n": len(rows), "n_seed": n_seed, "lens": lens.name, "path": Path(lens.path).name if lens.path else ""}


def data_context(fit: Fit) -> dict:
    """Per indicator the years observed and missing, and the events table."""
    from hedgecast.inputs.data import load_events

    spec = fit.spec
    years = list(fit.inputs.years)
    raw = fit.workbench.history.indicators.reindex(years)
    indicators = []
    for name, ind in spec.indicators.items():
        col = raw[name] if name in raw else pd.Series(np.nan, index=years)
        seen = [int(y) for y in col.index[col.notna()]]
        missing = [int(y) for y in col.index[col.isna()]]
        indicators.append(
            {
                "label": ind.label or name,
                "name": name,
                "channel": ind.channel,
                "transform": ind.transform,
                "n": len(seen),
                "observed": _year_ranges(seen),
                "missing": _year_ranges(missing),
            }
        )
    events = load_events(fit.workbench.paths)
    event_rows = [
        {
            "date": pd.Timestamp(r["date"]).strftime("%Y-%m-%d"),
            "title": r["title"],
            "channel": r["channel"],
            "direction": "+1 warming" if int(r["direction"]) > 0 else "−1 cooling",
            "size": int(r["size"]),
            "rupture": bool(r["rupture_scale"]),
            "source": r["source"],
        }
        for r in events.sort_values("date").to_dict("records")
    ]
    return {"indicators": indicators, "years": f"{years[0]}–{years[-1]}", "n_years": len(years), "events": event_rows}
