"""Simulation-based calibration, step one: draw a parameter set from the prior and the history it implies.

The history is simulated by the PyMC model itself (the one definition of the model):
incidents and their escalations first (which set the crisis years), then the latent path
given those crises, then the indicators on exactly the observed cells. Each thread gets its
own copy of the model, whose data the simulation changes freely.
"""

from __future__ import annotations

import threading
from typing import Any

import arviz as az
import numpy as np
import pymc as pm
import xarray as xr

from hedgecast.inputs.spec import ModelSpec
from hedgecast.model.equations import ESCALATION_COUNTS, INCIDENT_COUNTS, ModelInputs, build_model
from hedgecast.model.fit import inputs_key, quiet_sampling_log
from hedgecast.priors.lenses import FIT_GROUPS, Lens

_GENERATORS: dict[str, Any] = {}


def model_key(spec: ModelSpec, lens: Lens, inputs: ModelInputs) -> str:
    """Identify a model by its spec, lens and data."""
    return f"{spec.sha256}|{spec.path}|{lens.fingerprint()}|{inputs_key(inputs)}"


def generator_model(spec: ModelSpec, lens: Lens, inputs: ModelInputs):
    """Return a private copy of the PyMC model for forward simulation (its data is changed freely).

    One per thread, so thread-based workers never share a model whose data they change.
    """
    key = f"{model_key(spec, lens, inputs)}|{threading.get_ident()}"
    if key not in _GENERATORS:
        _GENERATORS[key] = build_model(spec, lens, inputs)
    return _GENERATORS[key]


def parameter_groups_in(model) -> list[str]:
    """List the parameter groups SBC ranks (every prior group the model has), in lens order."""
    return [g for g in FIT_GROUPS if g in model.named_vars]


def parameter_labels(model) -> list[str]:
    """One dotted label per scalar parameter (``beta.economic.energy_leverage``), flattening in C order."""
    labels = []
    for g in parameter_groups_in(model):
        dims = model.named_vars_to_dims.get(g) or ()
        if not dims:
            labels.append(g)
            continue
        grids = [[str(c) for c in model.coords[d]] for d in dims]
        for combo in np.ndindex(*[len(x) for x in grids]):
            labels.append(".".join([g, *(grids[k][i] for k, i in enumerate(combo))]))
    return labels


def simulate_history(model, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, np.ndarray]]:
    """Draw parameters from the prior and the history they imply.

    Returns ``(truth, obs_value, counts)``: the true value of every parameter group (and of
    the latent ``path``, under that key), the simulated indicators on the model's observed
    cells, and the simulated yearly counts as the model's data names them
    (``{"incident_counts": …, "escalation_counts": …}``). Incidents and escalations are drawn
    first (escalations given the drawn incidents) and set as the model's data, where they make
    the crisis years that hit the latent path, exactly as the fitted model's joint density has
    it. ``model``'s counts are left at the simulated values.
    """
    groups = parameter_groups_in(model)
    rng = np.random.default_rng([seed, 1])
    with model, quiet_sampling_log():
        first = pm.sample_prior_predictive(
            draws=1, var_names=[*groups, "incidents", "escalations"], random_seed=rng, compile_kwargs={"mode": "FAST_COMPILE"}
        )
        counts = {
            INCIDENT_COUNTS: np.asarray(first.prior_predictive["incidents"].values[0, 0], dtype=np.int64),
            ESCALATION_COUNTS: np.asarray(first.prior_predictive["escalations"].values[0, 0], dtype=np.int64),
        }
        pm.set_data(counts)
        # constant_data = the data as now set: without it PyMC treats every pm.Data (the
        # hyper_* priors too) as changed and would redraw the parameters instead of using the truth
        trace = az.InferenceData(posterior=first.prior[groups], constant_data=data_snapshot(model))
        second = pm.sample_posterior_predictive(
            trace, var_names=["path", "y"], random_seed=rng, progressbar=False, compile_kwargs={"mode": "FAST_COMPILE"}
        )
    truth = {g: np.asarray(first.prior[g].values[0, 0], dtype=float) for g in groups}
    truth["path"] = np.asarray(second.posterior_predictive["path"].values[0, 0], dtype=float)
    y = np.asarray(second.posterior_predictive["y"].values[0, 0], dtype=float)
    return truth, y, counts


def data_snapshot(model) -> xr.Dataset:
    """Every ``pm.Data`` of ``model`` at its current value (generic dim names: only values are compared)."""
    out = {}
    for var in model.data_vars:
        value = np.asarray(var.get_value())
        out[var.name] = ([f"{var.name}_dim_{k}" for k in range(value.ndim)], value)
    return xr.Dataset(out)


__all__ = ["data_snapshot", "generator_model", "model_key", "parameter_groups_in", "parameter_labels", "simulate_history"]
