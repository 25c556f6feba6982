"""A PostgreSQL that refuses new connections for a while (out of connection slots, shutting
down or recovering, gone) or a pool with no connection free in time is answered 503 with
Retry-After, never 500: a PostgreSQL cluster of the test's own is filled up, shut down and
stopped under the app."""

import asyncio
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
import sqlalchemy as sa

from hoa.core.settings import Settings
from hoa.web.deps import SessionDep
from tests.hardening.support import running, with_settings
from tests.hardening.test_errors import assert_error, with_probes
from tests.infra.support import Postgres, service_dir

SLOTS = 3


@pytest.fixture
def cluster(backend: str) -> Iterator[Postgres]:
    if backend != "postgres":
        pytest.skip("PostgreSQL's connection refusals")
    with service_dir() as folder:
        pg = Postgres(folder)
        try:
            with (pg.data / "postgresql.conf").open("a") as conf:
                conf.write(f"max_connections = {SLOTS}\nsuperuser_reserved_connections = 0\n")
            pg.stop()
            pg.start()
            yield pg
        finally:
            pg.stop()


@pytest.fixture
async def holders(cluster: Postgres) -> AsyncIterator[list[asyncpg.Connection]]:
    held: list[asyncpg.Connection] = []
    yield held
    for conn in held:
        await conn.close()


def _settings(settings: Settings, cluster: Postgres) -> Settings:
    return with_settings(settings, database_url=cluster.url)


async def test_no_connection_slot_left_is_busy(
    settings: Settings, cluster: Postgres, holders: list[asyncpg.Connection]
) -> None:
    dsn = cluster.url.replace("+asyncpg", "")
    holders.extend([await asyncpg.connect(dsn) for _ in range(SLOTS)])
    async with running(with_probes(_settings(settings, cluster))) as client:
        r = await client.post("/probe/write")
        assert_error(r, 503, "service.busy")
        assert r.headers["retry-after"] == "1"
        await holders.pop().close()
        assert (await client.post("/probe/write")).status_code == 200


async def test_a_shutting_down_then_stopped_database_is_unavailable(
    settings: Settings, cluster: Postgres, holders: list[asyncpg.Connection]
) -> None:
    holders.append(await asyncpg.connect(cluster.url.replace("+asyncpg", "")))
    # A smart shutdown waits for the open session and refuses new ones (SQLSTATE 57P03),
    # as during crash recovery.
    cluster.shutdown_smart()
    async with running(with_probes(_settings(settings, cluster))) as client:
        r = await client.post("/probe/write")
        assert_error(r, 503, "service.unavailable")
        assert r.headers["retry-after"]
        await holders.pop().close()
        cluster.wait_stopped()
        r = await client.post("/probe/write")  # connection refused
        assert_error(r, 503, "service.unavailable")
        assert r.headers["retry-after"]


async def test_no_pooled_connection_free_in_time_is_busy(settings: Settings, backend: str) -> None:
    if backend != "postgres":
        pytest.skip("the pool settings are PostgreSQL's")
    one = with_settings(
        settings, db={"pool_size": 1, "max_overflow": 0, "pool_timeout_seconds": 0.2}
    )
    app = with_probes(one)

    @app.post("/probe/hold")
    async def hold(session: SessionDep) -> None:
        await session.execute(sa.text("SELECT pg_sleep(1)"))

    async with running(app) as client:
        holding = asyncio.create_task(client.post("/probe/hold"))
        await asyncio.sleep(0.3)  # the only connection is taken
        r = await client.post("/probe/write")
        assert (await holding).status_code == 200
    assert_error(r, 503, "service.busy")
    assert r.headers["retry-after"] == "1"
