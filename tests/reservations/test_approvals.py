"""Deciding requests: a note with an approval, and undoing an approval or a decline while the
resident's email is still held back."""

import email
import email.policy
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import Database
from hoa.core.settings import Settings
from hoa.models import Notification, NotificationStatus, Reservation
from hoa.worker import Jobs
from tests.factories import World, local
from tests.notifications.conftest import notifications, variant
from tests.reservations.test_reservations import booking


async def request(resident: Any, world: World, day: int) -> str:
    body = booking(world, "clubhouse", local(day, 14), hours=3, accepted_rules_version=1)
    made = await resident.post("/reservations", body)
    assert made.status_code == 201 and made.json()["status"] == "pending", made.text
    return str(made.json()["id"])


async def decision_emails(db: Database, rid: str) -> list[Notification]:
    kinds = {"reservation_approved", "reservation_rejected"}
    return [n for n in await notifications(db, uuid.UUID(rid)) if n.kind in kinds]


async def age(session: AsyncSession, rid: str, minutes: int) -> None:
    """Move the decision ``minutes`` into the past."""
    reservation = await session.get_one(Reservation, uuid.UUID(rid))
    assert reservation.decided_at is not None
    reservation.decided_at = reservation.updated_at = reservation.decided_at - timedelta(
        minutes=minutes
    )
    await session.commit()


async def test_an_approval_with_a_note_is_emailed_once_the_undo_window_has_passed(
    as_user: Any, world: World, db: Database, settings: Settings, tmp_path: Path, deliverer_for: Any
) -> None:
    admin, resident = await as_user("admin"), await as_user("resident")
    rid = await request(resident, world, 10)
    too_long = await admin.post(f"/reservations/{rid}/approve", {"reason": "x" * 501})
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "validation_error"

    approved = await admin.post(f"/reservations/{rid}/approve", {"reason": "Keys at the desk"})
    assert approved.status_code == 200, approved.text
    decided = datetime.fromisoformat(approved.json()["decided_at"])
    until = datetime.fromisoformat(approved.json()["undo_until"])
    assert until == decided + timedelta(minutes=settings.decision_undo_minutes)
    assert approved.json()["decision_reason"] == "Keys at the desk"

    [held] = await decision_emails(db, rid)
    assert held.next_attempt_at == until
    deliverer = deliverer_for(variant(settings, tmp_path))
    assert deliverer.deliver(held.id) == "skipped"
    assert deliverer.deliver(held.id, now=until - timedelta(seconds=1)) == "skipped"
    assert deliverer.deliver(held.id, now=until) == "sent"
    assert deliverer.deliver(held.id, now=until + timedelta(minutes=1)) == "skipped"
    [sent] = await decision_emails(db, rid)
    assert sent.status is NotificationStatus.SENT
    eml = (tmp_path / "outbox" / f"{held.id}.eml").read_bytes()
    msg = email.message_from_bytes(eml, policy=email.policy.default)
    text = msg.get_body(("plain",))
    assert text is not None and "Note from the admin: Keys at the desk" in text.get_content()


async def test_undoing_an_approval_puts_it_back_and_sends_nothing(
    as_user: Any, world: World, db: Database, settings: Settings, tmp_path: Path, deliverer_for: Any
) -> None:
    admin, resident = await as_user("admin"), await as_user("resident")
    rid = await request(resident, world, 11)
    approved = (await admin.post(f"/reservations/{rid}/approve", {"reason": "Enjoy"})).json()
    [held] = await decision_emails(db, rid)

    assert (await resident.post(f"/reservations/{rid}/undo-decision")).status_code == 403
    undone = await admin.post(f"/reservations/{rid}/undo-decision")
    assert undone.status_code == 200, undone.text
    back = undone.json()
    assert back["status"] == "pending"
    assert (back["decided_at"], back["decided_by_id"], back["decision_reason"]) == (None,) * 3
    assert await decision_emails(db, rid) == []
    until = datetime.fromisoformat(approved["undo_until"])
    deliverer = deliverer_for(variant(settings, tmp_path))
    assert deliverer.deliver(held.id, now=until + timedelta(minutes=1)) == "skipped"
    assert not (tmp_path / "outbox").exists() or not list((tmp_path / "outbox").iterdir())

    events = (await admin.get("/audit-events", params={"entity_id": rid})).json()["items"]
    assert events[0]["action"] == "reservation.decision_undone"
    assert (events[0]["before"]["status"], events[0]["after"]["status"]) == (
        "confirmed",
        "pending",
    )
    # nothing left to undo; deciding again works as before
    again = await admin.post(f"/reservations/{rid}/undo-decision")
    assert again.status_code == 409 and again.json()["error"]["code"] == "reservation.undo_expired"
    declined = await admin.post(f"/reservations/{rid}/reject", {"reason": "Wrong date"})
    assert declined.status_code == 200 and declined.json()["undo_until"]
    assert [n.kind for n in await decision_emails(db, rid)] == ["reservation_rejected"]


