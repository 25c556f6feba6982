"""Reminders before a confirmed reservation: one per reservation, however often the job runs."""

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hoa.db import Database
from hoa.models import ReservationStatus
from hoa.settings import Settings
from tests.factories import World, local, make_reservation
from tests.notifications.conftest import notifications, variant


async def test_one_reminder_per_reservation(
    world: World,
    db: Database,
    session: AsyncSession,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
) -> None:
    start = local(2, 10)
    court, resident = world.amenities["court"], world.members["resident"]
    booked = await make_reservation(session, court, resident, start)
    await make_reservation(
        session, court, resident, start + timedelta(hours=2), status=ReservationStatus.CANCELLED
    )
    await make_reservation(session, court, resident, start + timedelta(days=3))
    await session.commit()
    deliverer = deliverer_for(variant(settings, tmp_path))

    assert deliverer.queue_reminders(now=start - timedelta(hours=25)) == []  # not yet
    now = start - timedelta(hours=23)
    [nid] = deliverer.queue_reminders(now=now)
    assert deliverer.queue_reminders(now=now) == []
    assert deliverer.queue_reminders(now=now + timedelta(minutes=5)) == []

    [row] = await notifications(db)
    assert row.id == nid and row.entity_id == booked.id and row.kind == "reservation_reminder"
    assert row.recipient_email == world.emails["resident"]
    assert deliverer.deliver(nid, now=now) == "sent"
    [eml] = (tmp_path / "outbox").glob("*.eml")
    assert b"Reminder: Tennis Court 1" in eml.read_bytes()
