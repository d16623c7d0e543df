"""Running many independent fits on a real engine: ``dask.distributed``.

Calibration (:mod:`hedgecast.validate.sbc`) and backtests (:mod:`hedgecast.validate.backtest`) each need
many fits that do not talk to each other. They go to a dask cluster: a ``LocalCluster``
of worker *processes* by default (one thread each, so two fits never share a core's
worth of Python), or an existing cluster given by its scheduler address.

Results never depend on the number of workers or on which worker ran what:

* every task gets its own seed, derived from ``(base seed, task index)`` by
  :func:`task_seed`, never from a shared random stream;
* :func:`map_tasks` returns results in task order, whatever order they finish in.

Workers compile the model once per process (the compiled model is cached in
:mod:`hedgecast.model.fit`), so the first fit on each worker pays the compile (about a
minute or two on a small machine) and every later fit on it only samples.

    >>> with cluster_client(workers=2) as client:              # doctest: +SKIP
    ...     squares = map_tasks(client, pow, [(2, 2), (3, 2)])  # [4, 9]
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from hedgecast.errors import HedgecastError

DEFAULT_WORKERS = 2


def task_seed(base_seed: int, index: int) -> int:
    """Return the seed of task ``index`` in a job seeded with ``base_seed``.

    Derived with :class:`numpy.random.SeedSequence` so neighbouring indices give
    unrelated streams; a 31-bit integer, which every sampler accepts.
    """
    if index < 0 or base_seed < 0:
        raise ValueError("seeds and task indices must be non-negative")
    return int(np.random.SeedSequence([int(base_seed), int(index)]).generate_state(1, dtype=np.uint32)[0] >> 1)


@contextlib.contextmanager
def cluster_client(
    workers: int = DEFAULT_WORKERS, scheduler: str | None = None, *, processes: bool = True, quiet: bool = True
) -> Iterator[Any]:
    """Yield a ``distributed.Client``: to ``scheduler`` if given, else to a new ``LocalCluster``.

    Parameters
    ----------
    workers : int
        Worker processes of the local cluster (one thread each). Ignored with ``scheduler``.
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). Its workers must have
        hedgecast installed and see the same project files.
    processes : bool
        Workers as separate processes (the default: true parallelism, one model compile
        per worker) or as threads of this process (fast to start, shares this process's
        compiled models; used by tests with the mock sampler).
    quiet : bool
        Silence the cluster's logging below errors (start/stop chatter, and the nanny's
        warning when it has to kill a worker busy in numba at shutdown).

    """
    from distributed import Client, LocalCluster

    if scheduler is None and workers < 1:
        raise HedgecastError("--workers must be at least 1")
    levels = {}
    if quiet:
        for name in ("distributed", "distributed.nanny", "distributed.scheduler", "distributed.worker", "distributed.core"):
            logger = logging.getLogger(name)
            levels[name] = logger.level
            logger.setLevel(logging.ERROR)
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout="20s")
            except OSError as err:
                raise HedgecastError(f"cannot reach the dask scheduler at {scheduler}: {err}") from None
            try:
                yield client
            finally:
                client.close()
        else:
            # no dashboard: it needs an open port and bokeh, and nobody watches it in a batch job. The scheduler still
            # serves a few HTTP routes, on port 8787 unless told otherwise: a free port instead, so two clusters on one
            # machine (two engineers' test runs) do not collide ("Port 8787 is already in use", an error under pytest)
            quiet_http = {"dashboard_address": ":0"}
            with (
                LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=processes, dashboard_address=None, scheduler_kwargs=quiet_http
                ) as cluster,
                Client(cluster) as client,
            ):
                yield client
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def map_tasks(
    client: Any,
    fn: Callable[..., Any],
    arguments: Sequence[tuple],
    *,
    on_done: Callable[[int, Any], None] | None = None,
    key_prefix: str = "hedgecast",
) -> list[Any]:
    """Run ``fn(*args)`` for every tuple in ``arguments`` on the cluster; results in input order.

    ``on_done(index, result)`` is called as each task finishes (in completion order),
    e.g. to advance a progress bar. A task that raises cancels the rest and re-raises.
    ``pure=False`` with explicit keys: two identical argument tuples are still two fits.
    """
    from distributed import as_completed

    futures = [client.submit(fn, *args, key=f"{key_prefix}-{i}-{_token()}", pure=False) for i, args in enumerate(arguments)]
    index = {f.key: i for i, f in enumerate(futures)}
    results: list[Any] = [None] * len(futures)
    try:
        for future in as_completed(futures):
            i = index[future.key]
            results[i] = future.result()
            if on_done is not None:
                on_done(i, results[i])
    except BaseException:
        client.cancel(futures)
        raise
    return results


def worker_count(client: Any) -> int:
    """How many workers ``client``'s cluster has (0 if it cannot say)."""
    return len(client.scheduler_info().get("workers", {})) if hasattr(client, "scheduler_info") else 0


def _token() -> str:
    import os

    return os.urandom(4).hex()


__all__ = ["DEFAULT_WORKERS", "cluster_client", "map_tasks", "task_seed", "worker_count"]
