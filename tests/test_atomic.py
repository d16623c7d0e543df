"""Nothing is lost: runs, lenses and reports are written atomically. A run interrupted while
writing (Ctrl-C, a crash, SIGKILL, a full disk) leaves every earlier run intact and no
half-written ``runs/<id>``; two runs saved at once never share or overwrite a folder."""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import arviz as az
import numpy as np
import pytest
import xarray as xr

from hedgecast import runs
from hedgecast.config import Paths
from hedgecast.inputs.spec import load_spec
from hedgecast.model.fit import Diagnostics, SamplerSettings
from hedgecast.priors.lenses import Lens

ROOT = Path(__file__).resolve().parents[1]
SPEC = load_spec(ROOT / "models" / "turkiye_russia.toml")
LENS = Lens.load(ROOT / "models" / "lenses" / "baseline.toml", SPEC, Paths(ROOT))


@dataclass
class Inputs:
    years: list[int] = field(default_factory=lambda: list(range(2000, 2026)))
    inclusion: str = "main"  # the incident inclusion rule, recorded in the manifest


class SlowIdata:
    """An InferenceData stand-in whose NetCDF write can be made to stop halfway."""

    def __init__(self, on_half_written=None):
        self.on_half_written = on_half_written
        self.posterior = xr.Dataset({"x": ("draw", np.zeros(3))})  # save_run records the draws' digest

    def to_netcdf(self, path: str, engine: str = "h5netcdf") -> str:
        with open(path, "wb") as fh:
            fh.write(b"\x89HDF\r\n" + b"\0" * 4096)  # the first half of a file
            fh.flush()
            if self.on_half_written is not None:
                self.on_half_written()
            fh.write(b"\0" * 4096)
        return path


@dataclass
class FakeFit:
    """What save_run reads from a fit; no sampler involved."""

    idata: object
    lens: Lens = field(default_factory=lambda: Lens.load(ROOT / "models" / "lenses" / "baseline.toml", SPEC, Paths(ROOT)))
    spec: object = SPEC
    settings: SamplerSettings = field(default_factory=lambda: SamplerSettings(draws=10, tune=0, chains=1, seed=1))
    inputs: Inputs = field(default_factory=Inputs)
    diagnostics: Diagnostics = field(default_factory=lambda: Diagnostics(1.0, 1000.0, 1000.0, 0, 10))


def real_idata() -> az.InferenceData:
    return az.from_dict(posterior={"mu": np.zeros((1, 10, 2))}, dims={"mu": ["channel"]}, coords={"channel": ["economic", "political"]})


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    root = tmp_path / "proj"
    (root / "data" / "curated").mkdir(parents=True)
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "curated" / "series.csv").write_text("series,year,value\n", encoding="utf-8")
    monkeypatch.setattr(runs, "git_commit", lambda root: "")  # no git in a temp folder
    monkeypatch.setattr(runs, "fit_key", lambda *args: "fit-key")  # the stand-in fit has no model inputs
    return Paths(root)


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def visible(paths: Paths) -> list[str]:
    return sorted(d.name for d in paths.runs.iterdir() if not d.name.startswith("."))


def hidden(paths: Paths) -> list[str]:
    return sorted(d.name for d in paths.runs.iterdir() if d.name.startswith("."))


@pytest.fixture
def earlier(paths: Paths):
    """One complete run saved before the interrupted one, and a snapshot of its bytes."""
    saved = runs.save_run(FakeFit(real_idata()), None, paths, headline={"status_quo": {"P(rupture, 2030)": 0.1}})
    return saved, snapshot(saved.path)


# ------------------------------------------------------------------- a complete run
def test_save_run_writes_a_complete_folder(paths: Paths, earlier):
    saved, files = earlier
    assert {"idata.nc", "lens.toml", "spec.toml", "manifest.json"} <= set(files)
    assert visible(paths) == [saved.id] and hidden(paths) == []
    assert [r.id for r in runs.list_runs(paths)] == [saved.id]
    assert az.from_netcdf(saved.path / "idata.nc").posterior["mu"].shape == (1, 10, 2)


def test_saving_a_run_does_not_move_the_fits_lens(paths: Paths):
    fit = FakeFit(real_idata())
    before = fit.lens.path
    runs.save_run(fit, None, paths, headline={})
    assert fit.lens.path == before


