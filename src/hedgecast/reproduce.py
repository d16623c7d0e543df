"""Reproducing a saved run: refit it from its own lens, spec and settings, and compare bit for bit.

The seed is the run's own, so the refit must give exactly the saved numbers. Compared
exactly (no tolerance): every posterior array in ``idata.nc``, the headline probabilities
of the manifest, and ``class_probabilities.nc`` when present. The forecast is redone with
the run's seed, as ``hedgecast fit``/``report`` made it.

The steps: :func:`refit_inputs` (the spec, history and settings the run was made with),
:func:`compare_posteriors`, :func:`compare_forecasts`, :func:`likely_causes`.
"""

from __future__ import annotations

import re

import numpy as np
import xarray as xr

from hedgecast.errors import RunError
from hedgecast.inputs.updates import load_record
from hedgecast.inputs.spec import load_spec
from hedgecast.model.equations import model_inputs
from hedgecast.model.fit import SamplerSettings
from hedgecast.priors.lenses import Lens
from hedgecast.runs import SavedRun, data_hashes, package_versions
from hedgecast.workbench import Fit, Workbench


def refit_inputs(run: SavedRun, workbench: Workbench) -> tuple[Workbench, Lens, SamplerSettings]:
    """Return the workbench (spec and history as the run saw them), lens and settings to refit ``run`` with.

    Raises ``RunError`` if the run was made with another spec name or version, or its
    settings are not known to this version of hedgecast.
    """
    manifest = run.manifest
    made = manifest.get("spec", {})
    spec = workbench.spec
    if made.get("name") != spec.name or str(made.get("version")) != str(spec.version):
        raise RunError(
            f"run {run.id} was made with spec '{made.get('name')}' version {made.get('version')}, "
            f"but the current spec is '{spec.name}' version {spec.version}: it cannot be reproduced with this spec "
            f"(the run keeps its own copy: {run.spec_path})"
        )
    history = workbench.history
    if made.get("sha256") != spec.sha256:  # same version, edited file: use the run's own copy
        spec = load_spec(run.spec_path)
        spec, history = load_record(spec, workbench.paths)
    saved_settings = manifest.get("settings", {})
    unknown = sorted(set(saved_settings) - set(SamplerSettings.__dataclass_fields__))
    if unknown:
        raise RunError(f"run {run.id}: settings {unknown} are not known to this version of hedgecast")
    _first, last = manifest.get("history_years", [history.years[0], history.years[-1]])
    if last != history.years[-1]:
        history = history.truncate(int(last))
    lens = Lens.load(run.lens_path, spec, workbench.paths)
    same = spec is workbench.spec and history is workbench.history
    bench = workbench if same else Workbench(spec, history, workbench.paths, model_inputs(spec, history))
    return bench, lens, SamplerSettings.from_record(saved_settings)


def compare_posteriors(saved: xr.Dataset, new: xr.Dataset) -> list[str]:
    """Every posterior variable that is missing on one side, has another shape, or differs in any value."""
    differences = []
    for name in sorted(set(saved.data_vars) | set(new.data_vars)):
        if name not in new.data_vars or name not in saved.data_vars:
            differences.append(f"posterior '{name}' is only in the {'saved' if name in saved.data_vars else 'new'} run")
            continue
        a, b = np.asarray(saved[name].values), np.asarray(new[name].transpose(*saved[name].dims).values)
        if a.shape != b.shape:
            differences.append(f"posterior '{name}' has shape {b.shape}, saved {a.shape}")
        elif not np.array_equal(a, b, equal_nan=True):
            diff = np.abs(a.astype(float) - b.astype(float))
            n_diff, largest = int((diff > 0).sum()), float(np.nanmax(diff))
            differences.append(f"posterior '{name}' differs: {n_diff} of {a.size} values, largest by {largest:.3g}")
    return differences


