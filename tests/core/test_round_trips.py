"""One round trip per hot read: an uncached read sends one statement (the caller's membership
comes from the cache), a cached one none, and no read sends BEGIN or COMMIT. A read on a
connection the server dropped runs again on a new one."""

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from hoa.core.database import Database
from tests.core.statements import Statements
from tests.factories import World, local
from tests.reservations.test_reservations import booking


async def test_hot_reads_send_one_statement_and_none_when_cached(
    as_user: Any, world: World, app: FastAPI
) -> None:
    resident = await as_user("resident")
    start = local(1, 10)
    async with Statements(app) as write:
        r = await resident.post("/reservations", booking(world, "court", start))
    assert r.status_code == 201, r.text
    # What counts sees the transaction a write sends.
    assert {"BEGIN", "COMMIT"} <= {s.split()[0].upper().rstrip(";") for s in write.sent}, write.sent
    court = world.amenities["court"].id
    # Caches the caller's membership; the reads below miss (another amenity, range and day).
    assert (await resident.get(f"/amenities/{court}")).status_code == 200
    # Past the next UTC month: not warmed after the write.
    later = local(70, 10)
    two_hours = {"start": later.isoformat(), "end": (later + timedelta(hours=2)).isoformat()}
    cached = [
        ("/calendar", two_hours),
        (f"/amenities/{court}/availability", {"date": start.date().isoformat()}),
        ("/amenities", {}),
    ]
    uncached = [("/reservations", {}), ("/api/v1/me", {})]
    for path, params in cached + uncached:
        async with Statements(app) as sent:
            r = await resident.get(path, params=params)
        assert r.status_code == 200, r.text
        assert len(sent.sent) == 1, (path, sent.sent)
        assert sent.sent[0].lstrip().upper().startswith("SELECT"), (path, sent.sent)
    [mine] = (await resident.get("/reservations")).json()["items"]
    assert mine["cancellable_until"] is not None
    booked = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    [entry] = (await resident.get("/calendar", params=booked)).json()["entries"]
    assert entry["mine"]
    for path, params in cached:
        async with Statements(app) as sent:
            assert (await resident.get(path, params=params)).status_code == 200
        assert sent.sent == [], (path, sent.sent)


async def test_reads_survive_the_server_dropping_every_connection(
    backend: str, as_user: Any, world: World, db: Database
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite has no server to drop connections")
    resident = await as_user("resident")
    for path in ("/api/v1/me", "/reservations", "/amenities"):
        assert (await resident.get(path)).status_code == 200
    # Another connection ends every backend of this run's own database but itself.
    url = db.engine.url.render_as_string(hide_password=False)
    killer = create_async_engine(url, poolclass=NullPool)
    try:
        async with killer.connect() as conn:
            ended = await conn.scalar(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        await killer.dispose()
    assert ended >= 1
    two_hours = {"start": local(2, 10).isoformat(), "end": local(2, 12).isoformat()}
    for path, params in (("/api/v1/me", {}), ("/reservations", {}), ("/calendar", two_hours)):
        r = await resident.get(path, params=params)
        assert r.status_code == 200, (path, r.text)


async def test_after_a_write_this_months_calendar_is_warmed(
    as_user: Any, world: World, db: Database, app: FastAPI
) -> None:
    resident = await as_user("resident")
    assert (await resident.get("/amenities")).status_code == 200  # caches the membership
    start = local(1, 10)  # in this UTC month or the next
    r = await resident.post("/reservations", booking(world, "court", start))
    assert r.status_code == 201, r.text
    await app.state.read_cache.warmed()
    two_hours = {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    async with Statements(app) as sent:
        calendar = await resident.get("/calendar", params=two_hours)
    assert calendar.status_code == 200, calendar.text
    assert [e["id"] for e in calendar.json()["entries"]] == [r.json()["id"]]
    assert sent.sent == []
