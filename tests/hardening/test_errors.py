import asyncio
import gzip
import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import sentry_sdk
import sqlalchemy as sa
from fastapi import FastAPI

from hoa.core.settings import Settings
from hoa.main import create_app
from hoa.models import Community
from hoa.web.deps import SessionDep
from tests.hardening.support import running, with_settings

# What a client must never see of a database failure.
LEAKS = ("select", "insert", "sqlite", "asyncpg", "postgres", "pg_", "communities", "locked")


def with_probes(settings: Settings) -> FastAPI:
    """An app with test-only routes that fail the way real code can."""
    app = create_app(settings)

    @app.get("/probe/crash")
    async def crash() -> None:
        raise RuntimeError("an unexpected bug")

    @app.post("/probe/duplicate")
    async def duplicate(session: SessionDep) -> None:
        # No service catches this: the error table still names the constraint's error.
        for _ in range(2):
            await session.execute(sa.insert(Community).values(name="A", slug="dup", timezone="UTC"))

    @app.post("/probe/unmapped")
    async def unmapped(session: SessionDep) -> None:
        # Join codes are random: a clash is a bug, and no entry of the table names it.
        for slug in ("one", "two"):
            values = {"name": "A", "slug": slug, "timezone": "UTC", "join_code": "SAME"}
            await session.execute(sa.insert(Community).values(**values))

    @app.post("/probe/nul")
    async def nul(session: SessionDep) -> None:
        await session.execute(sa.select(Community).where(Community.slug == "a\x00b"))

    @app.post("/probe/write")
    async def write(session: SessionDep) -> None:
        await session.execute(sa.text("SELECT 1"))  # a writer: BEGIN IMMEDIATE on SQLite

    @app.post("/probe/slow")  # a write: SET LOCAL needs its transaction
    async def slow(session: SessionDep) -> None:
        await session.execute(sa.text("SET LOCAL statement_timeout = 100"))
        await session.execute(sa.text("SELECT pg_sleep(2)"))

    @app.post("/probe/wait-for-lock")
    async def wait_for_lock(session: SessionDep) -> None:
        await session.execute(sa.text("SET LOCAL lock_timeout = 100"))
        await session.execute(sa.text("SELECT count(*) FROM communities"))

    @app.get("/probe/lose-connection")
    async def lose_connection(session: SessionDep) -> None:
        await session.execute(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))

    return app


def assert_error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error: dict[str, Any] = r.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == r.headers["x-request-id"]
    assert not any(leak in r.text.lower() for leak in LEAKS), r.text
    return error


async def test_an_unhandled_exception_is_a_500_envelope_and_serving_goes_on(
    settings: Settings,
) -> None:
    async with running(with_probes(settings)) as client:
        r = await client.get("/probe/crash")
        error = assert_error(r, 500, "internal_error")
        assert "unexpected bug" not in r.text and error["message"].startswith("Something went")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/probe/crash")).status_code == 500


async def test_a_constraint_maps_to_its_domain_error_wherever_it_is_violated(
    settings: Settings,
) -> None:
    async with running(with_probes(settings)) as client:
        error = assert_error(await client.post("/probe/duplicate"), 409, "community.slug_taken")
    assert error["message"] == "That short name is already used."


async def test_an_integrity_error_no_entry_names_is_a_bug(settings: Settings) -> None:
    async with running(with_probes(settings)) as client:
        assert_error(await client.post("/probe/unmapped"), 500, "internal_error")


