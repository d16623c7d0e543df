import json
import shutil
from pathlib import Path

import pytest

from hedgecast.config import Paths
from hedgecast.errors import RunError
from hedgecast.runs import compare_runs, list_runs, load_run, save_run


@pytest.fixture
def paths(project_copy):
    return Paths(project_copy)


def test_save_list_load_compare(mock_fit, paths):
    fc = mock_fit.forecast()
    a = save_run(mock_fit, fc, paths, headline=fc.headline(2030))
    edited = mock_fit.lens.derive("edited")
    from pymc_extras.prior import Prior

    edited = edited.with_prior("cushion", Prior("Normal", mu=0.9, sigma=0.2), reason="a seminar participant's view")
    mock_fit.lens, original = edited, mock_fit.lens
    try:
        b = save_run(mock_fit, fc, paths, headline={k: {kk: vv + 0.01 for kk, vv in v.items()} for k, v in fc.headline(2030).items()})
    finally:
        mock_fit.lens = original
    assert [r.id for r in list_runs(paths)] == sorted([a.id, b.id])
    manifest = json.loads((a.path / "manifest.json").read_text())
    assert manifest["settings"]["seed"] == 11 and manifest["versions"]["pymc"]
    assert manifest["data"] and all(len(h) == 64 for h in manifest["data"].values())
    assert load_run(a.id[:22], paths).id == a.id or load_run(a.id, paths).id == a.id
    diff = compare_runs(a, b)
    assert [p["prior"] for p in diff["priors"]] == ["cushion"]
    assert all(abs(row["change"] - 0.01) < 1e-9 for row in diff["headline"])
    assert (a.path / "idata.nc").stat().st_size > 0


def test_loading_a_run_made_with_another_spec_version_fails_loudly(mock_fit, paths, spec):
    fc = mock_fit.forecast(["status_quo"])
    run = save_run(mock_fit, fc, paths, headline={})
    manifest = json.loads((run.path / "manifest.json").read_text())
    manifest["spec"]["version"] = "0-old"
    (run.path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RunError, match="version 0-old"):
        load_run(run.id, paths, spec=spec)


def test_unknown_run_suggests(paths):
    with pytest.raises(RunError, match="no runs yet"):
        load_run("nope", paths)


# ---- runs saved by earlier versions -------------------------------------------------------
GOLDEN_01 = Path(__file__).resolve().parent / "golden" / "runs" / "20261127-170046-baseline-1c5ff4"


def _project_with_golden_run(project_copy: Path) -> Path:
    shutil.copytree(GOLDEN_01, project_copy / "runs" / GOLDEN_01.name)
    return project_copy


def test_a_run_fitted_with_the_crisis_hazard_fails_with_one_message_saying_how_to_refit(project_copy):
    """The 0.1 golden run was fitted with the one-Bernoulli crisis hazard, which the crisis model replaced."""
    from hedgecast.workbench import Workbench

    root = _project_with_golden_run(project_copy)
    files = {f.name: f.read_bytes() for f in (root / "runs" / GOLDEN_01.name).iterdir()}
    wb = Workbench.load(root)
    with pytest.raises(RunError) as info:
        wb.load_fit(GOLDEN_01.name)
    message = str(info.value)
    assert len(info.value.problems) == 1
    for needle in (GOLDEN_01.name, "0.1.0", "crisis hazard", "hazard_intercept", "crisis model", "hedgecast report --refit", "the run itself is kept"):
        assert needle in message, needle
    # the same when the lens is given (a reused fit): the posterior tells
    with pytest.raises(RunError, match=r"crisis hazard \(hazard_intercept, hazard_friction, hazard_ties\)"):
        wb.load_fit(GOLDEN_01.name, lens=wb.lens("baseline"))
    assert {f.name: f.read_bytes() for f in (root / "runs" / GOLDEN_01.name).iterdir()} == files  # the saved files are unchanged


def _strip_to_01(run_path: Path) -> None:
    """Make a saved run look like one saved by 0.1: posterior, sample stats and prior only."""
    import arviz as az

    path = run_path / "idata.nc"
    idata = az.from_netcdf(path)
    old = az.InferenceData(posterior=idata.posterior.load(), sample_stats=idata.sample_stats.load(), prior=idata.prior.load())
    old.attrs.update(idata.attrs)
    old.to_netcdf(str(path.with_suffix(".tmp")), engine="h5netcdf")
    path.with_suffix(".tmp").replace(path)
    manifest = json.loads((run_path / "manifest.json").read_text())
    manifest["hedgecast"] = "0.1.0"
    (run_path / "manifest.json").write_text(json.dumps(manifest))


