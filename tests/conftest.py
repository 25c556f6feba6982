"""Test harness: a real database migrated with Alembic, the real app over httpx.

The backend is chosen with ``--db sqlite|postgres`` (or HOA_TEST_DB). With ``CI=true`` an
unreachable PostgreSQL fails the run instead of skipping it.
"""

import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core import migrate
from hoa.core.database import Base, Database
from hoa.core.settings import (
    CacheSettings,
    DatabaseSettings,
    EmailSettings,
    Env,
    JobSettings,
    RateLimitSettings,
    Settings,
)
from hoa.email.backends import Backend
from hoa.main import create_app
from hoa.notifications.delivery import Deliverer
from tests.factories import PASSWORD, World, build_world

PG_URL = os.environ.get("HOA_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default=os.environ.get("HOA_TEST_DB", "sqlite"),
        choices=("sqlite", "postgres"),
        help="database backend for the run",
    )
    parser.addoption(
        "--pgbouncer",
        action="store_true",
        help="with --db postgres: the app reaches PostgreSQL through pgbouncer (transaction mode)",
    )
    parser.addoption(
        "--infra",
        action="store_true",
        help="also collect tests/infra (nginx, pgbouncer, replica; `make test-infra`)",
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path == Path(__file__).parent / "infra" and not config.getoption("--infra"):
        return True
    return None


def _pg_reachable(url: str) -> bool:
    import asyncio

    import asyncpg

    dsn = url.replace("postgresql+asyncpg", "postgresql")

    async def probe() -> None:
        conn = await asyncpg.connect(dsn, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError):
        return False
    return True


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
def database_url(backend: str) -> Iterator[str]:
    if backend == "postgres":
        if not _pg_reachable(PG_URL):
            if os.environ.get("CI") == "true":
                pytest.fail(f"PostgreSQL is not reachable at {PG_URL}", pytrace=False)
            pytest.skip("PostgreSQL is not reachable")
        with scratch_pg_database(f"test_hoa_{os.getpid()}") as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite+aiosqlite:///{Path(tmp) / 'test.db'}"


@contextlib.contextmanager
def scratch_pg_database(name: str) -> Iterator[str]:
    """A database of its own, created through the configured one, so that test runs on the
    same server never see each other's rows."""
    import asyncio

    import asyncpg

    async def admin(statement: str) -> None:
        conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"))
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def app_database_url(
    request: pytest.FixtureRequest, backend: str, database_url: str
) -> Iterator[str]:
    """What the app connects to: the database, or pgbouncer in front of it (--pgbouncer)."""
    if not request.config.getoption("--pgbouncer"):
        yield database_url
        return
    if backend != "postgres":
        pytest.fail("--pgbouncer needs --db postgres", pytrace=False)
    import asyncio

    import asyncpg

    from tests.infra.support import Pgbouncer, service_dir

    async def role_timeouts() -> None:
        # Through a transaction pooler the app cannot set them per connection.
        conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
        try:
            name = database_url.rsplit("/", 1)[1]
            await conn.execute(f'ALTER DATABASE "{name}" SET statement_timeout = 30000')
            await conn.execute(f'ALTER DATABASE "{name}" SET lock_timeout = 10000')
        finally:
            await conn.close()

    asyncio.run(role_timeouts())
    with service_dir() as folder:
        bouncer = Pgbouncer(folder, database_url)
        try:
            yield bouncer.url
        finally:
            bouncer.stop()


@pytest.fixture(scope="session")
def settings(
    database_url: str, app_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    migrate.upgrade(database_url)
    scratch = tmp_path_factory.mktemp("hoa")
    through_pgbouncer = app_database_url != database_url
    return Settings(
        env=Env.TEST,
        database_url=app_database_url,
        db=DatabaseSettings(
            pgbouncer=through_pgbouncer, direct_url=database_url if through_pgbouncer else None
        ),
        secret_key="test-secret-test-secret-test-secret-0123",  # type: ignore[arg-type]
        demo_password=PASSWORD,  # type: ignore[arg-type]
        # One app serves the whole run from one client address; tests/hardening checks the
        # real limits on apps of their own.
        rate_limit=RateLimitSettings(
            api="1000000/minute",
            auth_per_ip="1000000/minute",
            auth_per_account="1000000/minute",
            local_path=scratch / "ratelimit.db",
        ),
        # Tests deliver by calling the task code; tests/notifications runs a consumer of its own.
        email=EmailSettings(outbox_dir=scratch / "outbox"),
        jobs=JobSettings(embedded_worker=False, queue_path=scratch / "jobs.db"),
        cache=CacheSettings(versions_path=scratch / "cache-versions"),
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
def db(app: FastAPI) -> Database:
    database: Database = app.state.db
    return database


@pytest.fixture(autouse=True)
async def _clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test starts from empty tables (tests commit for real, like the app does)."""
    yield
    if "db" not in request.fixturenames:
        return
    database: Database = request.getfixturevalue("db")
    async with database.writer() as session:
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(table.delete())
        await session.commit()


@pytest.fixture
async def session(db: Database) -> AsyncIterator[AsyncSession]:
    """A committing session for arranging data; factories flush, the test commits."""
    async with db.writer() as s:
        yield s


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def world(session: AsyncSession, db: Database) -> World:
    """Maple Grove with an admin, two residents of different households and amenities, plus
    another community with its own resident."""
    built = await build_world(session)
    await session.commit()
    return built


class Api:
    """A signed-in API client (bearer token) with community-relative helpers."""

    def __init__(self, client: httpx.AsyncClient, token: str, community_id: uuid.UUID) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.base = f"/api/v1/communities/{community_id}"

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.client.get(self._url(path), headers=self.headers, **kw)

    async def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return await self.client.post(self._url(path), json=json, headers=headers, **kw)

    async def patch(self, path: str, json: Any = None) -> httpx.Response:
        return await self.client.patch(self._url(path), json=json, headers=self.headers)

    async def delete(self, path: str) -> httpx.Response:
        return await self.client.delete(self._url(path), headers=self.headers)

    def _url(self, path: str) -> str:
        return path if path.startswith("/api/") else f"{self.base}{path}"


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    client.cookies.clear()  # API helpers authenticate with the bearer token only
    return str(r.json()["access_token"])


@pytest.fixture
async def as_user(client: httpx.AsyncClient, world: World) -> Any:
    """``await as_user("resident")`` → an Api signed in as that world member."""
    tokens: dict[str, str] = {}

    async def make(who: str, community_id: uuid.UUID | None = None) -> Api:
        email = world.emails[who]
        if email not in tokens:
            tokens[email] = await sign_in(client, email)
        return Api(client, tokens[email], community_id or world.community.id)

    return make


@pytest.fixture
def deliverer_for(app: FastAPI) -> Iterator[object]:
    made: list[Deliverer] = []

    def make(settings: Settings, backend: Backend | None = None) -> Deliverer:
        d = Deliverer.from_settings(settings)
        if backend is not None:
            d.backend = backend
        made.append(d)
        return d

    yield make
    for d in made:
        d.engine.dispose()
