"""What determines a fit, as one key: equal keys mean the saved fit can be reused, not refitted.

A fit is a function of the model's equations (the code that builds and compiles it, and the
versions of the libraries that sample it), the data it is fitted to (the model's input arrays,
after all processing), the lens's *fitted* priors (their families and hyperparameter values —
not their provenance, and not the forecast-only priors, which never enter the fit) and the
sampler settings with the seed. The package's version string is not part of the key: it does
not change between commits, the source code does.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
from dataclasses import asdict
from functools import cache
from importlib import metadata

#: modules whose source defines the fitted model (their text is hashed)
MODEL_CODE = ("hedgecast.model.equations", "hedgecast.model.fit", "hedgecast.model.derived", "hedgecast.model.numba_cache", "hedgecast.model.nutpie_build")
#: modules whose source defines the forecast simulated from a fit
FORECAST_CODE = (
    "hedgecast.forecasting.forecast",
    "hedgecast.forecasting.simulate",
    "hedgecast.forecasting.scenarios",
    "hedgecast.forecasting.trajectories",
    "hedgecast.inputs.scenario_compose",  # how includes are applied (parts first, own settings win)
)
#: libraries whose versions can change the draws
SAMPLING_LIBRARIES = ("pymc", "pytensor", "nutpie", "numba", "numpy", "scipy")


@cache
def code_digest(modules: tuple[str, ...] = MODEL_CODE) -> str:
    """SHA-256 of the source of ``modules`` and the sampling libraries' versions."""
    h = hashlib.sha256()
    for name in modules:
        h.update(inspect.getsource(importlib.import_module(name)).encode())
    for lib in SAMPLING_LIBRARIES:
        h.update(f"{lib}={metadata.version(lib)};".encode())
    return h.hexdigest()


def fit_key(spec, lens, inputs, settings) -> str:
    """Return the key of fitting ``lens`` to ``inputs`` with ``settings`` under ``spec`` (hex SHA-256)."""
    from hedgecast.model.equations import hyperparameter_labels, hyperparameter_vector, prior_structure
    from hedgecast.model.fit import inputs_key

    parts = {
        "code": code_digest(),
        "spec": spec.sha256,
        "inputs": inputs_key(inputs),
        "structure": [list(s) for s in prior_structure(lens)],
        "hyperparameters": dict(zip(hyperparameter_labels(lens), hyperparameter_vector(lens).tolist(), strict=True)),
        "settings": asdict(settings),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def posterior_digest(idata) -> str:
    """SHA-256 of the posterior draws (every variable's name, dims and values): which draws a fit holds.

    Saved runs record it (``posterior_sha256`` in the manifest), so a fit loaded from a run
    knows it without reading its draws (:attr:`hedgecast.workbench.Fit.posterior_sha256`).
    """
    import numpy as np

    h = hashlib.sha256()
    for name in sorted(idata.posterior.data_vars):
        da = idata.posterior[name]
        h.update(f"{name}{da.dims}{da.shape}".encode())
        h.update(np.ascontiguousarray(da.values).tobytes())
    return h.hexdigest()


def forecast_key(fit, seed: int, scenarios) -> str:
    """The key of a forecast: the fit's key, the whole lens (its forecast-only priors included),
    the seed, the scenarios (by name, in order) and the forecasting code."""
    parts = {
        "fit": fit_key(fit.spec, fit.lens, fit.inputs, fit.settings),
        "lens": fit.lens.fingerprint(),
        "seed": int(seed),
        "scenarios": list(scenarios),
        "code": code_digest(FORECAST_CODE),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
