"""The one table from database failures to the errors clients get, and the flush that applies it.

Each domain error that a constraint guards names the constraint (``AppError.constraint``) or
the SQLSTATE (``AppError.sqlstates``) where it is declared; this module collects them in one
table with the errors of the database's own limits (busy, a value it cannot store, gone). Every
place that maps a database failure goes through ``database_error``: the services' flush, the
jobs, and the request path's last handler. An integrity error no entry names is a bug (500),
not a conflict.
"""

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core import metrics
from hoa.core.errors import (
    AppError,
    InvalidValue,
    ServiceBusy,
    ServiceUnavailable,
    errors_by_constraint,
    errors_by_sqlstate,
)

# PostgreSQL: statement timeout, lock not available, no connection slot left. SQLite:
# SQLITE_BUSY, SQLITE_LOCKED (the extended codes share their low byte).
_BUSY_SQLSTATES = frozenset({"57014", "55P03", "53300"})
_SQLITE_BUSY_CODES = frozenset({5, 6})
# PostgreSQL shutting down, starting up or recovering from a crash (it refuses or ends
# sessions meanwhile); class 08 is a connection failure.
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def violated_constraint(exc: sa_exc.DBAPIError) -> str | None:
    """The constraint an integrity error reports, on either dialect: PostgreSQL names it in its
    diagnostics (asyncpg's error, or psycopg's ``diag``); SQLite reports unique indexes as
    ``table.column`` lists and the overlap triggers raise with the constraint's name."""
    orig = exc.orig
    reported = (
        getattr(getattr(orig, "__cause__", None), "constraint_name", None)
        or getattr(orig, "constraint_name", None)
        or getattr(getattr(orig, "diag", None), "constraint_name", None)
    )
    if reported:
        return str(reported)
    text = str(orig)
    return next((name for name in errors_by_constraint() if _sqlite_names(name, text)), None)


def _sqlite_names(constraint: str, text: str) -> bool:
    columns = errors_by_constraint()[constraint].sqlite_columns
    if columns:
        return text == f"UNIQUE constraint failed: {columns}"
    return constraint in text


def database_error(exc: BaseException) -> AppError | None:
    """The client's answer for a database failure, or None when it is a bug (500). Each
    answer is counted by reason (hoa_db_refusals_total)."""
    error: AppError | None = None
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        error = ServiceBusy()
    elif isinstance(exc, sa_exc.DBAPIError):
        error = _dbapi_error(exc)
    elif isinstance(exc, ConnectionError | sa_exc.DisconnectionError):
        error = ServiceUnavailable()
    if error is not None:
        metrics.DB_REFUSALS.labels(_reason(exc, error), _backend(exc)).inc()
    return error


_REASONS_BY_SQLSTATE = {
    "57014": "statement_timeout",
    "55P03": "lock_timeout",
    "40P01": "deadlock",
    "53300": "too_many_connections",
}


def _reason(exc: BaseException, error: AppError) -> str:
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None) or ""
    if reason := _REASONS_BY_SQLSTATE.get(sqlstate):
        return reason
    if isinstance(exc, sa_exc.TimeoutError):
        return "pool_timeout"
    if isinstance(error, ServiceBusy):
        return "busy"
    if isinstance(error, ServiceUnavailable):
        return "unavailable"
    if isinstance(error, InvalidValue):
        return "invalid_value"
    return "constraint"


def _backend(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    if orig is None:
        return "unknown"
    return "sqlite" if "sqlite" in type(orig).__module__ else "postgresql"


def _dbapi_error(exc: sa_exc.DBAPIError) -> AppError | None:
    if isinstance(exc, sa_exc.IntegrityError):
        error = errors_by_constraint().get(violated_constraint(exc) or "")
        return error() if error else None
    sqlstate: str = getattr(exc.orig, "sqlstate", None) or ""
    if (error := errors_by_sqlstate().get(sqlstate)) is not None:
        return error()
    sqlite_code = getattr(exc.orig, "sqlite_errorcode", None)
    if sqlstate in _BUSY_SQLSTATES or (
        sqlite_code is not None and sqlite_code & 0xFF in _SQLITE_BUSY_CODES
    ):
        return ServiceBusy()
    if sqlstate.startswith("22"):  # PostgreSQL's data exceptions: the value itself
        return InvalidValue()
    if (
        sqlstate in _UNAVAILABLE_SQLSTATES
        or sqlstate.startswith("08")
        or exc.connection_invalidated
        or isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    ):
        return ServiceUnavailable()
    return None


def raise_mapped(exc: sa_exc.DBAPIError) -> None:
    """Raise the table's error for ``exc`` from it, or ``exc`` itself when no entry names it."""
    error = database_error(exc)
    if error is None:
        raise exc
    raise error from exc


async def flush(session: AsyncSession) -> None:
    """Flush, so a violated constraint becomes its domain error. The error ends the request:
    on PostgreSQL the failed statement has aborted the transaction."""
    try:
        await session.flush()
    except sa_exc.DBAPIError as exc:
        raise_mapped(exc)
