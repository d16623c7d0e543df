"""Tests for hedgecast.report (and the plots it embeds): every section is there, a failed
fit is flagged on top, the file is self-contained, every prior is cited, the numbers are
the forecast's, writing is atomic, and the page renders in a real browser."""

from __future__ import annotations

import base64
import dataclasses
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from markupsafe import escape
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from hedgecast import files, plots
from hedgecast.forecasting.trajectories import class_order
from hedgecast.report import api as report
from hedgecast.report.contracts import Paragraph, Section
from hedgecast.report.sections import checks, common, outlook
from hedgecast.workbench import Workbench

ROOT = Path(__file__).resolve().parents[2]

EXTRA = Section("extra-probe", "Stress test <draft>", (Paragraph("Pooled priors: <b>ok</b>"),))
#: section id -> title of the sections computed from a fit, in report order
SECTION_TITLES = {
    "headline": "Headline",
    "classes": "Trajectory classes",
    "channels": "Channels: history and forecast",
    "indicators": "Indicators in their own units",
    "differences": "Scenario differences vs status quo",
    "learning": "Prior vs posterior: how much the history taught us",
    "crisis-model": "The crisis model: incidents and their escalation",
    "ppc": "Posterior predictive checks",
    "diagnostics": "Sampler diagnostics",
    "scenarios": "Appendix A: Scenarios",
    "priors": "Appendix B: Priors and their sources",
    "data": "Appendix C: Data",
}


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def fitted():
    """A tiny fit (2 chains × 100 draws) of the baseline lens and its forecast of every scenario."""
    wb = Workbench.load(ROOT)
    fit = wb.fit("baseline", draws=100, tune=100, chains=2, seed=11)
    return fit, fit.forecast()


def _with_diagnostics(fit, passed: bool):
    d = fit.diagnostics
    if passed:
        d = dataclasses.replace(d, max_rhat=1.001, min_ess_bulk=5000.0, min_ess_tail=5000.0, divergences=0)
    else:
        d = dataclasses.replace(d, max_rhat=1.2, min_ess_bulk=35.0, divergences=7)
    assert d.passed is passed
    return dataclasses.replace(fit, diagnostics=d)


@pytest.fixture(scope="module")
def failed_report(fitted, tmp_path_factory) -> tuple[Path, str, object]:
    fit, fc = fitted
    bad = _with_diagnostics(fit, passed=False)
    path = tmp_path_factory.mktemp("failed") / "report.html"
    out = report.write_report(
        bad,
        path,
        forecast=fc,
        sections=[EXTRA],
        include_saved=False,
        run_info={"id": "test-run", "created": "2026-01-01T00:00:00+00:00", "data": {"data/curated/series.csv": "ab" * 32}},
    )
    return out, out.read_text(encoding="utf-8"), bad


@pytest.fixture(scope="module")
def passed_report(fitted, tmp_path_factory) -> tuple[Path, str, object]:
    fit, fc = fitted
    good = _with_diagnostics(fit, passed=True)
    path = tmp_path_factory.mktemp("passed") / "sub" / "report.html"  # folder created on demand
    out = report.write_report(good, path, forecast=fc, include_saved=False)
    return out, out.read_text(encoding="utf-8"), good


def _esc(text: str) -> str:
    """Text as the report's (MarkupSafe) autoescaping writes it."""
    return str(escape(text))


def _section(text: str, section_id: str) -> str:
    """The HTML of one <section id=...> (up to the next section)."""
    start = text.index(f'<section id="{section_id}"')
    end = text.find("<section id=", start + 10)
    return text[start : end if end > 0 else len(text)]


# ----------------------------------------------------------------------------- structure
def test_every_section_present_in_order(failed_report):
    path, text, _ = failed_report
    assert path.name == "report.html"
    assert "<title>Türkiye–Russia relations 2026–2035: scenario report</title>" in text
    positions = [text.index(f"<h2>{_esc(t)}</h2>") for t in SECTION_TITLES.values()]
    assert positions == sorted(positions)
    # the extra section: escaped title and text, listed in the contents, before the appendices
    title = _esc(EXTRA.title)
    assert f"<h2>{title}</h2>" in text and "<p>Pooled priors: &lt;b&gt;ok&lt;/b&gt;</p>" in text
    toc = text[text.index('<nav class="toc"') : text.index("</nav>")]
    assert title in toc
    assert all(_esc(t) in toc for t in SECTION_TITLES.values())
    assert (
        positions[list(SECTION_TITLES).index("diagnostics")]
        < text.index(f"<h2>{title}</h2>")
        < positions[list(SECTION_TITLES).index("scenarios")]
    )
    assert "test-run" in text and "ab" * 32 in text  # run info shown


