"""Application factory."""

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import cast

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.metrics import NoOpMeterProvider

from hoa.api import include_api
from hoa.core import metrics
from hoa.core.cache import SharedCache
from hoa.core.database import Database, utcnow
from hoa.core.logging import configure_logging
from hoa.core.middleware import (
    BodyLimitMiddleware,
    ReadYourWritesMiddleware,
    RequestMiddleware,
    error_response,
    sentry_reporting,
)
from hoa.core.ratelimit import RateLimiter
from hoa.core.settings import Env, Settings, get_settings
from hoa.core.tracing import trace_engine, tracer_provider
from hoa.feeds.router import ical_router
from hoa.notifications.service import oldest_undelivered, outbox_backlog
from hoa.reservations.router import warm_calendar
from hoa.web.cache import ReadCache
from hoa.web.cookies import CSRF_HEADER
from hoa.web.errors import COMMON_RESPONSES, install_error_handlers
from hoa.web.rum import rum_router
from hoa.web.spa import mount_web
from hoa.worker import start_embedded, stop_embedded

DOCS_URL = "/api/docs"
_HEALTHY = b'{"status":"ok"}'


def _operation_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    production = settings.env is Env.PRODUCTION
    tracing = tracer_provider(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = Database(settings)
        app.state.cache = SharedCache(settings)
        app.state.read_cache = ReadCache(settings, app.state.db.versions)
        app.state.read_cache.warm_with(partial(warm_calendar, app.state.read_cache, app.state.db))
        trace_engine(app.state.db.engine.sync_engine, tracing)
        app.state.jobs, consumer = start_embedded(settings, tracing)
        app.state.rate_limiter = RateLimiter(settings)
        try:
            with sentry_reporting(settings):
                yield
        finally:
            app.state.rate_limiter.close()
            stop_embedded(app.state.jobs, consumer)
            await app.state.cache.close()
            await app.state.read_cache.close()
            await app.state.db.dispose()
            if tracing is not None:
                tracing.shutdown()  # sends the spans still batched
            metrics.process_exited()

    # Swagger UI's files come from the fastapi-offline package, not a CDN, so the docs work
    # without the internet and tell no third party about their visitors. Its page starts with
    # an inline script, which production's CSP refuses, so production has no docs.
    docs_url = None if production else DOCS_URL
    app = FastAPIOffline(
        title="hoa",
        summary="Amenity reservations for homeowners associations",
        version="1.0.0",
        openapi_url="/api/openapi.json",
        docs_url=docs_url,
        redoc_url=None,
        static_url="/api/docs-assets",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.settings = settings
    app.state.tracer_provider = tracing
    app.state.draining = False  # set by `hoa serve` on SIGTERM (hoa.server)
    install_error_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return Response(_HEALTHY, media_type="application/json")  # the floor: nothing to encode

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        """Ready when the database answers. The queue's state and the outbox backlog are
        reported, not required: bookings go on through a queue outage (the sweep catches up).
        A process that was told to stop answers 503 at once, so load balancers move away.

        The public gets only ``ok`` or ``unavailable``; the details are for whoever may scrape
        /metrics."""
        status, details = await _readiness(app)
        code = 200 if status == "ok" else 503
        if _may_scrape(request, settings):
            return JSONResponse({"status": status, **details}, status_code=code)
        return JSONResponse({"status": "ok" if code == 200 else "unavailable"}, status_code=code)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics(request: Request) -> Response:
        """Prometheus' text format. With HOA_METRICS__TOKEN, only for that bearer token;
        without one, open outside production and absent (404) in production."""
        if not _may_scrape(request, settings):
            return error_response(404, "not_found", "Not found.")
        body = metrics.exposition(await _snapshot(app, settings))
        return Response(body, media_type=metrics.CONTENT_TYPE)

    # After the probes: routes are matched in order, and a probe should not wait for 90.
    include_api(app, COMMON_RESPONSES)
    # Browsers report page timings outside /api/v1's per-client budget, on a limit of their own.
    app.include_router(rum_router, prefix="/api/v1", responses=COMMON_RESPONSES)
    app.include_router(ical_router)  # calendar apps poll /ical/{secret}.ics

    # The first added runs innermost: CORS answers preflights and decorates 413s too.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        max_depth=settings.max_json_depth,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                CSRF_HEADER,
                "Idempotency-Key",
                "X-Request-ID",
            ],
            expose_headers=["X-Request-ID", "Retry-After", "Idempotent-Replayed"],
        )
    if settings.database_replica_url:
        app.add_middleware(
            ReadYourWritesMiddleware,
            seconds=settings.db.read_your_writes_seconds,
            secure=production,
        )
    docs = (docs_url, app.swagger_ui_oauth2_redirect_url) if docs_url else ()
    app.add_middleware(
        RequestMiddleware,
        production=production,
        docs_paths=[path for path in docs if path],
        measure=settings.metrics.enabled,
        tracing=tracing is not None,
    )
    mount_web(app, settings)
    if tracing is not None:
        # Outermost, so the request's span is current when its id is chosen.
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=tracing,
            meter_provider=NoOpMeterProvider(),
            excluded_urls="/healthz$,/readyz$,/metrics$",  # probes and scrapes: no traces
        )
    return app


