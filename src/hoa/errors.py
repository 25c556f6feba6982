"""One error envelope for every failure, and the exception handlers that render it."""

import re
import uuid
from contextvars import ContextVar
from typing import Any, ClassVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)  # noqa: S101 - registered for AppError only
    if isinstance(exc, DomainError):
        return _response(exc.dynamic_status, exc.dynamic_code, exc.detail_message, exc.details)
    return _response(exc.status_code, exc.code, exc.detail_message, exc.details, exc.headers)


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
    return _response(
        422, "validation_error", "Some fields are missing or invalid.", {"fields": fields}
    )


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    return _response(
        exc.status_code, code, message, headers=dict(exc.headers) if exc.headers else None
    )


async def _unhandled(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled_error", exc_info=exc)
    return _response(500, "internal_error", "Something went wrong on our side. Please try again.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unhandled)


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestIdMiddleware:
    """Accept a well-formed ``X-Request-ID`` or make one; expose it to handlers and responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), ""
        )
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
            structlog.contextvars.unbind_contextvars("request_id")
