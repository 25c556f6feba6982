"""Writing notifications in the caller's transaction, and enqueueing them after its commit."""

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from hoa.db import utcnow
from hoa.models import (
    AdminAlerts,
    Amenity,
    Community,
    Membership,
    MemberStatus,
    Notification,
    NotificationStatus,
    Reservation,
    Role,
    User,
)
from hoa.settings import Settings

log = logging.getLogger("hoa.jobs")

AFTER_COMMIT, JOBS = "after_commit", "jobs"


def after_commit(session: AsyncSession, hook: Callable[[], None]) -> None:
    """Run ``hook`` once the request's transaction has committed (see deps.get_session)."""
    session.info.setdefault(AFTER_COMMIT, []).append(hook)


async def run_after_commit(session: AsyncSession) -> None:
    """Run the hooks off the event loop: an enqueue is blocking I/O (SQLite file, Redis)."""
    hooks: list[Callable[[], None]] = session.info.pop(AFTER_COMMIT, [])
    if hooks:
        await asyncio.to_thread(_run, hooks)


def _run(hooks: list[Callable[[], None]]) -> None:
    for hook in hooks:
        try:
            hook()
        except Exception:  # the sweep re-enqueues what a lost enqueue missed
            log.exception("after_commit hook failed")


def discard_after_commit(session: AsyncSession) -> None:
    session.info.pop(AFTER_COMMIT, None)


def enqueue_after_commit(session: AsyncSession, notification_id: uuid.UUID) -> None:
    """Enqueue delivery on the app's queue (put in ``session.info["jobs"]`` by get_session) once
    the transaction commits. Without a queue (scripts) the sweep picks the row up."""
    jobs = session.info.get(JOBS)
    if jobs is not None:
        after_commit(session, lambda: jobs.enqueue(notification_id))


async def outbox_backlog(conn: AsyncConnection) -> dict[str, int]:
    """Notifications not yet delivered, by status (for /readyz): a growing ``pending`` means
    no worker is consuming, ``failed`` ones wait for an admin's retry."""
    rows = await conn.execute(
        sa.select(Notification.status, sa.func.count())
        .where(Notification.status != NotificationStatus.SENT)
        .group_by(Notification.status)
    )
    counts = {
        status.value: 0 for status in NotificationStatus if status is not NotificationStatus.SENT
    }
    counts.update({NotificationStatus(status).value: n for status, n in rows.all()})
    return counts


def approvals_link(settings: Settings, community_id: uuid.UUID) -> str:
    return f"{settings.public_url.rstrip('/')}/c/{community_id}/admin"


def reservation_payload(
    community: Community,
    amenity: Amenity,
    reservation: Reservation,
    kind: str,
    *,
    reason: str | None = None,
    cancelled_by: str | None = None,
) -> dict[str, Any]:
    """Everything the templates need, frozen when the change happens."""
    return {
        "community_name": community.name,
        "timezone": community.timezone,
        "amenity_name": amenity.name,
        "starts_at": reservation.starts_at.isoformat(),
        "ends_at": reservation.ends_at.isoformat(),
        "title": reservation.title,
        "reason": reason,
        "cancelled_by": cancelled_by,
        "stamp": utcnow().isoformat(),
        # Calendar apps apply the file with the highest SEQUENCE: changes bump it, a cancellation
        # outranks the last change.
        "sequence": reservation.sequence + (kind == "reservation_cancelled"),
    }


def notify(
    session: AsyncSession,
    *,
    recipient: User | str,
    kind: str,
    entity_type: str,
    entity_id: uuid.UUID,
    payload: dict[str, Any],
    community_id: uuid.UUID | None = None,
) -> Notification:
    """Add a notification in the current transaction; delivery is enqueued after its commit.
    Without ``community_id`` it is an account notice (lockout, password reset). A bare email
    address as ``recipient`` is someone without an account yet (an invitation)."""
    user = recipient if isinstance(recipient, User) else None
    notification = Notification(
        id=uuid.uuid4(),
        community_id=community_id,
        recipient_id=user.id if user else None,
        recipient_email=user.email if user else recipient,
        kind=kind,
        entity_type=entity_type,
        entity_id=entity_id,
        payload=payload,
        next_attempt_at=utcnow(),
    )
    session.add(notification)
    enqueue_after_commit(session, notification.id)
    return notification


async def notify_reservation(
    session: AsyncSession,
    community: Community,
    reservation: Reservation,
    kind: str,
    *,
    reason: str | None = None,
    cancelled_by: str | None = None,
    **details: object,
) -> Notification:
    """Add a notification to the person the reservation is for, in the current transaction;
    ``details`` go to the template."""
    user = await session.get_one(User, reservation.booked_for_id)
    amenity = await session.get_one(Amenity, reservation.amenity_id)
    payload = (
        reservation_payload(
            community, amenity, reservation, kind, reason=reason, cancelled_by=cancelled_by
        )
        | details
    )
    return notify(
        session,
        recipient=user,
        kind=kind,
        entity_type="reservation",
        entity_id=reservation.id,
        payload=payload,
        community_id=community.id,
    )


async def alert_admins(
    session: AsyncSession, settings: Settings, community: Community, reservation: Reservation
) -> None:
    """Tell the community's admins who want each request at once that a booking waits for
    approval; admins on the digest hear of it within the hour, the others not at all."""
    admins = await session.scalars(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.community_id == community.id,
            Membership.role == Role.ADMIN,
            Membership.status == MemberStatus.ACTIVE,
            User.is_active,
            User.admin_alerts == AdminAlerts.IMMEDIATE,
        )
    )
    recipients = list(admins)
    if not recipients:
        return
    amenity = await session.get_one(Amenity, reservation.amenity_id)
    booked_for = await session.get_one(User, reservation.booked_for_id)
    payload = {
        **reservation_payload(community, amenity, reservation, "approval_requested"),
        "booked_for": booked_for.name,
        "link": approvals_link(settings, community.id),
    }
    for admin in recipients:
        notify(
            session,
            recipient=admin,
            kind="approval_requested",
            entity_type="reservation",
            entity_id=reservation.id,
            payload=payload,
            community_id=community.id,
        )