def saved_class_probabilities(run: SavedRun) -> xr.DataArray | None:
    """Read the run's ``class_probabilities.nc``, if it has one."""
    probs_file = run.path / "class_probabilities.nc"
    if not probs_file.is_file():
        return None
    with xr.open_dataset(probs_file, engine="h5netcdf") as ds:
        return ds["probability"].load()


def compare_forecasts(run: SavedRun, fit: Fit) -> list[str]:
    """Redo the run's forecast from ``fit`` and compare its headline and class probabilities with the saved ones."""
    headline = run.manifest.get("headline") or {}
    saved_probs = saved_class_probabilities(run)
    if not headline and saved_probs is None:
        return []
    differences = []
    # only the scenarios the run recorded (scenarios share random numbers but never interact)
    wanted = [*headline, *([] if saved_probs is None else [str(s) for s in saved_probs["scenario"].values])]
    fc = fit.forecast(list(dict.fromkeys(wanted)))
    years = sorted({int(m.group(1)) for scen in headline.values() for key in scen for m in [re.search(r"(\d{4})\)$", key)] if m})
    redone: dict = {}
    for year in years:
        for scen, values in fc.headline(year).items():
            redone.setdefault(scen, {}).update(values)
    for scen, values in headline.items():
        for key, value in values.items():
            got = redone.get(scen, {}).get(key)
            if got is None:
                differences.append(f"headline {scen} / {key}: not produced by the rerun")
            elif got != value:
                differences.append(f"headline {scen} / {key}: {got!r} now, {value!r} saved")
    if saved_probs is not None:
        now = fc.class_probabilities(tuple(int(y) for y in saved_probs["year"].values)).sel(scenario=saved_probs["scenario"].values)
        if not np.array_equal(now.transpose(*saved_probs.dims).values, saved_probs.values, equal_nan=True):
            differences.append("class_probabilities.nc differs")
    return differences


def likely_causes(run: SavedRun, workbench: Workbench) -> list[str]:
    """Note (in parentheses) the data files and package versions that changed since the run."""
    manifest = run.manifest
    notes = []
    now_data = data_hashes(workbench.paths)
    changed = sorted(k for k in set(now_data) | set(manifest.get("data", {})) if now_data.get(k) != manifest.get("data", {}).get(k))
    if changed:
        notes.append(f"(data files changed since the run: {', '.join(changed)})")
    versions = package_versions()
    moved = {k: (v, versions.get(k)) for k, v in manifest.get("versions", {}).items() if versions.get(k) != v}
    if moved:
        notes.append(f"(package versions changed since the run: {moved})")
    return notes


def reproduce_run(run: SavedRun, workbench: Workbench) -> tuple[bool, list[str]]:
    """Refit a saved run from its own ``lens.toml``, spec and settings, and compare bit for bit.

    Parameters
    ----------
    run : SavedRun
        From :func:`hedgecast.runs.load_run`.
    workbench : Workbench
        The project's spec and data as they are now (the data must be what the run saw
        for the numbers to match; a changed data file is named as the likely cause).

    Returns
    -------
    (identical, differences)
        ``identical`` is True when every compared number is equal; ``differences``
        says what is not (and, if anything is, which inputs changed since the run).

    Raises
    ------
    RunError
        If the run was made with another spec name or version, or its settings cannot
        be read.

    """
    bench, lens, settings = refit_inputs(run, workbench)
    differences: list[str] = []
    if lens.fingerprint() != run.manifest.get("lens", {}).get("fingerprint"):
        differences.append("the lens read back from lens.toml has another fingerprint than the one recorded")
    fit = bench.fit(lens, settings)
    differences += compare_posteriors(run.idata().posterior, fit.idata.posterior)
    differences += compare_forecasts(run, fit)
    if differences:
        differences += likely_causes(run, workbench)
    numeric = [d for d in differences if not d.startswith("(")]
    return not numeric, differences


__all__ = ["compare_forecasts", "compare_posteriors", "likely_causes", "refit_inputs", "reproduce_run"]
