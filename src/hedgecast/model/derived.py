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
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from arviz.data.base import dict_to_dataset
from pymc.backends.arviz import coords_and_dims_for_inferencedata
from pymc.model.transform.conditioning import remove_value_transforms
from pymc.pytensorf import compile as compile_pymc
from pymc.pytensorf import find_rng_nodes, reseed_rngs
from pytensor.graph.replace import vectorize_graph
from pytensor.graph.rewriting.utils import rewrite_graph

from hedgecast.dims import SAMPLE_DIMS

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

    def __init__(self, model: pm.Model, predictive: pm.Model):
        self.model = model
        self.free = [rv.name for rv in model.free_RVs]
        untransformed = remove_value_transforms(predictive)  # the trace holds untransformed values, as in PyMC's compute_log_density
        self.observed = [rv.name for rv in untransformed.observed_RVs]  # in PyMC's order
        named = untransformed.named_vars
        if missing := {v.name for v in model.data_vars} - set(named):
            raise ValueError(f"the predictive model lacks the fitted model's data {sorted(missing)}")
        # the clone holds copies of the data: :meth:`__call__` copies the fitted model's values in
        self.data = {v.name: named[v.name] for v in model.data_vars}
        self.inputs = [pt.tensor(name=n, dtype=named[n].dtype, shape=(None, *named[n].type.shape)) for n in self.free]
        replace = {}
        for name, batch in zip(self.free, self.inputs, strict=True):
            replace[untransformed.rvs_to_values[named[name]]] = batch  # in the log densities
            replace[named[name]] = batch  # in the forward (predictive) graph
        densities = untransformed.logp(vars=[named[n] for n in (*self.observed, *self.free)], sum=False)
        # shapes folded to constants first (part of what compiling does anyway): vectorizing is then 0.2 s, not 1 s
        densities = rewrite_graph(densities, include=("canonicalize",))
        outputs = vectorize_graph([*densities, *(named[n] for n in PREDICTIVE)], replace=replace)
        self.rngs = find_rng_nodes(outputs)
        with untransformed:  # its check_bounds, as the model's own compile_fn
            self.fn = compile_pymc(self.inputs, outputs, on_unused_input="ignore")
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
        for name, batch in zip(self.free, self.inputs, strict=True):
            value = posterior[name].transpose(*SAMPLE_DIMS, ...).values
            args.append(np.ascontiguousarray(value.reshape(n, *value.shape[2:]), dtype=batch.dtype))
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
