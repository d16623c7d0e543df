"""Runs: one fit of one lens plus its forecasts, saved with everything needed to reproduce
and compare it (``runs/<id>/``: InferenceData as NetCDF, the lens and spec as used, and a
manifest of versions, hashes, seed, diagnostics and headline probabilities).

Runs are written atomically: into a hidden temporary folder, then renamed. An interrupted
run leaves nothing half-written, and two runs started at once never share a folder.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import arviz as az

from hedgecast.config import Paths
from hedgecast.errors import RunError, SpecError, suggest
from hedgecast.model.fit_key import fit_key, forecast_key, posterior_digest

PACKAGES = ("hedgecast", "pymc", "pytensor", "nutpie", "arviz", "numpy", "pandas", "xarray", "scipy", "pymc-extras")
MANIFEST = "manifest.json"
TEMP_PREFIX = ".tmp-"
TEMP_MAX_AGE_SECONDS = 3600.0


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a run's numbers depend on."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def data_hashes(paths: Paths) -> dict[str, str]:
    """SHA-256 of every curated and raw data file, by path relative to the project."""
    out = {}
    for folder in (paths.curated, paths.raw):
        for f in sorted(folder.glob("*")):
            if f.is_file():
                out[str(f.relative_to(paths.root))] = file_sha256(f)
    return out


def git_commit(root: Path) -> str:
    """The project's git commit, with '+dirty' when the tree has changes; '' outside git."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=False).stdout.strip()  # noqa: S607
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True, timeout=10, check=False).stdout.strip()  # noqa: S607
    except (OSError, subprocess.SubprocessError):
        return ""
    return sha + ("+dirty" if sha and dirty else "")


def new_run_id(lens_name: str) -> str:
    """A unique, sortable id: time, lens, and random suffix (safe for concurrent runs)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{lens_name}-{os.urandom(3).hex()}"


@dataclass
class SavedRun:
    """A run on disk."""

    id: str
    path: Path
    manifest: dict

    def idata(self) -> az.InferenceData:
        """The run's InferenceData, each group opened from ``idata.nc`` when first used (:mod:`hedgecast.idata_file`)."""
        from hedgecast.idata_file import open_idata

        return open_idata(self.path / "idata.nc")

    @property
    def lens_path(self) -> Path:
        return self.path / "lens.toml"

    @property
    def spec_path(self) -> Path:
        return self.path / "spec.toml"


#: forecast variables stored in single precision (a run's predictions are its largest part)
_SINGLE = ("state", "indicator_value", "driver_value")


def run_inference_data(idata: az.InferenceData, forecast) -> az.InferenceData:
    """The fit's InferenceData plus the scenario forecast as its ``predictions`` group (a new object; the fit's own without one)."""
    if forecast is None:
        return idata
    groups = {g: idata[g] for g in idata.groups()}
    pred = forecast.data.copy()
    for name in _SINGLE:
        if name in pred:
            pred[name] = pred[name].astype("float32")
    groups["predictions"] = pred
    out = az.InferenceData(**groups)
    out.attrs.update(idata.attrs)
    return out


def save_run(fit, forecast, paths: Paths, *, headline: dict, extra: dict | None = None) -> SavedRun:
    """Write a run folder atomically and return it."""
    from hedgecast import __version__

    run_id = new_run_id(fit.lens.name)
    paths.runs.mkdir(parents=True, exist_ok=True)
    remove_stale_temp(paths)
    tmp = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{run_id}-", dir=paths.runs))
    try:
        run_inference_data(fit.idata, forecast).to_netcdf(str(tmp / "idata.nc"), engine="h5netcdf")
        fit.lens.save(tmp / "lens.toml", paths)
        shutil.copyfile(fit.spec.path, tmp / "spec.toml")
        if forecast is not None:
            probs = forecast.class_probabilities()
            probs.to_dataset(name="probability").to_netcdf(str(tmp / "class_probabilities.nc"), engine="h5netcdf")
        manifest = {
            "id": run_id,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "hedgecast": __version__,
            "versions": package_versions(),
            "git_commit": git_commit(paths.root),
            "spec": {"name": fit.spec.name, "version": fit.spec.version, "sha256": fit.spec.sha256, "path": str(Path(fit.spec.path).name)},
            "lens": {"name": fit.lens.name, "fingerprint": fit.lens.fingerprint(), "sha256": file_sha256(tmp / "lens.toml")},
            "data": data_hashes(paths),
            "settings": fit.settings.__dict__,
            "fit_key": fit_key(fit.spec, fit.lens, fit.inputs, fit.settings),
            "posterior_sha256": posterior_digest(fit.idata),
            "forecast_key": None if forecast is None else forecast_key(fit, forecast.data.attrs["seed"], forecast.scenarios),
            "history_years": [fit.inputs.years[0], fit.inputs.years[-1]],
            "inclusion": fit.inputs.inclusion,
            "diagnostics": fit.diagnostics.to_dict(),
            "headline": headline,
            **(extra or {}),
        }
        for _attempt in range(5):
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str), encoding="utf-8")
            final = paths.runs / run_id
            try:
                os.rename(tmp, final)  # fails, rather than overwrites, if a run of that id exists
                break
            except OSError as err:
                if err.errno not in (errno.EEXIST, errno.ENOTEMPTY) and not final.exists():
                    raise
                run_id = manifest["id"] = new_run_id(fit.lens.name)
        else:
            raise RunError(f"could not find a free run id under {paths.runs}")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return SavedRun(run_id, final, manifest)


