"""What a cached read costs the app: CPU ms per month-calendar and availability request,
uncached, cached in Redis and cached in process memory, for one community with ~300 bookings
in the month. The app runs in this process and is called directly through ASGI (no server, no
client), so the CPU measured is the app's own (its database and Redis clients included).
Prints numbers; asserts nothing.

    uv run python -m bench.cache_cost [--requests 500] [--database-url ...] [--redis-url ...]

The database is a scratch one created on the PostgreSQL server and dropped afterwards
(``--sqlite``: a temporary SQLite file); the Redis keys are the run's own (a queue name and a
community of its own) and are deleted at the end.
"""

import argparse
import asyncio
import contextlib
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from fastapi import FastAPI
from redis.asyncio import Redis
from rich.console import Console
from rich.table import Table

from hoa.auth.passwords import hash_password
from hoa.core import metrics, migrate
from hoa.core.settings import (
    CacheSettings,
    Env,
    JobSettings,
    RateLimitSettings,
    RedisSettings,
    Settings,
)
from hoa.main import create_app
from hoa.models import (
    Amenity,
    BookingMode,
    Community,
    Household,
    Membership,
    Reservation,
    ReservationStatus,
    Role,
    User,
)

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PASSWORD = "cache-cost-password"  # noqa: S105 - a throwaway benchmark account
TIMEZONE = ZoneInfo("America/New_York")
AMENITIES = 10
BOOKINGS_PER_DAY = 10  # ~300 in a month: one per amenity and day
ALL_WEEK = {day: [["06:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
NO_LIMITS = RateLimitSettings(
    api="1000000/second", auth_per_ip="1000000/second", auth_per_account="1000000/second"
)
console = Console()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="measured per endpoint and mode")
    parser.add_argument("--rounds", type=int, default=3, help="the median of these is printed")
    parser.add_argument("--database-url", default=PG_URL, help="the PostgreSQL server to use")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    return parser.parse_args()


@contextlib.contextmanager
def scratch_database(args: argparse.Namespace, folder: Path) -> Iterator[str]:
    if args.sqlite:
        yield f"sqlite+aiosqlite:///{folder / 'cache-cost.db'}"
        return
    name = f"hoa_cache_cost_{uuid.uuid4().hex[:8]}"
    server = args.database_url.replace("postgresql+asyncpg", "postgresql")

    async def admin(statement: str) -> None:
        conn = await asyncpg.connect(server)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield args.database_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def month_range() -> tuple[datetime, datetime]:
    """The current local month, as bench.run's calendar asks for it."""
    start = datetime.now(TIMEZONE).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    after = (start + timedelta(days=32)).replace(day=1)
    return start, datetime.combine(after.date(), datetime.min.time(), TIMEZONE)


async def seed(app: FastAPI) -> dict[str, Any]:
    """A community with AMENITIES amenities and BOOKINGS_PER_DAY bookings a day over this month
    and the next (a local month's calendar spans two UTC months)."""
    start, _ = month_range()
    password_hash = hash_password(PASSWORD)
    async with app.state.db.writer() as session:
        community = Community(
            name="Cache Cost HOA", slug=f"cost-{uuid.uuid4().hex[:8]}", timezone=TIMEZONE.key
        )
        session.add(community)
        await session.flush()
        households = [Household(community_id=community.id, label=f"Lot {n}") for n in range(20)]
        users = [
            User(
                email=f"cost-{uuid.uuid4().hex[:8]}@bench.example.com",
                name=f"Resident {n}",
                password_hash=password_hash,
            )
            for n in range(20)
        ]
        amenities = [
            Amenity(
                community_id=community.id,
                name=f"Court {n}",
                hours=ALL_WEEK,
                mode=BookingMode.EXCLUSIVE,
                slot_minutes=30,
                min_duration_minutes=30,
                max_duration_minutes=240,
                max_days_ahead=90,
            )
            for n in range(AMENITIES)
        ]
        session.add_all([*households, *users, *amenities])
        await session.flush()
        session.add_all(
            Membership(
                community_id=community.id,
                user_id=u.id,
                role=Role.RESIDENT,
                household_id=h.id,
            )
            for u, h in zip(users, households, strict=True)
        )
        for day in range(62):
            for n in range(BOOKINGS_PER_DAY):
                amenity, user = amenities[n % AMENITIES], users[(day + n) % len(users)]
                starts_at = start + timedelta(days=day, hours=7 + (day + n) % 12)
                session.add(
                    Reservation(
                        community_id=community.id,
                        amenity_id=amenity.id,
                        household_id=households[(day + n) % len(users)].id,
                        booked_by_id=user.id,
                        booked_for_id=user.id,
                        starts_at=starts_at,
                        ends_at=starts_at + timedelta(hours=1),
                        block_starts_at=starts_at,
                        block_ends_at=starts_at + timedelta(hours=1),
                        exclusive=True,
                        title=f"Booking {day}-{n}",
                        status=ReservationStatus.CONFIRMED,
                    )
                )
        await session.commit()
        return {"community": community.id, "amenity": amenities[0].id, "email": users[0].email}


def request_scope(path: str, query: str, token: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 40000),
        "server": ("bench", 80),
        "state": {},
    }


async def call(app: FastAPI, scope: dict[str, Any]) -> int:
    """One request straight into the app; its status."""
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(dict(scope), receive, send)
    return status


async def cpu_ms(app: FastAPI, scope: dict[str, Any], requests: int) -> float:
    for _ in range(20):  # warm: the cache filled, statements compiled
        assert await call(app, scope) == 200
    started = time.process_time()
    for _ in range(requests):
        await call(app, scope)
    return (time.process_time() - started) * 1000 / requests


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def measure(args: argparse.Namespace, base: Settings) -> dict[tuple[str, str], float]:
    modes = {
        "uncached": base.model_copy(update={"cache": CacheSettings(enabled=False)}),
        # Costs are measured here, not outages: a slow moment of the shared Redis must not
        # send reads to the database.
        "redis": base.model_copy(
            update={"redis_url": args.redis_url, "redis": RedisSettings(timeout_ms=2000)}
        ),
        "memory": base,
    }
    async with serving(base) as app:
        ids = await seed(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            r = await client.post(
                "/api/v1/auth/login", json={"email": ids["email"], "password": PASSWORD}
            )
            r.raise_for_status()
            token = r.json()["access_token"]
    start, end = month_range()
    community = f"/api/v1/communities/{ids['community']}"
    day = (start + timedelta(days=9)).date().isoformat()
    targets = {
        "calendar": request_scope(
            f"{community}/calendar",
            urlencode({"start": start.isoformat(), "end": end.isoformat()}),
            token,
        ),
        "availability": request_scope(
            f"{community}/amenities/{ids['amenity']}/availability", f"date={day}", token
        ),
    }
    found: dict[tuple[str, str], list[float]] = {}
    bypasses = metrics.CACHE_BYPASSES._value.get()
    try:
        for _ in range(args.rounds):
            for mode, settings in modes.items():
                async with serving(settings) as app:
                    for name, scope in targets.items():
                        cost = await cpu_ms(app, scope, args.requests)
                        found.setdefault((name, mode), []).append(cost)
    finally:
        await forget(args.redis_url, base.jobs.queue_name, ids["community"])
    if metrics.CACHE_BYPASSES._value.get() > bypasses:
        console.print("[red]Redis failed during the run: some cached reads went to the database")
    return {key: sorted(costs)[len(costs) // 2] for key, costs in found.items()}


async def forget(redis_url: str, queue_name: str, community_id: uuid.UUID) -> None:
    """Delete the run's keys from the shared Redis (its versions and cached values)."""
    redis = Redis.from_url(redis_url)
    try:
        for pattern in (f"{queue_name}:*", f"*{community_id}*"):
            keys = [key async for key in redis.scan_iter(match=pattern, count=1000)]
            if keys:
                await redis.delete(*keys)
    finally:
        await redis.aclose()


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args, Path(tmp)) as url:
        migrate.upgrade(url)
        settings = Settings(
            env=Env.TEST,
            database_url=url,
            secret_key="cache-cost-secret-cache-cost-secret-0123",  # type: ignore[arg-type]  # noqa: S106
            log_level="warning",
            rate_limit=NO_LIMITS.model_copy(update={"local_path": Path(tmp) / "ratelimit.db"}),
            jobs=JobSettings(
                embedded_worker=False,
                queue_path=Path(tmp) / "jobs.db",
                queue_name=f"hoa-cache-cost-{uuid.uuid4().hex[:8]}",
            ),
            cache=CacheSettings(versions_path=Path(tmp) / "cache-versions"),
        )
        costs = asyncio.run(measure(args, settings))
    table = Table(title=f"app CPU ms per request (median of {args.rounds} × {args.requests})")
    for column in ("endpoint", "uncached", "redis", "memory"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for name in ("calendar", "availability"):
        modes = ("uncached", "redis", "memory")
        table.add_row(name, *(f"{costs[name, mode]:.2f}" for mode in modes))
    console.print(table)


if __name__ == "__main__":
    main()
