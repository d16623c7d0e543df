"""nutpie's numba model for a PyMC model, with its compiled code cached on disk across processes.

``nutpie.compile_pymc_model(model, backend="numba")`` rewrites and compiles two PyTensor graphs
(the log density with its gradient over one flat vector of unconstrained values, and the
expansion of such a vector to every variable of the trace), then wraps each in a
``numba.cfunc`` that nuts-rs calls. Those wrappers are closures over the data, which numba
cannot cache, so every new process compiled them again (10–20 s), after 5–10 s of graph
rewriting. :func:`compile_nutpie` builds the same object — nutpie's own ``CompiledPyMCModel``,
with the same log density and gradient, so the same draws for the same seed — from wrappers
that numba *can* cache: their source is generated from the graph's layout, they read the data
through nutpie's own user-data record, and they are keyed by :func:`graph_key`, a digest of the
model's log-density and expansion graphs (every Op, constant, shared-variable type and shape,
and the library versions). A new process that meets a graph it compiled before builds the
PyMC model and its log-density graph, digests them, and loads both wrappers from disk, without
rewriting or compiling anything; a changed equation changes the digest and compiles afresh.

Everything is kept under PyTensor's ``base_compiledir``: numba's files in PyTensor's numba
cache, and one JSON file per key (the layout: variables, shapes, data order) in ``hedgecast/``.
Every model is checked at its initial point against the log density PyTensor computes from the
same graph without numba, so a stale or wrong cache entry fails loudly, never silently.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import pickle
import sys
import textwrap
import threading
from dataclasses import asdict, dataclass
from importlib import metadata
from math import prod

import numba
import numpy as np
from numba.extending import intrinsic

from hedgecast.files import write_atomic
from hedgecast.model import numba_cache

#: part of every key: bump when the generated wrappers or the layout file change
FORMAT = "hedgecast-nutpie/1"
#: libraries whose code decides the compiled functions (their versions are part of the key)
LIBRARIES = ("pymc", "pytensor", "nutpie", "numba", "llvmlite", "numpy")
#: the C signatures nuts-rs calls (nutpie's own)
LOGP_SIGNATURE = numba.types.int64(
    numba.types.uint64,
    numba.types.CPointer(numba.types.double),
    numba.types.CPointer(numba.types.double),
    numba.types.CPointer(numba.types.double),
    numba.types.voidptr,
)
EXPAND_SIGNATURE = numba.types.int64(
    numba.types.uint64,
    numba.types.uint64,
    numba.types.CPointer(numba.types.double),
    numba.types.CPointer(numba.types.double),
    numba.types.voidptr,
)


@intrinsic
def as_pointer(typingctx, address):
    """The integer ``address`` as a ``void*`` (inside numba code)."""
    from numba.core import cgutils, types

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], cgutils.voidptr_t)

    return types.voidptr(address), codegen


@dataclass
class Layout:
    """What a compiled model needs besides its code: kept as JSON beside numba's cache."""

    n_dim: int  # length of the unconstrained vector (the free variables, in order, flattened)
    names: list[str]  # every variable of the trace, the free (transformed) ones first
    shapes: list[list[int]]
    logp_shared: list[str]  # the shared variables the log density reads, in its argument order
    expand_shared: list[str]  # likewise for the expansion

    @property
    def n_expanded(self) -> int:
        return sum(prod(s) for s in self.shapes)

    @property
    def slices(self) -> list[slice]:
        out, start = [], 0
        for shape in self.shapes:
            out.append(slice(start, start + prod(shape)))
            start += prod(shape)
        return out


# --- the key ---------------------------------------------------------------------------------


def _library_versions() -> list[tuple[str, str]]:
    return [(lib, metadata.version(lib)) for lib in LIBRARIES]


def _op_digest(op) -> bytes:
    """An Op's full state (pickled), and the source of its class if a library version does not pin it."""
    h = hashlib.sha256(pickle.dumps(op, protocol=5))
    for part in (op, getattr(op, "scalar_op", None), getattr(op, "core_op", None)):
        module = type(part).__module__
        if part is not None and module.split(".")[0] not in (*LIBRARIES, "builtins"):
            h.update(inspect.getsource(sys.modules[module]).encode())
    return h.digest()


