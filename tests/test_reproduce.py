"""Rerunning a saved run's lens, spec and settings reproduces its numbers bit for bit."""

import json
import shutil

import pytest

from hedgecast.config import Paths
from hedgecast.errors import RunError
from hedgecast.reproduce import reproduce_run
from hedgecast.runs import load_run, save_run

ROOT_ITEMS = ("models", "data")


@pytest.fixture(scope="module")
def paths(root, tmp_path_factory):
    """A writable project copy (runs are saved there; the data hashes match the real data)."""
    base = tmp_path_factory.mktemp("project")
    for name in ROOT_ITEMS:
        shutil.copytree(root / name, base / name, ignore=shutil.ignore_patterns("processed"))
    shutil.copy(root / "pyproject.toml", base / "pyproject.toml")
    return Paths(base)


@pytest.fixture(scope="module")
def saved(workbench, paths):
    fit = workbench.fit("baseline", sampler="mock", draws=40, chains=2, seed=23)
    fc = fit.forecast(["status_quo", "protracted_war"])
    return save_run(fit, fc, paths, headline=fc.headline(2030))


def _copy(run, paths, suffix, edit):
    """A copy of ``run`` under a new id, with ``edit(manifest)`` applied."""
    target = paths.runs / f"{run.id}-{suffix}"
    shutil.copytree(run.path, target)
    manifest = json.loads((target / "manifest.json").read_text())
    edit(manifest)
    (target / "manifest.json").write_text(json.dumps(manifest))
    return load_run(target.name, paths)


def test_mock_run_reproduces_exactly(workbench, saved, paths):
    assert saved.manifest["headline"]["status_quo"]
    identical, differences = reproduce_run(load_run(saved.id, paths), workbench)
    assert identical, differences
    assert differences == []


def test_a_run_whose_seed_was_changed_does_not_reproduce(workbench, saved, paths):
    run = _copy(saved, paths, "seed", lambda m: m["settings"].update(seed=24))
    identical, differences = reproduce_run(run, workbench)
    assert not identical
    assert any(d.startswith("posterior 'beta' differs") for d in differences)
    assert any(d.startswith("headline status_quo") for d in differences)
    assert "class_probabilities.nc differs" in differences


def test_reproducing_a_run_of_another_spec_version_fails_clearly(workbench, saved, paths):
    run = _copy(saved, paths, "old", lambda m: m["spec"].update(version="0-old"))
    with pytest.raises(RunError, match=r"version 0-old.*cannot be reproduced"):
        reproduce_run(run, workbench)


def test_a_truncated_history_run_reproduces_on_its_own_years(workbench, paths):
    fit = workbench.fit("baseline", sampler="mock", draws=30, chains=2, seed=2, history=workbench.history.truncate(2019))
    run = save_run(fit, None, paths, headline={})
    assert run.manifest["history_years"] == [2000, 2019]
    identical, differences = reproduce_run(load_run(run.id, paths), workbench)
    assert identical, differences


@pytest.mark.slow
def test_real_nutpie_run_reproduces_bit_for_bit(workbench, small_fit, paths):
    """A real NUTS fit (the session's compiled model), saved, refitted from its manifest: identical."""
    fc = small_fit.forecast()
    run = save_run(small_fit, fc, paths, headline=fc.headline(2030))
    identical, differences = reproduce_run(load_run(run.id, paths), workbench)
    assert identical, differences
