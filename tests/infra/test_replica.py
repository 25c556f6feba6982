"""HOA_DATABASE_REPLICA_URL against a real streaming replica: a primary cluster of the test's
own and a replica made from it with pg_basebackup, both from the machine's PostgreSQL binaries,
on ports of their own and run by a non-root account."""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from hoa.core import migrate
from hoa.core.database import Database
from hoa.core.settings import DatabaseSettings, Settings
from hoa.main import create_app
from hoa.models import Community
from tests.factories import PASSWORD, World, build_world, local
from tests.infra.support import Postgres

pytestmark = pytest.mark.usefixtures("postgres_only")


@dataclass
class Clusters:
    primary: Postgres
    replica: Postgres


@pytest.fixture
def clusters(folder: Path) -> Iterator[Clusters]:
    primary = Postgres(folder)
    replica: Postgres | None = None
    try:
        migrate.upgrade(primary.url)
        replica = Postgres(folder, replica_of=primary)
        yield Clusters(primary, replica)
    finally:
        if replica is not None:
            replica.stop()
        primary.stop()


@pytest.fixture
async def replicated(settings: Settings, clusters: Clusters) -> AsyncIterator[FastAPI]:
    app = create_app(
        settings.model_copy(
            update={
                "database_url": clusters.primary.url,
                "database_replica_url": clusters.replica.url,
                "db": DatabaseSettings(read_your_writes_seconds=30, pool_size=5),
            }
        )
    )
    async with app.router.lifespan_context(app):
        yield app


async def _world(app: FastAPI, clusters: Clusters) -> World:
    db: Database = app.state.db
    async with db.writer() as session:
        world = await build_world(session)
        await session.commit()
    deadline = time.monotonic() + 20
    copied = f"SELECT count(*) FROM communities WHERE id = '{world.community.id}'"  # noqa: S608
    while clusters.replica.psql(copied) != "1":
        assert time.monotonic() < deadline, "the replica did not catch up"
        await asyncio.sleep(0.1)
    return world


async def _client(app: FastAPI, email: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    r = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.cookies.clear()  # bearer only: the write cookie is the one under test
    client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return client


async def test_lag_tolerant_reads_use_the_replica_but_writers_read_their_writes(
    replicated: FastAPI, clusters: Clusters
) -> None:
    world = await _world(replicated, clusters)
    base = f"/api/v1/communities/{world.community.id}"
    window = {"start": local(1, 0).isoformat(), "end": local(10, 0).isoformat()}
    resident = await _client(replicated, world.emails["resident"])
    admin = await _client(replicated, world.emails["admin"])
    try:
        clusters.replica.psql("SELECT pg_wal_replay_pause()")  # the replica now lags
        start = local(3, 10)
        r = await resident.post(
            f"{base}/reservations",
            json={
                "amenity_id": str(world.amenities["court"].id),
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
            },
        )
        assert r.status_code == 201, r.text
        booking = r.json()["id"]
        assert "hoa_wrote" in resident.cookies

        def ids(response: httpx.Response) -> set[str]:
            assert response.status_code == 200, response.text
            body = response.json()
            return {item["id"] for item in body.get("entries", body.get("items", []))}

        # Another client's lag-tolerant read comes from the lagging replica (and is not
        # cached: it may predate the write) ...
        assert booking not in ids(await admin.get(f"{base}/calendar", params=window))
        # ... the writer reads its own write at once (primary, while its cookie lasts) ...
        assert booking in ids(await resident.get(f"{base}/calendar", params=window))
        # ... and reads that are not marked lag-tolerant always go to the primary.
        assert booking in ids(await admin.get(f"{base}/reservations"))

        clusters.replica.psql("SELECT pg_wal_replay_resume()")
        deadline = time.monotonic() + 20
        while booking not in ids(await admin.get(f"{base}/calendar", params=window)):
            assert time.monotonic() < deadline, "the replica never caught up"
            await asyncio.sleep(0.1)
    finally:
        await resident.aclose()
        await admin.aclose()


async def test_replica_stopping_mid_run_fails_no_request(
    replicated: FastAPI, clusters: Clusters
) -> None:
    world = await _world(replicated, clusters)
    base = f"/api/v1/communities/{world.community.id}"
    window = {"start": local(1, 0).isoformat(), "end": local(10, 0).isoformat()}
    clients = [await _client(replicated, world.emails[who]) for who in ("resident", "neighbor")]
    statuses: list[int] = []
    running = True

    async def read(client: httpx.AsyncClient) -> None:
        while running:
            for path in ("/calendar", "/amenities"):
                r = await client.get(
                    f"{base}{path}", params=window if path == "/calendar" else None
                )
                statuses.append(r.status_code)

    try:
        readers = [asyncio.create_task(read(client)) for client in clients for _ in range(3)]
        await asyncio.sleep(2)
        before = len(statuses)
        await asyncio.to_thread(clusters.replica.stop)
        stopped_at = len(statuses)
        await asyncio.sleep(3)
        running = False
        await asyncio.gather(*readers)
    finally:
        for client in clients:
            await client.aclose()
    assert before > 20 and len(statuses) - stopped_at > 20, (before, stopped_at, len(statuses))
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    # The primary answered after the replica went: the community is there.
    async with replicated.state.db.reader() as session:
        assert await session.get(Community, world.community.id) is not None
    (Path(__file__).parents[2] / "test-artifacts").mkdir(exist_ok=True)
    (Path(__file__).parents[2] / "test-artifacts" / "replica-fallback.txt").write_text(
        f"reads before the stop: {before}; during and after it: {len(statuses) - before}; "
        f"failed: {sum(1 for s in statuses if s != 200)}\n"
    )
