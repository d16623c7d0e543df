"""A reweighted prior edit reported through the one report pipeline (mock sampler: prior draws as the posterior)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import xarray as xr
from pymc_extras.prior import Prior

from hedgecast.errors import ReweightingRefused
from hedgecast.report import api
from hedgecast.stress.edits import edit_prior
from hedgecast.stress.psis import K_THRESHOLD, Weights
from hedgecast.stress.reweighted import resample_draws, reweighted_fit, systematic_resample

SCEN = ["status_quo", "protracted_war"]
CRISIS = "P(rupture event by 2030)"


@pytest.fixture(scope="module")
def mock_fc(mock_fit):
    return mock_fit.forecast(SCEN)


@pytest.fixture(scope="module")
def crisis_edit(mock_fit, mock_fc):
    """A higher escalation intercept (its prior mean +0.5): more rupture events, reweighted reliably."""
    old = mock_fit.lens.prior("escalation_intercept")
    new = Prior("Normal", mu=float(old.parameters["mu"]) + 0.5, sigma=float(old.parameters["sigma"]))
    res = edit_prior(mock_fit, mock_fc, {"escalation_intercept": new})
    assert res.method == "reweight" and res.pareto_k <= K_THRESHOLD
    return res


def _crisis(report) -> np.ndarray:
    """The headline table's P(rupture event by 2030) column, per scenario."""
    return report.section("headline").tables[0].frame[("2030", "rupture event by then")].to_numpy()


# ---- resampling ------------------------------------------------------------------------
def test_systematic_resampling_keeps_each_draw_n_times_its_weight():
    w = np.random.default_rng(1).dirichlet(np.ones(500) * 0.3)
    w[::7] = 0.0
    w /= w.sum()
    idx = systematic_resample(w, np.random.default_rng(2))
    counts = np.bincount(idx, minlength=w.size)
    assert idx.size == w.size
    assert (counts >= np.floor(w.size * w) - 1e-9).all() and (counts <= np.ceil(w.size * w) + 1e-9).all()
    assert counts[::7].sum() == 0  # a draw of weight 0 is never kept


def test_resampled_draws_keep_their_shape_and_follow_the_indices():
    ds = xr.Dataset(
        {"x": (("chain", "draw", "k"), np.arange(24.0).reshape(2, 4, 3))}, coords={"chain": [0, 1], "draw": np.arange(4), "k": list("abc")}
    )
    same = resample_draws(ds, np.arange(8))
    xr.testing.assert_identical(same, ds)
    picked = resample_draws(ds, np.array([7, 7, 0, 1, 2, 3, 4, 5]))
    assert picked["x"].dims == ("chain", "draw", "k") and picked.sizes == ds.sizes
    np.testing.assert_array_equal(picked["x"].values[0, 0], ds["x"].values[1, 3])  # flat draw 7 = chain 1, draw 3
    np.testing.assert_array_equal(picked["x"].values[1, 3], ds["x"].values[1, 1])  # flat draw 5


# ---- the report of a reweighted edit ---------------------------------------------------
def test_reweighted_edit_is_a_fit_of_the_edited_lens_with_the_weighted_numbers(mock_fit, crisis_edit):
    fit, fc = crisis_edit.as_fit()
    assert fit.lens is crisis_edit.lens and fit.lens.prior("escalation_intercept") == crisis_edit.changes["escalation_intercept"]
    assert fit.reweighting is not None and fit.reweighting.pareto_k == crisis_edit.pareto_k
    assert fit.forecast(SCEN) is fc  # the resampled forecast is the fit's own
    for s in SCEN:  # resampled averages = weighted averages, within the resampling error
        assert float(fc.p_crisis_by(2030).sel(scenario=s)) == pytest.approx(
            float(crisis_edit.probabilities.sel(quantity=CRISIS, scenario=s)), abs=0.03
        )
    # the prior group is the edited lens's: its intercept moved up by the edit (0.5 on the prior mean)
    shift = float(fit.idata.prior["escalation_intercept"].mean() - mock_fit.idata.prior["escalation_intercept"].mean())
    assert shift > 0.3
    assert {"log_prior", "log_likelihood", "posterior_predictive"} <= set(fit.idata.groups())


def test_reweighted_report_moves_the_headline_and_states_the_method(mock_fit, mock_fc, crisis_edit):
    fit, fc = crisis_edit.as_fit()
    before = api.build_report(mock_fit, mock_fc, include_saved=False)
    after = api.build_report(fit, fc, include_saved=False)
    assert after.ids == before.ids  # the same sections
    assert (_crisis(after) > _crisis(before)).all()  # a higher crisis intercept: more crises, in the report's headline
    first = after.section("headline").paragraphs[0]
    assert first.startswith("Method: PSIS reweighting") and f"k̂ = {crisis_edit.pareto_k:.2f}" in first
    assert f"effective sample size {crisis_edit.ess:.0f}" in first
    assert not before.section("headline").paragraphs[0].startswith("Method:")
    (note,) = after.header.notes
    assert "PSIS reweighting" in note and "lens baseline" in note and not before.header.notes
    assert any("reweighted for the edited priors" in p for p in after.section("diagnostics").paragraphs)


def test_reweighted_edit_report_writes_the_note_into_the_html(crisis_edit, tmp_path):
    path = crisis_edit.report(tmp_path / "edit.html", include_saved=False)
    html = path.read_text(encoding="utf-8")
    assert re.search(r'<p class="callout header-note">Method: PSIS reweighting, not a refit', html)
    assert "Lens <strong>baseline-edit</strong>" in html


def test_unreliable_edit_is_refused_with_a_message_to_refit(mock_fit, mock_fc, tmp_path):
    old = mock_fit.lens.prior("incident_friction")
    far = Prior("Normal", mu=float(old.parameters["mu"]) + 5 * float(old.parameters["sigma"]), sigma=0.2)
    res = edit_prior(mock_fit, mock_fc, {"incident_friction": far}, refit="never")
    assert res.method == "unreliable" and res.pareto_k > K_THRESHOLD
    with pytest.raises(ReweightingRefused, match=r"k̂ = [\d.]+ > 0\.7.*not reported\. Refit the edited lens"):
        res.report(tmp_path / "never.html")
    assert not (tmp_path / "never.html").exists()
    # the same refusal however the weights come: k̂ above the threshold is never resampled
    n = mock_fc.data.sizes["chain"] * mock_fc.data.sizes["draw"]
    with pytest.raises(ReweightingRefused, match="Refit"):
        reweighted_fit(mock_fit, mock_fc, res.lens, Weights(np.full(n, 1 / n), 0.9, 50.0), changes=["incident_friction"])


def test_forecast_only_edit_reports_the_edited_lens_with_its_rerun_forecast(mock_fit, mock_fc):
    new = Prior("Beta", alpha=9.0, beta=1.5)
    res = edit_prior(mock_fit, mock_fc, {"scenario_probability.post_erdogan_2028": new}, scenarios=SCEN)
    assert res.method == "forecast"
    fit, fc = res.as_fit()
    assert fit.idata is mock_fit.idata and fit.reweighting is None  # the posterior is unchanged: exact, no note
    assert fit.lens is res.lens and fc is res.forecast and fit.forecast(SCEN) is fc
