"""What keeps a seminar safe by default: the facilitator token, CSRF, rate limits, and reading forms strictly.

* The facilitator token is ``secrets.token_urlsafe(32)`` (256 bits), new at every server start,
  compared in constant time (:func:`hmac.compare_digest`); every facilitator endpoint checks it.
* Forms carry a CSRF token (double submit: the same random value in a cookie and in the form,
  compared in constant time), and a cross-site ``Origin`` is refused.
* Each participant may submit at most once per :data:`MIN_INTERVAL` seconds (HTTP 429).
* Join codes are short (about 30 bits), so guessing them is limited: at most
  :data:`JOIN_FAILURES` wrong codes per client address per :data:`JOIN_WINDOW` seconds,
  then HTTP 429 until the window has passed (:class:`FailureLimiter`). Every secret is
  compared in constant time, on SHA-256 digests so that not even its length leaks.
* Every field is read here, as text, into numbers and strings with limits; anything else is a
  :class:`FormError` naming the field (the engine then checks the values, ``Room.validate``).
  Nothing a user types is ever evaluated, and pages show
  it only through Jinja2's autoescaping.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from hedgecast.errors import HedgecastError
from hedgecast.seminar.answers import MAX_JUSTIFICATION

#: seconds a participant waits between two submissions
MIN_INTERVAL = 1.0
#: wrong join codes one client address may try per JOIN_WINDOW seconds before it is refused (HTTP 429)
JOIN_FAILURES = 10
JOIN_WINDOW = 60.0
#: the longest display name accepted (characters; the longest justification is the engine's MAX_JUSTIFICATION)
MAX_NAME = 60

CSRF_COOKIE = "hc_csrf"
PARTICIPANT_COOKIE = "hc_participant"
FACILITATOR_COOKIE = "hc_facilitator"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FormError(HedgecastError):
    """One bad form field: ``field`` names it (as the form labels it), ``message`` says what is wrong."""

    def __init__(self, field: str, message: str):
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


def new_token() -> str:
    """A facilitator token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented secret with the expected one (False when none was presented)."""
    if not given:
        return False
    digest = hashlib.sha256
    return hmac.compare_digest(digest(given.encode()).digest(), digest(expected.encode()).digest())


def csrf_ok(form_value: str | None, cookie_value: str | None, origin: str | None, host: str | None) -> bool:
    """A form post is genuine: its CSRF field equals the CSRF cookie, and it came from this site (when the browser says).

    ``Origin: null`` (a browser withholding the origin) says nothing either way: the token decides.
    """
    if origin and origin != "null" and host and origin.split("://", 1)[-1].rstrip("/") != host:
        return False
    return bool(cookie_value) and same_secret(form_value, cookie_value)


class RateLimiter:
    """At most one accepted action per ``interval`` seconds per key (a participant)."""

    def __init__(self, interval: float = MIN_INTERVAL):
        self.interval = interval
        self._last: dict[object, float] = {}
        self._lock = threading.Lock()

    def allow(self, key: object) -> bool:
        """Record an action by ``key`` now if it waited long enough; say whether it did."""
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval:
                return False
            self._last[key] = now
            return True


class FailureLimiter:
    """At most ``limit`` failures per key (a client address) in any ``window`` seconds; then :meth:`blocked` until they age out."""

    def __init__(self, limit: int = JOIN_FAILURES, window: float = JOIN_WINDOW, clock=time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[object, deque] = {}
        self._lock = threading.Lock()

    def _recent(self, key: object, now: float) -> deque:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def blocked(self, key: object) -> float:
        """Seconds ``key`` must still wait (0.0: it may try now)."""
        now = self.clock()
        with self._lock:
            times = self._recent(key, now)
            if len(times) < self.limit:
                if not times:
                    self._failures.pop(key, None)  # keep the table as small as the set of recent guessers
                return 0.0
            return max(self.window - (now - times[0]), 0.0)

    def failed(self, key: object) -> None:
        now = self.clock()
        with self._lock:
            self._recent(key, now).append(now)


def clean_text(value: str | None, field: str, limit: int, *, required: bool = False) -> str:
    """Text from a form: control characters refused, whitespace trimmed, at most ``limit`` characters."""
    text = (value or "").strip()
    if required and not text:
        raise FormError(field, "is required: say in a sentence why you believe this")
    if len(text) > limit:
        raise FormError(field, f"is too long ({len(text)} characters; at most {limit})")
    if _CONTROL.search(text):
        raise FormError(field, "contains control characters")
    return text


def number(value: str | None, field: str) -> float:
    """A number typed in a form (a decimal comma and a trailing % are accepted); its range is the engine's to check."""
    text = (value or "").strip().replace(",", ".").removesuffix("%").strip()
    if not text:
        raise FormError(field, "is required")
    if len(text) > 32:
        raise FormError(field, "is not a number")
    try:
        return float(text)
    except ValueError:
        raise FormError(field, f"is not a number ({text[:20]!r})") from None


@dataclass(frozen=True)
class AnswerForm:
    """One answer as read from a form, before the engine checks it (finite, sensible size, low < most likely < high)."""

    assumption_id: str
    most_likely: float
    low: float
    high: float
    justification: str


def read_answer(form, assumption_ids: list[str] | tuple[str, ...]) -> AnswerForm:
    """Read one answer form into numbers and text; raise :class:`FormError` on the first field that is not.

    The engine (``Room.validate``) then checks the values: NaN, infinity, absurd magnitudes,
    a range of negative or zero width, a most-likely value outside the range.
    """
    aid = (form.get("assumption") or "").strip()
    if aid not in assumption_ids:
        raise FormError("assumption", f"unknown assumption {aid[:40]!r}: this room asks about {', '.join(assumption_ids)}")
    values = {name: number(form.get(name), name) for name in ("most_likely", "low", "high")}
    why = clean_text(form.get("justification"), "justification", MAX_JUSTIFICATION, required=True)
    return AnswerForm(aid, values["most_likely"], values["low"], values["high"], why)


__all__ = [
    "CSRF_COOKIE",
    "FACILITATOR_COOKIE",
    "JOIN_FAILURES",
    "JOIN_WINDOW",
    "MAX_NAME",
    "MIN_INTERVAL",
    "PARTICIPANT_COOKIE",
    "AnswerForm",
    "FailureLimiter",
    "FormError",
    "RateLimiter",
    "clean_text",
    "csrf_ok",
    "new_token",
    "number",
    "read_answer",
    "same_secret",
]
