"""Application factory."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline

from hoa.api import api_router
from hoa.core.database import Database
from hoa.core.logging import configure_logging
from hoa.core.middleware import (
    BodyLimitMiddleware,
    ReadYourWritesMiddleware,
    RequestMiddleware,
    sentry_reporting,
)
from hoa.core.settings import Env, Settings, get_settings
from hoa.feeds.router import ical_router
from hoa.notifications.service import outbox_backlog
from hoa.web.cookies import CSRF_HEADER
from hoa.web.errors import COMMON_RESPONSES, install_error_handlers
from hoa.web.spa import mount_web
from hoa.worker import start_embedded, stop_embedded

DOCS_URL = "/api/docs"


def _operation_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    production = settings.env is Env.PRODUCTION

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = Database(settings)
        app.state.jobs, consumer = start_embedded(settings)
        try:
            with sentry_reporting(settings):
                yield
        finally:
            stop_embedded(app.state.jobs, consumer)
            await app.state.db.dispose()

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
    app.state.draining = False  # set by `hoa serve` on SIGTERM (hoa.server)
    install_error_handlers(app)
    app.include_router(api_router, prefix="/api/v1", responses=COMMON_RESPONSES)
    app.include_router(ical_router)  # calendar apps poll /ical/{secret}.ics

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        """Ready when the database answers. The queue's state and the outbox backlog are
        reported, not required: bookings go on through a queue outage (the sweep catches up).
        A process that was told to stop answers 503 at once, so load balancers move away."""
        if app.state.draining:
            return JSONResponse({"status": "draining"}, status_code=503)
        try:
            async with app.state.db.engine.connect() as conn:
                outbox = await outbox_backlog(conn)
        except Exception:
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        queue = await asyncio.to_thread(app.state.jobs.state)
        return JSONResponse({"status": "ok", "database": "ok", "queue": queue, "outbox": outbox})

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
        RequestMiddleware, production=production, docs_paths=[path for path in docs if path]
    )
    mount_web(app, settings)
    return app
