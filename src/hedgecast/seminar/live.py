"""The seminar's moving parts: server-sent events to every open page, and the refit queue.

:class:`Broker` fans one "something changed" event out to every open page (an
``asyncio.Queue`` per page; pages then fetch their own state as JSON, so an event never
carries one participant's data to another). :class:`RefitQueue` runs the refits that a
reweighting cannot stand in for (k̂ > 0.7): one at a time, in a background thread, on a
dask executor (:func:`hedgecast.validate.parallel.cluster_client`, so ``--scheduler`` sends
them to a cluster); identical priors are fitted once and every participant waiting on them
gets the result; a participant's place in the queue is :meth:`RefitQueue.position`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)


class Broker:
    """Publish a version number to every subscribed page; safe to call from any thread."""

    def __init__(self) -> None:
        self.version = 0
        self._queues: set[asyncio.Queue] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def subscribe(self) -> asyncio.Queue:
        self._loop = asyncio.get_running_loop()
        q: asyncio.Queue = asyncio.Queue(maxsize=16)
        self._queues.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue) -> None:
        self._queues.discard(q)

    @property
    def listeners(self) -> int:
        return len(self._queues)

    def publish(self, kind: str = "room") -> int:
        """Tell every page that the room changed; return the new version."""
        with self._lock:
            self.version += 1
            event = {"version": self.version, "kind": kind}
        loop = self._loop
        if loop is None or loop.is_closed():
            return event["version"]
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._fan_out(event)
        else:
            loop.call_soon_threadsafe(self._fan_out, event)
        return event["version"]

    def _fan_out(self, event: dict) -> None:
        for q in list(self._queues):
            if q.full():  # a page that stopped reading: drop its oldest news, it only needs the latest
                with contextlib.suppress(asyncio.QueueEmpty):
                    q.get_nowait()
            q.put_nowait(event)


def refit_key(answers: Iterable) -> str:
    """Identical priors, identical key: the numbers of the answers (not their justifications), in a fixed order."""
    rows = sorted((a.assumption_id, float(a.most_likely), float(a.low), float(a.high)) for a in answers)
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:32]


class InlineRunner:
    """Run a refit in the queue's own thread, on the server's own room (tests, and rooms without a saved run)."""

    def __call__(self, room: Any, answers: list) -> Any:
        return room.refit_forecast(answers)

    def close(self) -> None:
        pass


#: rooms rebuilt on a dask worker, by (project root, run id, assumption ids): built once per worker process
_WORKER_ROOMS: dict[tuple, Any] = {}


def worker_refit(root: str, run_id: str, assumption_ids: tuple[str, ...], answers: list) -> Any:
    """The refit task a dask worker runs: the room rebuilt from the saved run (once per worker), then refitted."""
    from hedgecast.seminar.engine import Room
    from hedgecast.workbench import Workbench

    key = (root, run_id, tuple(assumption_ids))
    room = _WORKER_ROOMS.get(key)
    if room is None:
        fit = Workbench.load(root).load_fit(run_id)
        room = _WORKER_ROOMS[key] = Room.from_fit(fit, list(assumption_ids))
    return room.refit_forecast(answers)


class DaskRunner:
    """Run each refit on a dask cluster (as ``hedgecast validate`` does): a one-worker local cluster, or ``scheduler``'s.

    The task is :func:`worker_refit` with the project root and the saved run's id, so a worker
    anywhere that sees the project files can rebuild the room; the cluster starts on first use.
    The result comes back by value and is kept in the server's room (``Room.remember_refit``),
    so the next identical answers are forecast from it without another refit.
    """

    def __init__(self, root: str, run_id: str, scheduler: str | None = None):
        self.root, self.run_id, self.scheduler = str(root), run_id, scheduler
        self._stack = contextlib.ExitStack()
        self._client = None

    def __call__(self, room: Any, answers: list) -> Any:
        from hedgecast.validate.parallel import cluster_client

        if self._client is None:
            self._client = self._stack.enter_context(cluster_client(1, self.scheduler))
        ids = tuple(a.id for a in room.assumptions)
        result = self._client.submit(worker_refit, self.root, self.run_id, ids, list(answers), pure=False).result()
        remember = getattr(room, "remember_refit", None)
        if remember is not None:  # the worker's refit into the server's room: identical priors are not fitted again
            remember(answers, result)
        return result

    def close(self) -> None:
        self._stack.close()
        self._client = None


class RefitQueue:
    """Refits one at a time in a background thread; ``on_done(key, result, error, waiters)`` reports each.

    ``submit(key, args, waiter)`` queues ``runner(*args)`` unless a job with the same key is
    queued or running, in which case ``waiter`` joins it. ``error`` is the exception's text
    when the refit failed (logged with its traceback), else None.
    """

    def __init__(self, runner: Callable, on_done: Callable[[str, Any, str | None, list], None]):
        self.runner, self.on_done = runner, on_done
        self._jobs: OrderedDict[str, tuple[tuple, list]] = OrderedDict()
        self._running: str | None = None
        self._cond = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._work, name="seminar-refits", daemon=True)
        self._thread.start()

    def submit(self, key: str, args: tuple, waiter: Any) -> int:
        """Queue a refit (or join an identical one); return its place (0: running now)."""
        with self._cond:
            if key in self._jobs:
                self._jobs[key][1].append(waiter)
            else:
                self._jobs[key] = (args, [waiter])
                self._cond.notify()
        return self.position(key)

    def position(self, key: str) -> int | None:
        """0 while running, 1 for the next in line, …; None when not queued."""
        with self._cond:
            for i, k in enumerate(self._jobs):
                if k == key:
                    return i if self._running is not None else i + 1
        return None

    def __len__(self) -> int:
        with self._cond:
            return len(self._jobs)

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._jobs and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                key, (args, _) = next(iter(self._jobs.items()))
                self._running = key
            result, error = None, None
            try:
                result = self.runner(*args)
            except Exception as err:  # a failed refit must not stop the queue: it is reported to its waiters and logged
                log.exception("seminar refit failed")
                error = f"{type(err).__name__}: {err}"
            with self._cond:
                _, waiters = self._jobs.pop(key)
                self._running = None
            self.on_done(key, result, error, waiters)

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout=5)
        close = getattr(self.runner, "close", None)
        if close is not None:
            close()


__all__ = ["Broker", "DaskRunner", "InlineRunner", "RefitQueue", "refit_key", "worker_refit"]
