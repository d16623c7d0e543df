"""Every command checks all its options before any work: a mistake fails at once, with one
message naming every problem, and exit code 2 — the sampler is never called."""

from __future__ import annotations

import pytest
from cli_helpers import run_cli


@pytest.fixture
def no_sampling(monkeypatch: pytest.MonkeyPatch):
    """Fail the test if anything samples or starts a dask cluster."""

    def forbidden(*args, **kwargs):
        raise AssertionError("the sampler was called before the options were checked")

    monkeypatch.setattr("hedgecast.model.fit.sample_posterior", forbidden)
    monkeypatch.setattr("hedgecast.workbench.sample_posterior", forbidden)  # the name the workbench fits with
    monkeypatch.setattr("hedgecast.validate.parallel.cluster_client", forbidden)


def invoke(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    """(exit code, stderr)."""
    code, _, err = run_cli(monkeypatch, capsys, args)
    return code, err


CASES = {
    "fit: the second lens is unknown": (["fit", "--lens", "baseline", "--lens", "baselin"], ["did you mean 'baseline'?"]),
    "fit: no draws": (["fit", "--draws", "0", "--tune", "-1"], ["--draws must be at least 1", "--tune must be at least 0"]),
    "forecast: a year outside the horizon": (["forecast", "--year", "2100"], ["--year 2100 is outside the forecast horizon 2026–2035"]),
    "forecast: every mistake at once": (
        ["forecast", "--year", "1999", "--scenario", "status_qou", "--lens", "nope"],
        ["--year 1999", "unknown scenario 'status_qou'", "did you mean 'status_quo'?", "nope"],
    ),
    "report: an unknown lens": (["report", "--lens", "baseline", "--lens", "nope"], ["nope"]),
    "report: no chains": (["report", "--chains", "0"], ["--chains must be at least 1"]),
    "stress: no draws": (["stress", "--draws", "0"], ["--draws must be at least 1"]),
    "stress: an unknown run": (["stress", "--run", "no-such-run"], ["no run 'no-such-run'"]),
    "runs reproduce: an unknown run": (["runs", "reproduce", "no-such-run"], ["no run 'no-such-run'"]),
    "validate sbc: bad counts": (
        ["validate", "sbc", "--sims", "0", "--thin-to", "0", "--chains", "0"],
        ["--sims must be at least 1", "--thin-to must be at least 1", "--chains must be at least 1"],
    ),
    "validate sbc: a sampler SBC cannot use": (["validate", "sbc", "--sampler", "pymc"], ["unknown sampler 'pymc'"]),
    "validate sbc: an unknown lens": (["validate", "sbc", "--lens", "baselin", "--sampler", "mock"], ["did you mean 'baseline'?"]),
    "validate backtest: no workers": (
        ["validate", "backtest", "--workers", "0", "--draws", "-5"],
        ["--workers must be at least 1", "--draws must be at least 1"],
    ),
    "validate backtest: an unknown lens": (["validate", "backtest", "--lens", "nope", "--sampler", "mock"], ["nope"]),
}


@pytest.mark.parametrize("args, expected", list(CASES.values()), ids=list(CASES))
def test_bad_options_fail_at_once_without_sampling(project_copy, no_sampling, monkeypatch, capsys, args, expected):
    code, err = invoke(monkeypatch, capsys, "--root", str(project_copy), *args)
    assert code == 2, err
    assert "Traceback" not in err
    flat = " ".join(err.split())
    for text in expected:
        assert text in flat, flat
