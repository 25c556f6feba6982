"""The read cache: a write is seen on the next read by the writer and everyone else, cached
calendars are shared without one viewer's private fields reaching another, and a Redis that
dies degrades to the database, never to an error."""

import signal
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core import metrics
from hoa.core.settings import RedisSettings, Settings
from hoa.main import create_app
from hoa.models import Amenity, Membership, MemberStatus
from hoa.reservations import reads
from hoa.reservations.tasks import complete_past
from hoa.web.cache import ReadCache
from tests.conftest import Api, sign_in
from tests.core.statements import Statements
from tests.factories import NEW_YORK, World, local, make_reservation
from tests.hardening.support import running
from tests.hardening.test_rate_limits import (  # noqa: F401 - two_processes is a fixture
    REDIS_URL,
    _redis_answers,
    new_ip,
    two_processes,
)
from tests.hardening.test_redis_hang import own_redis  # noqa: F401 - a fixture
from tests.reservations.test_reservations import booking


def count(kind: str, outcome: str) -> float:
    return metrics.CACHE_READS.labels(kind, outcome)._value.get()


def week() -> dict[str, str]:
    start = local(1, 0)
    return {"start": start.isoformat(), "end": (start + timedelta(days=7)).isoformat()}


async def test_the_app_caches_in_process_memory_without_redis(client: Any) -> None:
    cache: ReadCache = client._transport.app.state.read_cache
    assert cache.enabled
    assert cache._redis is None


async def test_a_booking_is_seen_at_once_by_the_writer_and_the_others(
    as_user: Any, world: World
) -> None:
    resident, neighbor = await as_user("resident"), await as_user("neighbor")
    day = local(1, 0).date().isoformat()
    court = f"/amenities/{world.amenities['court'].id}/availability"
    for api in (resident, neighbor):
        assert (await api.get("/calendar", params=week())).json()["entries"] == []
        assert all(
            s["available"] for s in (await api.get(court, params={"date": day})).json()["slots"]
        )
    hits = count("calendar", "hit")
    assert (await neighbor.get("/calendar", params=week())).status_code == 200
    assert count("calendar", "hit") > hits

    r = await resident.post("/reservations", booking(world, "court", local(1, 10)))
    assert r.status_code == 201, r.text
    for api, mine in ((resident, True), (neighbor, False)):
        [entry] = (await api.get("/calendar", params=week())).json()["entries"]
        assert (entry["id"], entry["mine"]) == (r.json()["id"], mine)
        slots = (await api.get(court, params={"date": day})).json()["slots"]
        assert not next(s for s in slots if s["starts_at"] == r.json()["starts_at"])["available"]

    cancelled = await resident.post(f"/reservations/{r.json()['id']}/cancel", {})
    assert cancelled.status_code == 200, cancelled.text
    assert (await neighbor.get("/calendar", params=week())).json()["entries"] == []


async def test_cached_calendars_never_show_one_viewers_private_fields_to_another(
    as_user: Any, world: World
) -> None:
    resident, neighbor, admin = (
        await as_user("resident"),
        await as_user("neighbor"),
        await as_user("admin"),
    )
    assert not world.community.show_booker_names
    r = await resident.post("/reservations", booking(world, "court", local(1, 10), title="Doubles"))
    assert r.status_code == 201, r.text
    # The resident's read fills the cache with the month; the others read the same entry.
    [own] = (await resident.get("/calendar", params=week())).json()["entries"]
    assert (own["mine"], own["title"], own["booked_for_name"]) == (True, "Doubles", "Resident")
    hits = count("calendar", "hit")
    [other] = (await neighbor.get("/calendar", params=week())).json()["entries"]
    assert (other["mine"], other["title"], other["booked_for_name"]) == (False, None, None)
    [seen] = (await admin.get("/calendar", params=week())).json()["entries"]
    assert (seen["mine"], seen["title"], seen["booked_for_name"]) == (False, "Doubles", "Resident")
    assert count("calendar", "hit") >= hits + 2
    # And the resident's view did not change by being read after the others.
    [again] = (await resident.get("/calendar", params=week())).json()["entries"]
    assert again == own


