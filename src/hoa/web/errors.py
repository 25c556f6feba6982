"""The error envelope at the web framework's edge: the exception handlers FastAPI calls, and what
each route documents under ``responses=``."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hoa.core.errors import (
    AppError,
    ErrorEnvelope,
    InternalError,
    InvalidValue,
    NotAuthenticated,
    PayloadTooLarge,
    ServiceBusy,
    ServiceUnavailable,
    ValidationFailed,
)
from hoa.core.middleware import error_response, render, unhandled_response


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
    return render(exc)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    return render(ValidationFailed.from_errors(exc.errors()))


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "Request failed."
    return error_response(
        exc.status_code, code, message, headers=dict(exc.headers) if exc.headers else None
    )


async def _unhandled(_: Request, exc: Exception) -> JSONResponse:
    return unhandled_response(exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Requests are answered by core.middleware.RequestMiddleware; this covers failures outside it.
    app.add_exception_handler(Exception, _unhandled)