def replaced_model_error(run: SavedRun, found: list[str]) -> RunError:
    """The one message for a run fitted with groups the current model no longer has (the crisis hazard)."""
    made_by = run.manifest.get("hedgecast", "an unknown version")
    return RunError(
        f"run {run.id} (saved by hedgecast {made_by}) was fitted with the crisis hazard ({', '.join(found)}), which the "
        "crisis model has replaced (serious incidents per year and the chance each escalates to a rupture): its draws "
        "cannot be forecast or reported with the current model. Refit with `hedgecast report --refit` (or "
        f"`hedgecast fit --lens {run.manifest.get('lens', {}).get('name', 'NAME')}`); the run itself is kept."
    )


def check_run_model(run: SavedRun) -> None:
    """Fail with one clear message if ``run`` was fitted with a model whose prior groups were replaced.

    Reads the run's own copy of its lens (cheap, and before the lens is parsed, which would
    fail on the old groups with a message about the lens file rather than the run).
    """
    import tomllib

    from hedgecast.priors.groups import REPLACED_GROUPS

    try:
        priors = tomllib.loads(run.lens_path.read_text(encoding="utf-8")).get("priors", {})
    except (OSError, tomllib.TOMLDecodeError):
        return  # reading the lens itself reports what is wrong with it
    found = [g for g in REPLACED_GROUPS if isinstance(priors, dict) and g in priors]
    if found:
        raise replaced_model_error(run, found)


def complete_saved_run(run: SavedRun, spec, lens, inputs, idata: az.InferenceData, seed: int) -> list[str]:
    """Give a run saved by an older hedgecast what it lacks, or fail with one clear message.

    Runs saved by 0.1 hold ``posterior``, ``sample_stats`` and ``prior`` only. Their
    log-likelihood, log prior, observed and constant data and posterior predictive are
    functions of the posterior and the model, so they are computed on load (the run's files
    are not changed) and the returned note says so. A run whose posterior does not fit the
    current model cannot be completed: the error names the run and what to do.
    """
    from hedgecast.idata_file import variable_names
    from hedgecast.model.fit import COMPLETE_GROUPS, compiled_model, complete_inference_data
    from hedgecast.priors.groups import REPLACED_GROUPS

    replaced = [g for g in REPLACED_GROUPS if g in variable_names(idata, "posterior")]
    if replaced:
        raise replaced_model_error(run, replaced)
    missing = [g for g in COMPLETE_GROUPS if g not in idata.groups()]
    if not missing:
        return []
    cm = compiled_model(spec, lens, inputs)
    lacking = sorted({rv.name for rv in cm.model.free_RVs} - set(variable_names(idata, "posterior")))
    made_by = run.manifest.get("hedgecast", "an unknown version")
    if lacking:
        raise RunError(
            f"run {run.id} (saved by hedgecast {made_by}) has no draws of {', '.join(lacking)}, which the current "
            f"model needs: it was fitted with a different model. Refit its lens with "
            f"`hedgecast fit --lens {run.manifest.get('lens', {}).get('name', 'NAME')}` (the run itself is kept)."
        )
    complete_inference_data(cm, idata, seed)
    return [
        f"run {run.id} was saved by hedgecast {made_by} without {', '.join(missing)}: "
        "computed on load from its posterior with the current model (the saved files are unchanged)"
    ]