async def test_undoing_a_decline_checks_the_time_is_still_free(
    as_user: Any, world: World, db: Database
) -> None:
    admin, resident, neighbor = (
        await as_user("admin"),
        await as_user("resident"),
        await as_user("neighbor"),
    )
    rid = await request(resident, world, 12)
    other = await request(resident, world, 13)
    for declined in (rid, other):
        r = await admin.post(f"/reservations/{declined}/reject", {"reason": "Board meeting"})
        assert r.status_code == 200 and r.json()["status"] == "rejected"

    undone = await admin.post(f"/reservations/{rid}/undo-decision")
    assert undone.status_code == 200 and undone.json()["status"] == "pending"
    assert await decision_emails(db, rid) == []

    # the neighbor took the other request's time meanwhile
    await request(neighbor, world, 13)
    taken = await admin.post(f"/reservations/{other}/undo-decision")
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "reservation.slot_taken"
    assert (await admin.get(f"/reservations/{other}")).json()["status"] == "rejected"
    assert len(await decision_emails(db, other)) == 1


async def test_no_undo_after_the_window_or_a_change_or_once_the_email_is_out(
    as_user: Any, world: World, db: Database, session: AsyncSession
) -> None:
    admin, resident = await as_user("admin"), await as_user("resident")
    late, changed, sending = [await request(resident, world, day) for day in (14, 15, 16)]
    for rid in (late, changed, sending):
        assert (await admin.post(f"/reservations/{rid}/approve", {})).status_code == 200

    await age(session, late, 5)
    assert (await admin.patch(f"/reservations/{changed}", {"title": "Party"})).status_code == 200
    [out] = await decision_emails(db, sending)
    await session.execute(
        sa.update(Notification)
        .where(Notification.id == out.id)
        .values(status=NotificationStatus.SENDING)
    )
    await session.commit()

    for rid in (late, changed, sending):
        refused = await admin.post(f"/reservations/{rid}/undo-decision")
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "reservation.undo_expired"
        assert (await admin.get(f"/reservations/{rid}")).json()["status"] == "confirmed"
        assert len(await decision_emails(db, rid)) == 1
    assert (await admin.get(f"/reservations/{uuid.uuid4()}")).status_code == 404
    missing = await admin.post(f"/reservations/{uuid.uuid4()}/undo-decision")
    assert missing.status_code == 404


async def test_the_queue_comes_back_for_a_held_email_when_it_is_due(
    as_user: Any, world: World, db: Database, settings: Settings, tmp_path: Path
) -> None:
    admin, resident = await as_user("admin"), await as_user("resident")
    rid = await request(resident, world, 17)
    assert (await admin.post(f"/reservations/{rid}/approve", {})).status_code == 200
    [held] = await decision_emails(db, rid)
    jobs = Jobs(variant(settings, tmp_path))
    try:
        assert jobs._deliver(str(held.id)) == "skipped"
        [again] = jobs.huey.pending()
        assert again.args[0] == str(held.id) and again.eta is not None
        eta = again.eta.replace(tzinfo=UTC)
        assert abs(eta - held.next_attempt_at) < timedelta(seconds=5)
    finally:
        jobs.huey.flush()
        jobs.close()


async def test_a_change_or_cancellation_meanwhile_replaces_the_held_approval_email(
    as_user: Any, world: World, db: Database
) -> None:
    admin, resident = await as_user("admin"), await as_user("resident")
    moved, cancelled = [await request(resident, world, day) for day in (18, 19)]
    for rid in (moved, cancelled):
        assert (await admin.post(f"/reservations/{rid}/approve", {})).status_code == 200
    later = {"starts_at": local(18, 15).isoformat(), "ends_at": local(18, 18).isoformat()}
    assert (await resident.patch(f"/reservations/{moved}", later)).json()["status"] == "pending"
    assert (await resident.post(f"/reservations/{cancelled}/cancel", {})).status_code == 200

    for rid in (moved, cancelled):
        assert await decision_emails(db, rid) == []
    for rid, kind in ((moved, "reservation_changed"), (cancelled, "reservation_cancelled")):
        assert kind in [n.kind for n in await notifications(db, uuid.UUID(rid))]
