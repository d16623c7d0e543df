"""The refit queue (one at a time, identical priors once, places in line) and the event broker."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

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


@pytest.mark.slow
def test_a_real_refit_on_a_dask_worker_comes_back_and_identical_answers_reuse_it(project_copy, tmp_path):
    """A small real NUTS refit (2 chains x 100 draws) on a local dask cluster (one worker thread: processes=False)."""
    from distributed import LocalCluster

    import hedgecast.seminar.live as live
    from hedgecast.runs import save_run
    from hedgecast.seminar import Room
    from hedgecast.seminar.service import Seminar
    from hedgecast.seminar.store import Store
    from hedgecast.workbench import Workbench

    wb = Workbench.load(project_copy)
    fit = wb.fit("baseline", draws=100, tune=100, chains=2, seed=3)
    run = save_run(fit, None, wb.paths, headline={})
    room = Room.from_fit(fit, ["escalation_intercept", "incident_intercept", "escalation_ties"])
    base = room.by_id["incident_intercept"].baseline
    width = base["high"] - base["low"]
    ml = base["high"] + width  # far above the lens: reweighting cannot stand in (k̂ > 0.7)
    form = {"assumption": "incident_intercept", "most_likely": str(ml), "low": str(ml - 0.1 * width), "high": str(ml + 0.1 * width)}
    calls = []

    class Counted(live.DaskRunner):
        def __call__(self, room, answers):
            calls.append(len(answers))
            return super().__call__(room, answers)

    store = Store(tmp_path / "s.sqlite3")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        seminar = Seminar(room, store, lens="baseline", token="t" * 43, runner=Counted(project_copy, run.id, cluster.scheduler_address))
        try:
            seminar.open_round()
            first, second = seminar.join("secret-1"), seminar.join("secret-2")
            seminar.submit(first, "k1", {**form, "justification": "a busier Black Sea"})
            assert store.submissions(seminar.sid)[-1].method == "pending"
            t0 = time.perf_counter()
            while store.submissions(seminar.sid)[-1].method == "pending" and time.perf_counter() - t0 < 600:
                time.sleep(0.2)
            refit_s = time.perf_counter() - t0
            done = store.submissions(seminar.sid)[-1]
            assert done.method == "refit", done.method
            worker_rooms = [r for key, r in live._WORKER_ROOMS.items() if key[1] == run.id]
            assert worker_rooms and worker_rooms[0] is not room  # the worker rebuilt the room from the saved run
            seminar.submit(second, "k2", {**form, "justification": "other words, the same numbers"})
            again = store.submissions(seminar.sid)[-1]
            assert again.method == "refit" and again.forecast["probabilities"] == done.forecast["probabilities"]
            assert calls == [1] and len(seminar.refits) == 0  # no second refit: the server's room kept the worker's result
        finally:
            seminar.close()
            store.close()
    print(f"real dask refit: {refit_s:.1f} s")