def remove_stale_temp(paths: Paths, max_age_seconds: float = TEMP_MAX_AGE_SECONDS) -> list[Path]:
    """Delete temporary run folders left by runs killed mid-write (older than ``max_age_seconds``).

    A run writes its folder in seconds, so an old ``.tmp-*`` folder belongs to a
    process that died (a kill, a crash, a full disk); younger ones may belong to a
    run writing right now and are left alone. Returns the folders removed.
    """
    removed = []
    if not paths.runs.is_dir():
        return removed
    now = time.time()
    for d in paths.runs.glob(f"{TEMP_PREFIX}*"):
        try:
            if d.is_dir() and now - d.stat().st_mtime > max_age_seconds:
                shutil.rmtree(d)
                removed.append(d)
        except OSError:
            continue
    return removed


def list_runs(paths: Paths) -> list[SavedRun]:
    """Complete runs, oldest first (half-written temporary folders are ignored)."""
    if not paths.runs.is_dir():
        return []
    out = []
    for d in sorted(paths.runs.iterdir()):
        if d.name.startswith(".") or not (d / MANIFEST).is_file():
            continue
        try:
            out.append(SavedRun(d.name, d, json.loads((d / MANIFEST).read_text(encoding="utf-8"))))
        except (OSError, json.JSONDecodeError):
            continue
    return out


def find_reusable(paths: Paths, key: str) -> SavedRun | None:
    """The newest saved run with fit key ``key`` whose diagnostics passed, or None.

    Runs saved before fit keys existed (0.1) have none and are never reused.
    """
    for run in reversed(list_runs(paths)):
        if run.manifest.get("fit_key") == key and run.manifest.get("diagnostics", {}).get("passed"):
            return run
    return None


def load_run(run_id: str, paths: Paths, spec=None) -> SavedRun:
    """A saved run by id (or unique prefix); fails loudly if it was made with another spec version."""
    runs = list_runs(paths)
    matches = [r for r in runs if r.id == run_id] or [r for r in runs if r.id.startswith(run_id)]
    if not matches:
        raise RunError(f"no run '{run_id}' under {paths.runs}: {suggest(run_id, [r.id for r in runs]) if runs else 'there are no runs yet'}")
    if len(matches) > 1:
        raise RunError(f"'{run_id}' matches {len(matches)} runs: {', '.join(r.id for r in matches)}")
    run = matches[0]
    if spec is not None:
        made = run.manifest.get("spec", {})
        if made.get("version") != spec.version or made.get("name") != spec.name:
            raise RunError(
                f"run {run.id} was made with spec '{made.get('name')}' version {made.get('version')}, "
                f"but the current spec is '{spec.name}' version {spec.version}; load it with a matching spec "
                f"(the run keeps its own copy: {run.spec_path})"
            )
    return run


def compare_runs(a: SavedRun, b: SavedRun) -> dict:
    """What differs between two runs: priors, data, settings, versions and headline numbers."""
    from hedgecast.inputs.spec import load_spec
    from hedgecast.priors.lenses import Lens, diff_lenses

    out: dict = {"a": a.id, "b": b.id}
    spec_a, spec_b = load_spec(a.spec_path), load_spec(b.spec_path)
    out["spec_changed"] = spec_a.sha256 != spec_b.sha256
    try:
        lens_a = Lens.load(a.lens_path, spec_a, Paths(a.path.parent.parent))
        lens_b = Lens.load(b.lens_path, spec_b, Paths(b.path.parent.parent))
        out["priors"] = diff_lenses(lens_a, lens_b).to_dict("records")
    except (SpecError, OSError) as err:  # a lens the current code no longer reads, or a missing file
        out["priors"] = [{"prior": "(cannot compare)", "why": str(err)}]
    da, db = a.manifest.get("data", {}), b.manifest.get("data", {})
    out["data"] = sorted(k for k in set(da) | set(db) if da.get(k) != db.get(k))
    out["settings"] = {k: (a.manifest["settings"].get(k), b.manifest["settings"].get(k)) for k in set(a.manifest["settings"]) | set(b.manifest["settings"]) if a.manifest["settings"].get(k) != b.manifest["settings"].get(k)}
    out["versions"] = {k: (a.manifest["versions"].get(k), b.manifest["versions"].get(k)) for k in a.manifest["versions"] if a.manifest["versions"].get(k) != b.manifest["versions"].get(k)}
    rows = []
    ha, hb = a.manifest.get("headline", {}), b.manifest.get("headline", {})
    for scen in sorted(set(ha) & set(hb)):
        for key in ha[scen]:
            if key in hb[scen]:
                rows.append({"scenario": scen, "quantity": key, "a": ha[scen][key], "b": hb[scen][key], "change": hb[scen][key] - ha[scen][key]})
    out["headline"] = rows
    return out
