"""The indexes the hot queries rely on exist and are chosen by PostgreSQL."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import Database
from hoa.models import Reservation
from hoa.reservations.reads import calendar_query
from tests.factories import World

pytestmark = pytest.mark.postgres


async def test_calendar_query_uses_an_index(
    backend: str, world: World, session: AsyncSession, db: Database
) -> None:
    if backend != "postgres":
        pytest.skip("EXPLAIN plans are PostgreSQL's")
    member = world.members["resident"]
    amenity = world.amenities["court"]
    base = datetime(2027, 1, 1, tzinfo=UTC)
    rows = []
    # Years of history, so that a month is a small share of it: with a few months only, the
    # status index (every row matches) costs about as much, and the planner's pick wobbles.
    for i in range(20_000):
        start = base + timedelta(hours=2 * i)
        rows.append(
            {
                "id": uuid.uuid4(),
                "community_id": world.community.id,
                "amenity_id": amenity.id,
                "household_id": member.household_id,
                "booked_by_id": member.user_id,
                "booked_for_id": member.user_id,
                "starts_at": start,
                "ends_at": start + timedelta(hours=1),
                "block_starts_at": start,
                "block_ends_at": start + timedelta(hours=1),
                "exclusive": True,
                "status": "confirmed",
            }
        )
    await session.execute(sa.insert(Reservation), rows)
    await session.commit()
    query = calendar_query(
        world.community.id, base + timedelta(days=60), base + timedelta(days=91), None
    )
    sql = query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    async with db.engine.connect() as conn:
        await conn.execute(sa.text("ANALYZE reservations"))
        await conn.execute(sa.text("SET enable_seqscan = off"))
        plan = "\n".join((await conn.execute(sa.text(f"EXPLAIN {sql}"))).scalars())
    assert "ix_reservations_community_id_starts_at" in plan, plan
