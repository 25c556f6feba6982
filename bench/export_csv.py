"""The office's CSV export over many bookings: time, size and peak Python memory.

Fills a scratch SQLite database (PostgreSQL with ``--database-url``, a database whose name
contains ``bench``) with N bookings of one community, then runs the export the route streams
and reports rows, bytes, seconds and the peak memory tracemalloc saw, for N and N/10: constant
memory shows as the same peak for both. Prints numbers, asserts nothing.

    uv run python -m bench.export_csv [--rows 100000] [--database-url ...]
"""

import argparse
import asyncio
import tempfile
import time
import tracemalloc
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from hoa.core import migrate
from hoa.core.context import CommunityCtx
from hoa.core.database import Database, create_sync_engine, utcnow
from hoa.core.settings import Env, Settings
from hoa.models import Amenity, Community, Household, Reservation, ReservationStatus, User
from hoa.reservations import office


def fill(settings: Settings, rows: int) -> uuid.UUID:
    """A community with one resident and ``rows`` cancelled bookings of one amenity (cancelled:
    the overlap guard ignores them, so the bulk insert stays fast on SQLite)."""
    engine = create_sync_engine(settings)
    community_id, user_id, household_id, amenity_id = (uuid.uuid4() for _ in range(4))
    base = utcnow().replace(microsecond=0) - timedelta(days=20 * 365)
    with engine.begin() as conn:
        slug = f"bench-{community_id.hex[:8]}"
        conn.execute(
            sa.insert(Community),
            [{"id": community_id, "name": slug, "slug": slug, "timezone": "America/New_York"}],
        )
        conn.execute(
            sa.insert(User),
            [
                {
                    "id": user_id,
                    "email": f"{slug}@bench.example.com",
                    "name": "Pat Doe",
                    "password_hash": "x",
                }
            ],
        )
        conn.execute(
            sa.insert(Household),
            [{"id": household_id, "community_id": community_id, "label": "=1 Bench Ct"}],
        )
        conn.execute(
            sa.insert(Amenity),
            [{"id": amenity_id, "community_id": community_id, "name": "Court", "hours": {}}],
        )
        for first in range(0, rows, 10_000):
            conn.execute(
                sa.insert(Reservation),
                [
                    {
                        "community_id": community_id,
                        "amenity_id": amenity_id,
                        "household_id": household_id,
                        "booked_by_id": user_id,
                        "booked_for_id": user_id,
                        "starts_at": base + timedelta(hours=i),
                        "ends_at": base + timedelta(hours=i, minutes=30),
                        "block_starts_at": base + timedelta(hours=i),
                        "block_ends_at": base + timedelta(hours=i, minutes=30),
                        "exclusive": True,
                        "status": ReservationStatus.CANCELLED,
                        "title": "Singles",
                    }
                    for i in range(first, min(first + 10_000, rows))
                ],
            )
    engine.dispose()
    return community_id


async def export(settings: Settings, community_id: uuid.UUID, limit: int | None) -> None:
    """Times the export, then runs it again under tracemalloc (which slows it) for the peak."""
    db = Database(settings)
    ctx = CommunityCtx(
        community_id, "bench", "America/New_York", "en-US", True, uuid.uuid4(), "Bench", None, True
    )
    end = None if limit is None else utcnow() - timedelta(days=20 * 365) + timedelta(hours=limit)
    filters = office.Filters(end=end)
    rows = size = 0
    began = time.perf_counter()
    async for chunk in office.export_csv(db.reader, ctx, filters):
        rows += chunk.count("\n")
        size += len(chunk.encode())
    seconds = time.perf_counter() - began
    tracemalloc.start()
    async for _ in office.export_csv(db.reader, ctx, filters):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    await db.dispose()
    print(
        f"{rows - 1:>8} rows  {size / 1e6:7.1f} MB  {seconds:6.2f} s  "
        f"{(rows - 1) / seconds:8.0f} rows/s  peak {peak / 1e6:5.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url
    if url is None:
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='hoa-bench-csv-')) / 'b.db'}"
    elif "bench" not in url.rsplit("/", 1)[-1]:
        parser.error("use a scratch database whose name contains 'bench'")
    settings = Settings(env=Env.DEVELOPMENT, database_url=url)
    migrate.upgrade(url)
    community_id = fill(settings, args.rows)
    for limit in (args.rows // 10, None):
        asyncio.run(export(settings, community_id, limit))


if __name__ == "__main__":
    main()
