"""Completed bookings (confirmed and over) keep holding their time: they stay on the calendar
and in the household's list, and count to quotas."""

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import utcnow
from hoa.core.settings import Settings
from hoa.models import ReservationStatus
from hoa.notifications.delivery import Deliverer
from hoa.reservations.tasks import complete_past
from tests.factories import World, local, make_reservation
from tests.notifications.conftest import variant
from tests.reservations.test_reservations import booking


async def test_completed_bookings_count_show_and_block(
    as_user: Any, world: World, session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    resident = await as_user("resident")
    court = world.amenities["court"]
    # a booking that ended an hour ago, marked by the completion job
    now = utcnow().replace(second=0, microsecond=0)
    start = now - timedelta(hours=2)
    past = await make_reservation(session, court, world.members["resident"], start)
    await session.commit()
    deliverer = Deliverer.from_settings(variant(settings, tmp_path))
    try:
        assert complete_past(deliverer.engine, now) == 1
    finally:
        deliverer.engine.dispose()

    calendar = await resident.get(
        "/calendar",
        params={"start": (start - timedelta(hours=1)).isoformat(), "end": now.isoformat()},
    )
    [entry] = calendar.json()["entries"]
    assert entry["id"] == str(past.id) and entry["status"] == "completed"
    mine = await resident.get("/reservations", params={"status": "completed"})
    assert [r["id"] for r in mine.json()["items"]] == [str(past.id)]


async def test_completed_bookings_count_to_quotas(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    admin, resident = await as_user("admin"), await as_user("resident")
    court = world.amenities["court"]
    assert (await admin.patch(f"/amenities/{court.id}", {"max_per_day": 1})).status_code == 200
    # Marked completed directly, on a day that can still be booked: whatever the hour the test
    # runs at, the quota query must count it like the confirmed booking it was.
    day_booking = await make_reservation(
        session, court, world.members["resident"], local(3, 9), status=ReservationStatus.COMPLETED
    )
    await session.commit()
    r = await resident.post("/reservations", booking(world, "court", local(3, 15)))
    assert r.status_code == 409 and r.json()["error"]["code"] == "reservation.quota_exceeded"
    day_booking.status = ReservationStatus.CANCELLED
    await session.commit()
    assert (
        await resident.post("/reservations", booking(world, "court", local(3, 15)))
    ).status_code == 201