def _root_description(var) -> tuple:
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant
    from pytensor.link.numba.dispatch.basic import cache_key_for_constant

    if isinstance(var, Constant):
        return ("constant", str(var.type), cache_key_for_constant(var.data))
    if isinstance(var, SharedVariable):
        value = var.get_value(borrow=True)
        if not isinstance(value, np.ndarray):
            return ("shared", var.name, str(var.type))
        # values are read at run time; only integer ones (dimension lengths, indices) can set shapes
        exact = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest() if value.dtype.kind in "biu" else None
        return ("shared", var.name, str(var.type), value.shape, value.dtype.str, exact)
    return ("input", var.name, str(var.type))


def graph_key(outputs, extra=()) -> str:
    """A digest of the graph computing ``outputs``: what the compiled code depends on.

    Every node's Op (its pickled state), how nodes connect, every output's type, every root
    (constants by value; shared variables by name, type and shape, integer ones by value too;
    other inputs by name and type), ``extra``, this module's :data:`FORMAT`, the digamma
    implementation and the libraries' versions. Two graphs with one key compute the same
    function of the same inputs.
    """
    from pytensor import config
    from pytensor.graph.traversal import graph_inputs, io_toposort

    h = hashlib.sha256()
    h.update(repr((FORMAT, _library_versions(), numba_cache.DIGAMMA_VERSION, config.floatX, bool(config.numba__fastmath), extra)).encode())
    roots = list(graph_inputs(outputs))
    ids = {}
    for i, var in enumerate(roots):
        ids[var] = f"r{i}"
        h.update(repr(_root_description(var)).encode())
    for k, node in enumerate(io_toposort(roots, outputs)):
        h.update(_op_digest(node.op))
        h.update(repr([ids[v] for v in node.inputs]).encode())
        for j, out in enumerate(node.outputs):
            ids[out] = f"n{k}.{j}"
            h.update(str(out.type).encode())
    h.update(repr([ids[v] for v in outputs]).encode())
    return h.hexdigest()


# --- the wrappers ----------------------------------------------------------------------------


