"""The nightly cleanup, and periodic jobs running once per tick however many schedulers."""

import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import Database, utcnow
from hoa.core.settings import Settings
from hoa.models import (
    OVERLAP_CONSTRAINT,
    AuditEvent,
    Invitation,
    Notification,
    NotificationStatus,
    RefreshToken,
    ReservationStatus,
    Role,
)
from hoa.reservations.tasks import complete_past
from hoa.worker import Jobs
from tests.factories import World, make_reservation
from tests.hardening.test_rate_limits import REDIS_URL, _redis_answers
from tests.notifications.conftest import variant

DAY = timedelta(days=1)


async def ids(db: Database, model: type) -> set[str]:
    async with db.reader() as s:
        return {str(v) for v in (await s.scalars(sa.select(model.token_hash))).all()}  # type: ignore[attr-defined]


async def test_cleanup_drops_what_has_served_its_purpose(
    world: World, db: Database, session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    now = utcnow()
    keep = timedelta(days=settings.jobs.retention_days)
    user_id, community_id = world.members["resident"].user_id, world.community.id
    family = uuid.uuid4()
    for name, expires in (("expired", now - DAY), ("live", now + DAY)):
        session.add(
            RefreshToken(user_id=user_id, family_id=family, token_hash=name, expires_at=expires)
        )
    for name, expires, accepted in (
        ("long-expired", now - 31 * DAY, None),
        ("just-expired", now - 5 * DAY, None),
        ("accepted", now - 400 * DAY, now - 401 * DAY),
        ("open", now + DAY, None),
    ):
        session.add(
            Invitation(
                community_id=community_id,
                email=f"{name}@example.com",
                role=Role.RESIDENT,
                token_hash=name,
                expires_at=expires,
                accepted_at=accepted,
                invited_by_id=world.members["admin"].user_id,
            )
        )
    for status, age in (
        (NotificationStatus.SENT, keep + DAY),
        (NotificationStatus.FAILED, keep + DAY),
        (NotificationStatus.PENDING, keep + DAY),  # never dropped unsent
        (NotificationStatus.SENT, keep - DAY),
    ):
        session.add(
            Notification(
                community_id=community_id,
                recipient_email="x@example.com",
                kind="reservation_confirmed",
                entity_type="reservation",
                entity_id=uuid.uuid4(),
                payload={},
                status=status,
                created_at=now - age,
            )
        )
    for age in (keep + DAY, keep - DAY):
        session.add(
            AuditEvent(
                community_id=community_id,
                action="reservation.created",
                entity_type="reservation",
                entity_id=uuid.uuid4(),
                created_at=now - age,
            )
        )
    await session.commit()
    async with db.reader() as s:
        audit_before = await s.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    jobs = Jobs(variant(settings, tmp_path))
    try:
        counts = jobs.cleanup()
    finally:
        jobs.close()

    assert counts == {
        "refresh_tokens": 1,
        "invitations": 1,
        "notifications": 2,
        "audit_events": 1,
        "ticks": 0,
    }
    assert await ids(db, RefreshToken) == {"live"}
    assert await ids(db, Invitation) == {"just-expired", "accepted", "open"}
    async with db.reader() as s:
        left = (await s.execute(sa.select(Notification.status, Notification.created_at))).all()
        audit_after = await s.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert sorted(status.value for status, _ in left) == ["pending", "sent"]
    assert audit_after == (audit_before or 0) - 1


@pytest.mark.parametrize("queue", ["sqlite", "redis"])
async def test_a_periodic_job_runs_once_per_tick_across_schedulers(
    queue: str, world: World, settings: Settings, tmp_path: Path
) -> None:
    shape = variant(settings, tmp_path)
    if queue == "redis":
        if not await _redis_answers():
            if os.environ.get("CI") == "true":
                pytest.fail(f"Redis is not reachable at {REDIS_URL}", pytrace=False)
            pytest.skip(f"Redis is not reachable at {REDIS_URL}")
        shape = shape.model_copy(update={"redis_url": REDIS_URL})
        shape.jobs.queue_name = f"hoa-test-{uuid.uuid4().hex[:8]}"
    # two app processes (or workers) sharing one queue, each with its own scheduler
    first, second = Jobs(shape), Jobs(shape)
    try:
        while True:  # both calls inside one minute, the unit of a tick
            minute = f"{utcnow():%H%M}"
            ran = [first.digest_task.call_local(), second.digest_task.call_local()]
            first.huey.storage.put_data("tick:digest:202601010007", b"1")
            purged = first.cleanup()["ticks"]
            again = second.digest_task.call_local()
            if f"{utcnow():%H%M}" == minute:
                break
        assert ran.count(None) == 1  # the loser of the tick skipped; the winner returned a count
        assert purged == 1 and again is None  # old ticks go, today's stays
    finally:
        if queue == "redis":
            first.huey.storage.flush_all()
        first.close()
        second.close()


async def test_ended_bookings_become_completed_and_keep_their_time(
    world: World, db: Database, session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    court, resident = world.amenities["court"], world.members["resident"]
    now = utcnow()
    ended = await make_reservation(session, court, resident, now - timedelta(hours=3))
    under_way = await make_reservation(session, court, resident, now - timedelta(minutes=30))
    ahead = await make_reservation(session, court, resident, now + timedelta(days=1))
    cancelled = await make_reservation(
        session, court, resident, now - timedelta(hours=5), status=ReservationStatus.CANCELLED
    )
    await session.commit()
    jobs = Jobs(variant(settings, tmp_path))
    try:
        assert complete_past(jobs.engine, now) == 1
        assert complete_past(jobs.engine, now) == 0
    finally:
        jobs.close()
    statuses = {}
    for r in (ended, under_way, ahead, cancelled):
        await session.refresh(r)
        statuses[r.id] = r.status
    assert list(statuses.values()) == [
        ReservationStatus.COMPLETED,
        ReservationStatus.CONFIRMED,
        ReservationStatus.CONFIRMED,
        ReservationStatus.CANCELLED,
    ]
    # the database still refuses an overlap with a completed booking
    with pytest.raises(IntegrityError, match=OVERLAP_CONSTRAINT):
        await make_reservation(session, court, world.members["neighbor"], ended.starts_at)
    await session.rollback()