def test_a_run_saved_without_the_derived_groups_loads_with_what_it_lacked_said_plainly(mock_fit, paths):
    """0.1 saved posterior + sample stats + prior only; the rest is computed from the posterior on load."""
    import arviz as az

    from hedgecast.workbench import Workbench

    run = save_run(mock_fit, None, paths, headline={})
    _strip_to_01(run.path)
    before = (run.path / "idata.nc").read_bytes()
    assert set(az.from_netcdf(run.path / "idata.nc").groups()) == {"posterior", "sample_stats", "prior"}
    fit = Workbench.load(paths.root).load_fit(run.id)
    assert len(fit.notes) == 1 and run.id in fit.notes[0] and "0.1.0" in fit.notes[0] and "log_likelihood" in fit.notes[0]
    for group in ("log_likelihood", "log_prior", "observed_data", "constant_data", "posterior_predictive"):
        assert group in fit.idata.groups()
    assert fit.idata.log_likelihood["y"].sizes["obs"] == len(fit.inputs.obs_value)
    assert fit.idata.log_likelihood["incidents"].sizes["year"] == len(fit.inputs.years)
    assert (run.path / "idata.nc").read_bytes() == before  # the saved files are unchanged


def test_a_run_from_another_model_fails_with_one_message_naming_it(mock_fit, paths):
    import arviz as az

    from hedgecast.workbench import Workbench

    run = save_run(mock_fit, None, paths, headline={})
    _strip_to_01(run.path)
    path = run.path / "idata.nc"
    idata = az.from_netcdf(path)
    idata.posterior = idata.posterior.load().drop_vars("cushion")
    idata.to_netcdf(str(path.with_suffix(".tmp")), engine="h5netcdf")
    path.with_suffix(".tmp").replace(path)
    with pytest.raises(RunError, match=rf"run {run.id} .*no draws of cushion.*hedgecast fit --lens baseline"):
        Workbench.load(paths.root).load_fit(run.id)


def test_a_saved_run_holds_the_full_inference_data_and_the_forecast(mock_fit, paths):
    import arviz as az

    fc = mock_fit.forecast(scenarios=["status_quo"])
    run = save_run(mock_fit, fc, paths, headline={})
    idata = az.from_netcdf(run.path / "idata.nc")
    for group in ("posterior", "log_likelihood", "log_prior", "observed_data", "constant_data", "posterior_predictive", "predictions"):
        assert group in idata.groups(), group
    assert list(idata.predictions["scenario"].values) == ["status_quo"]
    assert list(idata.observed_data["obs_indicator"].values) == list(mock_fit.idata.observed_data["obs_indicator"].values)


def test_a_loaded_run_has_every_group_a_fit_has_with_the_same_numbers(mock_fit, paths):
    """Saved and loaded, a fit keeps its complete InferenceData: what az.loo, az.plot_ppc and az.psens read."""
    import numpy as np

    from hedgecast.model.fit import COMPLETE_GROUPS
    from hedgecast.workbench import Workbench

    run = save_run(mock_fit, None, paths, headline={})
    fit = Workbench.load(paths.root).load_fit(run.id)
    assert not fit.notes  # nothing computed on load: all of it was saved
    for group in COMPLETE_GROUPS:
        assert group in fit.idata.groups(), group
        for name in mock_fit.idata[group].data_vars:
            np.testing.assert_array_equal(fit.idata[group][name].values, mock_fit.idata[group][name].values, err_msg=f"{group}.{name}")


def test_a_run_records_its_posterior_digest_and_a_reused_fit_carries_it_without_reading_its_draws(mock_fit, paths):
    from hedgecast.model.fit_key import posterior_digest
    from hedgecast.workbench import Workbench

    run = save_run(mock_fit, mock_fit.forecast(scenarios=["status_quo"]), paths, headline={})
    assert run.manifest["posterior_sha256"] == posterior_digest(mock_fit.idata)
    assert json.loads((run.path / "manifest.json").read_text())["posterior_sha256"] == posterior_digest(mock_fit.idata)
    fit = Workbench.load(paths.root).load_fit(run.id)
    assert fit.posterior_sha256 == posterior_digest(mock_fit.idata)
    assert fit.idata.opened() == [], "loading a complete run opens none of its groups"
    assert posterior_digest(fit.idata) == fit.posterior_sha256, "the saved draws are the fitted ones"