def test_banner_appears_iff_diagnostics_fail(failed_report, passed_report):
    _, bad_text, bad_fit = failed_report
    _, good_text, _ = passed_report
    assert 'id="diagnostics-banner"' in bad_text
    banner = bad_text[bad_text.index('id="diagnostics-banner"') : bad_text.index("<main>")]
    assert "Sampler diagnostics failed" in banner and "treat these numbers as unreliable" in banner
    for problem in bad_fit.diagnostics.problems:
        assert _esc(problem) in banner
    # the banner comes before anything else in the body
    assert bad_text.index('id="diagnostics-banner"') < bad_text.index("<h1>")
    assert 'id="diagnostics-note"' not in bad_text

    assert 'id="diagnostics-banner"' not in good_text
    assert "Sampler diagnostics failed" not in good_text
    assert "diagnostics passed" in good_text


def test_self_contained_no_external_resources(failed_report):
    _, text, _ = failed_report
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", text, flags=re.IGNORECASE)
    assert refs, "expected some src/href attributes"
    external = [r for r in refs if re.match(r"(?:https?:)?//", r, flags=re.IGNORECASE)]
    assert external == []
    assert all(r.startswith(("data:image/png;base64,", "#")) for r in refs), sorted({r[:40] for r in refs})
    assert "<script" not in text.lower() and "<link" not in text.lower() and "@import" not in text
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", text)


def test_images_are_embedded_pngs(failed_report):
    _, text, _ = failed_report
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)">', text)
    assert len(images) == text.count("<img")
    # headline, 2 channels, indicators, differences, learning, ppc
    assert len(images) >= 7
    for data, alt in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
        assert alt.strip()


def test_every_prior_cited_in_appendix(failed_report):
    _, text, fit = failed_report
    appendix = _section(text, "priors")
    for name in fit.lens.names:
        assert f"<code>{_esc(name)}</code>" in appendix, name
    for row in fit.lens.table().itertuples():
        if row.quote:
            assert _esc(row.quote) in appendix
        if row.reason:
            assert _esc(row.reason) in appendix


def test_headline_numbers_are_the_forecasts(failed_report, fitted):
    _, text, _ = failed_report
    _, fc = fitted
    probs = fc.class_probabilities((2030, 2035))
    events = {y: fc.p_rupture_event_by(y) for y in (2030, 2035)}
    classes = class_order(fc.spec.class_names)
    headline = _section(text, "headline")
    assert "rupture event by then" in headline
    for s in fc.scenarios:
        label = _esc(fc.spec.scenarios[s].label)
        row = re.search(rf"<tr><th>{re.escape(label)}</th>(.*?)</tr>", headline, flags=re.S)
        assert row, s
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))
        expected = []
        for y in (2030, 2035):  # each year: its four classes, then P(rupture event by that year)
            expected += [f"{100 * float(probs.sel(scenario=s, year=y, trajectory=c)):.1f}" for c in classes]
            expected.append(f"{100 * float(events[y].sel(scenario=s)):.1f}")
        assert cells == expected
        # each year's four classes sum to 100%
        for k in range(2):
            assert sum(float(c) for c in cells[5 * k : 5 * k + 4]) == pytest.approx(100, abs=0.3)


def test_classes_section_explains_the_rules_variables_and_references(failed_report, fitted):
    _, text, _ = failed_report
    _, fc = fitted
    section = _section(text, "classes")
    for t in fc.spec.trajectories:
        assert _esc(t.rule) in section and _esc(t.description.split(".")[0]) in section
    assert "russian_tourists_k_low_2015_16" in section and "2016: 866.256" in section  # read from the record
    assert "rupture_events_window" in section and "USD bn (current)" in section  # variables with their units
    assert "political_change" not in section and "gdelt_tone_mean_3y" not in section


def test_differences_section_uses_paired_standard_errors(failed_report, fitted):
    _, text, _ = failed_report
    _, fc = fitted
    d = fc.difference("russia_loses_syria_bases", "status_quo", year=2030, trajectory="rupture")
    expected = f"{100 * d['difference']:+.1f} ± {200 * d['se']:.1f}"
    assert expected in _section(text, "differences")


def test_ppc_and_data_appendix(failed_report, fitted):
    _, text, _ = failed_report
    fit, _ = fitted
    ppc = _section(text, "ppc")
    assert re.search(r"Coverage overall: \d+% \(\d+ of \d+ observed points inside their 90% band\)", ppc)
    n_obs = int(fit.inputs.standardized.notna().sum().sum())
    assert f"of {n_obs} observed points" in ppc
    data = _section(text, "data")
    assert "imputes them through the latent channel state" in data
    gdelt = fit.workbench.history.indicators["gdelt_tone"].dropna()
    assert common.year_ranges(list(gdelt.index)) in data
    assert "Su-24" in data or "shoot" in data.lower()  # the events table
    assert data.count('<td class="best">yes</td>') >= 1  # at least one rupture-scale event (in bold)


