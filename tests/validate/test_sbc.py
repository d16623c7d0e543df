"""Simulation-based calibration: the rank statistic and uniformity tests on synthetic ranks,
the simulated histories, worker-count independence (mock sampler), and a small real SBC (slow)."""

import json

import numpy as np
import pytest
from scipy import stats

from hedgecast.validate import sbc
from hedgecast.validate.parallel import cluster_client, task_seed
from hedgecast.validate.sbc import (
    SBCResult,
    SBCSettings,
    chi2_uniformity,
    ecdf_gamma,
    ecdf_null,
    ecdf_pvalue,
    rank_histogram,
    rank_statistic,
    run_sbc,
    uniformity_table,
)

L = 99


def test_rank_statistic_counts_draws_below_the_truth():
    draws = np.array([[0.1, 5.0], [0.2, 6.0], [0.3, 7.0], [0.4, 8.0]])
    np.testing.assert_array_equal(rank_statistic([0.25, 4.0], draws), [2, 0])
    np.testing.assert_array_equal(rank_statistic([1.0, 7.5], draws), [4, 3])


def test_ecdf_gamma_matches_a_direct_binomial_computation():
    rng = np.random.default_rng(1)
    ranks = rng.integers(0, 10, size=30)
    best = 1.0
    for j in range(1, 10):
        k = int((ranks < j).sum())
        z = j / 10
        p = 2 * min(stats.binom.cdf(k, 30, z), stats.binom.sf(k - 1, 30, z))
        best = min(best, min(1.0, p))
    assert ecdf_gamma(ranks, 9)[0] == pytest.approx(best, rel=1e-12)


def test_uniform_ranks_pass_and_miscalibrated_ranks_fail():
    rng = np.random.default_rng(2)
    n = 200
    uniform = rng.integers(0, L + 1, size=n)
    # too-narrow posterior: the truth is often outside the draws (U shape)
    u_shaped = np.where(rng.random(n) < 0.5, rng.integers(0, 8, n), rng.integers(L - 7, L + 1, n))
    # biased posterior: the truth sits low among the draws
    biased = np.minimum(L, (rng.beta(1, 2.5, n) * (L + 1)).astype(int))
    ranks = np.stack([uniform, u_shaped, biased], axis=1)
    table = uniformity_table(ranks, ["uniform", "u_shaped", "biased"], L, seed=3)
    assert table.loc["uniform", "ecdf_p"] > 0.05 and table.loc["uniform", "chi2_p"] > 0.01
    for bad in ("u_shaped", "biased"):
        assert table.loc[bad, "ecdf_p"] < 0.001
        assert table.loc[bad, "chi2_p"] < 0.001
    assert table.loc["biased", "mean_rank"] < 0.4


def test_ecdf_pvalues_are_uniform_under_uniformity():
    """The p-value accounts for testing at every rank: ~5% of uniform rank sets fall below 0.05."""
    rng = np.random.default_rng(4)
    n = 60
    null = ecdf_null(n, L, n_null=2000, seed=5)
    ranks = rng.integers(0, L + 1, size=(n, 400))
    p = ecdf_pvalue(ecdf_gamma(ranks, L), null)
    assert 0.02 < (p < 0.05).mean() < 0.09
    assert 0.4 < np.median(p) < 0.6


def test_rank_histogram_and_chi_square_with_unequal_bins():
    ranks = np.arange(L + 1)  # every rank once: a perfectly flat histogram
    counts, expected = rank_histogram(ranks, L, 10)
    np.testing.assert_array_equal(counts, np.full(10, 10))
    np.testing.assert_allclose(expected, 10)
    counts, expected = rank_histogram(np.arange(8), 7, 3)  # 8 rank values in 3 bins: 3, 3, 2
    np.testing.assert_array_equal(counts, [3, 3, 2])
    np.testing.assert_allclose(expected, [3, 3, 2])
    stat, p = chi2_uniformity(np.arange(8), 7, 3)
    assert stat[0] == pytest.approx(0.0) and p[0] == pytest.approx(1.0)


def test_task_seeds_are_fixed_distinct_and_independent_of_order():
    seeds = [task_seed(2026, i) for i in range(50)]
    assert len(set(seeds)) == 50 and seeds == [task_seed(2026, i) for i in range(50)]
    assert task_seed(2026, 3) != task_seed(2027, 3)
    assert all(0 <= s < 2**31 for s in seeds)


