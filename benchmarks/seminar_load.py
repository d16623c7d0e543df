"""Load benchmark of the seminar server: 40 participants over loopback (not a timed test).

    .venv/bin/python benchmarks/seminar_load.py            # the real engine on a report-sized fit (mock sampler)
    .venv/bin/python benchmarks/seminar_load.py --quick    # 8 participants within 8 s, the tests' fake room

The server is the real ``hedgecast seminar`` process. Its room is the real engine
(:class:`hedgecast.seminar.engine.Room`) on a fit of the baseline lens with the report's draws
(4 chains × 2000; the mock sampler's prior draws stand in for the posterior, so no NUTS run is
needed: reweighting costs the same on any draws of that size). Each participant joins, then
submits once at a Poisson-random time within 60 s (arrival times of a Poisson process
conditioned on 40 arrivals: sorted uniform times), a reweighted edit (a most-likely value
moved a little from the lens's, k̂ well below 0.7: no refit). A watcher plays the facilitator's
page: it listens to the server-sent events and, on each, fetches the room's state, as the
browser does. The latency of a submission is from the moment its participant starts the POST
until the first room state that includes it. Then all 40 submit again at once (a burst, on
another assumption). The server's peak resident memory is sampled every 50 ms.

Prints a table and ends with one line:
RESULT seminar_p50_s=<s> seminar_p95_s=<s> burst_p50_s=<s> burst_p95_s=<s> server_peak_rss_mb=<MB> participants=<n> load1=<loadavg>
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
ROOM_FILE = Path(__file__).resolve()


def make_room(assumption_ids=None):
    """The benchmark's room: the real engine on a report-sized fit of the baseline lens (mock sampler's draws)."""
    from hedgecast.seminar.engine import Room
    from hedgecast.workbench import Workbench

    wb = Workbench.load(ROOT)
    fit = wb.fit(wb.lens("baseline"), sampler="mock", draws=2000, chains=4, seed=2026)
    return Room.from_fit(fit, assumption_ids)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root: Path, port: int, room: str) -> tuple[subprocess.Popen, dict]:
    cmd = [sys.executable, "-m", "hedgecast", "--root", str(root), "seminar", "--port", str(port), "--test-room", room]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "400"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    printed: dict = {}
    for line in proc.stdout:
        if m := re.search(r"token=([A-Za-z0-9_-]+)", line):
            printed["token"] = m.group(1)
        if m := re.search(r"Join code:\s+(\w+)", line):
            printed["code"] = m.group(1)
            break
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # keep the pipe drained
    deadline = time.time() + 600
    while time.time() < deadline:
        try:
            with httpx.Client(timeout=2) as c:
                if c.get(f"http://127.0.0.1:{port}/join").status_code == 200:
                    return proc, printed
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


class Memory:
    """Peak RSS of a process, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.05):
        self.proc, self.every, self.peak, self._stop = psutil.Process(pid), every, 0, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.proc.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(self.every)

    def stop(self) -> float:
        self._stop.set()
        self._t.join()
        return self.peak / 2**20