async def test_direct_writes_invalidate_amenities_and_memberships(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    neighbor = await as_user("neighbor")
    names = {a["name"] for a in (await neighbor.get("/amenities")).json()}
    assert "Pool" in names
    court = world.amenities["court"]
    assert (await neighbor.get(f"/amenities/{court.id}")).json()["name"] == "Tennis Court 1"
    # A bulk statement (not a flush) invalidates everything.
    await session.execute(sa.update(Amenity).where(Amenity.id == court.id).values(name="Court A"))
    await session.commit()
    assert (await neighbor.get(f"/amenities/{court.id}")).json()["name"] == "Court A"
    assert "Court A" in {a["name"] for a in (await neighbor.get("/amenities")).json()}

    membership = await session.get(Membership, world.members["neighbor"].id)
    assert membership is not None
    membership.status = MemberStatus.SUSPENDED
    await session.commit()
    r = await neighbor.get("/amenities")
    assert r.status_code == 404, r.text


async def test_bookings_leave_the_amenities_cached_and_an_amenity_edit_does_not(
    as_user: Any, world: World
) -> None:
    resident, admin = await as_user("resident"), await as_user("admin")
    court = world.amenities["court"]
    assert (await resident.get("/amenities")).status_code == 200  # loaded and stored
    r = await resident.post("/reservations", booking(world, "court", local(1, 10)))
    assert r.status_code == 201, r.text
    hits = count("amenities", "hit")
    assert (await resident.get("/amenities")).status_code == 200
    assert count("amenities", "hit") == hits + 1  # the list holds no booking

    r = await admin.patch(f"/amenities/{court.id}", json={"name": "Court A"})
    assert r.status_code == 200, r.text
    assert "Court A" in {a["name"] for a in (await resident.get("/amenities")).json()}
    assert (await resident.get(f"/amenities/{court.id}")).json()["name"] == "Court A"


async def test_completing_bookings_invalidates_their_calendars(
    as_user: Any, world: World, db: Any
) -> None:
    admin = await as_user("admin")
    start = local(1, 10)
    r = await (await as_user("resident")).post("/reservations", booking(world, "court", start))
    assert r.status_code == 201, r.text
    [entry] = (await admin.get("/calendar", params=week())).json()["entries"]
    assert entry["status"] == "confirmed"
    engine = sa.create_engine(sa.make_url(str(db.engine.url)).set(drivername=_sync(db)))
    try:
        assert complete_past(engine, start + timedelta(hours=2), db.versions) == 1
    finally:
        engine.dispose()
    [entry] = (await admin.get("/calendar", params=week())).json()["entries"]
    assert entry["status"] == "completed"


def _sync(db: Any) -> str:
    return "sqlite+pysqlite" if db.is_sqlite else "postgresql+psycopg"


async def test_a_dead_redis_is_bypassed_and_counted(
    settings: Settings,
    world: World,
    own_redis: tuple[subprocess.Popen[bytes], str],  # noqa: F811
) -> None:
    server, url = own_redis
    app = create_app(
        settings.model_copy(update={"redis_url": url, "redis": RedisSettings(retry_seconds=60)})
    )
    async with running(app) as client:
        resident = Api(client, await sign_in(client, world.emails["resident"]), world.community.id)
        assert app.state.read_cache._redis is not None
        hits = count("amenities", "hit")
        for _ in range(2):
            assert (await resident.get("/amenities")).status_code == 200
        assert count("amenities", "hit") == hits + 1

        server.send_signal(signal.SIGKILL)
        server.wait(10)
        bypasses = metrics.CACHE_BYPASSES._value.get()
        for _ in range(5):
            assert (await resident.get("/amenities")).status_code == 200
            r = await resident.get("/calendar", params=week())
            assert r.status_code == 200, r.text
        assert metrics.CACHE_BYPASSES._value.get() >= bypasses + 10


async def test_a_write_in_one_process_is_seen_by_every_other_without_redis(
    two_processes: str,  # noqa: F811
    world: World,
) -> None:
    """``hoa serve --workers 2`` without Redis: the processes share the versions' file, so
    whichever answers the read after a write misses its cached copy."""
    fresh = httpx.Limits(max_keepalive_connections=0)  # the two processes share the requests
    async with httpx.AsyncClient(
        base_url=two_processes, limits=fresh, timeout=60, headers={"X-Forwarded-For": new_ip()}
    ) as client:
        resident, neighbor, admin = [
            Api(client, await sign_in(client, world.emails[who]), world.community.id)
            for who in ("resident", "neighbor", "admin")
        ]

        async def entries() -> set[int]:
            seen = set()
            for _ in range(20):
                r = await neighbor.get("/calendar", params=week())
                assert r.status_code == 200, r.text
                seen.add(len(r.json()["entries"]))
            return seen

        assert await entries() == {0}  # both processes cache the empty week
        r = await resident.post("/reservations", booking(world, "court", local(1, 10)))
        assert r.status_code == 201, r.text
        assert await entries() == {1}

        removed = await admin.delete(f"/members/{world.members['neighbor'].id}")
        assert removed.status_code == 204, removed.text
        for _ in range(20):
            r = await neighbor.get("/amenities")
            assert r.status_code == 404, r.text


async def test_cached_hot_reads_send_no_statement(as_user: Any, world: World, app: Any) -> None:
    neighbor = await as_user("neighbor")
    day = local(1, 0).date().isoformat()
    reads = [
        ("/calendar", week()),
        (f"/amenities/{world.amenities['court'].id}/availability", {"date": day}),
        ("/amenities", {}),
        (f"/amenities/{world.amenities['pool'].id}", {}),
    ]
    for path, params in reads:
        async with Statements(app) as first:
            assert (await neighbor.get(path, params=params)).status_code == 200
        assert first.sent, path  # a miss reads the database
        async with Statements(app) as again:
            assert (await neighbor.get(path, params=params)).status_code == 200
        assert again.sent == [], (path, again.sent)


async def test_calendars_cached_in_redis_read_back_as_the_database_shows_them(
    settings: Settings, world: World, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Redis holds the months as bytes with the ids as text: read back, each viewer still gets
    their own private fields, and a booking across a month boundary (in both cached months)
    is shown once, exactly as an uncached read shows it."""
    if not await _redis_answers():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    # 23:00-01:00 in New York from the last day of next month runs into the month after.
    next_month = (local(0, 0).replace(day=1) + timedelta(days=32)).replace(day=1)
    last_day = (next_month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    starts_at = datetime.combine(last_day.date(), datetime.min.time(), NEW_YORK) + timedelta(
        hours=23
    )
    await make_reservation(
        session,
        world.amenities["court"],
        world.members["resident"],
        starts_at,
        hours=2,
        title="Doubles",
    )
    await session.commit()
    window = {
        "start": (starts_at - timedelta(days=3)).isoformat(),
        "end": (starts_at + timedelta(days=3)).isoformat(),
    }
    queue = f"hoa-test-{uuid.uuid4().hex[:8]}"  # versions of this test's own
    app = create_app(
        settings.model_copy(
            update={
                "redis_url": REDIS_URL,
                "redis": RedisSettings(timeout_ms=2000),
                "jobs": settings.jobs.model_copy(update={"queue_name": queue}),
            }
        )
    )
    try:
        async with running(app) as on_redis:
            for who in ("resident", "neighbor", "admin"):
                memory = Api(client, await sign_in(client, world.emails[who]), world.community.id)
                redis = Api(
                    on_redis, await sign_in(on_redis, world.emails[who]), world.community.id
                )
                expected = (await memory.get("/calendar", params=window)).json()
                [entry] = expected["entries"]
                assert entry["mine"] is (who == "resident")
                assert entry["title"] == (None if who == "neighbor" else "Doubles")
                for _ in range(2):  # a miss, then a hit
                    hits = count("calendar", "hit")
                    assert (await redis.get("/calendar", params=window)).json() == expected
                assert count("calendar", "hit") == hits + 2  # both months read from Redis
    finally:
        await _forget(queue, world.community.id)


async def test_a_cached_read_reads_its_months_and_their_versions_in_one_round_trip(
    settings: Settings,
    world: World,
    own_redis: tuple[subprocess.Popen[bytes], str],  # noqa: F811
) -> None:
    """A month view spans two of the community's cached months (its days at either end are
    another month's): one MGET reads both with the versions they hang on, and the membership
    one more. Counted by a Redis of the test's own, which only this app talks to."""
    _, url = own_redis
    app = create_app(settings.model_copy(update={"redis_url": url}))
    month = (local(0, 0).replace(day=1) + timedelta(days=32)).replace(day=1)  # next month's
    stats = Redis.from_url(url)
    try:
        async with running(app) as client:
            resident = Api(
                client, await sign_in(client, world.emails["resident"]), world.community.id
            )
            params = {
                "start": (month - timedelta(days=3)).isoformat(),
                "end": (month + timedelta(days=3)).isoformat(),
            }
            assert (await resident.get("/calendar", params=params)).status_code == 200  # loads
            before = (await stats.info("commandstats")).get("cmdstat_mget", {}).get("calls", 0)
            hits = count("calendar", "hit")
            assert (await resident.get("/calendar", params=params)).status_code == 200
            after = (await stats.info("commandstats"))["cmdstat_mget"]["calls"]
            assert count("calendar", "hit") == hits + 2  # both months, from Redis
            assert after - before == 2  # the membership, then both months
    finally:
        await stats.aclose()


async def _forget(queue: str, community_id: uuid.UUID) -> None:
    """Delete a test's keys from the shared Redis."""
    redis = Redis.from_url(REDIS_URL)
    try:
        for pattern in (f"{queue}:*", f"hoa:cache:*{community_id}*"):
            keys = [key async for key in redis.scan_iter(match=pattern, count=1000)]
            if keys:
                await redis.delete(*keys)
    finally:
        await redis.aclose()


@pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Auckland", "UTC"])
def test_calendar_months_are_the_communitys_own(zone: str) -> None:
    """A month view (local midnight on the 1st to the next) is one cached month, and any range
    is covered by consecutive months without gap or overlap, across clock changes."""
    tz = ZoneInfo(zone)
    for month in range(1, 13):
        first = datetime(2026, month, 1, tzinfo=tz)
        following = (first + timedelta(days=32)).replace(day=1)
        assert reads.local_months(first, following, tz) == [
            (first.astimezone(UTC), following.astimezone(UTC))
        ]
    start, end = datetime(2026, 3, 20, 15, tzinfo=tz), datetime(2026, 5, 10, tzinfo=tz)
    months = reads.local_months(start, end, tz)
    assert [m.astimezone(tz).strftime("%m-%d %H:%M") for m, _ in months] == [
        "03-01 00:00",
        "04-01 00:00",
        "05-01 00:00",
    ]
    assert months[0][0] <= start < end <= months[-1][1]
    assert all(a[1] == b[0] for a, b in pairwise(months))