def record_words(user_data: np.ndarray, names: list[str]) -> tuple[int, dict[str, tuple[int, list[int]]]]:
    """Where nutpie's user-data record keeps each shared variable's address and shape, in 64-bit words."""
    record = user_data.dtype
    shared, base = record.fields["shared"]
    data, data_at = shared.fields["data"]
    shape, shape_at = shared.fields["shape"]
    if record.itemsize % 8:
        raise TypeError(f"nutpie's user data is not a record of 64-bit words: {record}")
    out = {}
    for name in names:
        field, at = data.fields[name]
        shape_field, shape_name_at = shape.fields[name]
        if field.itemsize != 8 or shape_field.base.itemsize != 8:
            raise TypeError(f"nutpie's user data is not a record of 64-bit words: {record}")
        first = (base + shape_at + shape_name_at) // 8
        ndim = shape_field.shape[0] if shape_field.shape else 0  # a (ndim,) sub-array of words
        out[name] = ((base + data_at + at) // 8, [first + i for i in range(ndim)])
    return record.itemsize // 8, out


def _arguments(names: list[str], user_data: np.ndarray, dtypes: dict[str, str]) -> tuple[int, str]:
    n_words, where = record_words(user_data, names)
    args = []
    for name in names:
        data, dims = where[name]
        shape = "(" + "".join(f"int(u[{w}]), " for w in dims) + ")"
        args.append(f"numba.carray(as_pointer(u[{data}]), {shape}, np.{dtypes[name]})")
    return n_words, ", ".join(args)


_CALLBACK = """
def {name}({arguments}):
{size_checks}    try:
        u = numba.carray(user_data_, ({n_words},), np.uint64)
        x = numba.carray(x_, ({n},))
        out = numba.carray(out_, ({n_out},))
{body}    except Exception:
        return {on_error}
    return 0
"""
"""The frame of both C callbacks: the sizes nuts-rs passes are checked (-1 when wrong), the raw
pointers are viewed as arrays (``u``: the user-data words, ``x``: the point, ``out``: the result),
the callback's own ``body`` runs, and an exception returns ``on_error``."""


def _callback_source(name: str, arguments: str, sizes: dict[str, int], n_words: int, n_out: int, body: str, on_error: int) -> str:
    """Fill :data:`_CALLBACK`: ``sizes`` maps each size argument to its required value (``dim`` first)."""
    size_checks = "".join(f"    if {arg} != {size}:\n        return -1\n" for arg, size in sizes.items())
    return _CALLBACK.format(
        name=name,
        arguments=arguments,
        size_checks=size_checks,
        n_words=n_words,
        n=sizes["dim"],
        n_out=n_out,
        body=textwrap.indent(textwrap.dedent(body).lstrip("\n"), " " * 8),
        on_error=on_error,
    )


def _logp_source(layout: Layout, user_data: np.ndarray, dtypes: dict[str, str]) -> str:
    n_words, args = _arguments(layout.logp_shared, user_data, dtypes)
    n = layout.n_dim
    body = f"""
        logp = numba.carray(logp_, ())
        logp_val, grad = inner(x, {args})
        logp[()] = logp_val
        out[...] = grad
        if not np.all(np.isfinite(out)):
            return 3
        if not np.isfinite(logp_val):
            return 4
    """
    return _callback_source("hedgecast_logp", "dim, x_, out_, logp_, user_data_", {"dim": n}, n_words, n, body, on_error=1)


def _expand_source(layout: Layout, user_data: np.ndarray, dtypes: dict[str, str]) -> str:
    n_words, args = _arguments(layout.expand_shared, user_data, dtypes)
    n, m = layout.n_dim, layout.n_expanded
    body = f"""
        (values,) = inner(x, {args})
        out[...] = values
    """
    return _callback_source(
        "hedgecast_expand", "dim, expanded, x_, out_, user_data_", {"dim": n, "expanded": m}, n_words, m, body, on_error=-2
    )


def _cfunc(source: str, name: str, signature, inner, key: str):
    """Compile ``source`` as a C callback cached by numba under ``key`` (loaded if cached).

    With ``inner=None`` only a cached callback can be had: compiling would fail with numba's
    TypingError, which :func:`compile_nutpie` takes as "not in the cache".
    """
    from pytensor.link.numba.cache import compile_numba_function_src

    fn = compile_numba_function_src(source, name, global_env={"__name__": __name__, "np": np, "numba": numba, "as_pointer": as_pointer, "inner": inner}, cache_key=key)
    return numba.cfunc(signature, cache=True)(fn)


# --- building the model ----------------------------------------------------------------------


def cache_file(key: str, suffix: str = ".json"):
    """Where hedgecast keeps what it compiled for the graph ``key``: under PyTensor's ``base_compiledir``."""
    from pathlib import Path

    from pytensor import config

    return Path(config.base_compiledir) / "hedgecast" / f"{key}{suffix}"


def _shared_variables(outputs) -> dict:
    """The graph's shared tensors by name (nutpie passes them by name, so names must be unique)."""
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.traversal import graph_inputs
    from pytensor.tensor import TensorType

    out = {}
    for var in graph_inputs(outputs):
        if isinstance(var, SharedVariable) and isinstance(var.type, TensorType):
            if var.name is None or (var.name in out and out[var.name] is not var):
                raise ValueError(f"shared variables must have unique names for nutpie: {var.name!r}")
            out[var.name] = var
    return out


def shared_values(layout: Layout, shared: dict) -> tuple[dict, np.ndarray, dict]:
    """The shared values (read-only copies, as nutpie keeps them), nutpie's user-data record, dtypes."""
    from nutpie.compile_pymc import make_user_data

    names = list(dict.fromkeys([*layout.logp_shared, *layout.expand_shared]))
    values = {}
    for name in names:
        values[name] = np.array(shared[name].get_value(), order="C", copy=True)
        values[name].flags.writeable = False
    user_data = make_user_data({name: shared[name] for name in names}, values)
    return values, user_data, {name: values[name].dtype.name for name in names}


def callbacks(layout: Layout, user_data: np.ndarray, dtypes: dict, key: str, logp_inner=None, expand_inner=None):
    """nutpie's two C callbacks (log density with gradient, expansion) for ``layout``, cached by numba under ``key``.

    Without the PyTensor functions (``*_inner=None``) only cached ones can be had: numba's
    TypingError otherwise.
    """
    logp = _cfunc(_logp_source(layout, user_data, dtypes), "hedgecast_logp", LOGP_SIGNATURE, logp_inner, f"{key}-logp")
    expand = _cfunc(_expand_source(layout, user_data, dtypes), "hedgecast_expand", EXPAND_SIGNATURE, expand_inner, f"{key}-expand")
    return logp, expand


def _compile_graphs(model, logp, value_vars, remaining, point: dict):
    """The PyTensor functions nutpie samples with (as ``nutpie.compile_pymc_model`` builds them) and their layout."""
    import pytensor
    import pytensor.tensor as pt
    from pymc.pytensorf import compile as compile_pymc
    from pytensor.graph.rewriting.utils import rewrite_graph

    free_shapes = [list(np.shape(point[v.name])) for v in value_vars]
    shape_fn = pytensor.function(value_vars, [v.shape for v in remaining], mode="FAST_COMPILE", on_unused_input="ignore")
    rest_shapes = [list(map(int, s)) for s in shape_fn(*[point[v.name] for v in value_vars])] if remaining else []
    n_dim = sum(prod(s) for s in free_shapes)

    rewrites = ["canonicalize", "stabilize"]
    if not model.check_bounds:
        rewrites.append("local_remove_check_parameter")
    logp = rewrite_graph(logp, include=rewrites)
    grad = pt.concatenate([g.ravel() for g in pytensor.grad(logp, value_vars)])
    joined = pt.TensorType("float64", shape=(n_dim,))(name="_unconstrained_point")
    replacements, start = {}, 0
    for rv, value, shape in zip(model.free_RVs, value_vars, free_shapes, strict=True):
        replacements[value] = joined[start : start + prod(shape)].reshape(shape).astype(rv.dtype)
        start += prod(shape)
    logp, grad = pytensor.clone_replace([logp, grad], replacements)
    with model:
        logp_fn = compile_pymc((joined,), (logp, grad), mode="NUMBA")
        expand_fn = compile_pymc((joined,), [pt.concatenate([joined, *[v.ravel() for v in remaining]])], givens=list(replacements.items()), mode="NUMBA")
    layout = Layout(
        n_dim=n_dim,
        names=[v.name for v in (*value_vars, *remaining)],
        shapes=free_shapes + rest_shapes,
        logp_shared=[v.name for v in logp_fn.get_shared()],
        expand_shared=[v.name for v in expand_fn.get_shared()],
    )
    return layout, logp_fn, expand_fn


def _initial_point_function(point_fn, layout: Layout, n_free: int):
    """A seed → flat unconstrained vector function (nutpie's, one chain at a time)."""
    lock = threading.Lock()
    names, shapes = layout.names[:n_free], layout.shapes[:n_free]

    def initial_point(seed=None):
        with lock:
            point = point_fn(seed)
        for name, shape in zip(names, shapes, strict=True):
            if list(np.shape(point[name])) != shape:
                raise ValueError(f"initial value of {name} has shape {np.shape(point[name])}, expected {tuple(shape)}")
        return np.concatenate([np.asarray(point[name], dtype="float64").ravel() for name in names])

    return initial_point


def _dims_and_coords(model, layout: Layout, n_free: int):
    """nutpie's dims and coordinates, with one ``unconstrained_parameter`` label per element of the vector."""
    import itertools

    import pandas as pd

    coords = {}
    for name, values in model.coords.items():
        coords[name] = pd.Index(values if values is not None else pd.RangeIndex(int(model.dim_lengths[name].eval())))
    labels = []
    for name, shape in zip(layout.names[:n_free], layout.shapes[:n_free], strict=True):
        labels += [f"{name}_{'.'.join(map(str, idx))}" if idx else name for idx in itertools.product(*map(range, shape))]
    coords["unconstrained_parameter"] = pd.Index(labels)
    return model.named_vars_to_dims, coords


def check_at(compiled, model, logp, point: dict) -> tuple[float, float]:
    """The compiled log density at ``point`` (a dict of unconstrained values) and PyTensor's, without numba."""
    import ctypes

    import pytensor
    from pytensor.compile.mode import Mode

    value_vars = [model.rvs_to_values[rv] for rv in model.free_RVs]
    # Python implementations of the graph as it is, not rewritten: 0.05 s to build, not 0.5
    plain = pytensor.function(value_vars, logp, mode=Mode(linker="py", optimizer=None), on_unused_input="ignore")
    expected = float(plain(*[point[v.name] for v in value_vars]))
    x = np.concatenate([np.asarray(point[v.name], dtype="float64").ravel() for v in value_vars])
    grad, value = np.zeros_like(x), np.zeros(())
    as_double = ctypes.POINTER(ctypes.c_double)
    code = compiled.compiled_logp_func.ctypes(x.size, x.ctypes.data_as(as_double), grad.ctypes.data_as(as_double), value.ctypes.data_as(as_double), compiled.user_data.ctypes.data)
    return (float(value) if code == 0 else float("nan")), expected


def compile_nutpie(model, logp=None):
    """nutpie's ``CompiledPyMCModel`` for ``model`` (numba backend), its code loaded from disk if compiled before.

    Equivalent to ``nutpie.compile_pymc_model(model, backend="numba")`` with nutpie's defaults
    (support-point initial values with jitter, every variable in the trace). Raises if the
    compiled log density disagrees with PyTensor's at the initial point. ``logp``: the model's
    ``model.logp()`` when already built.
    """
    from nutpie.compile_pymc import CompiledPyMCModel
    from pymc.initial_point import make_initial_point_fn

    numba_cache.enable()
    value_vars = [model.rvs_to_values[rv] for rv in model.free_RVs]
    free = [v.name for v in value_vars]
    logp = model.logp() if logp is None else logp
    remaining = [v for v in model.unobserved_value_vars if v.name not in free]
    key = graph_key([logp, *remaining], extra=(free, [v.name for v in remaining], model.check_bounds))
    shared = _shared_variables([logp, *remaining])
    point_fn = make_initial_point_fn(model=model, default_strategy="support_point", jitter_rvs=set(model.free_RVs), return_transformed=True)
    path = cache_file(key)
    layout = Layout(**json.loads(path.read_text())) if path.exists() else None
    wrappers = pytensor_fns = None
    if layout is not None:
        values, user_data, dtypes = shared_values(layout, shared)
        try:
            wrappers = callbacks(layout, user_data, dtypes, key)
        except numba.core.errors.TypingError:  # not in numba's cache (e.g. emptied): compile below
            wrappers = None
    if wrappers is None:
        layout, *pytensor_fns = _compile_graphs(model, logp, value_vars, remaining, point_fn(0))
        values, user_data, dtypes = shared_values(layout, shared)
        wrappers = callbacks(layout, user_data, dtypes, key, *(fn.vm.jit_fn for fn in pytensor_fns))
        write_atomic(path, json.dumps(asdict(layout)))
    dims, coords = _dims_and_coords(model, layout, len(free))
    compiled = CompiledPyMCModel(
        dims=dims,
        _n_dim=layout.n_dim,
        _coords=coords,
        _shapes={name: tuple(shape) for name, shape in zip(layout.names, layout.shapes, strict=True)},
        compiled_logp_func=wrappers[0],
        compiled_expand_func=wrappers[1],
        initial_point_func=_initial_point_function(point_fn, layout, len(free)),
        shared_data=values,
        user_data=user_data,
        n_expanded=layout.n_expanded,
        shape_info=(layout.names, layout.slices, [tuple(s) for s in layout.shapes]),
        logp_func=pytensor_fns[0] if pytensor_fns else None,
        expand_func=pytensor_fns[1] if pytensor_fns else None,
    )
    got, expected = check_at(compiled, model, logp, point_fn(0))
    if not np.isclose(got, expected, rtol=1e-8, atol=1e-8):
        raise RuntimeError(f"the compiled log density is {got} at the initial point, PyTensor's {expected}: delete {path.parent} and {path.parent.parent / 'numba'} and retry")
    return compiled
