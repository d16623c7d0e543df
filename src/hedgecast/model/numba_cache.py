"""Make the whole compiled model cacheable on disk, so a new process skips numba compilation.

* :func:`enable` — PyTensor (≥ 2.38) caches numba code for every Op that has a cache key, and
  caches the whole graph function only when *every* Op in it has one. In hedgecast's model a
  single Op stood in the way: ``Psi`` (digamma, from the gradient of the Student-t log density
  with respect to its degrees of freedom), which PyTensor implements by calling SciPy's Cython
  function through a pointer — and numba cannot cache a function that calls a pointer.
  :func:`enable` registers a pure-numba digamma for ``Psi`` *with* a cache key. It is the
  standard algorithm (recurrence up to x ≥ 10, then the asymptotic series, reflection for
  x < 0), agrees with ``scipy.special.digamma`` to 1e-13 (tested), and is only used by the
  numba backend.

* the C callbacks nutpie samples with are cached too, by :mod:`hedgecast.model.nutpie_build`
  (keyed by a digest of the model's log-density graph, :data:`DIGAMMA_VERSION` included).
"""

from __future__ import annotations

import math

_ENABLED = False


def digamma(x: float) -> float:
    """ψ(x) for real x (NaN at 0 and the negative integers, like SciPy)."""
    if math.isnan(x):
        return x
    result = 0.0
    if x <= 0.0:
        if x == math.floor(x):
            return math.nan
        # reflection: ψ(x) = ψ(1 − x) − π cot(πx)
        result = -math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    inv = 1.0 / x
    inv2 = inv * inv
    # Bernoulli-number series: B2k / (2k x^2k), k = 1..7
    series = inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132 - inv2 * (691.0 / 32760 - inv2 / 12))))))
    return result + math.log(x) - 0.5 * inv - series


#: the digamma implementation's version, part of every cache key that can contain it
DIGAMMA_VERSION = "hedgecast.model.numba_cache.digamma/1"


def enable() -> None:
    """Register the cacheable digamma with PyTensor's numba backend (idempotent)."""
    global _ENABLED
    if _ENABLED:
        return
    import numba
    from pytensor.link.numba.dispatch.basic import numba_funcify_and_cache_key
    from pytensor.link.numba.dispatch.scalar import scalar_op_cache_key
    from pytensor.scalar.math import Psi

    impl = numba.njit(cache=True)(digamma)

    @numba_funcify_and_cache_key.register(Psi)
    def _numba_funcify_psi(op, node=None, **kwargs):
        def psi(x):
            return impl(x)

        return numba.njit(psi), scalar_op_cache_key(op, impl=DIGAMMA_VERSION)

    _ENABLED = True

