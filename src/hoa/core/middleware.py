"""The request path below the web framework: the error envelope as a response, the one answer for
exceptions nothing else handled (logged, and sent to Sentry when configured), and the ASGI
middleware, written against raw ASGI: Starlette's BaseHTTPMiddleware costs a task and a stream
per request, and this runs on every one of them."""

import math
import re
import time
import uuid
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import version
from typing import Any

import sentry_sdk
import structlog
from opentelemetry import trace
from sentry_sdk.types import Event, Hint
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hoa.core import metrics
from hoa.core.errors import (
    AppError,
    DomainError,
    InternalError,
    PayloadTooLarge,
    ServiceUnavailable,
    request_id_var,
)
from hoa.core.integrity import database_error
from hoa.core.logging import redact, request_scope_var, route_template
from hoa.core.settings import Settings

log = structlog.get_logger()


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    metrics.ERRORS.labels(code).inc()
    body = {
        "error": {
            "code": code,
            "message": message,
            "details": details or {},
            "request_id": request_id_var.get(),
        }
    }
    return JSONResponse(body, status_code=status, headers=headers)


def render(exc: AppError) -> JSONResponse:
    if isinstance(exc, DomainError):
        return error_response(exc.dynamic_status, exc.dynamic_code, exc.detail_message, exc.details)
    return error_response(exc.status_code, exc.code, exc.detail_message, exc.details, exc.headers)


def unhandled_response(exc: Exception) -> JSONResponse:
    """The one handler for exceptions no other handler took. The client gets a code and a generic
    message; the exception goes to the log, and failures that need a person to Sentry."""
    error = database_error(exc)
    if error is not None and not isinstance(error, ServiceUnavailable):
        # Load, a race or the request's own data rather than a fault: the client can act on it.
        log.warning("database_refused", code=error.code, error=type(exc).__name__)
        return render(error)
    error = error or InternalError()
    log.error("unhandled_error", code=error.code, exc_info=exc)
    _report(exc)
    return render(error)


def _report(exc: Exception) -> None:
    scope = request_scope_var.get()
    with sentry_sdk.new_scope() as sentry_scope:
        sentry_scope.set_tag("request_id", request_id_var.get())
        if scope is not None:
            sentry_scope.set_tag("route", route_template(scope))
            request = _request_info(scope)

            def add_request(event: Event, _: Hint) -> Event:
                event["request"] = request
                return event

            sentry_scope.add_event_processor(add_request)
        sentry_sdk.capture_exception(exc)


def _request_info(scope: Scope) -> dict[str, object]:
    query = scope["query_string"].decode("latin-1")
    return {
        "method": scope["method"],
        "url": scope["path"] + (f"?{query}" if query else ""),
        "query_string": query,
        "headers": {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
    }


def _scrub(event: Event, _: Hint) -> Event:
    """Last stop before an event leaves the process: no cookies, credentials or query strings."""
    request = event.get("request")
    if request:
        for key in ("cookies", "query_string", "data", "env"):
            request.pop(key, None)
        if isinstance(url := request.get("url"), str):
            request["url"] = url.split("?", 1)[0]
        if isinstance(headers := request.get("headers"), Mapping):
            request["headers"] = redact(headers)
    return event


@contextmanager
def sentry_reporting(settings: Settings) -> Iterator[None]:
    """Sentry for the lifetime of an app when HOA_SENTRY_DSN is set; pending events are sent and
    the client removed at the end, so nothing carries over to another app in the process."""
    if settings.sentry_dsn is None:
        yield
        return
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.env.value,
        release=f"hoa@{version('hoa')}",
        # What send_default_pii=False meant, in the option that replaced it; local variables off
        # too, since frames up the stack hold the ASGI scope with every header.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "url_query_params": {"mode": "off"},
            "http_bodies": [],
            "stack_frame_variables": False,
        },
        before_send=_scrub,
        # Errors are reported by the one handler above; no per-request instrumentation.
        auto_enabling_integrations=False,
    )
    try:
        yield
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)
# Swagger UI's page starts with an inline script; docs are off in production.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)
HSTS = "max-age=63072000; includeSubDomains"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Holds the time until which a client's reads go to the primary (see ReadYourWritesMiddleware).
LAST_WRITE_COOKIE = "hoa_wrote"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Metric labels stay bounded: a method or status a client made up counts as "other" / 5xx.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_STATUS_CLASSES = {status: f"{status // 100}xx" for status in range(100, 600)}


