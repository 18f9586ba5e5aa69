"""The workshop's web application: phone pages, the projector screen and the HTTP interface.

Routes (documented with curl examples in docs/workshop.md):

- participants, on every socket: ``/`` (join with the code), ``/j/{token}`` (the QR
  link), ``/q`` (profile, then one friction point per page), ``/done``, and the JSON
  interface under ``/api/`` (join, profile, answer, progress, questions);
- the facilitator, **only on the loopback socket** and only with the admin token (a
  cookie set by ``/f?t=...``, or ``Authorization: Bearer``): ``/f``, ``/f/stream``
  (server-sent events), ``/f/api/snapshot``, ``/f/qr.svg`` and the controls under
  ``/f/api/`` (open, close, lock, unlock, reveal, hide, finish, revoke, restore, role).

Every request passes one middleware first: an unknown ``Host`` is refused (DNS
rebinding), bodies are capped at 16 KB, a ``POST`` from another origin is refused,
and every response carries a strict Content-Security-Policy (no inline script, no
third-party anything). Saving an answer, the one call a whole room makes at once,
then skips Starlette's routing and request objects (the same checks, in the same
order, with the same replies; the tests compare both ways). Participant text is only
ever rendered by autoescaping Jinja templates or set as ``textContent``/``value`` by
our own script.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request, cookie_parser
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from .. import resources
from .net import RateLimiter, is_loopback
from .session import CLOSED, FINISHED, OPEN, Device, Workshop, WorkshopError

DEVICE_COOKIE = "ws_device"
ADMIN_COOKIE = "ws_admin"
PRE_COOKIE = "ws_pre"
MAX_BODY = 16 * 1024
COOKIE_AGE = 12 * 3600
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
STATIC = {"workshop.css": "text/css; charset=utf-8", "phone.js": "text/javascript; charset=utf-8",
          "facilitator.js": "text/javascript; charset=utf-8"}


@dataclass
class Settings:
    """How one server runs: addresses, the admin token, display rules, limits.

    ``admin_address`` is the (host, port) of the loopback socket: facilitator routes
    answer only on it, whatever the ``Host`` header says.
    """

    participant_url: str
    admin_address: tuple[str, int]
    allowed_hosts: frozenset[str]
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    admin_csrf: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    results_live: bool = False
    expected: int | None = None
    heartbeat: float = 15.0
    results_interval: float = 2.0
    answer_rate: float = 20.0          # per device per second (a phone needs 10)
    answer_burst: float = 120.0         # a whole questionnaire answered in one go (scripts, fast tappers)
    join_fail_per_minute: float = 10.0  # wrong codes per IP per minute
    clock: Callable[[], float] = time.monotonic
    should_stop: Callable[[], bool] = lambda: False

    @property
    def join_url(self) -> str:
        return self.participant_url.rstrip("/") + "/j/"


class _Templates:
    def __init__(self) -> None:
        import jinja2

        folder = resources.templates_dir() / "workshop"
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), autoescape=True,
                                      undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.static = {name: (folder / "static" / name).read_bytes() for name in STATIC}

    def render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)


#: Added to every response (unless the handler set the header itself); built once, not per response.
_SECURITY = [(b"content-security-policy", CSP.encode()), (b"referrer-policy", b"same-origin"),
             (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
             (b"cross-origin-opener-policy", b"same-origin")]
_SECURITY_NAMES = frozenset(k for k, _ in _SECURITY) | {b"cache-control"}
_NO_STORE = [*_SECURITY, (b"cache-control", b"no-store")]
_STATIC_CACHE = [*_SECURITY, (b"cache-control", b"max-age=3600")]


def _security_headers(headers: list[tuple[bytes, bytes]], path: str) -> list[tuple[bytes, bytes]]:
    # same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on our own form
    # posts, which the origin check must refuse; no page links anywhere else anyway.
    extra = _STATIC_CACHE if path.startswith("/static/") else _NO_STORE
    names = {k.lower() for k, _ in headers}
    if names.isdisjoint(_SECURITY_NAMES):  # the usual case: every header ours to add
        return headers + extra
    return headers + [(k, v) for k, v in extra if k not in names]


_GUARDED = frozenset({b"host", b"origin", b"sec-fetch-site", b"content-length"})


class Guard:
    """ASGI middleware: Host allowlist, body cap, cross-origin POST refusal, security headers."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Only the headers checked here are decoded: this runs on every request.
        headers = {k.lower().decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]
                   if k.lower() in _GUARDED}
        path = scope.get("path", "")
        host = headers.get("host", "").strip().lower()
        if host not in self.settings.allowed_hosts:
            await _plain(send, 400, "Invalid host header", path)
            return
        if scope["method"] not in ("GET", "HEAD", "POST"):
            await _plain(send, 405, "Method not allowed", path)
            return
        if scope["method"] == "POST":
            origin = headers.get("origin")
            if origin is not None and origin != "null":
                parts = urlsplit(origin)
                if parts.scheme != "http" or parts.netloc.lower() != host:
                    await _plain(send, 403, "Cross-origin request refused", path)
                    return
            elif origin == "null" or headers.get("sec-fetch-site") == "cross-site":
                await _plain(send, 403, "Cross-origin request refused", path)
                return
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
                await _plain(send, 413, "Request too large", path)
                return
            receive = _capped(receive)

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message = dict(message, headers=_security_headers(list(message.get("headers", [])), path))
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except _TooLarge:
            await _plain(send, 413, "Request too large", path)