# ------------------------------------------------------------------- interrupted in-process
@pytest.mark.parametrize(
    "failure",
    [KeyboardInterrupt(), OSError(errno.ENOSPC, "No space left on device"), RuntimeError("crash in the writer")],
    ids=["ctrl-c", "disk-full", "crash"],
)
def test_an_interrupted_save_leaves_earlier_runs_intact_and_nothing_half_written(paths: Paths, earlier, failure):
    saved, files = earlier

    def stop():
        raise failure

    with pytest.raises(type(failure)):
        runs.save_run(FakeFit(SlowIdata(on_half_written=stop)), None, paths, headline={})
    assert visible(paths) == [saved.id]
    assert hidden(paths) == [], "the temporary folder is removed"
    assert snapshot(saved.path) == files
    assert [r.id for r in runs.list_runs(paths)] == [saved.id]


def test_a_failure_after_writing_before_the_rename_leaves_nothing(paths: Paths, earlier, monkeypatch: pytest.MonkeyPatch):
    saved, files = earlier

    def no_manifest(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", no_manifest)
    with pytest.raises(OSError, match="No space left"):
        runs.save_run(FakeFit(real_idata()), None, paths, headline={})
    monkeypatch.undo()
    assert visible(paths) == [saved.id] and hidden(paths) == []
    assert snapshot(saved.path) == files


# ------------------------------------------------------------------- killed mid-write (SIGKILL)
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_run_killed_mid_write_leaves_earlier_runs_intact(paths: Paths, earlier, tmp_path: Path):
    saved, files = earlier
    ready = tmp_path / "half-written"

    def hang():
        ready.write_text("now", encoding="utf-8")
        time.sleep(60)

    pid = os.fork()
    if pid == 0:  # the child: a run that gets killed while writing
        try:
            runs.save_run(FakeFit(SlowIdata(on_half_written=hang)), None, paths, headline={})
        finally:
            os._exit(0)
    deadline = time.monotonic() + 30
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ready.exists(), "the child never started writing"
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL

    assert visible(paths) == [saved.id], "no half-written runs/<id>"
    assert snapshot(saved.path) == files, "the earlier run is byte-for-byte intact"
    assert [r.id for r in runs.list_runs(paths)] == [saved.id]
    (leftover,) = hidden(paths)
    assert leftover.startswith(runs.TEMP_PREFIX)

    # a recent temporary folder may belong to a run writing right now: left alone
    assert runs.remove_stale_temp(paths) == []
    # once it is old, the next save cleans it up
    old = time.time() - 2 * runs.TEMP_MAX_AGE_SECONDS
    os.utime(paths.runs / leftover, (old, old))
    again = runs.save_run(FakeFit(real_idata()), None, paths, headline={})
    assert hidden(paths) == []
    assert visible(paths) == sorted([saved.id, again.id])


# ------------------------------------------------------------------- concurrent runs
def test_two_runs_saved_at_once_get_two_folders(paths: Paths):
    barrier = threading.Barrier(2, timeout=30)
    results, errors = [], []

    def save():
        try:
            results.append(runs.save_run(FakeFit(SlowIdata(on_half_written=barrier.wait)), None, paths, headline={}))
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=save) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len({r.id for r in results}) == 2
    assert visible(paths) == sorted(r.id for r in results)
    for r in results:
        assert (r.path / "manifest.json").is_file()


def test_the_same_run_id_twice_never_overwrites(paths: Paths, monkeypatch: pytest.MonkeyPatch):
    ids = iter(["20260101-000000-baseline-aaaaaa", "20260101-000000-baseline-aaaaaa", "20260101-000000-baseline-bbbbbb"])
    monkeypatch.setattr(runs, "new_run_id", lambda lens_name: next(ids))
    first = runs.save_run(FakeFit(real_idata()), None, paths, headline={"first": {}})
    files = snapshot(first.path)
    second = runs.save_run(FakeFit(real_idata()), None, paths, headline={"second": {}})
    assert first.id != second.id == "20260101-000000-baseline-bbbbbb"
    assert snapshot(first.path) == files
    assert second.manifest["id"] == second.id == second.path.name
    assert hidden(paths) == []


# ------------------------------------------------------------------- lenses and reports
def test_an_interrupted_lens_save_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "mine.toml"
    target.write_text("# the analyst's previous lens\n", encoding="utf-8")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    lens = LENS.derive("mine")
    with pytest.raises(OSError, match="No space left"):
        lens.save(target, Paths(tmp_path))
    assert target.read_text(encoding="utf-8") == "# the analyst's previous lens\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.toml"]


def test_an_interrupted_report_write_keeps_the_previous_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    report = pytest.importorskip("hedgecast.report.api")  # reports are written with hedgecast.files.write_atomic
    target = tmp_path / "reports" / "turkiye-russia.html"
    target.parent.mkdir()
    target.write_text("<html>yesterday's report</html>", encoding="utf-8")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report.write_atomic(target, "<html>half of today's report")
    assert target.read_text(encoding="utf-8") == "<html>yesterday's report</html>"
    assert sorted(p.name for p in target.parent.iterdir()) == ["turkiye-russia.html"]
