"""Simulation-based calibration end to end: worker-count independence (mock sampler), the
result file and report section, and a small real SBC (slow)."""

import json

import numpy as np
import pytest

from hedgecast.validate import sbc
from hedgecast.validate.parallel import cluster_client, task_seed
from hedgecast.validate.sbc import SBCResult, SBCSettings, run_sbc

L = 99


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
def test_small_real_sbc_shows_no_gross_miscalibration(workbench, baseline, tmp_path):
    settings = SBCSettings(sims=20, draws=100, tune=300, chains=2, seed=3)
    with cluster_client(2) as client:
        result = run_sbc(workbench.spec, baseline, workbench.inputs, settings, client)
    s = result.summary()
    assert s["n_sims"] == 20 and s["n_parameters"] == len(result.parameters) > 40
    # 20 simulations detect only gross failures; a wrong likelihood (e.g. data not swapped) fails this
    assert s["worst_ecdf_p_bonferroni"] > 0.001, result.statistics.sort_values("ecdf_p").head()
    sbc.save_sbc(result, tmp_path / "sbc.json")


def test_sbc_refits_sample_with_the_products_sampler():
    """SBC checks the inference the report uses: its refits take the product's target_accept and mass matrix, only lighter draws."""
    from hedgecast.model.fit import SamplerSettings

    settings = SBCSettings()
    assert settings.target_accept == SamplerSettings().target_accept == 0.985
    assert settings.low_rank and SamplerSettings().low_rank
    assert (settings.draws, settings.tune) == (250, 500)