class RequestMiddleware:
    """Outermost layer of every HTTP request: its id (``X-Request-ID``, accepted when
    well-formed, else made; with tracing on, the trace id), security headers, the error
    envelope for anything the app let escape, one access-log line, and the request metrics
    (one histogram observe, two counters and the in-flight gauge)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        production: bool,
        docs_paths: Collection[str],
        measure: bool = True,
        tracing: bool = False,
    ) -> None:
        self.app = app
        self.measure = measure
        self.tracing = tracing
        # Bounded like the labels: route templates × methods × status classes.
        self._children: dict[tuple[str, str, str], tuple[Any, Any, Any]] = {}
        self.access_log = structlog.get_logger()
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if production:
            common.append((b"strict-transport-security", HSTS.encode()))
        self.headers = [*common, (b"content-security-policy", CSP.encode())]
        self.docs_headers = [*common, (b"content-security-policy", DOCS_CSP.encode())]
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = self._request_id(scope)
        extra = [
            (b"x-request-id", request_id.encode()),
            *(self.docs_headers if scope["path"] in self.docs_paths else self.headers),
        ]
        status: int | None = None
        sent = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *extra]
            else:
                sent += len(message.get("body", b""))
            await send(message)

        id_token = request_id_var.set(request_id)
        scope_token = request_scope_var.set(scope)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        if self.measure:
            metrics.HTTP_IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if status is not None:
                raise  # the response is under way; nothing else can be sent
            await unhandled_response(exc)(scope, receive, send_with_headers)
        finally:
            seconds = time.perf_counter() - start
            self.access_log.info("request", status=status, duration_ms=round(seconds * 1000, 2))
            if self.measure:
                self._count(scope, status, seconds, sent)
            structlog.contextvars.unbind_contextvars("request_id")
            request_scope_var.reset(scope_token)
            request_id_var.reset(id_token)

    def _request_id(self, scope: Scope) -> str:
        if self.tracing:
            context = trace.get_current_span().get_span_context()
            if context.is_valid:
                return trace.format_trace_id(context.trace_id)
        incoming = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), ""
        )
        return incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    def _count(self, scope: Scope, status: int | None, seconds: float, sent: int) -> None:
        metrics.HTTP_IN_PROGRESS.dec()
        # Never the raw path: requests no route matched (the web app's files too) are "other".
        route = route_template(scope, unmatched="other")
        method = scope["method"] if scope["method"] in _METHODS else "other"
        key = (route, method, _STATUS_CLASSES.get(status or 500, "5xx"))
        # The label children, looked up once per key: labels() validates and locks each time.
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                metrics.HTTP_DURATION.labels(*key),
                metrics.HTTP_RESPONSE_BYTES.labels(route),
                metrics.HTTP_REQUEST_BYTES.labels(route),
            )
        duration, response_bytes, request_bytes = children
        duration.observe(seconds)
        response_bytes.inc(sent)
        received = next((v for k, v in scope["headers"] if k == b"content-length"), b"")
        if received.isdigit():
            request_bytes.inc(int(received))


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_INNERMOST_PAIR = re.compile(rb"\[\]|\{\}")


def nesting_exceeds(body: bytes, limit: int) -> bool:
    """Whether the JSON text nests arrays/objects deeper than ``limit``, found without parsing
    it (Python's parser recurses). Malformed text is left to the parser to refuse."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", body))
    for _ in range(limit):
        brackets, peeled = _INNERMOST_PAIR.subn(b"", brackets)
        if not peeled:
            return False
    return bool(brackets)


class _ClientGone(Exception):
    pass


class BodyLimitMiddleware:
    """413 ``payload_too_large`` for a body over ``max_bytes`` (declared in Content-Length, or
    counted as it streams in) or JSON nested deeper than ``max_depth``, before the app reads it."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_depth: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared, chunked, is_json = _body_headers(scope)
        if scope["type"] != "http" or (not declared and not chunked):
            await self.app(scope, receive, send)
            return
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send, {"max_bytes": self.max_bytes})
            return
        try:
            body = await self._read(receive)
        except _ClientGone:
            return
        if body is None:
            await self._refuse(scope, receive, send, {"max_bytes": self.max_bytes})
            return
        if is_json and nesting_exceeds(body, self.max_depth):
            await self._refuse(scope, receive, send, {"max_depth": self.max_depth})
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None once it grows past ``max_bytes``; _ClientGone when the
        client goes away before sending it all."""
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                raise _ClientGone
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, details: dict[str, int]
    ) -> None:
        await render(PayloadTooLarge(details=details))(scope, receive, send)


class ReadYourWritesMiddleware:
    """With a read replica: a client whose unsafe request succeeded gets a short-lived cookie,
    and while it holds one its reads go to the primary, so it sees its own writes however far
    the replica lags. Installed only when a replica is configured."""

    def __init__(self, app: ASGIApp, *, seconds: int, secure: bool) -> None:
        self.app = app
        self.seconds = seconds
        self.attributes = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _SAFE_METHODS or not self.seconds:
            await self.app(scope, receive, send)
            return

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                until = math.ceil(time.time()) + self.seconds
                cookie = f"{LAST_WRITE_COOKIE}={until}; Max-Age={self.seconds}{self.attributes}"
                message["headers"] = [*message.get("headers", ()), (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_marked)


def _body_headers(scope: Scope) -> tuple[int | None, bool, bool]:
    """The declared Content-Length, whether the body is chunked, and whether it is JSON."""
    declared: int | None = None
    chunked = is_json = False
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and value.isdigit():
            declared = int(value)
        elif name == b"transfer-encoding":
            chunked = True
        elif name == b"content-type":
            is_json = b"json" in value.lower()
    return declared, chunked, is_json