class _TooLarge(Exception):
    pass


def _check_json_type(content_type: str) -> None:
    if "application/json" not in content_type:
        # Forms cannot send JSON cross-site without a preflight we never grant.
        raise WorkshopError("send JSON (Content-Type: application/json)", status=415)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WorkshopError("the body is not valid JSON", status=400) from None
    if not isinstance(data, dict):
        raise WorkshopError("the body must be a JSON object", status=400)
    return data


async def _read_body(receive: Callable) -> bytes:
    """The whole request body, as Starlette's ``Request.body`` reads it."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send_json(send: Callable, status: int, content: Any) -> None:
    """One JSON response, byte for byte what Starlette's ``JSONResponse`` sends."""
    body = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


def _capped(receive: Callable) -> Callable:
    seen = 0

    async def wrapped() -> dict:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise _TooLarge
        return message

    return wrapped


async def _plain(send: Callable, status: int, text: str, path: str) -> None:
    body = text.encode()
    headers = _security_headers([(b"content-type", b"text/plain; charset=utf-8"),
                                 (b"content-length", str(len(body)).encode())], path)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class WorkshopServer:
    """Builds the Starlette app around one :class:`~assessment.workshop.session.Workshop`."""

    def __init__(self, workshop: Workshop, settings: Settings) -> None:
        self.ws = workshop
        self.s = settings
        self.t = _Templates()
        self.answer_limit = RateLimiter(settings.answer_rate, settings.answer_burst, settings.clock)
        self.join_limit = RateLimiter(settings.join_fail_per_minute / 60, settings.join_fail_per_minute,
                                      settings.clock)
        self._results: tuple[int, dict[str, Any]] | None = None
        self._results_at = 0.0
        self._results_lock = asyncio.Lock()
        self._waiters: set[asyncio.Event] = set()
        self._finished_callbacks: list[Callable[[], None]] = []
        workshop.on_change(self._wake)
        self.qr_svg = _qr_svg(settings.join_url + workshop.join_token)
        routes = [
            Route("/", self.index), Route("/healthz", self.healthz), Route("/j/{token}", self.join_link),
            Route("/join", self.join_form, methods=["POST"]), Route("/q", self.questions, methods=["GET", "POST"]),
            Route("/profile", self.profile_form, methods=["POST"]), Route("/done", self.done),
            Route("/static/{name}", self.static),
            Route("/api/join", self.api_join, methods=["POST"]), Route("/api/profile", self.api_profile, methods=["POST"]),
            Route("/api/answer", self.api_answer, methods=["POST"]), Route("/api/progress", self.api_progress),
            Route("/api/questions", self.api_questions),
            Route("/f", self.facilitator), Route("/f/stream", self.stream), Route("/f/qr.svg", self.qr),
            Route("/f/api/snapshot", self.api_snapshot),
            Route("/f/api/{action}", self.api_control, methods=["POST"]),
        ]
        self.starlette = Starlette(routes=routes, exception_handlers={
            WorkshopError: self._error, 404: self._not_found, 405: self._not_allowed, 500: self._crash})
        self.app = Guard(self._dispatch, settings)

    async def _dispatch(self, scope: dict, receive: Callable, send: Callable) -> None:
        """Saving an answer, the call 150 phones make at once, skips Starlette's routing, middleware and
        request objects (a fifth of the server's CPU per save, profiled); the same checks run in
        the same order (:meth:`_save`) and the answers are the same. Everything else goes to Starlette."""
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/api/answer":
            await self._answer_asgi(scope, receive, send)
        else:
            await self.starlette(scope, receive, send)

    def on_finish(self, callback: Callable[[], None]) -> None:
        """Called once the facilitator finished the workshop (the CLI then stops the server)."""
        self._finished_callbacks.append(callback)

    # -- helpers ------------------------------------------------------------------------

    def _wake(self) -> None:
        for event in list(self._waiters):
            event.set()

    def _device(self, request: Request) -> Device | None:
        return self.ws.device_for_cookie(request.cookies.get(DEVICE_COOKIE))

    def _require_device(self, request: Request) -> Device:
        return self._required(self._device(request))

    def _required(self, device: Device | None) -> Device:
        """The device a participant call needs: 410 finished, 401 not joined, 403 removed."""
        if device is None and self.ws.state == FINISHED:
            raise WorkshopError("this workshop has finished; thank you", status=410)
        if device is None:
            raise WorkshopError("join the workshop first (scan the QR code or type the code)", status=401)
        if device.revoked:
            raise WorkshopError("this device was removed by the facilitator", status=403)
        return device

    def _check_csrf(self, expected: str, given: str | None) -> None:
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise WorkshopError("missing or wrong CSRF token; reload the page", status=403)

    def _client_ip(self, request: Request) -> str:
        return request.client.host if request.client else "?"

    def _join_allowed(self, request: Request) -> None:
        if not self.join_limit.would_allow(self._client_ip(request)):
            raise WorkshopError("too many wrong codes from this network address; wait a minute", status=429)

    def _join_failed(self, request: Request) -> None:
        self.join_limit.allow(self._client_ip(request))

    def _wants_json(self, request: Request) -> bool:
        return request.url.path.startswith(("/api/", "/f/api/")) or \
            "application/json" in request.headers.get("accept", "")

    def _set_device_cookie(self, response: Response, cookie: str) -> None:
        response.set_cookie(DEVICE_COOKIE, cookie, max_age=COOKIE_AGE, httponly=True, samesite="lax", path="/")

    def _page(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("title", "Workshop")
        return HTMLResponse(self.t.render(name, q=self.ws.q, **context), status_code=status)

    async def _error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WorkshopError)
        if self._wants_json(request):
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return self._page("message.html", status=exc.status, heading="Sorry", message=exc.message,
                          link="/" if exc.status in (401, 403) else None)

    async def _not_found(self, request: Request, exc: Exception) -> Response:
        if self._wants_json(request):
            return JSONResponse({"error": "not found"}, status_code=404)
        return self._page("message.html", status=404, heading="Not found", message="There is nothing here.",
                          link="/")

    async def _not_allowed(self, request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "method not allowed"}, status_code=405)

    async def _crash(self, request: Request, exc: Exception) -> Response:
        # No traceback to the client; the CLI logs server errors on the laptop.
        return JSONResponse({"error": "internal error; your earlier answers are saved"}, status_code=500)

    async def _form(self, request: Request) -> _Form:
        """An urlencoded form (all our pages post): parsed here, so no multipart library is needed."""
        from urllib.parse import parse_qsl

        if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
            raise WorkshopError("send the form as application/x-www-form-urlencoded", status=415)
        try:
            pairs = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True, max_num_fields=500)
        except (ValueError, UnicodeDecodeError):
            raise WorkshopError("the form could not be read", status=400) from None
        return _Form(pairs)

    async def _json_body(self, request: Request) -> dict[str, Any]:
        _check_json_type(request.headers.get("content-type", ""))
        return _json_object(await request.body())

    # -- participant pages ----------------------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(self.t.static[name], media_type=STATIC[name])

    async def index(self, request: Request) -> Response:
        device = self._device(request)
        if device is not None and not device.revoked:
            return RedirectResponse("/q", status_code=303)
        return self._join_page(request)

    def _join_page(self, request: Request, error: str | None = None, status: int = 200,
                   token: str | None = None) -> Response:
        pre = request.cookies.get(PRE_COOKIE)
        if not pre or len(pre) > 64:
            pre = secrets.token_urlsafe(16)
        response = self._page("join.html", status=status, title="Join the workshop", error=error, pre=pre,
                              tickets=self.ws.tickets_only, token=token, locked=self.ws.joining_locked,
                              finished=self.ws.state == FINISHED)
        response.set_cookie(PRE_COOKIE, pre, max_age=3600, httponly=True, samesite="lax", path="/")
        return response

    async def join_link(self, request: Request) -> Response:
        self._join_allowed(request)
        token = request.path_params["token"]
        if not self.ws.check_join_token(token):
            self._join_failed(request)
            return self._page("message.html", status=404, heading="Unknown link",
                              message="This link does not belong to a running workshop. Type the code shown "
                                      "on the screen instead.", link="/")
        if self.ws.tickets_only and self._device(request) is None:
            return self._join_page(request, token=token)
        joined = await self.ws.join(request.cookies.get(DEVICE_COOKIE))
        response = RedirectResponse("/q", status_code=303)
        self._set_device_cookie(response, joined.cookie)
        return response

    async def join_form(self, request: Request) -> Response:
        form = await self._form(request)
        pre = request.cookies.get(PRE_COOKIE)
        self._check_csrf(pre or "\0", str(form.get("csrf") or ""))
        self._join_allowed(request)
        code, ticket = str(form.get("code") or ""), str(form.get("ticket") or "")
        ok = self.ws.check_join_code(code) or self.ws.check_join_token(str(form.get("token") or ""))
        if self.ws.tickets_only:
            ok = bool(ticket)
        if not ok:
            self._join_failed(request)
            return self._join_page(request, error="That code is not right; check the screen and try again.",
                                   status=404)
        try:
            joined = await self.ws.join(request.cookies.get(DEVICE_COOKIE), ticket=ticket or None)
        except WorkshopError as exc:
            if exc.status == 404:
                self._join_failed(request)
            return self._join_page(request, error=exc.message, status=exc.status)
        response = RedirectResponse("/q", status_code=303)
        self._set_device_cookie(response, joined.cookie)
        return response

    async def profile_form(self, request: Request) -> Response:
        device = self._require_device(request)
        form = await self._form(request)
        self._check_csrf(device.csrf, str(form.get("csrf") or ""))
        try:
            await self.ws.set_profile(device, str(form.get("role") or ""), str(form.get("unit") or ""))
        except WorkshopError as exc:
            if exc.status != 422:
                raise
            return self._profile_page(device, error=exc.message, status=422)
        return RedirectResponse("/q", status_code=303)

    def _profile_page(self, device: Device, error: str | None = None, status: int = 200) -> Response:
        return self._page("profile.html", status=status, title="About you", device=device, error=error,
                          units=self.ws.known_units(), ask_unit=self.ws.q.profile.unit is not None)

    async def questions(self, request: Request) -> Response:
        device = self._device(request)
        if device is None:
            return RedirectResponse("/", status_code=303)
        if device.revoked:
            raise WorkshopError("this device was removed by the facilitator", status=403)
        if self.ws.state == FINISHED:
            return RedirectResponse("/done", status_code=303)
        if device.role is None or request.query_params.get("profile") == "1" and not device.locked:
            return self._profile_page(device)
        dims = self.ws.dimensions_for(device.role)
        ids = [d.id for d, _ in dims]
        errors: dict[str, str] = {}
        wanted = request.query_params.get("d")
        if request.method == "POST":  # the page without JavaScript: the whole friction point at once
            wanted, errors, redirect = await self._save_page(request, device, ids)
            if redirect is not None:
                return redirect
        progress = self.ws.progress(device)
        if wanted not in ids:
            if progress["next_dimension"] is None:
                return RedirectResponse("/done", status_code=303)
            # Where they were (a rescan of the QR code lands here too), else the first page left open.
            wanted = device.last_page if device.last_page in ids else progress["next_dimension"]
        device.last_page = wanted
        index = ids.index(wanted)
        dim, asked = dims[index]
        return self._page("questions.html", status=422 if errors else 200, title=dim.title, device=device,
                          dim=dim, asked=asked, index=index, count=len(ids), prev=ids[index - 1] if index else None,
                          progress=progress, errors=errors, state=self.ws.state,
                          scale_of=self.ws.q.scale_of, role_label=self.ws.q.role_by_id[device.role].label)

    async def _save_page(self, request: Request, device: Any, ids: list[str]
                         ) -> tuple[str, dict[str, str], Response | None]:
        """Save a whole page posted without JavaScript: ``(page, errors, where to go next or None)``."""
        form = await self._form(request)
        self._check_csrf(device.csrf, str(form.get("csrf") or ""))
        if not self.answer_limit.allow(device.pseudonym):
            raise WorkshopError("too many answers at once; wait a moment", status=429)
        wanted = str(form.get("d") or "")
        errors: dict[str, str] = {}
        for key, value in form.multi_items():
            qid = key[2:]
            if not key.startswith("a:") or (not str(value).strip() and qid not in device.answers):
                continue
            try:
                await self.ws.save_answer(device, qid, str(value))
            except WorkshopError as exc:
                errors[qid] = exc.message
        if errors:
            return wanted, errors, None
        here = ids.index(wanted) if wanted in ids else -1
        if form.get("go") == "back" and here > 0:
            return wanted, errors, RedirectResponse(f"/q?d={ids[here - 1]}", status_code=303)
        if here + 1 < len(ids):
            return wanted, errors, RedirectResponse(f"/q?d={ids[here + 1]}", status_code=303)
        return wanted, errors, RedirectResponse("/done", status_code=303)

    async def done(self, request: Request) -> Response:
        device = self._device(request)
        progress = self.ws.progress(device) if device is not None else None
        return self._page("done.html", title="Thank you", device=device, progress=progress,
                          state=self.ws.state, k=self.ws.min_group_size)

    # -- participant interface (JSON) -------------------------------------------------------

    async def api_join(self, request: Request) -> Response:
        data = await self._json_body(request)
        self._join_allowed(request)
        code, token, ticket = (str(data.get(k) or "") for k in ("code", "token", "ticket"))
        if self.ws.tickets_only:
            ok = bool(ticket)
        else:
            ok = (bool(code) and self.ws.check_join_code(code)) or (bool(token) and self.ws.check_join_token(token))
        if not ok:
            self._join_failed(request)
            raise WorkshopError("wrong join code", status=404)
        try:
            joined = await self.ws.join(request.cookies.get(DEVICE_COOKIE), ticket=ticket or None)
        except WorkshopError as exc:
            if exc.status == 404:
                self._join_failed(request)
            raise
        response = JSONResponse({"device": joined.device.pseudonym, "csrf": joined.device.csrf,
                                 "new": joined.new, **self._public_state()})
        self._set_device_cookie(response, joined.cookie)
        return response

    def _public_state(self) -> dict[str, Any]:
        return {"state": self.ws.state, "round": self.ws.round,
                "roles": [{"id": r.id, "label": r.label} for r in self.ws.q.roles]}

    async def api_profile(self, request: Request) -> Response:
        device = self._require_device(request)
        data = await self._json_body(request)
        self._check_csrf(device.csrf, request.headers.get("x-csrf-token"))
        await self.ws.set_profile(device, str(data.get("role") or ""), str(data.get("unit") or ""))
        return JSONResponse(self.ws.progress(device))

    async def api_answer(self, request: Request) -> Response:
        """``POST /api/answer`` through Starlette: only when :attr:`starlette` is called directly (the
        served app takes the fast path, :meth:`_answer_asgi`); both run :meth:`_save`."""
        return JSONResponse(await self._save(request.cookies, request.headers.get("content-type", ""),
                                             request.headers.get("x-csrf-token"), request.body))

    async def _save(self, cookies: dict[str, str], content_type: str, csrf: str | None,
                    body: Callable[[], Awaitable[bytes]]) -> dict[str, Any]:
        """Save one answer: device, rate limit, JSON body, CSRF token, then the store (in this order)."""
        device = self._required(self.ws.device_for_cookie(cookies.get(DEVICE_COOKIE)))
        if not self.answer_limit.allow(device.pseudonym):
            raise WorkshopError("too many answers at once; wait a moment", status=429)
        _check_json_type(content_type)
        data = _json_object(await body())
        self._check_csrf(device.csrf, csrf)
        qid = str(data.get("question") or "")
        raw, _, state = await self.ws.save_answer(device, qid, data.get("value"))
        answered, asked = self.ws.counts(device)
        return {"question": qid, "saved": {"raw": raw, "state": state}, "answered": answered,
                "asked": asked, "share": round(answered / asked, 4) if asked else 0.0}

    async def _answer_asgi(self, scope: dict, receive: Callable, send: Callable) -> None:
        """``POST /api/answer`` as a bare ASGI call: the headers it needs, :meth:`_save`, one JSON reply.

        Errors answer exactly as through Starlette: ``{"error": ...}`` with the status, and an
        unexpected exception a 500 that is re-raised so the server logs it.
        """
        cookies: dict[str, str] = {}
        content_type = csrf = None
        for key, value in scope["headers"]:
            if key == b"cookie":
                cookies.update(cookie_parser(value.decode("latin-1")))
            elif key == b"content-type" and content_type is None:
                content_type = value.decode("latin-1")
            elif key == b"x-csrf-token" and csrf is None:
                csrf = value.decode("latin-1")
        try:
            payload = await self._save(cookies, content_type or "", csrf, lambda: _read_body(receive))
            status = 200
        except WorkshopError as exc:
            payload, status = {"error": exc.message}, exc.status
        except ClientDisconnect:  # the phone went away: nobody to answer
            return
        except _TooLarge:  # the guard answers 413
            raise
        except Exception:
            await _send_json(send, 500, {"error": "internal error; your earlier answers are saved"})
            raise
        await _send_json(send, status, payload)

    async def api_progress(self, request: Request) -> Response:
        return JSONResponse(self.ws.progress(self._require_device(request)))

    async def api_questions(self, request: Request) -> Response:
        device = self._require_device(request)
        out = []
        for d, asked in self.ws.dimensions_for(device.role):
            for qq in asked:
                scale = self.ws.q.scale_of(qq)
                out.append({"id": qq.id, "dimension": d.id, "text": qq.text, "type": qq.type,
                            "unit": qq.unit, "help": qq.help,
                            "choices": [{"value": p.value, "label": p.label} for p in scale.points] if scale else None,
                            "na": True})
        return JSONResponse({"role": device.role, "questions": out})

    # -- facilitator --------------------------------------------------------------------

    def _on_admin_socket(self, request: Request) -> bool:
        server = request.scope.get("server")
        client = request.scope.get("client")
        return (server is not None and (server[0], int(server[1])) == self.s.admin_address
                and is_loopback(client[0] if client else None))

    def _admin(self, request: Request, *, post: bool = False, form_csrf: str | None = None) -> None:
        """Loopback socket and the admin token (cookie, plus the CSRF token on a post; or Bearer)."""
        if not self._on_admin_socket(request):
            raise WorkshopError("the facilitator screen is only available on this laptop", status=403)
        bearer = request.headers.get("authorization", "")
        if bearer.lower().startswith("bearer "):
            if hmac.compare_digest(bearer[7:].strip().encode(), self.s.admin_token.encode()):
                return
            raise WorkshopError("wrong facilitator token", status=403)
        cookie = request.cookies.get(ADMIN_COOKIE, "")
        if not cookie or not hmac.compare_digest(cookie.encode(), self.s.admin_token.encode()):
            raise WorkshopError("open the facilitator link printed in the terminal", status=403)
        if post:
            self._check_csrf(self.s.admin_csrf, form_csrf or request.headers.get("x-csrf-token"))

    async def facilitator(self, request: Request) -> Response:
        if not self._on_admin_socket(request):
            raise WorkshopError("the facilitator screen is only available on this laptop", status=403)
        token = request.query_params.get("t")
        if token is not None:
            if not hmac.compare_digest(token.encode(), self.s.admin_token.encode()):
                raise WorkshopError("wrong facilitator token", status=403)
            response = RedirectResponse("/f", status_code=303)  # the token leaves the address bar
            response.set_cookie(ADMIN_COOKIE, token, httponly=True, samesite="strict", path="/f")
            return response
        self._admin(request)
        snap = await self.snapshot()
        return self._page("facilitator.html", title="Workshop", snap=snap, live=self._live_html(snap),
                          qr=self.qr_svg)

    async def qr(self, request: Request) -> Response:
        self._admin(request)
        return Response(self.qr_svg, media_type="image/svg+xml")

    async def api_snapshot(self, request: Request) -> Response:
        self._admin(request)
        return JSONResponse(await self.snapshot())

    async def api_control(self, request: Request) -> Response:
        form_csrf = None
        data: dict[str, Any] = {}
        is_form = "application/x-www-form-urlencoded" in request.headers.get("content-type", "")
        if is_form:
            form = await self._form(request)
            form_csrf = str(form.get("csrf") or "")
            data = {k: str(v) for k, v in form.items()}
        elif request.headers.get("content-length", "0") not in ("0", ""):
            data = await self._json_body(request)
        self._admin(request, post=True, form_csrf=form_csrf)
        action = request.path_params["action"]
        ws = self.ws
        if action == "open":  # on-close mode: reopening hides the results again (no anchoring)
            await ws.set_state(state=OPEN, results_shown=False if not self.s.results_live else None)
        elif action == "close":
            await ws.set_state(state=CLOSED, results_shown=True if not self.s.results_live else None)
        elif action == "lock":
            await ws.set_state(joining_locked=True)
        elif action == "unlock":
            await ws.set_state(joining_locked=False)
        elif action == "reveal":
            await ws.set_state(results_shown=True)
        elif action == "hide":
            await ws.set_state(results_shown=False)
        elif action in ("revoke", "restore"):
            await ws.revoke(str(data.get("device") or ""), revoked=action == "revoke")
        elif action == "role":
            await ws.correct_role(str(data.get("device") or ""), str(data.get("role") or ""))
        elif action == "finish":
            await ws.set_state(state=FINISHED, results_shown=True, joining_locked=True)
            for callback in self._finished_callbacks:
                asyncio.get_running_loop().call_later(0.5, callback)
        else:
            raise WorkshopError(f"unknown action {action[:30]!r}", status=404)
        if is_form:
            return RedirectResponse("/f", status_code=303)
        return JSONResponse(await self.snapshot())

    async def stream(self, request: Request) -> Response:
        """Server-sent events: the projector's live part, re-sent whole when something changed.

        A burst of answers collapses into one event; a comment line every heartbeat keeps
        proxies and the browser's EventSource from giving up; ``?max=N`` (tests) ends the
        stream after N events. The loop also ends when the server stops, so Ctrl-C never
        waits for the projector.
        """
        self._admin(request)
        try:
            limit = int(request.query_params.get("max", "0"))
        except ValueError:
            limit = 0
        event = asyncio.Event()
        self._waiters.add(event)

        async def events():
            sent, last = 0, -1
            try:
                while not self.s.should_stop():
                    version = self.ws.version
                    pending = self._results_stale()
                    if version != last or pending:
                        last = version
                        snap = await self.snapshot()
                        payload = json.dumps({"version": snap["version"], "state": snap["state"],
                                              "devices": snap["devices"], "progress": snap["progress"],
                                              "html": self._live_html(snap)})
                        yield f"event: snapshot\ndata: {payload}\n\n"
                        sent += 1
                        if limit and sent >= limit:
                            return
                        await asyncio.sleep(0.3)  # collapse bursts into one redraw
                    else:
                        yield ": keep-alive\n\n"
                    event.clear()
                    waited = 0.0
                    while waited < self.s.heartbeat and not self.s.should_stop() and not event.is_set():
                        step = min(0.25, self.s.heartbeat - waited)
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(event.wait(), step)
                        waited += step
                        if self._results_stale():
                            break
            finally:
                self._waiters.discard(event)

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    # -- the snapshot -------------------------------------------------------------------

    def _results_visible(self) -> bool:
        return self.s.results_live or self.ws.results_shown

    def _results_stale(self) -> bool:
        """Shown results lag the answers and may be recomputed (at most every ``results_interval``)."""
        if not self._results_visible():
            return False
        if self._results is None:
            return True
        return (self._results[0] != self.ws.version
                and self.s.clock() - self._results_at >= self.s.results_interval)

    async def snapshot(self) -> dict[str, Any]:
        """Everything the projector shows, with no number from a group below the minimum size."""
        ws = self.ws
        k = ws.min_group_size
        roles = {r.id: {"id": r.id, "label": r.label, "devices": 0, "answering": 0, "complete": 0}
                 for r in ws.q.roles}
        joined = answering = revoked = complete = 0
        answers = asked_total = 0
        devices = []
        for d in ws.devices.values():
            joined += 1
            if d.revoked:
                revoked += 1
            p = ws.progress(d) if d.role else None
            if d.role and not d.revoked:
                entry = roles[d.role]
                entry["devices"] += 1
                if d.answers:
                    entry["answering"] += 1
                    answering += 1
                if p and p["asked"] and p["answered"] >= p["asked"]:
                    entry["complete"] += 1
                    complete += 1
                answers += p["answered"] if p else 0
                asked_total += p["asked"] if p else 0
            devices.append({"device": d.pseudonym, "role": d.role, "answered": p["answered"] if p else 0,
                            "asked": p["asked"] if p else 0, "revoked": d.revoked})
        for entry in roles.values():
            entry["missing"] = entry["devices"] == 0
        snap = {"version": ws.version, "state": ws.state, "round": ws.round, "join_code": ws.join_code,
                "participant_url": self.s.participant_url, "joining_locked": ws.joining_locked,
                "tickets_only": ws.tickets_only, "min_group_size": k,
                "results_mode": "live" if self.s.results_live else "on-close",
                "results_visible": self._results_visible(), "admin_csrf": self.s.admin_csrf,
                "devices": {"joined": joined, "answering": answering, "complete": complete, "revoked": revoked,
                            "expected": self.s.expected},
                "progress": {"answers": answers, "asked": asked_total,
                             "share": round(answers / asked_total, 4) if asked_total else 0.0},
                "roles": list(roles.values()), "device_list": devices, "results": None}
        if self._results_visible():
            snap["results"] = await self._compute_results()
        return snap

    async def _compute_results(self) -> dict[str, Any]:
        async with self._results_lock:
            version = self.ws.version
            if self._results is not None and (self._results[0] == version or
                                              self.s.clock() - self._results_at < self.s.results_interval):
                return self._results[1]
            import anyio

            result = await anyio.to_thread.run_sync(results_for, self.ws)
            self._results = (version, result)
            self._results_at = self.s.clock()
            return result

    def _live_html(self, snap: dict[str, Any]) -> str:
        from .charts import radar

        chart = None
        res = snap.get("results")
        if res and res.get("available"):
            chart = radar([d["title"] for d in res["dimensions"]], [d["score"] for d in res["dimensions"]],
                          cx=335, cy=180, radius=125)
        return self.t.render("_live.html", snap=snap, chart=chart, q=self.ws.q)


