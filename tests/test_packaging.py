"""Packaging: the version on the command line, ``python -m hedgecast``, PreliZ, ``py.typed`` in the wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import hedgecast

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("command", [[sys.executable, "-m", "hedgecast"], [str(BIN / "hedgecast")]], ids=["python -m", "script"])
def test_version_option_prints_the_version_and_exits_0(command):
    out = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"hedgecast {hedgecast.__version__}"
    assert hedgecast.__version__ not in ("", "0.0.0+source")


def test_python_dash_m_runs_the_same_cli():
    out = subprocess.run([sys.executable, "-m", "hedgecast", "--help"], capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "report" in out.stdout and "--version" in out.stdout


def test_preliz_imports_and_matches_pymc_extras_priors():
    import preliz as pz
    from pymc_extras.prior import Prior

    dist = Prior("Normal", mu=0.3, sigma=2.0).preliz
    assert isinstance(dist, pz.Normal)
    assert float(dist.mean()) == pytest.approx(0.3)
    assert float(dist.std()) == pytest.approx(2.0)
    gamma = Prior("Gamma", alpha=3.0, beta=2.0).preliz
    assert float(gamma.mean()) == pytest.approx(1.5)


def test_prior_constrain_uses_preliz_maxent():
    from pymc_extras.prior import Prior

    prior = Prior("Gamma").constrain(lower=1.0, upper=5.0, mass=0.9)
    dist = prior.preliz
    assert float(dist.cdf(5.0) - dist.cdf(1.0)) == pytest.approx(0.9, abs=1e-6)


def test_importing_preliz_through_elicit_leaves_savefig_bbox_alone():
    # in a fresh process: PreliZ sets rcParams["savefig.bbox"] = "tight" on its first import
    code = (
        "import matplotlib; from hedgecast.priors import elicit; before = matplotlib.rcParams['savefig.bbox']; "
        "elicit.preliz(); import sys; assert 'preliz' in sys.modules; assert matplotlib.rcParams['savefig.bbox'] == before, before"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr


def test_py_typed_is_in_the_package_and_the_wheel(tmp_path):
    assert (Path(hedgecast.__file__).parent / "py.typed").is_file()
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    (wheel,) = (tmp_path / "dist").glob("hedgecast-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {f"hedgecast/report/templates/{p.name}" for p in (ROOT / "src" / "hedgecast" / "report" / "templates").glob("*.html")}
    assert {"hedgecast/py.typed", "hedgecast/__main__.py", "hedgecast/report/templates/report.html"} | templates <= names
    assert wheel.name.startswith(f"hedgecast-{hedgecast.__version__}-")


def test_constraints_pin_every_installed_distribution():
    from importlib import metadata

    lines = [ln.strip() for ln in (ROOT / "requirements" / "constraints.txt").read_text(encoding="utf-8").splitlines()]
    pins = dict(ln.split("==", 1) for ln in lines if ln and not ln.startswith("#"))

    def norm(name: str) -> str:
        return name.lower().replace("_", "-").replace(".", "-")

    pins = {norm(k): v for k, v in pins.items()}
    assert "hedgecast" not in pins
    assert pins["matplotlib"].startswith("3.10.") and pins["preliz"].startswith("0.24.")
    installed = {norm(d.metadata["Name"]): d.version for d in metadata.distributions()}
    for name in ("pymc", "pytensor", "arviz", "pymc-extras", "preliz", "matplotlib", "numpy", "scipy"):
        assert installed[name] == pins[name], f"{name}: installed {installed[name]}, constraints.txt pins {pins[name]} (run `make`)"
