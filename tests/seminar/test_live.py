"""The refit queue (one at a time, identical priors once, places in line) and the event broker."""

from __future__ import annotations

import asyncio
import threading
import time

from hedgecast.seminar.answers import Answer
from hedgecast.seminar.live import Broker, RefitQueue, refit_key


def test_refits_run_one_at_a_time_identical_ones_once_and_report_places():
    gate = threading.Event()
    running, ran, done = [], [], []

    def runner(name):
        running.append(name)
        assert len(running) - len(ran) == 1  # never two at once
        gate.wait(5)
        ran.append(name)
        return name.upper()

    q = RefitQueue(runner, lambda key, result, error, waiters: done.append((key, result, error, sorted(waiters))))
    try:
        q.submit("a", ("a",), "w1")
        deadline = time.time() + 5
        while not running and time.time() < deadline:
            time.sleep(0.01)
        assert q.position("a") == 0  # running now
        assert q.submit("b", ("b",), "w2") == 1
        assert q.submit("c", ("c",), "w3") == 2
        assert q.submit("b", ("b",), "w4") == 1  # identical: joins the queued one
        gate.set()
        while len(done) < 3 and time.time() < deadline:
            time.sleep(0.01)
    finally:
        q.close()
    assert ran == ["a", "b", "c"]
    assert done[1] == ("b", "B", None, ["w2", "w4"])
    assert q.position("a") is None


def test_a_failed_refit_is_reported_and_the_queue_goes_on():
    done = []

    def runner(x):
        if x == "bad":
            raise RuntimeError("sampler exploded")
        return x

    q = RefitQueue(runner, lambda key, result, error, waiters: done.append((key, result, error)))
    try:
        q.submit("bad", ("bad",), 1)
        q.submit("good", ("good",), 2)
        deadline = time.time() + 5
        while len(done) < 2 and time.time() < deadline:
            time.sleep(0.01)
    finally:
        q.close()
    assert done[0][2] == "RuntimeError: sampler exploded" and done[1] == ("good", "good", None)


def test_refit_key_ignores_justifications_and_order():
    a = [Answer("x", 1.0, 0.0, 2.0, "because"), Answer("y", 3.0, 2.0, 4.0, "")]
    b = [Answer("y", 3.0, 2.0, 4.0, "other words"), Answer("x", 1.0, 0.0, 2.0, "")]
    assert refit_key(a) == refit_key(b)
    assert refit_key(a) != refit_key([Answer("x", 1.0, 0.0, 2.5, "")])


def test_broker_fans_out_and_keeps_only_the_latest_for_slow_readers():
    async def scenario():
        broker = Broker()
        fast, slow = broker.subscribe(), broker.subscribe()
        for _ in range(40):
            broker.publish("submission")
        await asyncio.sleep(0)
        got = []
        while not fast.empty():
            got.append(fast.get_nowait()["version"])
        broker.unsubscribe(slow)
        return got, broker.listeners

    got, listeners = asyncio.run(scenario())
    assert got[-1] == 40 and len(got) <= 16 and listeners == 1


def test_dask_runner_sends_the_refit_to_the_scheduler_with_the_run_to_rebuild_the_room(monkeypatch):
    from types import SimpleNamespace

    from distributed import Client, LocalCluster

    import hedgecast.seminar.live as live

    def fake_worker_refit(root, run_id, ids, answers):  # what the worker was sent (the task comes back by value)
        return (root, run_id, ids, [a.assumption_id for a in answers])

    monkeypatch.setattr(live, "worker_refit", fake_worker_refit)
    room = SimpleNamespace(assumptions=[SimpleNamespace(id="x"), SimpleNamespace(id="y")])
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, Client(cluster):
        runner = live.DaskRunner("/project", "run-123", cluster.scheduler_address)
        try:
            sent = runner(room, [Answer("x", 1.0, 0.0, 2.0, "why")])
        finally:
            runner.close()
    assert sent == ("/project", "run-123", ("x", "y"), ["x"])
