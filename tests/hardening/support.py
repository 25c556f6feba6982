"""Apps of their own for the hardening tests (other settings, test-only routes), on the
session's migrated database."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI

from hoa.core.settings import Env, Settings

SECRET = "production-secret-production-secret-0123456789"


def with_settings(settings: Settings, **changes: Any) -> Settings:
    """A copy with changes, validated like the real thing (production refuses unsafe values)."""
    return Settings(**{**settings.model_dump(), **changes})


def production(settings: Settings, **changes: Any) -> Settings:
    return with_settings(
        settings,
        env=Env.PRODUCTION,
        secret_key=SECRET,
        allow_sqlite_in_production=True,
        **changes,
    )


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app's lifespan plus a client; exceptions the app lets escape become responses, as a
    server would send them, instead of failing the test."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
