"""Tables for reading: percentages, labels instead of ids, the charts' order, diagnostics precision."""

import numpy as np
import pandas as pd
import xarray as xr

from hedgecast import tables
from hedgecast.forecasting.trajectories import class_order
from hedgecast.model.fit import Diagnostics


def test_percent_and_points():
    assert tables.percent(0.315) == "31.5%"
    assert tables.percent(1) == "100.0%"
    assert tables.percent(0.3149, digits=0) == "31%"
    assert tables.percent(float("nan")) == tables.MISSING
    assert tables.points(0.023) == "+2.3 pp"
    assert tables.points(-0.1) == "-10.0 pp"
    assert tables.points(-0.0001) == "+0.0 pp"  # no "-0.0"
    assert tables.spread(0.122) == "12.2 pp"


def test_labels_follow_the_spec(spec):
    assert tables.label("status_quo", spec) == spec.scenarios["status_quo"].label
    assert tables.label("rupture", spec) == "Rupture (2015–16 scale)"
    assert tables.label("P(transactional_equilibrium, 2030)", spec) == "P(Transactional equilibrium, 2030)"
    assert tables.label("P(crisis by 2030)", spec) == "P(crisis by 2030)"  # not an id: unchanged
    assert list(tables.class_labels(spec)) == class_order(spec.class_names)


def _probs(spec):
    scenarios = list(spec.scenarios)[:3]
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(len(spec.class_names)), size=len(scenarios))
    return xr.DataArray(p[:, None, :], dims=("scenario", "year", "trajectory"), coords={"scenario": scenarios, "year": [2030], "trajectory": spec.class_names})


def test_class_probability_table_has_labels_chart_order_and_percent(spec):
    probs = _probs(spec)
    styler = tables.class_probabilities(probs, spec, 2030)
    table = styler.data
    # classes in the bar chart's order (closest to furthest apart), scenarios in the forecast's
    assert list(table.columns) == [tables.class_labels(spec)[c] for c in class_order(spec.class_names)]
    assert list(table.index) == [spec.scenarios[s].label for s in probs["scenario"].values]
    assert table.iloc[0, 0] == float(probs.sel(year=2030, scenario=probs["scenario"].values[0], trajectory="strategic_alignment"))
    html = styler.to_html()
    first = float(probs.sel(year=2030, trajectory="rupture").values[0])
    assert f"{100 * first:.1f}%" in html and "strategic_alignment" not in html and "Status quo" in html


def test_readable_formats_and_aligns(spec):
    df = pd.DataFrame(
        {"why": ["a long reason"], "p": [0.315], "change": [-0.02], "sd": [0.05], "k": [0.4567], "n": [412.6]},
        index=pd.Index(["status_quo"], name="scenario"),
    )
    html = tables.readable(tables.relabel(df, spec), percent=["p"], points=["change"], spread=["sd"], decimals={"k": 2}, integers=["n"], text=["why"]).to_html()
    for shown in ("31.5%", "-2.0 pp", "5.0 pp", "0.46", "413", "Status quo"):
        assert shown in html
    assert "text-align: left" in html and "white-space: pre-wrap" in html


def test_diagnostics_show_rhat_to_three_decimals_and_whole_divergences():
    d = Diagnostics(max_rhat=1.0071, min_ess_bulk=55.8, min_ess_tail=1234.4, divergences=3, n_samples=400, worst={"rhat": "path", "ess_bulk": "noise"})
    table = tables.diagnostics(d).data
    assert table.loc["max R-hat", "value"] == "1.007"
    assert table.loc["divergences", "value"] == "3"
    assert table.loc["min bulk ESS", "value"] == "56" and table.loc["min tail ESS", "value"] == "1,234"
    assert table.loc["max R-hat", "passes"] == "yes" and table.loc["divergences", "passes"] == "NO"
    both = tables.diagnostics({"baseline": d, "edited": d}).data
    assert list(both.columns) == ["baseline", "edited", "threshold"]
    assert both.loc["min bulk ESS", "baseline"] == "56 (noise) ✗"
