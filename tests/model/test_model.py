import numpy as np
import pymc as pm
from pymc_extras.prior import Prior

from hedgecast.model.equations import (
    HYPERPARAMETERS,
    build_model,
    hyper_name,
    hyperparameter_labels,
    hyperparameter_values,
    hyperparameter_vector,
    model_inputs,
    prior_structure,
)


def test_model_has_named_dims_and_every_prior(workbench, spec, baseline):
    model = build_model(spec, baseline, workbench.inputs)
    names = {rv.name for rv in model.free_RVs}
    assert {"beta", "war_effect", "rho", "sigma", "nu", "cushion", "leverage_shift", "path", "noise"} <= names
    assert model.named_vars_to_dims["beta"] == ("channel", "driver")
    assert model.named_vars_to_dims["state"] == ("channel", "year")
    assert list(model.coords["year"]) == list(range(2000, 2026))


def test_missing_years_are_kept_not_dropped(workbench, spec):
    inputs = model_inputs(spec, workbench.history)
    observed = np.isfinite(inputs.standardized[spec.indicator_names].to_numpy()).sum()
    assert len(inputs.obs_value) == observed
    # every year is in the latent state, even years where most indicators are missing
    assert inputs.years == list(range(2000, 2026))
    assert np.isfinite(inputs.standardized.loc[2025]).sum() <= 1
    missing = ~np.isfinite(inputs.standardized[spec.indicator_names].to_numpy())
    assert missing.sum() > 0 and len(inputs.obs_value) + missing.sum() == missing.size


def test_prior_edit_changes_data_not_structure(spec, baseline, workbench):
    edited = baseline.derive("edited").with_prior("cushion", Prior("Normal", mu=1.0, sigma=0.1), reason="test")
    assert prior_structure(edited) == prior_structure(baseline)
    before, after = hyperparameter_values(baseline), hyperparameter_values(edited)
    assert after[hyper_name("cushion", "Normal", "mu")] == 1.0 != before[hyper_name("cushion", "Normal", "mu")]
    # the built model's log-density at a point moves with the prior values, through data only
    model = build_model(spec, baseline, workbench.inputs)
    point = model.initial_point()
    logp = model.compile_logp()
    lp_before = logp(point)
    with model:
        pm.set_data({HYPERPARAMETERS: hyperparameter_vector(edited)})
    assert logp(point) != lp_before


def test_hyperparameters_are_one_labelled_data_vector(spec, baseline, workbench):
    model = build_model(spec, baseline, workbench.inputs)
    vector, labels = hyperparameter_vector(baseline), hyperparameter_labels(baseline)
    assert len(vector) == len(labels) == len(set(labels))
    np.testing.assert_array_equal(model[HYPERPARAMETERS].get_value(), vector)
    assert list(model.coords["hyperparameter"]) == labels
    # every fitted prior's every parameter is in the vector, under its own label
    assert labels.index("cushion:mu") >= 0 and vector[labels.index("cushion:mu")] == float(baseline.prior("cushion").parameters["mu"])
    sigma = baseline.prior("beta.political.leader_ties").parameters["sigma"]
    assert vector[labels.index("beta.political.leader_ties:sigma")] == float(sigma)
    # the named arrays and the flat vector hold the same numbers in the same order
    np.testing.assert_array_equal(np.concatenate([v.ravel() for v in hyperparameter_values(baseline).values()]), vector)


def test_mixed_distribution_families_in_one_group(spec, baseline, workbench):
    mixed = baseline.derive("mixed").with_prior(
        "beta.economic.energy_leverage", Prior("StudentT", nu=4, mu=0.5, sigma=0.3), reason="fat-tailed belief"
    )
    model = build_model(spec, mixed, workbench.inputs)
    assert model.named_vars_to_dims["beta"] == ("channel", "driver")
    assert {"beta_Normal", "beta_StudentT"} <= {rv.name for rv in model.free_RVs}
