"""Rows written with the change (or not at all), outbox delivery, lease and sweep."""

import email
import email.policy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import icalendar
import pytest
from fastapi import FastAPI

from hoa.core.database import Database, utcnow
from hoa.core.settings import Settings
from hoa.models import NotificationStatus, Reservation
from hoa.notifications.kinds import ReservationConfirmed
from hoa.notifications.tasks import due
from hoa.reservations.notices import notify_reservation
from hoa.web.deps import get_session
from hoa.worker import Jobs
from tests.factories import World, local
from tests.notifications.conftest import notifications, variant
from tests.reservations.test_reservations import booking


async def test_each_reservation_change_writes_one_notification(
    as_user: Any, world: World, db: Database
) -> None:
    resident, admin = await as_user("resident"), await as_user("admin")
    court = await resident.post("/reservations", booking(world, "court", local(2, 10)))
    hall = await resident.post(
        "/reservations", booking(world, "clubhouse", local(5, 14), 3, accepted_rules_version=1)
    )
    hall2 = await resident.post(
        "/reservations", booking(world, "clubhouse", local(6, 14), 3, accepted_rules_version=1)
    )
    assert (await admin.post(f"/reservations/{hall.json()['id']}/approve", {})).status_code == 200
    r = await admin.post(f"/reservations/{hall2.json()['id']}/reject", {"reason": "Board night"})
    assert r.status_code == 200
    r = await resident.post(f"/reservations/{court.json()['id']}/cancel", {"reason": "Rain"})
    assert r.status_code == 200, r.text

    rows = await notifications(db)
    kinds = [(str(n.entity_id), n.kind) for n in rows]
    assert kinds == [
        (court.json()["id"], "reservation_confirmed"),
        (hall.json()["id"], "reservation_requested"),
        (hall2.json()["id"], "reservation_requested"),
        (hall.json()["id"], "reservation_approved"),
        (hall2.json()["id"], "reservation_rejected"),
        (court.json()["id"], "reservation_cancelled"),
    ]
    assert {n.recipient_email for n in rows} == {world.emails["resident"]}
    assert all(n.status is NotificationStatus.PENDING and n.attempts == 0 for n in rows)
    assert rows[4].payload["reason"] == "Board night"
    assert rows[5].payload["reason"] == "Rain" and rows[5].payload["cancelled_by"] == "Resident"
    assert rows[0].community_id == world.community.id


async def test_a_rolled_back_request_leaves_no_notification_and_enqueues_nothing(
    app: FastAPI, world: World, db: Database, session: Any
) -> None:
    reservation = Reservation(
        community_id=world.community.id,
        amenity_id=world.amenities["court"].id,
        household_id=world.households["a"].id,
        booked_by_id=world.members["resident"].user_id,
        booked_for_id=world.members["resident"].user_id,
        starts_at=local(3, 9),
        ends_at=local(3, 10),
        block_starts_at=local(3, 9),
        block_ends_at=local(3, 10),
        exclusive=True,
        status="confirmed",
    )
    session.add(reservation)
    await session.commit()
    jobs: Jobs = app.state.jobs
    queued = jobs.huey.pending_count()

    # The real request dependency: the handler adds the row, then fails.
    request = SimpleNamespace(app=app, method="POST")
    dependency = get_session(request)  # type: ignore[arg-type]
    s = await dependency.__anext__()
    await notify_reservation(s, world.community, reservation, ReservationConfirmed)
    await s.flush()
    with pytest.raises(RuntimeError):
        await dependency.athrow(RuntimeError("handler failed after adding the row"))

    assert await notifications(db) == []
    assert jobs.huey.pending_count() == queued

    # The same path committing enqueues exactly one delivery.
    dependency = get_session(request)  # type: ignore[arg-type]
    s = await dependency.__anext__()
    await notify_reservation(s, world.community, reservation, ReservationConfirmed)
    with pytest.raises(StopAsyncIteration):
        await dependency.__anext__()
    assert len(await notifications(db)) == 1
    assert jobs.huey.pending_count() == queued + 1


async def test_outbox_backend_writes_a_parseable_eml_with_ics(
    as_user: Any, world: World, db: Database, settings: Settings, tmp_path: Path, deliverer_for: Any
) -> None:
    resident = await as_user("resident")
    start = local(2, 10)
    r = await resident.post("/reservations", booking(world, "court", start, 1.5, title="Doubles"))
    [row] = await notifications(db)
    deliverer = deliverer_for(variant(settings, tmp_path))

    assert deliverer.deliver(row.id) == "sent"
    assert deliverer.deliver(row.id) == "skipped"  # sent once, never twice
    [eml] = list((tmp_path / "outbox").glob("*.eml"))
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert msg["To"] == world.emails["resident"]
    assert msg["Subject"].startswith("Confirmed: Tennis Court 1")
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Maple Grove HOA" in text and "Doubles" in text
    assert "Maple Grove HOA" in html and "<img" not in html
    [ics] = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    cal = icalendar.Calendar.from_ical(ics.get_content())
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == f"{r.json()['id']}@hoa"
    assert cal["METHOD"] == "REQUEST"
    assert event.decoded("DTSTART") == start
    assert str(event.decoded("DTSTART").tzinfo) == "America/New_York"
    assert cal.walk("VTIMEZONE")

    [sent] = await notifications(db)
    assert sent.status is NotificationStatus.SENT and sent.attempts == 1
    assert sent.provider_message_id == msg["Message-ID"].strip() and sent.sent_at is not None


async def test_a_leased_row_is_claimed_once_and_reclaimed_after_the_lease(
    as_user: Any, world: World, db: Database, settings: Settings, tmp_path: Path, deliverer_for: Any
) -> None:
    resident = await as_user("resident")
    await resident.post("/reservations", booking(world, "court", local(2, 10)))
    [row] = await notifications(db)
    deliverer = deliverer_for(variant(settings, tmp_path))

    assert deliverer.claim(row.id)  # a worker took it, then died
    assert not deliverer.claim(row.id)
    assert deliverer.deliver(row.id) == "skipped"
    assert not list((tmp_path / "outbox").glob("*.eml"))

    later = utcnow() + timedelta(seconds=settings.jobs.lease_seconds + 1)
    assert due(deliverer.engine, deliverer.settings, now=later) == [row.id]
    assert deliverer.deliver(row.id, now=later) == "sent"
    assert deliverer.deliver(row.id, now=later) == "skipped"
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    [sent] = await notifications(db)
    assert sent.status is NotificationStatus.SENT and sent.attempts == 2


async def test_the_sweep_re_enqueues_a_row_whose_enqueue_was_lost(
    as_user: Any, world: World, db: Database, settings: Settings, tmp_path: Path
) -> None:
    resident = await as_user("resident")
    await resident.post("/reservations", booking(world, "court", local(2, 10)))
    [row] = await notifications(db)  # its task went to the app's queue, not this one: "lost"
    jobs = Jobs(variant(settings, tmp_path))
    try:
        assert jobs.huey.pending_count() == 0
        assert jobs.sweep() == 1
        task = jobs.huey.dequeue()
        assert task is not None and task.args == (str(row.id),)
        assert jobs.huey.execute(task) == "sent"
        assert jobs.sweep() == 0
    finally:
        jobs.close()
    [sent] = await notifications(db)
    assert sent.status is NotificationStatus.SENT
    assert sent.id == row.id and sent.attempts == 1
