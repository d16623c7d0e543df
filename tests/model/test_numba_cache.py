import numpy as np
import pytest
import scipy.special

from hedgecast.model import numba_cache
from hedgecast.model.equations import build_model


@pytest.mark.parametrize("x", [1e-8, 0.01, 0.5, 1.0, 1.5, 2.0, 3.7, 5.999, 6.0, 10.0, 123.4, 1e6, -0.5, -1.25, -7.9])
def test_digamma_matches_scipy(x):
    assert numba_cache.digamma(x) == pytest.approx(scipy.special.digamma(x), rel=1e-13, abs=1e-13)


def test_digamma_poles_and_nan_like_scipy():
    for x in (0.0, -1.0, -3.0, float("nan")):
        assert np.isnan(numba_cache.digamma(x))


def test_digamma_compiled_agrees_over_the_range_the_model_uses():
    # the Student-t gradient needs psi(nu / 2) and psi((nu + 1) / 2), nu > 1
    import numba

    compiled = numba.njit(numba_cache.digamma)
    xs = np.geomspace(0.5, 500.0, 400)
    np.testing.assert_allclose([compiled(x) for x in xs], scipy.special.digamma(xs), rtol=1e-13, atol=1e-14)


def _logp_dlogp_fgraph(model):
    import pytensor

    logp = model.logp(jacobian=True)
    grads = pytensor.grad(logp, model.value_vars)
    fn = pytensor.function(model.value_vars, [logp, *grads], mode="NUMBA", on_unused_input="ignore")
    return fn.maker.fgraph


def test_the_whole_model_graph_is_cacheable_on_disk(spec, baseline, workbench):
    """Every Op of the log density and its gradient has a numba cache key, so a new process
    loads the compiled model instead of compiling it again. An Op without one (e.g. a SciPy
    function called through a pointer) makes the whole graph uncacheable: this test names it."""
    from pytensor.link.numba.dispatch.basic import numba_funcify_and_cache_key

    numba_cache.enable()
    fgraph = _logp_dlogp_fgraph(build_model(spec, baseline, workbench.inputs))
    uncacheable = sorted({str(node.op) for node in fgraph.toposort() if numba_funcify_and_cache_key(node.op, node=node)[1] is None})
    assert uncacheable == []
    assert numba_funcify_and_cache_key(fgraph)[1] is not None


_COMPILE = """
from hedgecast.workbench import Workbench
from hedgecast.model.fit import compiled_model
wb = Workbench.load({root!r})
lens = wb.lens("baseline")
compiled_model(wb.spec, lens, wb.inputs).nutpie_model(lens)
"""


@pytest.mark.slow
def test_a_new_process_loads_the_compiled_model_from_disk(tmp_path, root):
    """Compile in one process, then in another: the second loads nutpie's two callbacks (the
    log density with its gradient, and the expansion to all variables) from the disk cache
    instead of compiling them (hedgecast.model.nutpie_build)."""
    import os
    import subprocess
    import sys

    script = tmp_path / "compile.py"
    script.write_text(_COMPILE.format(root=str(root)))
    env = {**os.environ, "NUMBA_DEBUG_CACHE": "1"}
    runs = [subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, check=True) for _ in range(2)]
    loaded = [line for line in runs[1].stdout.splitlines() if "data loaded from" in line and "hedgecast_" in line]
    assert len(loaded) == 2, runs[1].stdout[-2000:]
    assert not any("data saved to" in line for line in runs[1].stdout.splitlines()), runs[1].stdout[-2000:]