async def test_text_postgres_cannot_store_is_invalid_value(
    settings: Settings, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite stores NUL characters")
    async with running(with_probes(settings)) as client:
        assert_error(await client.post("/probe/nul"), 422, "invalid_value")


async def test_postgres_statement_timeout_is_busy_with_retry_after(
    settings: Settings, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("statement_timeout is PostgreSQL's")
    async with running(with_probes(settings)) as client:
        r = await client.post("/probe/slow")
    assert_error(r, 503, "service.busy")
    assert r.headers["retry-after"] == "1"


async def test_postgres_lock_timeout_is_busy(settings: Settings, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("lock_timeout is PostgreSQL's")
    holder = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
    try:
        async with holder.transaction():
            await holder.execute("LOCK TABLE communities IN ACCESS EXCLUSIVE MODE")
            async with running(with_probes(settings)) as client:
                r = await client.post("/probe/wait-for-lock")
    finally:
        await holder.close()
    assert_error(r, 503, "service.busy")
    assert r.headers["retry-after"] == "1"


async def test_sqlite_database_locked_is_busy(settings: Settings, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's write lock")
    impatient = with_settings(settings, db={"sqlite_busy_timeout_ms": 50})
    holder = sqlite3.connect(str(settings.sqlite_path), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
        async with running(with_probes(impatient)) as client:
            r = await client.post("/probe/write")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_error(r, 503, "service.busy")
    assert r.headers["retry-after"] == "1"


async def test_postgres_connection_lost_mid_request_is_unavailable(
    settings: Settings, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("ends its own PostgreSQL backend")
    async with running(with_probes(settings)) as client:
        assert_error(await client.get("/probe/lose-connection"), 503, "service.unavailable")
        # The pool drops the dead connection; the next request gets a fresh one.
        assert (await client.post("/probe/write")).status_code == 200


async def test_an_unreachable_database_is_unavailable(
    settings: Settings, backend: str, tmp_path: Path
) -> None:
    # Nothing listens on port 1; SQLite cannot open a directory as its file.
    url = (
        "postgresql+asyncpg://postgres@127.0.0.1:1/none"
        if backend == "postgres"
        else f"sqlite+aiosqlite:///{tmp_path}"
    )
    async with running(with_probes(with_settings(settings, database_url=url))) as client:
        assert_error(await client.post("/probe/write"), 503, "service.unavailable")
        assert (await client.get("/readyz")).status_code == 503
        assert (await client.get("/healthz")).status_code == 200


class _SentryIngest(BaseHTTPRequestHandler):
    envelopes: list[bytes]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.envelopes.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def sentry_ingest() -> Iterator[tuple[str, list[bytes]]]:
    """A stand-in for Sentry's ingest endpoint on loopback: the DSN and the envelopes received."""
    envelopes: list[bytes] = []
    handler = type("Ingest", (_SentryIngest,), {"envelopes": envelopes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://public@127.0.0.1:{server.server_address[1]}/1", envelopes
    finally:
        server.shutdown()
        server.server_close()


def events(envelopes: list[bytes]) -> list[dict[str, Any]]:
    found = []
    for envelope in envelopes:
        lines = envelope.split(b"\n")
        for item_header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(item_header).get("type") == "event":
                found.append(json.loads(payload))
    return found


async def test_sentry_gets_server_errors_only_and_nothing_secret(
    settings: Settings, sentry_ingest: tuple[str, list[bytes]]
) -> None:
    dsn, envelopes = sentry_ingest
    secrets = {"Authorization": "Bearer tok-SECRET-1", "Cookie": "hoa_session=cookie-SECRET-2"}
    async with running(with_probes(with_settings(settings, sentry_dsn=dsn))) as client:
        assert (await client.get("/api/v1/me", headers=secrets)).status_code == 401
        assert (await client.get("/api/v1/nowhere")).status_code == 404
        crash = await client.get("/probe/crash?invite=query-SECRET-3", headers=secrets)
        assert crash.status_code == 500
    assert not sentry_sdk.get_client().is_active()  # closed with the app: nothing leaks on
    for _ in range(50):  # the transport's thread may still be finishing the POST
        if envelopes:
            break
        await asyncio.sleep(0.05)
    [event] = events(envelopes)
    assert event["tags"]["request_id"] == crash.headers["x-request-id"]
    assert event["tags"]["route"] == "/probe/crash"
    assert event["environment"] == "test" and event["release"].startswith("hoa@")
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["request"]["url"] == "/probe/crash"
    assert event["request"]["headers"]["authorization"] == "[redacted]"
    raw = b"".join(envelopes)
    assert b"SECRET" not in raw
