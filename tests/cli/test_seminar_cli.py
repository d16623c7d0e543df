"""``hedgecast seminar``: the links, code and QR code it prints, the warning off loopback, bad options (exit 2), a room that cannot open.

The server itself is not started here (``uvicorn.run`` is replaced); tests/seminar/test_kill9.py
and test_browser.py run the real process.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from hedgecast.cli import main as cli

FAKE = Path(__file__).resolve().parents[1] / "seminar" / "fake_room.py"


def invoke(monkeypatch, capsys, *args: str) -> tuple[int, str, str, dict]:
    served: dict = {}
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    monkeypatch.setattr(sys, "argv", ["hedgecast", *args])
    monkeypatch.setenv("COLUMNS", "400")
    with pytest.raises(SystemExit) as info:
        cli.run()
        raise SystemExit(0)
    captured = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err, served


def test_prints_links_code_and_qr_and_serves_on_loopback(monkeypatch, capsys, tmp_path):
    code, out, err, served = invoke(
        monkeypatch, capsys, "--root", str(tmp_path), "seminar", "--test-room", f"{FAKE}:make_room", "--port", "8799"
    )
    assert code == 0, err
    token = re.search(r"http://127\.0\.0\.1:8799/facilitator\?token=([A-Za-z0-9_-]+)", out).group(1)
    assert len(token) >= 43  # 32 random bytes, URL-safe: 256 bits
    join = re.search(r"Join code:\s+([A-Z0-9]{6})", out).group(1)
    assert f"http://127.0.0.1:8799/join?code={join}" in out
    assert "▀" in out or "█" in out  # the QR code, drawn in the terminal
    assert served["host"] == "127.0.0.1" and served["port"] == 8799 and "warning" not in err
    assert served["app"].state.qr_svg.startswith("<svg")
    assert (tmp_path / "seminars" / "seminar.sqlite3").exists()


def test_another_host_warns_that_the_token_travels_unencrypted(monkeypatch, capsys, tmp_path):
    code, out, err, served = invoke(
        monkeypatch, capsys, "--root", str(tmp_path), "seminar", "--test-room", f"{FAKE}:make_room", "--host", "0.0.0.0"
    )
    assert code == 0 and served["host"] == "0.0.0.0"
    assert "warning" in err and "unencrypted" in err and "TLS" in err


def test_a_bad_port_exits_2(monkeypatch, capsys, tmp_path):
    code, _, err, served = invoke(
        monkeypatch, capsys, "--root", str(tmp_path), "seminar", "--test-room", f"{FAKE}:make_room", "--port", "70000"
    )
    assert code == 2 and "--port" in err and not served


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["-a", "nope", "-a", "cushion", "-a", "incident_intercept"], "--assumption nope: not a prior this room can ask about"),
        (["-a", "cushion", "-a", "incident_intercept"], "give 3 to 6 different priors (got 2)"),
    ],
)
def test_unknown_or_too_few_assumptions_exit_2_before_any_fit(project, monkeypatch, capsys, args, says):
    from hedgecast.workbench import Workbench

    def no_fit(*a, **k):
        raise AssertionError("fitted before checking --assumption")

    monkeypatch.setattr(Workbench, "fit_or_reuse", no_fit)
    code, out, err, served = invoke(monkeypatch, capsys, "--root", str(project), "seminar", *args)
    assert code == 2 and says in out + err and "Traceback" not in out + err
    assert not served


def test_a_seminar_error_reaches_the_user_as_one_message(project, monkeypatch, capsys):
    """A room that cannot open (here: an error class whose constructor takes other arguments) is one message, in the terminal and the page.

    The server has started by then (the pages were showing the fit's progress), so it keeps serving the message.
    """
    from starlette.testclient import TestClient

    from hedgecast.seminar.answers import SeminarInputError
    from hedgecast.workbench import Workbench

    def refuse(*a, **k):
        raise SeminarInputError("questions", "none of the headline questions can be forecast from this fit")

    monkeypatch.setattr(Workbench, "fit_or_reuse", refuse)
    args = ("-a", "cushion", "-a", "incident_intercept", "-a", "escalation_ties")
    code, out, err, served = invoke(monkeypatch, capsys, "--root", str(project), "seminar", *args)
    assert code == 0 and "the room could not be opened" in err and "Traceback" not in out + err
    assert (out + err).count("[questions]: none of the headline questions") == 1
    status = TestClient(served["app"]).get("/status").json()
    assert status["state"] == "failed" and "[questions]: none of the headline questions" in status["message"]