def _may_scrape(request: Request, settings: Settings) -> bool:
    if not settings.metrics.enabled:
        return False
    if settings.metrics.token is None:
        return settings.env is not Env.PRODUCTION
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    expected = settings.metrics.token.get_secret_value()
    return scheme.lower() == "bearer" and secrets.compare_digest(token.encode(), expected.encode())


async def _readiness(app: FastAPI) -> tuple[str, dict[str, object]]:
    if app.state.draining:
        return "draining", {}
    try:
        async with app.state.db.engine.connect() as conn:
            outbox = await outbox_backlog(conn)
    except Exception:
        return "unavailable", {"database": "down"}
    queue = await asyncio.to_thread(app.state.jobs.state)
    return "ok", {"database": "ok", "queue": queue, "outbox": outbox}


Snapshot = dict[str, tuple[str, float | dict[str, float]]]


async def _snapshot(app: FastAPI, settings: Settings) -> Snapshot:
    """What is measured at scrape time: the database, the queue, the outbox and backups."""
    values: Snapshot = {}
    try:
        async with app.state.db.engine.connect() as conn:
            outbox = await outbox_backlog(conn)
            oldest = await oldest_undelivered(conn)
    except Exception:
        values["hoa_database_up"] = ("Whether the database answered this scrape", 0)
    else:
        values["hoa_database_up"] = ("Whether the database answered this scrape", 1)
        values["hoa_notifications"] = (
            "Notifications not yet sent, by status",
            {status: float(n) for status, n in outbox.items()},
        )
        age = (utcnow() - oldest).total_seconds() if oldest else 0.0
        values["hoa_notification_oldest_pending_age_seconds"] = (
            "Age of the oldest notification still waiting to be sent (0: none)",
            age,
        )
    queue = await asyncio.to_thread(app.state.jobs.state)
    values["hoa_queue_up"] = ("Whether the job queue (Redis or the queue file) answered", 0)
    if queue["status"] == "ok":
        values["hoa_queue_up"] = (values["hoa_queue_up"][0], 1)
        values["hoa_queue_depth"] = ("Tasks waiting in the job queue", cast(int, queue["queued"]))
    if settings.backup.daily_at:
        values["hoa_backup_newest_timestamp_seconds"] = (
            "When the newest backup in HOA_BACKUP__DIR was written (Unix time; 0: none)",
            await asyncio.to_thread(_newest_backup, settings),
        )
    return values


def _newest_backup(settings: Settings) -> float:
    manifests = settings.backup.dir.glob("*.manifest.json")
    return max((path.stat().st_mtime for path in manifests), default=0.0)
