"""A fast smoke test of benchmarks/run.py: the real growth code on a mocked fit, the table and RESULT line."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import importlib

    return importlib.import_module("run")


def test_growth_is_measured_for_each_size(bench, mock_fit):
    rows = bench.bench_growth(mock_fit, [50, 200], [3, 12], seed=1)
    assert [(r["draws"], r["scenarios"]) for r in rows] == [(50, 3), (50, 12), (200, 3), (200, 12)]
    assert all(r["forecast_s"] > 0 and r["peak_mb"] > 0 for r in rows)
    big, small = rows[-1], rows[0]
    assert big["peak_mb"] > small["peak_mb"]


def test_edits_are_timed_as_medians_of_distinct_edits(bench, mock_fit, workbench):
    fc = mock_fit.forecast()
    e = bench.bench_edits(workbench, mock_fit, fc, edits=3, refits=1)
    assert len(e["reweight_all_s"]) == 3 and len(e["warm_refit_all_s"]) == 1
    assert e["reweight_s"] == sorted(e["reweight_all_s"])[1] and e["reweight_first_s"] == e["reweight_all_s"][0]
    assert e["warm_refit_s"] > 0 and e["pareto_k"] == e["pareto_k"]  # k̂ is a number


def test_linear_fit_recovers_a_line_and_flags_a_curve(bench):
    rows = [{"draws": d, "scenarios": s, "t": 0.2 + 3e-6 * d * s} for d in (100, 400, 1600) for s in (3, 12)]
    fit = bench.linear_fit(rows, "t")
    assert fit["slope"] == pytest.approx(3e-6) and fit["intercept"] == pytest.approx(0.2) and fit["r2"] == pytest.approx(1.0)
    curved = [{**r, "t": (r["draws"] * r["scenarios"]) ** 2} for r in rows]
    assert bench.linear_fit(curved, "t")["r2"] < 0.99


def test_main_prints_the_table_and_the_result_line(bench, monkeypatch, capsys, tmp_path, workbench):
    fake_sampler = {"compile_s": 1.0, "sample_s": 2.0, "min_bulk_ess": 300.0, "divergences": 0}
    monkeypatch.setattr(bench, "bench_samplers", lambda *a, **k: {"baseline": {**fake_sampler, "min_bulk_ess": 30.0}, "hedgecast": dict(fake_sampler)})
    monkeypatch.setattr(bench, "bench_edits", lambda *a, **k: {"reweight_s": 0.01, "reweight_first_s": 0.03, "reweight_all_s": [0.03, 0.01, 0.01], "warm_refit_s": 5.0, "warm_refit_all_s": [5.0], "pareto_k": 0.1})
    stages = {"total": 40.0, "forecast": 2.0, "compile": 20.0}
    monkeypatch.setattr(
        bench,
        "bench_report",
        lambda quick, cold=True: {"full_s": 50.0, "full_stages": stages, "edit_s": 25.0, "edit_stages": stages, "unchanged_s": 9.0, "unchanged_stages": stages, "edited_prior": "cushion"},
    )
    real_fit = workbench.fit

    def mock_fit(lens, settings=None, **kw):
        return real_fit(lens, sampler="mock", draws=50, chains=2, seed=1)

    monkeypatch.setattr(type(workbench), "fit", lambda self, lens, settings=None, **kw: mock_fit(lens))
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    (tmp_path / "models").symlink_to(ROOT / "models")
    (tmp_path / "data").symlink_to(ROOT / "data")
    (tmp_path / "pyproject.toml").symlink_to(ROOT / "pyproject.toml")
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(
        r"RESULT ess_per_s_ratio=[0-9.]+ reweight_speedup=[0-9.]+ forecast_share=[0-9.]+ report_full_s=50.0 report_edit_s=25.0 "
        r"report_unchanged_s=9.0 compile_new_process_s=1.0",
        last,
    ), last
    assert "ess_per_s_ratio=10.00" in last and "reweight_speedup=500.0" in last and "forecast_share=0.0500" in last
    saved = json.loads((tmp_path / "reports" / "benchmarks.json").read_text())
    assert saved["result"]["ess_per_s_ratio"] == pytest.approx(10.0)


def test_the_benchmarks_prior_edit_changes_one_number_of_one_prior(bench, tmp_path):
    lens = tmp_path / "kusa_2022.toml"
    lens.write_text((ROOT / "models" / "lenses" / "kusa_2022.toml").read_text(encoding="utf-8"), encoding="utf-8")
    before = lens.read_text(encoding="utf-8").splitlines()
    assert bench.edit_one_prior(lens) == "cushion"
    after = lens.read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1 and changed[0][0].split("=")[0] == changed[0][1].split("=")[0]


def test_the_pymc_docs_baseline_has_the_same_crisis_likelihood(monkeypatch, workbench, baseline):
    """benchmarks/baseline_model.py scores incidents and escalations as hedgecast's model does, at random parameter values."""
    import numpy as np

    from hedgecast.model.equations import build_model
    from hedgecast.priors.groups import CRISIS_GROUPS

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import importlib

    theirs = importlib.import_module("baseline_model").build_baseline_model(workbench.spec, baseline, workbench.inputs)
    ours = build_model(workbench.spec, baseline, workbench.inputs)
    rng = np.random.default_rng(3)
    values = {g: rng.normal(0.0, 0.7, size=np.shape(ours.initial_point()[g])) for g in CRISIS_GROUPS}
    for _ in range(3):
        logps = []
        for model in (ours, theirs):
            point = {**model.initial_point(), **values}
            logps.append(float(model.compile_logp(vars=[model["incidents"], model["escalations"]])(point)))
        assert logps[0] == pytest.approx(logps[1], rel=1e-10)
        values = {g: v + rng.normal(0.0, 0.5, size=np.shape(v)) for g, v in values.items()}


