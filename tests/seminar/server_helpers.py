"""Starting ``hedgecast seminar`` on the fake room as a real server process (kill -9 and browser tests)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

import hedgecast

HERE = Path(__file__).resolve().parent
SRC = Path(hedgecast.__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(root: Path, port: int) -> tuple[subprocess.Popen, dict]:
    """Start ``hedgecast seminar`` on the fake room; return the process and what it printed (token, code)."""
    cmd = [sys.executable, "-m", "hedgecast", "--root", str(root), "seminar", "--port", str(port)]
    cmd += ["--test-room", f"{HERE / 'fake_room.py'}:make_room"]
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "400"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    printed: dict = {}
    deadline = time.time() + 120
    for line in proc.stdout:
        if m := re.search(r"token=([A-Za-z0-9_-]+)", line):
            printed["token"] = m.group(1)
        if m := re.search(r"Join code:\s+(\w+)", line):
            printed["code"] = m.group(1)
            break
        assert time.time() < deadline
    assert {"token", "code"} <= printed.keys(), proc.stderr.read() if proc.poll() is not None else "no links printed"
    while time.time() < deadline:
        try:
            with httpx.Client(timeout=2) as probe:
                if probe.get(f"http://127.0.0.1:{port}/join").status_code == 200:
                    return proc, printed
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    proc.wait()
    close_pipes(proc)
    raise AssertionError("the server did not answer")


def stop(proc: subprocess.Popen) -> bool:
    """Stop the server with SIGTERM (SIGKILL after 30 s) and close its pipes; True if SIGTERM was enough."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
        return True
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False
    finally:
        close_pipes(proc)


def close_pipes(proc: subprocess.Popen) -> None:
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


def csrf(c: httpx.Client) -> str:
    if not c.cookies.get("hc_csrf"):
        c.get("/join")
    return c.cookies["hc_csrf"]
