"""Writing notifications in the caller's transaction (delivery is enqueued after its commit), and
the community's outbox for its admins."""

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from hoa.core.context import CommunityCtx
from hoa.core.database import utcnow
from hoa.core.errors import Conflict, NotFound
from hoa.core.hooks import enqueue_after_commit
from hoa.core.pagination import Cursor, page_query
from hoa.core.settings import Settings
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
    community_name: str,
    timezone: str,
    amenity: Amenity,
    reservation: Reservation,
    kind: str,
    *,
    reason: str | None = None,
    cancelled_by: str | None = None,
) -> dict[str, Any]:
    """Everything the templates need, frozen when the change happens."""
    return {
        "community_name": community_name,
        "timezone": timezone,
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
            community.name,
            community.timezone,
            amenity,
            reservation,
            kind,
            reason=reason,
            cancelled_by=cancelled_by,
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
        **reservation_payload(
            community.name, community.timezone, amenity, reservation, "approval_requested"
        ),
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


class NotFailed(Conflict):
    code, message = "notification.not_failed", "Only a failed notification can be retried."


async def list_notifications(
    session: AsyncSession,
    ctx: CommunityCtx,
    status: NotificationStatus | None,
    cursor: Cursor | None,
    limit: int,
) -> tuple[list[Notification], Cursor | None]:
    """The community's notifications, newest first, optionally of one status."""
    query = sa.select(Notification).where(Notification.community_id == ctx.community_id)
    if status is not None:
        query = query.where(Notification.status == status)
    rows, next_cursor = await page_query(
        session, query, Notification.created_at, Notification.id, cursor, limit, descending=True
    )
    return [row[0] for row in rows], next_cursor


async def count_notifications(session: AsyncSession, ctx: CommunityCtx) -> dict[str, int]:
    rows = await session.execute(
        sa.select(Notification.status, sa.func.count())
        .where(Notification.community_id == ctx.community_id)
        .group_by(Notification.status)
    )
    return {status.value: count for status, count in rows.all()}


async def retry(
    session: AsyncSession, ctx: CommunityCtx, notification_id: uuid.UUID
) -> Notification:
    """Send a failed notification again (attempts start over). Raises NotFound, NotFailed."""
    row = await session.get(Notification, notification_id)
    if row is None or row.community_id != ctx.community_id:
        raise NotFound("Notification not found.")
    if row.status is not NotificationStatus.FAILED:
        raise NotFailed
    row.status = NotificationStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = utcnow()
    row.lease_until = None
    await session.flush()
    enqueue_after_commit(session, notification_id)
    return row
