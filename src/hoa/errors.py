"""One error envelope for every failure, and the exception handlers that render it."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from importlib.metadata import version
from typing import Any, ClassVar

import sentry_sdk
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sentry_sdk.types import Event, Hint
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from hoa.logging import redact, request_scope_var, route_template
from hoa.settings import Settings

log = structlog.get_logger()

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class AppError(Exception):
    """A failure the client can act on: a stable ``code``, an HTTP status and a human message."""

    code: ClassVar[str] = "bad_request"
    status_code: ClassVar[int] = 400
    message: ClassVar[str] = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail_message = message or self.message
        self.details = details or {}
        self.headers = headers
        super().__init__(self.detail_message)


class NotFound(AppError):
    code, status_code, message = "not_found", 404, "Not found."


class Forbidden(AppError):
    code, status_code, message = "forbidden", 403, "You are not allowed to do this."


class NotAuthenticated(AppError):
    code, status_code, message = "auth.not_authenticated", 401, "Sign in first."


class Conflict(AppError):
    code, status_code, message = "conflict", 409, "The request conflicts with the current state."


class ValidationFailed(AppError):
    code, status_code, message = "validation_error", 422, "Some fields are missing or invalid."


class InvalidValue(AppError):
    code, status_code, message = (
        "invalid_value",
        422,
        "A value in the request cannot be stored, such as text with a NUL character.",
    )


class PayloadTooLarge(AppError):
    code, status_code, message = "payload_too_large", 413, "The request body is too large."


class InternalError(AppError):
    code, status_code, message = (
        "internal_error",
        500,
        "Something went wrong on our side. Please try again.",
    )


class ServiceBusy(AppError):
    code, status_code, message = "service.busy", 503, "The service is busy; retry in a moment."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


class ServiceUnavailable(AppError):
    code, status_code, message = (
        "service.unavailable",
        503,
        "The service is temporarily unavailable; try again later.",
    )


class DomainError(AppError):
    """An error whose code is chosen at run time (e.g. from a booking rule)."""

    def __init__(
        self, code: str, message: str, status_code: int, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, details=details)
        self.dynamic_code = code
        self.dynamic_status = status_code


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}
    request_id: str | None = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody


def errors_for(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each listed error's status documented with the envelope."""
    out: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        entry = out.setdefault(error.status_code, {"model": ErrorEnvelope, "description": ""})
        entry["description"] = ", ".join(filter(None, [entry["description"], error.code]))
    return out


# Any API route can answer these, whatever its own ``responses=`` lists.
COMMON_RESPONSES = errors_for(
    NotAuthenticated,
    PayloadTooLarge,
    ValidationFailed,
    InvalidValue,
    InternalError,
    ServiceBusy,
    ServiceUnavailable,
)


def _response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "error": {
            "code": code,
            "message": message,
            "details": details or {},
            "request_id": request_id_var.get(),
        }
    }
    return JSONResponse(body, status_code=status, headers=headers)


_HTTP_CODES = {
    400: "bad_request",
    401: "auth.not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def render(exc: AppError) -> JSONResponse:
    if isinstance(exc, DomainError):
        return _response(exc.dynamic_status, exc.dynamic_code, exc.detail_message, exc.details)
    return _response(exc.status_code, exc.code, exc.detail_message, exc.details, exc.headers)


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)  # noqa: S101 - registered for AppError only
    return render(exc)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    fields = [
        {
            "location": [str(part) for part in err.get("loc", ())],
            "message": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in exc.errors()
    ]
    return render(ValidationFailed(details={"fields": fields}))


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    return _response(
        exc.status_code, code, message, headers=dict(exc.headers) if exc.headers else None
    )


_BUSY_SQLSTATES = frozenset({"57014", "55P03"})  # statement timeout, lock not available
_SQLITE_BUSY_CODES = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED (extended codes share them)


def _database_error(exc: Exception) -> AppError | None:
    """The client's answer for a database failure no service mapped, or None (a bug: 500)."""
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return ServiceBusy()
    if isinstance(exc, sa_exc.IntegrityError):
        return Conflict()
    if isinstance(exc, sa_exc.DBAPIError):
        sqlstate: str = getattr(exc.orig, "sqlstate", None) or ""
        sqlite_code = getattr(exc.orig, "sqlite_errorcode", None)
        if sqlstate in _BUSY_SQLSTATES or (
            sqlite_code is not None and sqlite_code & 0xFF in _SQLITE_BUSY_CODES
        ):
            return ServiceBusy()
        if sqlstate.startswith("22"):  # PostgreSQL's data exceptions: the value itself
            return InvalidValue()
        if exc.connection_invalidated or isinstance(
            exc, sa_exc.OperationalError | sa_exc.InterfaceError
        ):
            return ServiceUnavailable()
    if isinstance(exc, ConnectionError | sa_exc.DisconnectionError):
        return ServiceUnavailable()
    return None


def unhandled_response(exc: Exception) -> JSONResponse:
    """The one handler for exceptions no other handler took. The client gets a code and a generic
    message; the exception goes to the log, and failures that need a person to Sentry."""
    error = _database_error(exc)
    if isinstance(error, ServiceBusy | Conflict | InvalidValue):
        # Load, a race or the request's own data rather than a fault: the client can act on it.
        log.warning("database_refused", code=error.code, error=type(exc).__name__)
        return render(error)
    error = error or InternalError()
    log.error("unhandled_error", code=error.code, exc_info=exc)
    _report(exc)
    return render(error)


async def _unhandled(_: Request, exc: Exception) -> JSONResponse:
    return unhandled_response(exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Requests are answered by hoa.middleware.RequestMiddleware; this covers failures outside it.
    app.add_exception_handler(Exception, _unhandled)


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
