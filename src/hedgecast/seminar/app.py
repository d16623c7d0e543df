"""The seminar's web app: Starlette routes, Jinja2 pages, server-sent events.

Why Starlette + Jinja2 + server-sent events (served by uvicorn): the pages are plain HTML
forms that work on any phone without a JavaScript framework or a CDN (the server must work
offline in a seminar room), Jinja2 is already the report's template engine (autoescaping
keeps participants' text inert), and a room's live updates only flow one way — server to
page — which is what server-sent events are: one long HTTP response per page, reconnecting
by itself, no WebSocket protocol. Starlette is the small, maintained ASGI toolkit under
FastAPI; we need its routing, forms, cookies and streaming responses, not FastAPI's
OpenAPI layer. Shiny for Python would tie every page to a websocket session and a
server-side reactive graph per participant, which is heavier for forty phones.

Endpoints: participants ``/join``, ``/room`` (+ ``/room/answer``, ``/room/state``,
``/room/events``); the facilitator ``/facilitator…``, each checking the token (query
``token=``, header ``X-Facilitator-Token`` or the cookie the facilitator page sets) in
constant time; anyone else gets 403. Every POST checks its CSRF token.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from hedgecast.errors import HedgecastError
from hedgecast.seminar import exports
from hedgecast.seminar.opening import Opening
from hedgecast.seminar.security import (
    CSRF_COOKIE,
    FACILITATOR_COOKIE,
    MAX_NAME,
    PARTICIPANT_COOKIE,
    FailureLimiter,
    FormError,
    clean_text,
    csrf_ok,
    same_secret,
)
from hedgecast.seminar.service import ENDED, RoundClosed, Seminar, SessionEnded, TooFast, label

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
#: seconds between keep-alive comments on an idle event stream (proxies drop silent connections)
KEEPALIVE = 15.0


def _field_of(err: HedgecastError) -> tuple[str, str, str]:
    """``(assumption id or "", field, message)`` of a form error (the engine names fields ``<assumption>.<field>``)."""
    field = getattr(err, "field", "") or ""
    message = getattr(err, "message", None) or str(err)
    aid, _, sub = field.rpartition(".")
    return aid, (sub or field).replace("_", " "), message


def create_app(seminar: Seminar | Opening, *, secure_cookies: bool = False) -> Starlette:
    """The ASGI app serving ``seminar`` (``secure_cookies`` when served behind TLS).

    Given an :class:`~hedgecast.seminar.opening.Opening`, every page shows the room's opening
    (the fit's progress, live) until the room is ready, then the room; or the failure.
    """
    opening = seminar if isinstance(seminar, Opening) else None
    if opening is not None:
        seminar = _Late(opening)

    def page(name: str, request: Request, status: int = 200, **context) -> HTMLResponse:
        csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        html = TEMPLATES.get_template(name).render(csrf=csrf, **context)
        response = HTMLResponse(html, status_code=status, headers=_NO_STORE)
        if request.cookies.get(CSRF_COOKIE) != csrf:
            response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=secure_cookies)
        return response

    async def form_of(request: Request):
        form = await request.form()
        if not csrf_ok(form.get("csrf"), request.cookies.get(CSRF_COOKIE), request.headers.get("origin"), request.headers.get("host")):
            raise _Refused(403, "this form has expired or came from another site: reload the page and try again")
        return form

    def wants_json(request: Request) -> bool:
        return "application/json" in request.headers.get("accept", "")

    # ------------------------------------------------------------------ participants
    guesses = FailureLimiter()  # wrong join codes per client address

    def me(request: Request):
        return seminar.participant(request.cookies.get(PARTICIPANT_COOKIE))

    def ended(request: Request, p) -> bool:
        """The participant's session has ended (this one, or an earlier one their cookie belongs to)."""
        return seminar.session.ended if p is not None else seminar.ended_for(request.cookies.get(PARTICIPANT_COOKIE))

    async def index(request: Request) -> Response:
        return RedirectResponse("/room" if me(request) else "/join", status_code=303)

    async def join_page(request: Request) -> Response:
        if me(request):
            return RedirectResponse("/room", status_code=303)
        return page("join.html", request, code=request.query_params.get("code", "")[:12], error=None)

    async def join(request: Request) -> Response:
        form = await form_of(request)
        code = (form.get("code") or "").strip().upper()
        who = request.client.host if request.client else "unknown"
        wait = guesses.blocked(who)
        if wait:
            message = f"too many wrong join codes from this device: wait {int(wait) + 1} seconds, then check the code with the facilitator"
            return page("join.html", request, status=429, code="", error=FormError("code", message))
        try:
            if not same_secret(code, seminar.join_code):
                guesses.failed(who)
                raise FormError("code", "this is not the room's join code: check it with the facilitator")
            name = clean_text(form.get("name"), "name", MAX_NAME)
        except FormError as err:
            return page("join.html", request, status=400, code=code[:12], error=err)
        secret = secrets.token_urlsafe(24)
        try:
            await _thread(seminar.join, secret, name)
        except SessionEnded as err:
            return page("join.html", request, status=410, code="", error=FormError("code", str(err)))
        response = RedirectResponse("/room", status_code=303)
        response.set_cookie(PARTICIPANT_COOKIE, secret, max_age=7 * 86400, httponly=True, samesite="lax", secure=secure_cookies)
        return response

    def room_page(request: Request, p, status: int = 200, error=None, posted=None) -> HTMLResponse:
        state = seminar.participant_state(p)
        keys = {a.id: secrets.token_urlsafe(16) for a in seminar.room.assumptions}
        return page(
            "room.html", request, status=status, state=state, assumptions=seminar.assumptions_view(), keys=keys, error=error, posted=posted
        )

    async def room(request: Request) -> Response:
        p = me(request)
        if ended(request, p):
            return page("ended.html", request, message=ENDED)
        if p is None:
            return RedirectResponse("/join", status_code=303)
        return await _thread(room_page, request, p)

    async def answer(request: Request) -> Response:
        p = me(request)
        if ended(request, p):
            raise _Refused(410, ENDED)
        if p is None:
            raise _Refused(403, "join the room first")
        form = await form_of(request)
        key = (form.get("key") or "")[:64]
        if not key:
            raise _Refused(400, "the form has no submission key: reload the page")
        try:
            outcome = await _thread(seminar.submit, p, key, form)
        except HedgecastError as err:
            aid, field, message = _field_of(err)
            aid = aid or (form.get("assumption") or "")
            aid = aid if aid in seminar.session.assumptions else ""
            if wants_json(request):
                return JSONResponse({"error": message, "field": field, "assumption": aid}, status_code=400)
            error = {"assumption": aid, "field": field, "message": message}
            return await _thread(room_page, request, p, 400, error, dict(form))
        except RoundClosed as err:
            raise _Refused(409, str(err)) from None
        except TooFast as err:
            raise _Refused(429, str(err)) from None
        except SessionEnded as err:
            raise _Refused(410, str(err)) from None
        if wants_json(request):
            state = await _thread(seminar.participant_state, p)
            return JSONResponse({"ok": True, "created": outcome.created, "next_key": secrets.token_urlsafe(16), "state": state})
        return RedirectResponse(f"/room#{form.get('assumption')}", status_code=303)

    async def room_state(request: Request) -> Response:
        p = me(request)
        if p is None:
            raise _Refused(403, "join the room first")
        return JSONResponse(await _thread(seminar.participant_state, p), headers=_NO_STORE)

    async def room_events(request: Request) -> Response:
        if me(request) is None:
            raise _Refused(403, "join the room first")
        return _events(seminar)

    # ------------------------------------------------------------------ facilitator
    def facilitator(request: Request) -> None:
        given = request.query_params.get("token") or request.headers.get("x-facilitator-token") or request.cookies.get(FACILITATOR_COOKIE)
        if not same_secret(given, seminar.token):
            raise _Refused(403, "this page is the facilitator's: it needs the facilitator's link")

    async def fac_page(request: Request) -> Response:
        facilitator(request)
        if "token" in request.query_params:  # keep the token out of the address bar and history: a cookie from now on
            response = RedirectResponse("/facilitator", status_code=303, headers=_NO_STORE)
            response.set_cookie(FACILITATOR_COOKIE, seminar.token, httponly=True, samesite="strict", secure=secure_cookies)
            return response
        state = await _thread(seminar.facilitator_state)
        response = page(
            "facilitator.html",
            request,
            state=state,
            assumptions=seminar.assumptions_view(),
            candidates=_candidates(seminar),
            join_url=request.app.state.join_url,
            qr_svg=request.app.state.qr_for(state["join_code"]) if request.app.state.qr_for else request.app.state.qr_svg,
            earlier=[e.join_code for e in seminar.store.ended_sessions(seminar.lens) if e.id != seminar.sid],
        )
        response.set_cookie(FACILITATOR_COOKIE, seminar.token, httponly=True, samesite="strict", secure=secure_cookies)
        return response

    async def fac_state(request: Request) -> Response:
        facilitator(request)
        return JSONResponse(await _thread(seminar.facilitator_state), headers=_NO_STORE)

    async def fac_events(request: Request) -> Response:
        facilitator(request)
        return _events(seminar)

    async def fac_action(request: Request) -> Response:
        facilitator(request)
        form = await form_of(request)
        action = request.path_params["action"]
        try:
            if action == "open":
                await _thread(seminar.open_round)
            elif action == "close":
                await _thread(seminar.close_round)
            elif action == "reveal":
                await _thread(seminar.reveal, form.get("on", "1") == "1")
            elif action == "assumptions":
                await _thread(seminar.choose_assumptions, list(form.getlist("assumption")))
            elif action == "end":
                await _thread(seminar.end_session)
                await _thread(exports.save_ended, seminar)
            elif action == "new":
                await _thread(seminar.new_session)
            else:
                raise _Refused(404, f"no such action {action[:20]!r}")
        except HedgecastError as err:
            _, field, message = _field_of(err)
            if wants_json(request):
                return JSONResponse({"error": message, "field": field}, status_code=400)
            return PlainTextResponse(f"{field}: {message}", status_code=400)
        if wants_json(request):
            return JSONResponse({"ok": True, "state": await _thread(seminar.facilitator_state)})
        return RedirectResponse("/facilitator", status_code=303)

    async def export_csv(request: Request) -> Response:
        facilitator(request)
        text = await _thread(exports.submissions_csv, seminar)
        return Response(text, media_type="text/csv; charset=utf-8", headers=_download(f"seminar-{seminar.join_code}.csv"))

    async def export_lens(request: Request) -> Response:
        facilitator(request)
        who = request.path_params["participant"]
        text = await _thread(exports.participant_lens_toml, seminar, who)
        if text is None:
            raise _Refused(404, f"no answers from {who[:12]!r}")
        return Response(text, media_type="application/toml; charset=utf-8", headers=_download(f"seminar-{seminar.join_code}-{who}.toml"))

    async def export_results(request: Request) -> Response:
        facilitator(request)
        text, _ = await _thread(exports.save_results, seminar)
        return Response(text, media_type="application/json", headers=_download(f"seminar-{seminar.join_code}.json"))

    async def export_earlier(request: Request) -> Response:
        """An ended session's saved record (``ABC234.csv`` or ``ABC234.json``), by its join code."""
        facilitator(request)
        code, _, kind = request.path_params["name"].partition(".")
        codes = {e.join_code for e in await _thread(seminar.store.ended_sessions, seminar.lens)}
        path = exports.saved_paths(seminar, code).get(kind) if code in codes else None
        if path is None or not path.exists():
            raise _Refused(404, f"no saved record {request.path_params['name'][:20]!r} of an ended session")
        media = "text/csv; charset=utf-8" if kind == "csv" else "application/json"
        return Response(path.read_bytes(), media_type=media, headers=_download(path.name))

    async def status(request: Request) -> Response:
        """The room's opening (public: the fit's progress, nothing about anyone)."""
        return JSONResponse(opening.status() if opening else {"state": "ready"}, headers=_NO_STORE)

    async def status_events(request: Request) -> Response:
        return _events(seminar)

    async def not_ready(request: Request, exc: _NotReady) -> Response:
        state = opening.status()
        headers = {**_NO_STORE, "Retry-After": "5"}
        if wants_json(request) or request.url.path.endswith(("/state", "/events")) or request.method != "GET":
            return JSONResponse({"error": _waiting_words(state), "opening": state}, status_code=503, headers=headers)
        response = page("opening.html", request, status=503, opening=state)
        response.headers.update(headers)
        return response

    async def refused(request: Request, exc: _Refused) -> Response:
        if wants_json(request) or request.url.path.endswith(("/state", "/events")):
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return page("message.html", request, status=exc.status, message=exc.message)

    routes = [
        Route("/", index),
        Route("/status", status),
        Route("/status/events", status_events),
        Route("/join", join_page, methods=["GET"]),
        Route("/join", join, methods=["POST"]),
        Route("/room", room, methods=["GET"]),
        Route("/room/answer", answer, methods=["POST"]),
        Route("/room/state", room_state),
        Route("/room/events", room_events),
        Route("/facilitator", fac_page),
        Route("/facilitator/state", fac_state),
        Route("/facilitator/events", fac_events),
        Route("/facilitator/export.csv", export_csv),
        Route("/facilitator/export/seminar.json", export_results),
        Route("/facilitator/export/lens/{participant}", export_lens),
        Route("/facilitator/export/session/{name}", export_earlier),
        Route("/facilitator/{action}", fac_action, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={_Refused: refused, _NotReady: not_ready})
    app.state.seminar = seminar
    app.state.join_guesses = guesses
    app.state.join_url = "/join"
    app.state.qr_svg = None
    app.state.qr_for = None  # join code → the join link's QR code as SVG (a new session has a new code)
    return app


class _NotReady(Exception):
    """The room is still opening (or failed to open): the page says so."""


class _Late:
    """The seminar an :class:`Opening` will have: its attributes once ready; until then the token, lens and broker only."""

    def __init__(self, opening: Opening):
        self._opening = opening

    def __getattr__(self, name: str):
        ready = self._opening.seminar
        if ready is not None:
            return getattr(ready, name)
        if name in ("token", "lens", "broker"):
            return getattr(self._opening, name)
        raise _NotReady(name)


def _waiting_words(state: dict) -> str:
    if state["state"] == "failed":
        return f"the room could not be opened: {state['message']}"
    return f"the room is opening: {state['step']} ({state['stage'] or 'starting'}), {state['elapsed_s']:.0f} s so far"


class _Refused(Exception):
    """An HTTP refusal with a message for the page (403, 404, 409, 429…)."""

    def __init__(self, status: int, message: str):
        self.status, self.message = status, message
        super().__init__(message)


_NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def _download(name: str) -> dict:
    return {**_NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'}


async def _thread(fn, *args):
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


def _candidates(seminar: Seminar) -> list[dict]:
    """The assumptions a facilitator may put to the room instead (empty when the room cannot change them)."""
    return seminar.candidates()


def _events(seminar: Seminar) -> StreamingResponse:
    """A server-sent event stream: the room's version now, then one event per change, keep-alives between."""
    broker = seminar.broker

    async def stream():
        q = broker.subscribe()
        try:
            yield f"retry: 2000\ndata: {json.dumps({'version': broker.version, 'kind': 'hello'})}\n\n"
            while True:
                try:
                    event = await asyncio.wait_for(q.get(), KEEPALIVE)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"data: {json.dumps(event)}\n\n"
        finally:
            broker.unsubscribe(q)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


__all__ = ["KEEPALIVE", "TEMPLATES", "create_app", "label"]
