"""Structured logging: JSON lines in production, a readable console otherwise.

Every line written while a request is handled carries its request id (bound by the request
middleware), method, route template, and the user and community when known. Bodies and headers
are never logged; keys that look secret are redacted anyway.
"""

import functools
import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from contextvars import ContextVar
from typing import Any

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from hoa.core.settings import Env, Settings

# An ASGI scope (kept untyped here so jobs can log without the web framework loaded).
Scope = MutableMapping[str, Any]
request_scope_var: ContextVar[Scope | None] = ContextVar("request_scope", default=None)

_SECRET_KEY = re.compile(r"pass(word|wd)|token|authorization|cookie|secret|csrf|api_?key|dsn", re.I)
REDACTED = "[redacted]"


@functools.lru_cache(maxsize=1024)
def _is_secret(key: str) -> bool:
    # Every log line passes here; its keys are few and repeat, so the answer is remembered.
    return _SECRET_KEY.search(key) is not None


def redact(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy with the values of secret-looking keys replaced, nested dicts included."""
    return {
        key: REDACTED if _is_secret(key) else redact(value) if isinstance(value, dict) else value
        for key, value in data.items()
    }


def _redact_secrets(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    return redact(event)


def route_template(scope: Scope, unmatched: str | None = None) -> str:
    """The matched route's path template with its include prefixes, else ``unmatched`` or the
    raw path.

    Since FastAPI 0.137 ``scope["route"]`` is the route as declared, without the prefixes of
    ``include_router``; the prefixed template is on the effective route context (what Sentry's
    FastAPI integration reads too, getsentry/sentry-python#6572).
    """
    context = scope.get("fastapi", {}).get("effective_route_context")
    template = getattr(context, "path_format", None) or getattr(scope.get("route"), "path", None)
    return template or unmatched or str(scope["path"])


def _add_request(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    scope = request_scope_var.get()
    if scope is None:
        return event
    event.setdefault("method", scope["method"])
    event.setdefault("route", route_template(scope))
    # Set by the authentication dependency once the token is verified; absent for anonymous calls.
    if (user_id := scope.get("state", {}).get("user_id")) is not None:
        event.setdefault("user_id", str(user_id))
    if (community_id := scope.get("path_params", {}).get("community_id")) is not None:
        event.setdefault("community_id", str(community_id))
    return event


def _json(value: Any, **_: Any) -> str:
    return orjson.dumps(value, default=repr).decode()


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    def emit(self, record: logging.LogRecord) -> None:
        # Looked up per record, like structlog's own loggers do, so a swapped sys.stdout is used.
        self.stream = sys.stdout
        super().emit(record)


def configure_logging(settings: Settings) -> None:
    """Configure structlog and route the standard library's records (uvicorn, SQLAlchemy) through
    the same renderer. Idempotent: calling it again replaces the previous configuration."""
    production = settings.env is Env.PRODUCTION
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        _add_request,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_secrets,
    ]
    renderer: Processor
    if production:
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer(serializer=_json)
    else:
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stdout.isatty(),
            # The default (Rich) shows local variables, and locals can hold passwords.
            exception_formatter=structlog.dev.plain_traceback,
        )
    level = logging.getLevelNamesMapping()[settings.log_level.upper()]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(),
        # Not cached: a logger looks up sys.stdout when it writes, and a later configure (another
        # app in the same process) applies to loggers already in use.
        cache_logger_on_first_use=False,
    )

    handler = _StdoutHandler()
    handler.set_name("hoa")
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != "hoa"] + [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        # uvicorn installs its own plain-text handlers; let its records reach ours instead.
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
