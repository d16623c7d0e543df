"""The cached nutpie model: PyMC's log density and gradient, the same draws as nutpie's own compile, a key that follows the graph."""

import ctypes

import numpy as np
import pytest

from hedgecast.model import nutpie_build
from hedgecast.model.equations import DRIVER_VALUES, HYPERPARAMETERS, build_model, hyperparameter_vector

_PTR = ctypes.POINTER(ctypes.c_double)


def _logp_dlogp(compiled, x):
    grad, value = np.zeros_like(x), np.zeros(())
    code = compiled.compiled_logp_func.ctypes(x.size, x.ctypes.data_as(_PTR), grad.ctypes.data_as(_PTR), value.ctypes.data_as(_PTR), compiled.user_data.ctypes.data)
    assert code == 0
    return float(value), grad


def _unflatten(compiled, model, x):
    names, slices, shapes = compiled.shape_info
    assert list(names[: len(model.value_vars)]) == [v.name for v in model.value_vars]
    return {v.name: x[slices[i]].reshape(shapes[i]) for i, v in enumerate(model.value_vars)}


@pytest.fixture(scope="module")
def cm(workbench, spec, baseline):
    from hedgecast.model.fit import compiled_model

    return compiled_model(spec, baseline, workbench.inputs)


@pytest.fixture(scope="module")
def compiled(cm, baseline):
    return cm.nutpie_model(baseline)


def test_log_density_and_gradient_are_pymcs_at_random_points(cm, compiled):
    """The callback nutpie samples with returns ``model.compile_logp`` and ``model.compile_dlogp`` (the one definition)."""
    model = cm.model
    logp, dlogp = model.compile_logp(), model.compile_dlogp()
    rng = np.random.default_rng(3)
    start = compiled.initial_point_func(1)
    assert [v.name for v in model.value_vars] == list(compiled.shape_info[0][: len(model.value_vars)])
    for _ in range(5):
        x = start + rng.normal(0.0, 0.3, start.size)
        got, grad = _logp_dlogp(compiled, x)
        point = _unflatten(compiled, model, x)
        assert got == pytest.approx(float(logp(point)), rel=1e-9, abs=1e-8)
        np.testing.assert_allclose(grad, dlogp(point), rtol=1e-7, atol=1e-8)


def test_swapped_hyperparameters_give_that_lens_log_density(workbench, spec, baseline, cm, compiled):
    """nutpie's ``with_data`` moves the data the cached callback reads: another lens's priors, PyMC's density with them."""
    from hedgecast.model.equations import prior_structure

    same = [name for name in workbench.lenses() if name != "baseline" and prior_structure(workbench.lens(name)) == cm.structure]
    if not same:
        pytest.skip("no other lens has the baseline's prior structure")
    lens = workbench.lens(same[0])
    x = compiled.initial_point_func(2)
    before, _ = _logp_dlogp(compiled, x)
    swapped = compiled.with_data(**{HYPERPARAMETERS: hyperparameter_vector(lens), DRIVER_VALUES: cm.inputs.drivers})
    got, _ = _logp_dlogp(swapped, x)
    theirs = build_model(spec, lens, workbench.inputs)
    assert got == pytest.approx(float(theirs.compile_logp()(_unflatten(compiled, theirs, x))), rel=1e-9)
    assert abs(got - before) > 1e-6


def test_the_initial_point_check_can_fail(cm, compiled, baseline):
    """The guard against a stale cache compares the callback with PyTensor's own density: wrong data disagree."""
    point = cm.model.initial_point()
    got, expected = nutpie_build.check_at(compiled, cm.model, cm.model.logp(), point)
    assert got == pytest.approx(expected, rel=1e-10)
    wrong = compiled.with_data(**{HYPERPARAMETERS: hyperparameter_vector(baseline) * 1.5})
    got, expected = nutpie_build.check_at(wrong, cm.model, cm.model.logp(), point)
    assert got != pytest.approx(expected, rel=1e-6)


def test_graph_key_follows_the_equations_not_the_float_data(workbench, spec, baseline):
    """The key is the same for the same graph built twice and for other float data (priors, codings, observations), and
    changes with the graph: another prior family, or other integer data (a dimension length, an index)."""
    import pytensor.tensor as pt

    model = build_model(spec, baseline, workbench.inputs)
    again = build_model(spec, baseline, workbench.inputs)
    key = nutpie_build.graph_key([model.logp()])
    assert nutpie_build.graph_key([again.logp()]) == key
    with again:
        import pymc as pm

        pm.set_data({HYPERPARAMETERS: hyperparameter_vector(baseline) + 0.1, "obs_value": again["obs_value"].get_value() + 1.0})
    assert nutpie_build.graph_key([again.logp()]) == key
    changed = model.logp() + pt.constant(0.0)
    assert nutpie_build.graph_key([changed]) != key
    with again:
        pm.set_data({"war_index": np.zeros_like(again["war_index"].get_value())})
    assert nutpie_build.graph_key([again.logp()]) != key


def test_layout_reads_nutpies_user_data_record(compiled):
    """Every shared array's address sits where the generated wrapper reads it (64-bit words of nutpie's record)."""
    names = list(compiled.shared_data)
    n_words, where = nutpie_build.record_words(compiled.user_data, names)
    words = np.frombuffer(compiled.user_data.tobytes(), dtype=np.uint64)
    assert words.size == n_words
    for name in names:
        data, dims = where[name]
        assert int(words[data]) == compiled.shared_data[name].ctypes.data
        assert [int(words[w]) for w in dims] == list(compiled.shared_data[name].shape)


@pytest.mark.slow
def test_same_draws_as_nutpies_own_compile(cm, compiled, baseline):
    """Same seed, same draws, bit for bit: the cached model is nutpie's model."""
    import nutpie

    theirs = nutpie.compile_pymc_model(cm.model, backend="numba")
    data = {HYPERPARAMETERS: hyperparameter_vector(baseline), DRIVER_VALUES: cm.inputs.drivers}
    kw = dict(draws=50, tune=100, chains=2, cores=1, seed=5, progress_bar=False, store_unconstrained=False, store_gradient=False)
    a = nutpie.sample(compiled.with_data(**data), **kw).posterior
    b = nutpie.sample(theirs.with_data(**data), **kw).posterior
    assert sorted(a.data_vars) == sorted(b.data_vars)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values)


def test_a_callback_missing_from_numbas_cache_is_a_typing_error(compiled):
    """What ``compile_nutpie`` takes as "not cached, compile it": without the PyTensor function the wrapper cannot be typed."""
    import numba

    names, _, shapes = compiled.shape_info
    shared = list(compiled.shared_data)
    layout = nutpie_build.Layout(n_dim=compiled.n_dim, names=list(names), shapes=[list(s) for s in shapes], logp_shared=shared, expand_shared=shared)
    dtypes = {name: compiled.shared_data[name].dtype.name for name in shared}
    with pytest.raises(numba.core.errors.TypingError):
        nutpie_build.callbacks(layout, compiled.user_data, dtypes, "no-such-key")