def test_the_pymc_docs_baseline_has_the_same_state_equation_and_likelihood(monkeypatch, workbench, baseline):
    """The scan baseline's latent path, built from innovations, is the path hedgecast's model scores:

    at random parameters and innovations, hedgecast's path log-density at the baseline's states minus
    the baseline's innovation log-density is the same for every draw of the innovations (the log of the
    shock scales, a function of the parameters only: it would move with them if the states differed),
    and the indicators' log-likelihood at those states is the same in both models.
    """
    import numpy as np

    from hedgecast.model.equations import build_model

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import importlib

    theirs = importlib.import_module("baseline_model").build_baseline_model(workbench.spec, baseline, workbench.inputs)
    ours = build_model(workbench.spec, baseline, workbench.inputs)
    state = theirs.compile_fn(theirs.replace_rvs_by_values([theirs["state"]])[0], inputs=theirs.value_vars, on_unused_input="ignore")
    path_logp = ours.compile_logp(vars=[ours["path"]], sum=True)
    eps_logp = theirs.compile_logp(vars=[theirs["eps"]], sum=True)
    y_ours, y_theirs = ours.compile_logp(vars=[ours["y"]]), theirs.compile_logp(vars=[theirs["y"]])
    rng = np.random.default_rng(5)
    start = ours.initial_point()
    for _ in range(2):  # two parameter points
        params = {k: v + rng.normal(0.0, 0.3, size=np.shape(v)) for k, v in start.items() if k != "path"}
        gaps = []
        for _ in range(3):  # three draws of the innovations at the same parameters
            eps = rng.standard_t(5.0, size=theirs.initial_point()["eps"].shape)
            point_theirs = {**params, "eps": eps}
            states = state(point_theirs)
            point_ours = {**params, "path": states[:, 1:]}
            gaps.append(float(path_logp(point_ours)) - float(eps_logp(point_theirs)))
            assert float(y_ours(point_ours)) == pytest.approx(float(y_theirs(point_theirs)), rel=1e-9)
        assert gaps == pytest.approx([gaps[0]] * len(gaps), rel=1e-9, abs=1e-9)
