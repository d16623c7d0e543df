"""Opening a seminar room in the background, with its progress in the page.

The server starts at once; :class:`Opening` builds the room in a thread (reuse the latest
passing saved fit of the lens, or fit once, then forecast the headline questions and rank the
assumptions) while every page — the facilitator's and any participant's who comes early —
shows what is happening: the step, the :mod:`hedgecast.timing` stage under way ("compiling
the model", "sampling the posterior (NUTS)", …; watched with :func:`hedgecast.timing.watch`)
and the time so far, pushed over the same server-sent event channel as the room
(:class:`~hedgecast.seminar.live.Broker`). When the room is ready the pages reload into it;
when the build fails they show one message (also printed in the terminal), and the server
keeps answering with it until stopped.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from hedgecast import timing
from hedgecast.errors import HedgecastError
from hedgecast.seminar.live import Broker

log = logging.getLogger(__name__)

#: the timing stages of a fit and a room's opening, in the facilitator's words
STAGE_WORDS = {
    "reuse": "loading the saved fit",
    "fit": "fitting the model",
    "compile": "compiling the model",
    "sampling": "sampling the posterior (NUTS)",
    "prior draws": "drawing from the priors",
    "derived groups": "computing the log-likelihood, log prior and posterior predictive",
    "derived groups compile": "preparing the log-likelihood, log prior and posterior predictive",
    "forecast": "forecasting the headline questions",
}

#: what the page adds while a stage is under way
STAGE_HINTS = {"compile": "the first fit on this computer takes a few minutes", "sampling": "the longest part of a fit"}

FITTING, READY, FAILED = "fitting", "ready", "failed"


class Opening:
    """A room being opened: ``build(opening)`` returns the :class:`~hedgecast.seminar.service.Seminar` (run by :meth:`start`).

    ``build`` may call :meth:`step` to name what it does ("Reusing or fitting lens baseline");
    the timing stages it enters are reported by themselves. ``on_done(opening)`` runs in the
    build's thread when it has finished or failed (the command line prints the links then).
    """

    def __init__(
        self,
        build: Callable[[Opening], Any],
        *,
        lens: str,
        token: str,
        broker: Broker | None = None,
        on_done: Callable[[Opening], None] | None = None,
    ):
        self.build, self.lens, self.token, self.on_done = build, lens, token, on_done
        self.broker = broker or Broker()
        self.seminar: Any = None
        self.state = FITTING
        self.message = ""
        self.step_text = "starting"
        self.detail = ""
        self.stages: tuple[str, ...] = ()
        self.started = time.time()
        self.finished: float | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._closing = False
        self._began: dict[str, float] = {}
        self.done: list[dict] = []  # the stages finished so far, with their seconds
        self.reusing = False  # a saved fit is being loaded (no fit)
        self.traceback = ""  # of an unexpected failure (not shown in the pages)

    def start(self) -> Opening:
        self._thread = threading.Thread(target=self._run, name="seminar-opening", daemon=True)
        self._thread.start()
        return self

    def step(self, text: str, detail: str | None = None) -> None:
        """Name the step under way (and, optionally, a detail such as the sampler's settings)."""
        with self._lock:
            self.step_text = text
            if detail is not None:
                self.detail = detail
        self.broker.publish("opening")

    def _stages(self, open_stages: tuple[str, ...]) -> None:
        now = time.monotonic()
        with self._lock:
            for name in open_stages[len(self.stages) :]:
                self._began[name] = now
                self.reusing = self.reusing or name == "reuse"
            for name in self.stages[len(open_stages) :]:  # closed: done, with its time (a stage run again twice in a row: one line)
                words, seconds = STAGE_WORDS.get(name, name), now - self._began.pop(name, now)
                if self.done and self.done[-1]["stage"] == words:
                    seconds += self.done.pop()["seconds"]
                self.done.append({"stage": words, "seconds": round(seconds, 1)})
            self.stages = tuple(open_stages)
        self.broker.publish("opening")

    def _run(self) -> None:
        try:
            with timing.watch(self._stages):
                seminar = self.build(self)
        except HedgecastError as err:  # bad input (a lens, an assumption, a failed check): its own message
            self._finish(FAILED, str(err))
        except Exception as err:  # the room could not open: one message in the page and the terminal; the traceback kept for the record
            self.traceback = traceback.format_exc()
            log.debug("the seminar room could not be opened", exc_info=True)
            self._finish(FAILED, f"{type(err).__name__}: {err}")
        else:
            with self._lock:
                self.seminar = seminar
            self._finish(READY, "")

    def _finish(self, state: str, message: str) -> None:
        with self._lock:
            self.state, self.message, self.stages, self.finished = state, message, (), time.time()
        self.broker.publish("opening")
        try:
            if self.on_done is not None and not self._closing:
                self.on_done(self)
        finally:
            self._done.set()  # after on_done: whoever waits (close) finds the links printed

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the room is open or has failed; True if it has."""
        return self._done.wait(timeout)

    def status(self) -> dict:
        """What the waiting page shows: state (fitting, ready, failed), step, stage in words, seconds so far, the failure."""
        with self._lock:
            stages = self.stages
            return {
                "state": self.state,
                "lens": self.lens,
                "step": self.step_text,
                "detail": self.detail,
                "stages": list(stages),
                "title": "Loading the saved fit" if self.reusing else "The model is being fitted",
                "stage": _words(stages[-1]) if stages else "",
                "done": list(self.done[-8:]),
                "elapsed_s": round((self.finished or time.time()) - self.started, 1),
                "message": self.message,
                "version": self.broker.version,
            }

    def close(self, timeout: float = 10.0) -> None:
        """Stop: give a build under way ``timeout`` seconds to finish (a long fit is abandoned, silently), then close the room."""
        if not self._done.wait(timeout):
            self._closing = True
        if self.seminar is not None:
            self.seminar.close()


def _words(stage: str) -> str:
    hint = STAGE_HINTS.get(stage)
    words = STAGE_WORDS.get(stage, stage)
    return f"{words} ({hint})" if hint else words


__all__ = ["FAILED", "FITTING", "READY", "STAGE_HINTS", "STAGE_WORDS", "Opening"]