# ----------------------------------------------------------------------------- atomic writes
def test_rendering_failure_leaves_previous_report_intact(fitted, tmp_path, monkeypatch):
    fit, fc = fitted
    target = tmp_path / "report.html"
    target.write_text("previous report", encoding="utf-8")

    def boom(*args, **kwargs):
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(outlook, "headline_section", boom)
    with pytest.raises(RuntimeError, match="rendering failed"):
        report.write_report(fit, target, forecast=fc, include_saved=False)
    assert target.read_text(encoding="utf-8") == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_write_failure_leaves_previous_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("previous report", encoding="utf-8")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        files.write_atomic(target, "<html>new</html>")
    assert target.read_text(encoding="utf-8") == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    monkeypatch.undo()
    files.write_atomic(target, "<html>new</html>")
    assert target.read_text(encoding="utf-8") == "<html>new</html>"


# ----------------------------------------------------------------------------- helpers, independent checks
def test_ppc_coverage_against_hand_count():
    years = [2000, 2001, 2002, 2003]
    draws = np.linspace(-1, 1, 201)  # the same predictive distribution every year
    y_rep = xr.DataArray(
        np.broadcast_to(draws[None, :, None, None], (1, 201, 1, 4)).copy(),
        dims=("chain", "draw", "indicator", "year"),
        coords={"indicator": ["x"], "year": years},
    )
    observed = pd.DataFrame({"x": [0.0, 0.95, -2.0, np.nan]}, index=years)
    cov = checks.ppc_coverage(observed, y_rep).set_index("indicator").loc["x"]
    assert cov["observed"] == 3 and cov["inside"] == 1  # 0.95 lies above the 95% quantile (0.9)
    assert cov["coverage"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("years", "text"), [([], "none"), ([2005], "2005"), ([2000, 2001, 2002, 2005, 2007, 2008], "2000–2002, 2005, 2007–2008")]
)
def test_year_ranges(years, text):
    assert common.year_ranges(years) == text


def test_clean_parameter_names():
    assert common.clean_parameter("rho.('economic',)") == "rho.economic"
    assert common.clean_parameter("beta.economic.leader_ties") == "beta.economic.leader_ties"


def test_plots_draw_into_a_given_axes(fitted):
    fit, fc = fitted
    fig = Figure()
    axes = fig.subplots(2, 2).ravel()
    assert plots.fan_chart(fit.idata.posterior["state"], fc.data["state"], "economic", ["status_quo", "new_low"], ax=axes[0]) is fig
    assert plots.class_probability_bars(fc.class_probabilities((2030,)), 2030, ax=axes[1]) is fig
    assert plots.prior_posterior(fit.prior_vs_posterior(), ax=axes[2], groups=["rho"]) is fig
    raw = fit.workbench.history.indicators["trade_usd_bn"]
    assert plots.indicator_fan(raw, fc.data["indicator_value"], "trade_usd_bn", ["status_quo"], ax=axes[3]) is fig
    # precomputed quantiles work as well as draws
    assert isinstance(plots.fan_chart(None, fc.fan("state"), "political", ["status_quo"]), Figure)
    # classes keep their fixed colours whatever order they come in
    bars = Figure().subplots()
    reordered = fc.class_probabilities((2030,)).isel(trajectory=slice(None, None, -1))
    plots.class_probability_bars(reordered, 2030, ax=bars, class_labels={c: c for c in fc.spec.class_names})
    handles, labels = bars.get_legend_handles_labels()
    drawn = {label: to_hex(h.patches[0].get_facecolor()) for h, label in zip(handles, labels)}
    assert drawn == {c: plots.CLASS_COLOURS[c].lower() for c in fc.spec.class_names}


# ----------------------------------------------------------------------------- a real browser
def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.browser
def test_report_renders_in_headless_chromium(failed_report, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium)")
    path, _, _ = failed_report
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    url = path.resolve().as_uri()
    dom = subprocess.run([browser, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=180, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Türkiye–Russia relations 2026–2035: scenario report" in dom.stdout
    assert 'id="diagnostics-banner"' in dom.stdout
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line or "Failed to load resource" in line]
    assert console == []
    shot = tmp_path / "report.png"
    run = subprocess.run(
        [browser, *flags, "--hide-scrollbars", "--window-size=1200,2400", f"--screenshot={shot}", url],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    assert os.path.getsize(path) < 8_000_000  # mailable
