"""Where a command's time goes: wall-clock seconds per stage, summed over the process.

    with timing.stage("forecast"):
        ...
    timing.totals()   # {"forecast": 0.41, ...}

``hedgecast report`` saves the totals with its run (``runs/<id>/timings.json``) and prints
them; ``benchmarks/run.py`` reads them to say what share of a report forecasting takes.
Nested stages are counted in each (``fit`` includes its ``compile``).
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_TOTALS: defaultdict[str, float] = defaultdict(float)


#: who is told when a stage starts or ends, in this thread (see :func:`watch`)
_WATCHER: ContextVar[Callable[[tuple[str, ...]], None] | None] = ContextVar("hedgecast_timing_watcher", default=None)
_OPEN: ContextVar[tuple[str, ...]] = ContextVar("hedgecast_timing_open", default=())


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Add the wall time of the ``with`` block to stage ``name``."""
    t0 = time.perf_counter()
    watcher = _WATCHER.get()
    token = None
    if watcher is not None:
        token = _OPEN.set((*_OPEN.get(), name))
        watcher(_OPEN.get())
    try:
        yield
    finally:
        _TOTALS[name] += time.perf_counter() - t0
        if token is not None:
            _OPEN.reset(token)
            watcher(_OPEN.get())


@contextmanager
def watch(callback: Callable[[tuple[str, ...]], None]) -> Iterator[None]:
    """Call ``callback(open stages, outermost first)`` whenever a stage starts or ends in this thread.

    The seminar server shows a fit's progress this way (``("fit", "sampling")``).
    """
    token = _WATCHER.set(callback)
    try:
        yield
    finally:
        _WATCHER.reset(token)


def timed(name: str) -> Callable:
    """Decorator: count every call of the function in stage ``name``."""

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            with stage(name):
                return fn(*args, **kwargs)

        return inner

    return wrap


def totals() -> dict[str, float]:
    """Seconds per stage so far in this process."""
    return dict(_TOTALS)


def since(before: dict[str, float]) -> dict[str, float]:
    """Seconds per stage added since ``before`` (an earlier :func:`totals`)."""
    return {k: v - before.get(k, 0.0) for k, v in _TOTALS.items() if v - before.get(k, 0.0) > 0}


def reset() -> None:
    _TOTALS.clear()
