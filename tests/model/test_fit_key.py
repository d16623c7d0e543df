"""Fit only what changed: a fit is keyed by what determines it, and a saved passing fit with the same key is reused."""

from __future__ import annotations

import numpy as np
import pytest
from pymc_extras.prior import Prior

from hedgecast.model.fit import Diagnostics, SamplerSettings
from hedgecast.model.fit_key import fit_key
from hedgecast.runs import save_run
from hedgecast.workbench import Workbench

PASSING = Diagnostics(1.001, 1000.0, 1000.0, 0, 40)
MOCK = SamplerSettings(draws=20, chains=2, tune=0, sampler="mock", seed=3)


@pytest.fixture
def wb(project_copy):
    return Workbench.load(project_copy)


def test_the_key_follows_what_determines_the_fit_and_nothing_else(wb):
    lens = wb.lens("baseline")
    key = fit_key(wb.spec, lens, wb.inputs, MOCK)
    assert key == fit_key(wb.spec, wb.lens("baseline"), wb.inputs, MOCK)
    assert key != fit_key(wb.spec, lens, wb.inputs, SamplerSettings(draws=20, chains=2, tune=0, sampler="mock", seed=4))
    assert key != fit_key(wb.spec, wb.lens("kusa_2022"), wb.inputs, MOCK)
    edited = lens.priors["cushion"].prior
    moved = Prior(edited.distribution, **{k: float(v) * 1.1 for k, v in edited.parameters.items()})
    assert key != fit_key(wb.spec, _with(lens, "cushion", moved), wb.inputs, MOCK)
    # provenance and forecast-only priors do not enter the fit
    assert key == fit_key(wb.spec, _with(lens, "cushion", edited, reason="a different reason"), wb.inputs, MOCK)
    war = lens.priors["war_transition.attrition"].prior
    assert key == fit_key(wb.spec, _with(lens, "war_transition.attrition", Prior("Dirichlet", a=[float(a) + 1 for a in war.parameters["a"]])), wb.inputs, MOCK)
    assert key != fit_key(wb.spec, lens, type(wb.inputs)(**{**wb.inputs.__dict__, "obs_value": wb.inputs.obs_value + 1e-9}), MOCK)


def test_the_key_changes_with_the_incident_inclusion_rule(wb):
    """Another inclusion rule is other data: another key, even where two rules count the same incidents."""
    lens = wb.lens("baseline")
    keys = {level: fit_key(wb.spec, lens, wb.inputs_for(lens, inclusion=level), MOCK) for level in ("strict", "main", "loose")}
    assert len(set(keys.values())) == 3
    assert keys["main"] == fit_key(wb.spec, lens, wb.inputs, MOCK)  # the spec's rule is main
    relabelled = type(wb.inputs)(**{**wb.inputs.__dict__, "inclusion": "loose"})
    assert fit_key(wb.spec, lens, relabelled, MOCK) != keys["main"]


def test_a_fit_under_another_inclusion_rule_is_reused_as_itself(wb):
    strict = wb.fit_or_reuse("baseline", MOCK, inclusion="strict")
    assert strict.reused_from is None and strict.inputs.inclusion == "strict"
    assert list(strict.inputs.incidents) != list(wb.inputs.incidents)
    strict.diagnostics = PASSING
    run = save_run(strict, None, wb.paths, headline={})
    assert run.manifest["inclusion"] == "strict"
    again = wb.fit_or_reuse("baseline", MOCK, inclusion="strict")
    assert again.reused_from == run.id and again.inputs.inclusion == "strict"
    np.testing.assert_array_equal(again.inputs.incidents, strict.inputs.incidents)
    assert wb.fit_or_reuse("baseline", MOCK).reused_from is None  # the main rule is another fit


def _with(lens, name, prior, reason="edited in a test"):
    return lens.with_prior(name, prior, reason=reason)


def test_a_second_fit_with_unchanged_inputs_is_reused_and_an_edited_lens_refits(wb, monkeypatch):
    first = wb.fit_or_reuse("baseline", MOCK)
    assert first.reused_from is None
    first.diagnostics = PASSING  # prior draws never pass real diagnostics; this stands for a good fit
    run = save_run(first, None, wb.paths, headline={})
    calls = []
    import hedgecast.workbench as workbench_module

    real = workbench_module.sample_posterior
    monkeypatch.setattr(workbench_module, "sample_posterior", lambda *a, **k: calls.append(a[1].name) or real(*a, **k))
    again = wb.fit_or_reuse("baseline", MOCK)
    assert again.reused_from == run.id and calls == []
    assert (again.idata.posterior["mu"].values == first.idata.posterior["mu"].values).all()
    assert wb.fit_or_reuse("baseline", MOCK, refit=True).reused_from is None and calls == ["baseline"]
    edited = _with(wb.lens("baseline"), "cushion", Prior("Gamma", alpha=3.0, beta=2.0))
    assert wb.fit_or_reuse(edited, MOCK).reused_from is None and calls == ["baseline", "baseline"]
    assert wb.fit_or_reuse("kusa_2022", MOCK).reused_from is None


def test_a_run_whose_diagnostics_failed_is_never_reused(wb):
    fit = wb.fit("baseline", MOCK)
    fit.diagnostics = Diagnostics(1.0, 1000.0, 1000.0, 5, 40)
    save_run(fit, None, wb.paths, headline={})
    assert wb.fit_or_reuse("baseline", MOCK).reused_from is None