class Watcher:
    """The facilitator's page: on each server-sent event, fetch the room's state; note when each participant's n-th answer appears."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token
        self.seen: dict[tuple[str, int], float] = {}  # (participant label, answers) → first time the room showed it
        self.fetches = 0

    async def run(self, stop: asyncio.Event):
        headers = {"X-Facilitator-Token": self.token}
        async with httpx.AsyncClient(base_url=self.base, headers=headers, timeout=None) as c:
            pending = asyncio.Event()

            async def fetcher():
                while not stop.is_set():
                    await pending.wait()
                    pending.clear()
                    state = (await c.get("/facilitator/state")).json()
                    now = time.perf_counter()
                    self.fetches += 1
                    for p in state["participants"]:
                        for k in range(1, p["answered"] + 1):
                            self.seen.setdefault((p["label"], k), now)

            task = asyncio.create_task(fetcher())
            async with c.stream("GET", "/facilitator/events") as events:
                async for line in events.aiter_lines():
                    if line.startswith("data:"):
                        pending.set()
                    if stop.is_set():
                        break
            task.cancel()


async def run_load(base: str, printed: dict, n: int, window: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    fac = httpx.AsyncClient(base_url=base, timeout=30, headers={"X-Facilitator-Token": printed["token"]})
    await fac.get("/join")
    await fac.post("/facilitator/open", data={"csrf": fac.cookies["hc_csrf"]})
    state = (await fac.get("/facilitator/state")).json()
    people = []
    for _ in range(n):
        c = httpx.AsyncClient(base_url=base, timeout=60)
        await c.get("/join")
        r = await c.post("/join", data={"csrf": c.cookies["hc_csrf"], "code": printed["code"]})
        assert r.status_code == 303, r.text
        people.append(c)
    state = (await fac.get("/facilitator/state")).json()
    labels = [p["label"] for p in state["participants"]][-n:]
    room = await people[0].get("/room")
    ids = re.findall(r'data-assumption="([^"]+)"', room.text)
    baselines = {
        a["id"]: a["baseline"]
        for a in json.loads(
            re.search(r'<script id="assumptions" type="application/json">(.*?)</script>', (await fac.get("/facilitator")).text, re.S).group(
                1
            )
        )
    }

    watcher = Watcher(base, printed["token"])
    stop = asyncio.Event()
    watch = asyncio.create_task(watcher.run(stop))
    await asyncio.sleep(0.5)
    started: dict[tuple[str, int], float] = {}
    methods: list[str] = []

    async def submit(i: int, k: int, delay: float):
        await asyncio.sleep(delay)
        aid = ids[(k - 1) % len(ids)]
        b = baselines[aid]
        width = b["high"] - b["low"]
        ml = b["most_likely"] + float(rng.uniform(-0.15, 0.15)) * width
        data = {
            "csrf": people[i].cookies["hc_csrf"],
            "key": f"{k}",
            "assumption": aid,
            "low": b["low"],
            "most_likely": ml,
            "high": b["high"],
        }
        data["justification"] = f"benchmark participant {i}, answer {k}"
        started[(labels[i], k)] = time.perf_counter()
        r = await people[i].post("/room/answer", data=data, headers={"Accept": "application/json"})
        assert r.status_code == 200, r.text
        methods.append(r.json()["state"]["method"])

    async def wait_seen(keys, timeout=120):
        deadline = time.perf_counter() + timeout
        while any(k not in watcher.seen for k in keys) and time.perf_counter() < deadline:
            await asyncio.sleep(0.02)

    times = np.sort(rng.uniform(0, window, n))
    await asyncio.gather(*(submit(i, 1, times[i]) for i in range(n)))
    await wait_seen([(labels[i], 1) for i in range(n)])
    poisson = [watcher.seen[(labels[i], 1)] - started[(labels[i], 1)] for i in range(n)]
    await asyncio.sleep(1.1)  # the per-participant rate limit
    await asyncio.gather(*(submit(i, 2, 0.0) for i in range(n)))
    await wait_seen([(labels[i], 2) for i in range(n)])
    burst = [watcher.seen[(labels[i], 2)] - started[(labels[i], 2)] for i in range(n)]
    stop.set()
    await fac.post("/facilitator/close", data={"csrf": fac.cookies["hc_csrf"]})
    await asyncio.wait_for(watch, 10)
    for c in [fac, *people]:
        await c.aclose()
    return {"poisson": poisson, "burst": burst, "methods": methods, "fetches": watcher.fetches}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--participants", type=int, default=40)
    ap.add_argument("--window", type=float, default=60.0, help="seconds over which the Poisson arrivals fall")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--quick", action="store_true", help="8 participants within 8 s on the tests' fake room (a smoke run)")
    args = ap.parse_args()
    n, window = (8, 8.0) if args.quick else (args.participants, args.window)
    room = f"{ROOT / 'tests' / 'seminar' / 'fake_room.py'}:make_room" if args.quick else f"{ROOM_FILE}:make_room"
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="seminar-bench-") as tmp:
        port = free_port()
        t0 = time.perf_counter()
        proc, printed = start_server(Path(tmp), port, room)
        startup = time.perf_counter() - t0
        mem = Memory(proc.pid)
        try:
            res = asyncio.run(run_load(f"http://127.0.0.1:{port}", printed, n, window, args.seed))
        finally:
            peak = mem.stop()
            proc.terminate()
            proc.wait(timeout=30)
    load_after = os.getloadavg()
    p = {k: np.percentile(res[k], [50, 95]) for k in ("poisson", "burst")}
    reweighted = sum(m == "reweighted" for m in res["methods"])
    print(f"seminar load benchmark: {n} participants over loopback, {'fake room' if args.quick else 'real engine, 4×2000 draws'}")
    print(f"{'':34}{'p50 (s)':>10}{'p95 (s)':>10}{'max (s)':>10}")
    print(
        f"{'Poisson arrivals within ' + format(window, 'g') + ' s':34}"
        f"{p['poisson'][0]:10.3f}{p['poisson'][1]:10.3f}{max(res['poisson']):10.3f}"
    )
    print(f"{'burst of ' + str(n) + ' at once':34}{p['burst'][0]:10.3f}{p['burst'][1]:10.3f}{max(res['burst']):10.3f}")
    print(
        f"server peak RSS: {peak:.0f} MB; server start-up (room included) {startup:.0f} s; "
        f"{reweighted}/{len(res['methods'])} answers reweighted"
    )
    print(
        f"room state fetches by the watcher: {res['fetches']}; "
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (2 cores)"
    )
    print(
        f"RESULT seminar_p50_s={p['poisson'][0]:.3f} seminar_p95_s={p['poisson'][1]:.3f} burst_p50_s={p['burst'][0]:.3f} "
        f"burst_p95_s={p['burst'][1]:.3f} server_peak_rss_mb={peak:.0f} participants={n} load1={load_before[0]:.2f}"
    )


if __name__ == "__main__":
    main()
