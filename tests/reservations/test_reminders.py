"""Reminders before a confirmed reservation: one per reservation, however often the job runs."""

import email
import email.policy
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import Database, utcnow
from hoa.core.settings import Settings
from hoa.core.tokens import sign
from hoa.models import ReservationStatus, User
from hoa.notifications.delivery import Deliverer
from hoa.reservations.links import cancel_link
from hoa.reservations.reads import cancellable_until
from hoa.reservations.tasks import queue_reminders
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
    remind = partial(queue_reminders, deliverer.engine, deliverer.settings)

    assert remind(now=start - timedelta(hours=25)) == []  # not yet
    now = start - timedelta(hours=23)
    [nid] = remind(now=now)
    assert remind(now=now) == []
    assert remind(now=now + timedelta(minutes=5)) == []

    [row] = await notifications(db)
    assert row.id == nid and row.entity_id == booked.id and row.kind == "reservation_reminder"
    assert row.recipient_email == world.emails["resident"]
    assert deliverer.deliver(nid, now=now) == "sent"
    [eml] = (tmp_path / "outbox").glob("*.eml")
    assert b"Reminder: Tennis Court 1" in eml.read_bytes()


async def test_reminder_lead_is_per_community_and_people_can_opt_out(
    world: World, db: Database, session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    court, pool = world.amenities["court"], world.amenities["pool"]
    resident, neighbor = world.members["resident"], world.members["neighbor"]
    start = local(3, 10)
    mine = await make_reservation(session, court, resident, start)
    await make_reservation(session, pool, neighbor, start, headcount=1)
    world.community.reminder_hours = 48
    neighbor_user = await session.get_one(User, neighbor.user_id)
    neighbor_user.reminders_enabled = False
    await session.commit()
    deliverer = Deliverer.from_settings(variant(settings, tmp_path))
    remind = partial(queue_reminders, deliverer.engine, deliverer.settings)
    try:
        assert remind(now=start - timedelta(hours=49)) == []
        [nid] = queue_reminders(
            deliverer.engine, deliverer.settings, now=start - timedelta(hours=47)
        )  # not the neighbor's
        [row] = await notifications(db)
        assert row.id == nid and row.entity_id == mine.id

        world.community.reminder_hours = 0  # off for the whole community
        await session.commit()
        later = await make_reservation(session, court, resident, start + timedelta(days=1))
        await session.commit()
        assert (
            queue_reminders(
                deliverer.engine, deliverer.settings, now=later.starts_at - timedelta(hours=1)
            )
            == []
        )
    finally:
        deliverer.engine.dispose()


async def test_the_reminder_cancel_link_confirms_then_cancels_once(
    client: httpx.AsyncClient,
    world: World,
    db: Database,
    session: AsyncSession,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
) -> None:
    hall, resident = world.amenities["clubhouse"], world.members["resident"]  # 48 h cutoff
    start = local(4, 14)
    booked = await make_reservation(session, hall, resident, start)
    late = await make_reservation(session, hall, resident, local(2, 9))  # inside the cutoff
    await session.commit()
    deliverer = deliverer_for(variant(settings, tmp_path))
    remind = partial(queue_reminders, deliverer.engine, deliverer.settings)
    now = utcnow()
    then = start - timedelta(hours=23)
    [nid] = remind(now=then)
    assert deliverer.deliver(nid, now=then) == "sent"
    [eml] = (tmp_path / "outbox").glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # the reminder goes out 24 h ahead, after the 48 h cutoff: no link, the admin is named
    assert "cancel-booking" not in text and "admin" in text

    # a link made while cancelling is still allowed works until the cutoff
    deadline = cancellable_until(booked, hall)
    assert deadline is not None
    link = cancel_link(settings, booked, deadline, now)
    assert link is not None and link.startswith(settings.public_url.rstrip("/"))
    token = parse_qs(urlsplit(link).query)["token"][0]
    url = "/api/v1/reservation-links/cancel"
    shown = await client.get(url, params={"token": token})
    assert shown.status_code == 200
    assert shown.json()["status"] == "confirmed" and shown.json()["amenity_name"] == "Clubhouse"
    assert (await client.get(url, params={"token": token[:-2]})).json()["error"]["code"] == (
        "reservation.invalid_link"
    )
    done = await client.post(url, json={"token": token})
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    again = await client.post(url, json={"token": token})
    assert again.status_code == 409 and again.json()["error"]["code"] == "reservation.not_active"
    await session.refresh(booked)
    assert booked.status is ReservationStatus.CANCELLED
    assert booked.cancelled_by_id == resident.user_id
    kinds = [n.kind for n in await notifications(db, booked.id)]
    assert kinds.count("reservation_cancelled") == 1

    # a token for another purpose, or for a booking since moved, is refused
    other = sign(settings, "password_reset", str(booked.id), now + timedelta(hours=1))
    assert (await client.post(url, json={"token": other})).status_code == 400
    moved = cancel_link(settings, late, late.starts_at, now)
    assert moved is not None
    late.starts_at += timedelta(minutes=30)
    late.ends_at += timedelta(minutes=30)
    late.block_starts_at += timedelta(minutes=30)
    late.block_ends_at += timedelta(minutes=30)
    await session.commit()
    moved_token = parse_qs(urlsplit(moved).query)["token"][0]
    r = await client.post(url, json={"token": moved_token})
    assert r.status_code == 400 and r.json()["error"]["code"] == "reservation.invalid_link"
    # and past the deadline no link is made at all
    assert cancel_link(settings, late, now - timedelta(minutes=1), now) is None
