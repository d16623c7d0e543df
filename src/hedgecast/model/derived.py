"""A fit's derived groups — log-likelihood, log prior, posterior predictive — over all draws at once.

PyMC's :func:`pymc.compute_log_likelihood`, :func:`pymc.compute_log_prior` and
:func:`pymc.sample_posterior_predictive` each rewrite and compile a function of *one* draw and
call it once per draw from Python (8,000 calls a fit at the report's size, three compiles).
:class:`DerivedGroups` evaluates the *same* PyMC graphs — the model's own elementwise log
density terms (``model.logp(vars, sum=False)`` of the model without value transforms, as
PyMC's functions take them) and the model's own observed random variables — vectorized over a
leading sample dimension by PyTensor's :func:`~pytensor.graph.replace.vectorize_graph`, in
one compiled function called once per fit. Nothing is written twice: the equations stay in
:mod:`hedgecast.model.equations` (``tests/model/test_derived.py`` checks the numbers against
PyMC's own functions).

The posterior predictive is drawn conditional on the posterior draws of every free variable
(replicated ``y``, ``incidents``, ``escalations``; ``y_all`` the model's imputation of every
indicator in every year). The function is built from the imputation model
(:attr:`hedgecast.model.fit.CompiledModel.predictive_model`) and reads the current data of the
fitted model (its lens's hyperparameters, driver codings and counts) at every call, so one
build serves every lens of a compiled model.

Building, rewriting and compiling that function took 3–4 s in every new process. So the
compiled function is pickled under PyTensor's ``base_compiledir`` (beside the nutpie model's
cache, :mod:`hedgecast.model.nutpie_build`), keyed by :func:`derived_key` — the fitted model's
log density and the forward graph of the replicated variables, with this module's source and
the libraries' versions: a new process meets the same model and loads the function (about
1 s), without building its graph; a changed equation or library compiles afresh.
"""

from __future__ import annotations

import inspect
import logging
import pickle
import sys

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from arviz.data.base import dict_to_dataset
from pymc.backends.arviz import coords_and_dims_for_inferencedata
from pymc.model.transform.conditioning import remove_value_transforms
from pymc.pytensorf import compile as compile_pymc
from pymc.pytensorf import reseed_rngs
from pytensor.graph.replace import vectorize_graph
from pytensor.graph.rewriting.utils import rewrite_graph
from pytensor.tensor.blockwise import Blockwise
from pytensor.tensor.random.var import RandomGeneratorSharedVariable

from hedgecast.dims import SAMPLE_DIMS
from hedgecast.files import write_atomic
from hedgecast.model.nutpie_build import cache_file, graph_key

log = logging.getLogger(__name__)

#: the variables replicated in ``posterior_predictive``, in its order
PREDICTIVE = ("y", "incidents", "escalations", "y_all")


class DerivedGroups:
    """One compiled function of all draws: log-likelihood, log prior and posterior predictive.

    Posterior draws of the free variables in; every observed variable's pointwise
    log-likelihood, every free variable's log prior density and the posterior predictive
    draws out.

    ``model`` is the fitted model (its data are read at each call), ``predictive`` the same
    model with ``y_all`` (:func:`hedgecast.model.equations.build_model` with ``impute=True``).
    """

    def __init__(self, model: pm.Model, predictive: pm.Model, model_logp=None):
        self.model = model
        self.free = [rv.name for rv in model.free_RVs]
        if missing := {v.name for v in model.data_vars} - set(predictive.named_vars):
            raise ValueError(f"the predictive model lacks the fitted model's data {sorted(missing)}")
        path = cache_file(derived_key(model, predictive, model_logp), ".derived.pkl")
        loaded = _load(path)
        if loaded is None:
            untransformed = remove_value_transforms(predictive)  # the trace holds untransformed values, as in PyMC's compute_log_density
            observed = [rv.name for rv in untransformed.observed_RVs]  # in PyMC's order (its compute_log_likelihood's)
            inputs, outputs = _graph(untransformed, self.free, observed)
            with untransformed:  # its check_bounds, as the model's own compile_fn
                loaded = compile_pymc(inputs, outputs, on_unused_input="ignore"), observed
            _store(path, loaded)
        self.fn, self.observed = loaded
        # the function's own shared variables (a loaded function has its own copies): the data
        # :meth:`__call__` copies the fitted model's values into, and the random generators it
        # seeds, in the function's input order (the same for a built and a loaded function)
        shared = self.fn.get_shared()
        data_names = {v.name for v in model.data_vars}
        self.data = {v.name: v for v in shared if v.name in data_names}
        self.rngs = [v for v in shared if isinstance(v, RandomGeneratorSharedVariable)]
        self.dtypes = [i.variable.type.dtype for i in self.fn.maker.inputs[: len(self.free)]]
        self.coords, self.dims = coords_and_dims_for_inferencedata(model)
        self.predictive_dims = coords_and_dims_for_inferencedata(predictive)[1]
        self.predictive_coords = {k: v for k, v in predictive.coords.items() if v is not None}

    def __call__(self, posterior: xr.Dataset, seed) -> dict[str, xr.Dataset]:
        """``log_likelihood``, ``log_prior`` and ``posterior_predictive`` of these posterior draws.

        ``seed`` seeds the predictive draws (anything :class:`numpy.random.SeedSequence` takes).
        """
        for name, var in self.data.items():
            var.set_value(self.model[name].get_value())
        reseed_rngs(self.rngs, seed)
        sample_shape = tuple(posterior.sizes[d] for d in SAMPLE_DIMS)
        n = int(np.prod(sample_shape))
        args = []
        for name, dtype in zip(self.free, self.dtypes, strict=True):
            value = posterior[name].transpose(*SAMPLE_DIMS, ...).values
            args.append(np.ascontiguousarray(value.reshape(n, *value.shape[2:]), dtype=dtype))
        out = [np.asarray(o).reshape(*sample_shape, *np.shape(o)[1:]) for o in self.fn(*args)]
        k, m = len(self.observed), len(self.observed) + len(self.free)
        coords = {**self.coords, **{d: posterior[d].values for d in SAMPLE_DIMS}}

        def dataset(names, values, dims, coords_, skip) -> xr.Dataset:
            return dict_to_dataset(
                dict(zip(names, values, strict=True)),
                library=pm,
                dims=dims,
                coords=coords_,
                default_dims=list(SAMPLE_DIMS),
                skip_event_dims=skip,
            )

        pp_coords = {**{k_: np.asarray(v) for k_, v in self.predictive_coords.items()}, **{d: posterior[d].values for d in SAMPLE_DIMS}}
        return {
            "log_likelihood": dataset(self.observed, out[:k], self.dims, coords, True),
            "log_prior": dataset(self.free, out[k:m], self.dims, coords, True),
            "posterior_predictive": dataset(PREDICTIVE, out[m:], self.predictive_dims, pp_coords, False),
        }


