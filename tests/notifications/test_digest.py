"""The daily pending-approval digest: to each admin, at the community's local hour, once."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hoa.db import Database
from hoa.models import ReservationStatus
from hoa.settings import Settings
from tests.factories import NEW_YORK, World, local, make_reservation
from tests.notifications.conftest import notifications, variant


async def test_admins_get_one_digest_a_day_at_their_local_hour(
    world: World,
    db: Database,
    session: AsyncSession,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
) -> None:
    hall, resident = world.amenities["clubhouse"], world.members["resident"]
    await make_reservation(session, hall, resident, local(3, 14), status=ReservationStatus.PENDING)
    await make_reservation(session, hall, resident, local(4, 14), status=ReservationStatus.PENDING)
    await make_reservation(session, hall, resident, local(5, 14))  # confirmed: not listed
    await session.commit()
    deliverer = deliverer_for(variant(settings, tmp_path))

    today = local(0, 0).date()
    seven = datetime(today.year, today.month, today.day, 7, 30, tzinfo=NEW_YORK)
    assert deliverer.queue_digests(now=seven) == []  # not the hour yet
    eight = seven + timedelta(hours=1)
    [nid] = deliverer.queue_digests(now=eight)  # Maple Grove has one admin
    assert deliverer.queue_digests(now=eight + timedelta(minutes=20)) == []  # once a day

    [row] = await notifications(db)
    assert row.id == nid and row.kind == "pending_digest"
    assert row.recipient_id == world.members["admin"].user_id
    assert row.payload["pending"] == 2 and len(row.payload["items"]) == 2
    assert deliverer.deliver(nid, now=eight) == "sent"
    [eml] = (tmp_path / "outbox").glob("*.eml")
    body = eml.read_bytes()
    assert b"2 booking request(s) to review" in body and b"Clubhouse" in body
