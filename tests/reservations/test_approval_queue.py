"""The approval queue in one call: each request with the requests and closures overlapping it
and its household's other bookings that month, in a fixed number of queries."""

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import Database
from hoa.models import Blackout, ReservationStatus
from tests.factories import NEW_YORK, World, make_reservation

PENDING, CONFIRMED = ReservationStatus.PENDING, ReservationStatus.CONFIRMED


def on(day: int, hour: int, months_ahead: int = 2) -> datetime:
    """A New York wall-clock time on ``day`` of the month ``months_ahead`` from now."""
    first = datetime.now(NEW_YORK).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(months_ahead):
        first = (first + timedelta(days=32)).replace(day=1)
    return first.replace(day=day, hour=hour)


async def test_the_queue_shows_conflicts_and_the_households_month(
    as_user: Any, world: World, session: AsyncSession, db: Database, app: FastAPI
) -> None:
    hall, pool, court = (world.amenities[name] for name in ("clubhouse", "pool", "court"))
    resident, neighbor = world.members["resident"], world.members["neighbor"]
    party = await make_reservation(session, hall, resident, on(10, 14), 3, status=PENDING)
    swim = await make_reservation(session, pool, resident, on(12, 10), 2, status=PENDING)
    swim2 = await make_reservation(session, pool, neighbor, on(12, 11), 2, status=PENDING)
    tennis = await make_reservation(session, court, resident, on(3, 9), status=CONFIRMED)
    # not the household's month: cancelled, next month, another household's
    await make_reservation(session, court, resident, on(4, 9), status=ReservationStatus.CANCELLED)
    await make_reservation(session, court, resident, on(2, 9, months_ahead=3))
    volley = await make_reservation(session, court, neighbor, on(5, 9))
    # overlapping the pool, but confirmed: not a competing request
    dip = await make_reservation(session, pool, neighbor, on(12, 10), status=CONFIRMED)
    closed = Blackout(
        community_id=world.community.id,
        amenity_id=None,
        starts_at=on(10, 16),
        ends_at=on(10, 20),
        reason="Power work",
    )
    elsewhere = Blackout(
        community_id=world.community.id,
        amenity_id=court.id,
        starts_at=on(10, 14),
        ends_at=on(10, 16),
        reason="Resurfacing",
    )
    session.add_all([closed, elsewhere])
    await session.commit()

    admin = await as_user("admin")
    assert (await (await as_user("resident")).get("/approval-queue")).status_code == 403

    statements: list[str] = []
    await app.state.read_cache.warmed()  # the calendars reloaded after the writes above

    def seen(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        r = await admin.get("/approval-queue")
    finally:
        sa.event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    assert r.status_code == 200, r.text
    queue = {item["reservation"]["id"]: item for item in r.json()}
    assert list(queue) == [str(party.id), str(swim.id), str(swim2.id)]  # soonest first

    first = queue[str(party.id)]
    assert first["overlapping_requests"] == []
    assert [c["reason"] for c in first["closures"]] == ["Power work"]
    month = [b["id"] for b in first["household_month"]]
    assert month == [str(tennis.id), str(swim.id)]
    assert first["household_month"][0]["status"] == "confirmed"

    assert [o["id"] for o in queue[str(swim.id)]["overlapping_requests"]] == [str(swim2.id)]
    assert [o["id"] for o in queue[str(swim2.id)]["overlapping_requests"]] == [str(swim.id)]
    neighbors = [b["id"] for b in queue[str(swim2.id)]["household_month"]]
    assert neighbors == [str(volley.id), str(dip.id)]
    assert queue[str(swim.id)]["closures"] == []

    # a fixed number of queries: sign-in checks, then the queue's own, whatever its length
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 7, selects
