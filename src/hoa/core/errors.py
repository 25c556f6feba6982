"""The errors a client can act on: a stable code, an HTTP status and a human message, rendered
in one envelope by the web layer. Framework-free: services and jobs raise these."""

from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any, ClassVar

from pydantic import BaseModel

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class AppError(Exception):
    """A failure the client can act on: a stable ``code``, an HTTP status and a human message."""

    code: ClassVar[str] = "bad_request"
    status_code: ClassVar[int] = 400
    message: ClassVar[str] = "The request could not be processed."
    # A refusal that is itself the outcome (a failed sign-in counted, a reused token's family
    # revoked): the transaction commits what was written before the error is answered.
    commits: ClassVar[bool] = False
    # The database constraint whose violation means this error, and SQLite's wording of it
    # when the constraint is a unique index ("table.column, ..."), for core.integrity's table.
    constraint: ClassVar[str | None] = None
    sqlite_columns: ClassVar[str | None] = None
    # SQLSTATEs that mean this error wherever they arise.
    sqlstates: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "constraint" in cls.__dict__ and cls.constraint is not None:
            _register(_BY_CONSTRAINT, cls.constraint, cls)
        for sqlstate in cls.__dict__.get("sqlstates", ()):
            _register(_BY_SQLSTATE, sqlstate, cls)

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


_BY_CONSTRAINT: dict[str, type[AppError]] = {}
_BY_SQLSTATE: dict[str, type[AppError]] = {}


def _register(table: dict[str, type[AppError]], key: str, error: type[AppError]) -> None:
    if table.setdefault(key, error) is not error:
        raise TypeError(f"{key} is mapped to {table[key].__name__} already")


def errors_by_constraint() -> dict[str, type[AppError]]:
    """Constraint name → the domain error its violation means (declared on the errors)."""
    return _BY_CONSTRAINT


def errors_by_sqlstate() -> dict[str, type[AppError]]:
    return _BY_SQLSTATE


class NotFound(AppError):
    code, status_code, message = "not_found", 404, "Not found."


class Forbidden(AppError):
    code, status_code, message = "forbidden", 403, "You are not allowed to do this."


class MembershipPending(AppError):
    code, status_code, message = (
        "membership.pending",
        403,
        "Your request to join is waiting for approval by your community office.",
    )


class CommunitySuspended(AppError):
    code, status_code, message = (
        "community.suspended",
        423,
        "This community is suspended by the platform operator.",
    )

    def __init__(self, reason: str | None) -> None:
        super().__init__(details={"reason": reason})


class NotAuthenticated(AppError):
    code, status_code, message = "auth.not_authenticated", 401, "Sign in first."


class AccountDisabled(AppError):
    code, status_code, message = "auth.account_disabled", 401, "This account is disabled."


class CsrfFailed(AppError):
    code, status_code, message = (
        "auth.csrf_failed",
        403,
        "The form expired or came from another site; reload the page and try again.",
    )


class Conflict(AppError):
    code, status_code, message = "conflict", 409, "The request conflicts with the current state."


class ValidationFailed(AppError):
    code, status_code, message = "validation_error", 422, "Some fields are missing or invalid."

    @classmethod
    def from_errors(cls, errors: Iterable[Mapping[str, Any]]) -> "ValidationFailed":
        """From pydantic's error list, with the fields the way request validation lists them."""
        fields = [
            {
                "location": [str(part) for part in err.get("loc", ())],
                "message": err.get("msg", ""),
                "type": err.get("type", ""),
            }
            for err in errors
        ]
        return cls(details={"fields": fields})


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

    def __init__(self) -> None:
        # Long enough for a database restart or failover to finish.
        super().__init__(headers={"Retry-After": "5"})


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