def test_simulated_history_comes_from_the_drawn_parameters(workbench, baseline, spec):
    """The indicators are the drawn path seen through the drawn loadings and noise; crises feed the path."""
    model = sbc.generator_model(spec, baseline, workbench.inputs)
    inputs = workbench.inputs
    anchors = {c.anchor for c in spec.channels.values()}
    free = [i for i in spec.indicator_names if i not in anchors]
    channel = np.array([spec.channel_names.index(spec.indicators[n].channel) for n in spec.indicator_names])
    sign = np.array([spec.indicators[n].sign for n in spec.indicator_names], dtype=float)
    residuals = []
    for seed in range(3):
        truth, y, crisis = sbc.simulate_history(model, seed)
        assert y.shape == inputs.obs_value.shape and crisis.shape == inputs.crisis.shape
        np.testing.assert_array_equal(model["crisis_years"].get_value(), crisis)
        state = np.concatenate([truth["initial"][:, None], truth["path"]], axis=1)
        load, icpt = np.ones(len(channel)), np.zeros(len(channel))
        for j, name in enumerate(free):
            k = spec.indicator_names.index(name)
            load[k], icpt[k] = truth["loading"][j], truth["intercept"][j]
        i, t = inputs.obs_indicator, inputs.obs_year
        mean = icpt[i] + sign[i] * load[i] * state[channel[i], t]
        residuals.append((y - mean) / truth["noise"][i])
    r = np.concatenate(residuals)
    # standardized measurement residuals: N(0, 1) if y was drawn given the SAME parameters
    assert abs(r.mean()) < 0.25 and 0.8 < r.std() < 1.25
    _again, y2, c2 = sbc.simulate_history(model, 0)
    _truth0, y0, c0 = sbc.simulate_history(model, 0)
    np.testing.assert_array_equal(y0, y2)
    np.testing.assert_array_equal(c0, c2)


@pytest.fixture(scope="module")
def mock_sbc_runs(workbench, baseline):
    settings = SBCSettings(sims=6, draws=40, chains=2, sampler="mock", seed=17)
    out = {}
    for workers in (1, 2):
        # thread workers: the property under test (results independent of the worker count)
        # does not depend on the worker kind, and threads start in a fraction of a second
        with cluster_client(workers, processes=False) as client:
            out[workers] = run_sbc(workbench.spec, baseline, workbench.inputs, settings, client)
    return out


def test_mock_sbc_gives_identical_results_with_one_or_two_workers(mock_sbc_runs):
    one, two = mock_sbc_runs[1], mock_sbc_runs[2]
    assert one.workers == 1 and two.workers == 2
    np.testing.assert_array_equal(one.ranks, two.ranks)
    assert [f["seed"] for f in one.fits] == [f["seed"] for f in two.fits] == [task_seed(17, i) for i in range(6)]
    assert one.ranks.shape == (6, len(one.parameters)) and one.ranks.min() >= 0 and one.ranks.max() <= L
    assert len(set(map(tuple, one.ranks.T))) > len(one.parameters) // 2  # ranks vary by parameter


def test_sbc_result_round_trips_and_renders(mock_sbc_runs, tmp_path):
    result = mock_sbc_runs[2]
    path = sbc.save_sbc(result, tmp_path / "sbc.json")
    data = json.loads(path.read_text())
    assert data["summary"]["n_sims"] == 6 and data["summary"]["worst_parameter"] in result.parameters
    back = sbc.load_sbc(path)
    np.testing.assert_array_equal(back.ranks, result.ranks)
    assert json.dumps(back.summary()) == json.dumps(result.summary())  # NaN-safe comparison


def test_sbc_result_rejects_other_files():
    with pytest.raises(ValueError, match="not an SBC result"):
        SBCResult.from_dict({"kind": "something else"})


@pytest.mark.slow
def test_nutpie_with_data_really_swaps_the_observed_data(small_fit, workbench, baseline, spec):
    """The refits rely on it: nutpie's log density with swapped data equals PyMC's with that data."""
    from hedgecast.model.fit import compiled_model

    model = sbc.generator_model(spec, baseline, workbench.inputs)
    _truth, y, crisis = sbc.simulate_history(model, 5)
    cm = compiled_model(spec, baseline, workbench.inputs)
    check = sbc.check_data_swap(cm.nutpie_model(baseline), model, y, crisis)
    assert check["ok"] and check["pymc_logp"] != check["pymc_logp_original_data"]


@pytest.mark.slow
def test_small_real_sbc_shows_no_gross_miscalibration(workbench, baseline, tmp_path):
    settings = SBCSettings(sims=20, draws=100, tune=300, chains=2, seed=3)
    with cluster_client(2) as client:
        result = run_sbc(workbench.spec, baseline, workbench.inputs, settings, client)
    s = result.summary()
    assert s["n_sims"] == 20 and s["n_parameters"] == len(result.parameters) > 40
    # 20 simulations detect only gross failures; a wrong likelihood (e.g. data not swapped) fails this
    assert s["worst_ecdf_p_bonferroni"] > 0.001, result.statistics.sort_values("ecdf_p").head()
    sbc.save_sbc(result, tmp_path / "sbc.json")


def test_validate_cli_lists_its_commands_and_rejects_bad_options():
    from typer.testing import CliRunner

    from hedgecast.cli.validate import validate_app
    from hedgecast.errors import HedgecastError

    runner = CliRunner()
    help_text = runner.invoke(validate_app, ["--help"]).output
    assert "sbc" in help_text and "backtest" in help_text
    sbc_help = runner.invoke(validate_app, ["sbc", "--help"]).output
    for option in ("--sims", "--draws", "--tune", "--chains", "--workers", "--scheduler"):
        assert option in sbc_help
    result = runner.invoke(validate_app, ["sbc", "--sims", "0"])
    assert isinstance(result.exception, HedgecastError) and "--sims" in str(result.exception)
    result = runner.invoke(validate_app, ["backtest", "--workers", "0"])
    assert isinstance(result.exception, HedgecastError)
