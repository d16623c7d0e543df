"""Simulation-based calibration, step two: refit a simulated history.

The refit swaps the simulated ``obs_value``, ``incident_counts`` and ``escalation_counts`` into
the compiled nutpie model with ``with_data`` (no recompile). That this really changes the likelihood is
checked once per model and process against PyMC's own log density
(:func:`check_data_swap`), before any simulation is fitted. The ``mock`` sampler returns
prior draws instead (independent of the data, so ranks are exactly uniform; for tests).
"""

from __future__ import annotations

import ctypes
import warnings

import arviz as az
import numpy as np
import pymc as pm

from hedgecast.inputs.spec import ModelSpec
from hedgecast.model.equations import ModelInputs
from hedgecast.model.fit import SamplerSettings, compiled_model, quiet_sampling_log, run_nutpie
from hedgecast.priors.lenses import Lens
from hedgecast.validate.simulate_history import model_key, parameter_groups_in

_SWAP_CHECKED: set[str] = set()


def mock_draws(model, groups: list[str], n: int, seed: int) -> dict[str, np.ndarray]:
    """Prior draws dressed as posterior draws: independent of the data, so ranks are exactly uniform."""
    with model, quiet_sampling_log():
        prior = pm.sample_prior_predictive(
            draws=n, var_names=groups, random_seed=np.random.default_rng([seed, 2]), compile_kwargs={"mode": "FAST_COMPILE"}
        )
    return {g: prior.prior[g].values.reshape(n, -1) for g in groups}


def nutpie_logp(compiled, x: np.ndarray) -> float:
    """Return the compiled nutpie model's log density at the unconstrained point ``x`` (NaN if it fails)."""
    x = np.ascontiguousarray(x, dtype=float)
    grad = np.zeros_like(x)
    out = np.zeros(())
    ptr = ctypes.POINTER(ctypes.c_double)
    code = compiled.compiled_logp_func.ctypes(
        x.size, x.ctypes.data_as(ptr), grad.ctypes.data_as(ptr), out.ctypes.data_as(ptr), compiled.user_data.ctypes.data
    )
    return float(out) if code == 0 else float("nan")


def check_data_swap(compiled, model, obs_value: np.ndarray, counts: dict[str, np.ndarray]) -> dict:
    """Check that swapping observed data into the compiled nutpie model really changes its likelihood.

    ``compiled.with_data(obs_value=…, incident_counts=…, escalation_counts=…)`` must give the
    log density PyMC gives with the same data set in ``model`` (and a different one than the
    original data).

    Raises ``RuntimeError`` if nutpie ignores the swapped data (e.g. if the observed
    data were frozen into the compiled graph) or disagrees with PyMC.
    """
    point = model.initial_point()
    x = np.concatenate([np.asarray(point[v.name], dtype=float).ravel() for v in model.value_vars])
    new = {"obs_value": obs_value, **counts}
    old = {name: model[name].get_value().copy() for name in new}
    swapped = compiled.with_data(**new)
    with warnings.catch_warnings():
        # PyTensor's C VM checks a reference count after building a function; in a dask
        # worker, its other threads make that self-check fire spuriously
        warnings.filterwarnings("ignore", message="Detected reference count inconsistency", category=UserWarning)
        try:
            with model:
                pm.set_data(new)
            want = float(model.compile_logp()(point))
        finally:
            with model:
                pm.set_data(old)
        before = float(model.compile_logp()(point))
    got = nutpie_logp(swapped, x)
    ok = np.isfinite(got) and abs(got - want) <= 1e-6 * max(1.0, abs(want)) and abs(want - before) > 1e-9
    out = {"pymc_logp": want, "nutpie_logp": got, "pymc_logp_original_data": before, "ok": bool(ok)}
    if not ok:
        raise RuntimeError(f"swapping observed data into the compiled nutpie model does not change its likelihood as PyMC's: {out}")
    return out


def refit_draws(
    spec: ModelSpec, lens: Lens, inputs: ModelInputs, settings: SamplerSettings, y: np.ndarray, counts: dict[str, np.ndarray], seed: int, model
) -> tuple[dict[str, np.ndarray], dict]:
    """Refit the simulated data (indicators ``y`` and the yearly incident and escalation ``counts``);
    returns ``{group: (samples, k)}`` and sampler diagnostics."""
    groups = parameter_groups_in(model)
    if settings.sampler == "mock":
        return mock_draws(model, groups, settings.draws * settings.chains, seed), {
            "divergences": 0,
            "max_rhat": float("nan"),
            "min_ess_bulk": float("nan"),
        }
    compiled = compiled_model(spec, lens, inputs).nutpie_model(lens)
    key = model_key(spec, lens, inputs)
    if key not in _SWAP_CHECKED:
        check_data_swap(compiled, model, y, counts)
        _SWAP_CHECKED.add(key)
    swapped = compiled.with_data(obs_value=y, **counts)
    # one thread per dask worker: workers, not chains, are the parallel unit
    idata = run_nutpie(swapped, settings, seed=seed, cores=1)
    post = idata.posterior[groups]
    rhat = az.rhat(post)
    ess = az.ess(post, method="bulk")
    n = settings.draws * settings.chains
    draws = {g: post[g].values.reshape(n, -1) for g in groups}
    with warnings.catch_warnings():
        # with a single chain R-hat is undefined (all NaN): NumPy warns on the all-NaN max, the result is NaN
        warnings.filterwarnings("ignore", message="All-NaN slice encountered", category=RuntimeWarning)
        diag = {
            "divergences": int(idata.sample_stats["diverging"].sum()),
            "max_rhat": float(max(np.nanmax(np.asarray(v.values, dtype=float)) for v in rhat.data_vars.values())),
            "min_ess_bulk": float(min(np.nanmin(np.asarray(v.values, dtype=float)) for v in ess.data_vars.values())),
        }
    return draws, diag


__all__ = ["check_data_swap", "mock_draws", "nutpie_logp", "refit_draws"]