class _Form:
    """Form fields: ``get`` gives the first value, ``multi_items`` all pairs in order."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs
        self._first: dict[str, str] = {}
        for key, value in pairs:
            self._first.setdefault(key, value)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self._first.get(key, default)

    def items(self) -> list[tuple[str, str]]:
        return list(self._first.items())

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._pairs)


def results_for(ws: Workshop) -> dict[str, Any]:
    """The room's results, by the library's own scoring, masked below the minimum group size.

    Only this workshop's devices (not revoked) count. A dimension score needs at least
    ``k`` respondents who answered it; a role's score needs ``k`` people in that role.
    Anything below is ``None`` and marked hidden, so the JSON carries no such number.
    """
    from ..scoring import score
    from ..store import load_workspace_responses

    k = ws.min_group_size
    ids = [d.pseudonym for d in ws.devices.values() if d.answers and not d.revoked]
    base = {"respondents": len(ids), "min_group_size": k}
    if len(ids) < k:
        return {**base, "available": False,
                "reason": f"results appear once at least {k} people have answered"}
    responses = load_workspace_responses(ws.workspace, round=ws.round).subset(ids)
    if len(responses) < k:
        return {**base, "available": False, "respondents": len(responses),
                "reason": f"results appear once at least {k} people have answered"}
    data = score(ws.q, responses, n_resamples=200, sensitivity=False, by="role").to_dict()
    dims = []
    for d in data["dimensions"]:
        shown = d["n_respondents"] >= k
        dims.append({"id": d["id"], "title": d["title"], "score": d["score"] if shown else None,
                     "level_name": d["level_name"] if shown else None, "n": d["n_respondents"],
                     "hidden": not shown})
    roles = []
    for g in (data.get("breakdown") or {}).get("groups", []):
        shown = g["respondents"] >= k
        roles.append({"id": g["id"], "label": g["label"], "respondents": g["respondents"] if shown else None,
                      "hidden": not shown,
                      "dimensions": {d: (v if shown and g["n"].get(d, 0) >= k else None)
                                     for d, v in g["dimensions"].items()}})
    overall = data["overall"]["score"] if all(not d["hidden"] for d in dims) else None
    return {**base, "available": True, "respondents": data["respondents"], "overall": overall,
            "overall_level": data["overall"]["level_name"] if overall is not None else None,
            "dimensions": dims, "roles": roles}


def _qr_svg(url: str) -> str:
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=8, border=2, xmldecl=False, omitsize=True,
                                    svgclass="qr", title="Join the workshop")
    return buffer.getvalue().decode("utf-8")