def derived_key(model: pm.Model, predictive: pm.Model, model_logp=None) -> str:
    """Return the key of the derived-groups function of ``model``: what it computes, without building it.

    The fitted model's log density (``model_logp``, as nutpie samples it; every distribution,
    parameter expression, transform and data shape) and the predictive model's forward graph of
    the replicated variables given the free ones (``y_all`` included), digested by
    :func:`~hedgecast.model.nutpie_build.graph_key` with this module's source and the libraries'
    versions. The function's log densities are the same distributions' without transforms.
    """
    from pytensor.graph.replace import clone_replace

    named = predictive.named_vars
    given = {named[n]: named[n].type(name=n) for n in (rv.name for rv in model.free_RVs)}
    forward = clone_replace([named[n] for n in PREDICTIVE], replace=given)
    logp = model.logp() if model_logp is None else model_logp
    return graph_key([logp, *forward], extra=("derived groups", inspect.getsource(sys.modules[__name__]), predictive.check_bounds))


def _graph(untransformed: pm.Model, free: list[str], observed: list[str]) -> tuple[list, list]:
    """Return the one function's graph: free variables' draws (a leading sample axis) in; log densities and predictive draws out."""
    named = untransformed.named_vars
    inputs = [pt.tensor(name=n, dtype=named[n].dtype, shape=(None, *named[n].type.shape)) for n in free]
    replace = {}
    for name, batch in zip(free, inputs, strict=True):
        replace[untransformed.rvs_to_values[named[name]]] = batch  # in the log densities
        replace[named[name]] = batch  # in the forward (predictive) graph
    densities = untransformed.logp(vars=[named[n] for n in (*observed, *free)], sum=False)
    # shapes folded to constants first (part of what compiling does anyway): vectorizing is then 0.2 s, not 1 s
    densities = rewrite_graph(densities, include=("canonicalize",))
    return inputs, vectorize_graph([*densities, *(named[n] for n in PREDICTIVE)], replace=replace)


def _store(path, loaded: tuple) -> None:
    """Pickle the function and its observed variables' order to ``path`` (best effort: what cannot be kept is rebuilt next time)."""
    for node in loaded[0].maker.fgraph.apply_nodes:
        if isinstance(node.op, Blockwise):  # a closure PyTensor caches on the node; rebuilt on first use
            node.tag.__dict__.pop("gufunc", None)
    try:
        write_atomic(path, pickle.dumps(loaded, protocol=pickle.HIGHEST_PROTOCOL))
    except (OSError, pickle.PicklingError, AttributeError, TypeError) as err:
        log.warning("the derived-groups function was not cached (%s): it is rebuilt in every new process", err)


def _load(path):
    """Return the function and observed order pickled at ``path``, or None when there is none or it cannot be read (then rebuilt).

    The file is this machine's own compile cache (as PyTensor's, which pickles too), never shared input.
    """
    if not path.exists():
        return None
    try:
        return pickle.loads(path.read_bytes())  # noqa: S301 — written by _store on this machine
    except Exception as err:  # a damaged or incompatible cache entry is rebuilt, never fatal
        log.warning("the cached derived-groups function %s could not be loaded (%s): rebuilding it", path, err)
        return None
