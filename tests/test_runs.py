import json

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

    edited.set_prior("cushion", Prior("Normal", mu=0.9, sigma=0.2), reason="a seminar participant's view")
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
