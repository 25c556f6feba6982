"""Writing notifications in the caller's transaction (delivery is enqueued after its commit), and
the community's outbox for its admins."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from hoa.core.context import CommunityCtx
from hoa.core.database import utcnow
from hoa.core.errors import Conflict, NotFound
from hoa.core.hooks import enqueue_after_commit
from hoa.core.pagination import Cursor, page_query
from hoa.models import AdminAlerts, Notification, NotificationStatus, User
from hoa.notifications.kinds import EmailChoice, NotificationKind, Payload


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


async def oldest_undelivered(conn: AsyncConnection) -> datetime | None:
    """When the oldest notification still waiting (pending or being sent) was written."""
    return await conn.scalar(
        sa.select(sa.func.min(Notification.created_at)).where(
            Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.SENDING])
        )
    )


def new_notification(
    *,
    recipient: User | str,
    payload: Payload,
    entity_type: str,
    entity_id: uuid.UUID,
    community_id: uuid.UUID | None = None,
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> Notification:
    """A notification row of the payload's kind. Without ``community_id`` it is an account
    notice (lockout, password reset). A bare email address as ``recipient`` is someone without
    an account yet (an invitation). ``dedupe_key`` makes a job's row unique (notifications.tasks
    ``add_once``)."""
    user = recipient if isinstance(recipient, User) else None
    return Notification(
        id=uuid.uuid4(),
        community_id=community_id,
        recipient_id=user.id if user else None,
        recipient_email=user.email if user else recipient,
        kind=payload.kind,
        entity_type=entity_type,
        entity_id=entity_id,
        dedupe_key=dedupe_key,
        payload=payload.model_dump(mode="json"),
        next_attempt_at=now or utcnow(),
    )


def wants(user: User, payload: Payload) -> bool:
    """Whether the user's email preferences let this email go out (the account's own emails
    always do)."""
    match payload.chosen_by():
        case None:
            return True
        case EmailChoice.CONFIRMATIONS:
            return user.confirmations_enabled
        case EmailChoice.REMINDERS:
            return user.reminders_enabled
        case EmailChoice.OFFICE_CHANGES:
            return user.office_changes_enabled
        case EmailChoice.ADMIN_ALERTS:
            return user.admin_alerts is not AdminAlerts.OFF


def notify(
    session: AsyncSession,
    *,
    recipient: User | str,
    payload: Payload,
    entity_type: str,
    entity_id: uuid.UUID,
    community_id: uuid.UUID | None = None,
    not_before: datetime | None = None,
) -> Notification | None:
    """Add a notification in the current transaction; delivery is enqueued after its commit
    and, with ``not_before``, waits until then. None when the recipient's email preferences
    turn this kind off."""
    if isinstance(recipient, User) and not wants(recipient, payload):
        return None
    notification = new_notification(
        recipient=recipient,
        payload=payload,
        entity_type=entity_type,
        entity_id=entity_id,
        community_id=community_id,
        now=not_before,
    )
    session.add(notification)
    enqueue_after_commit(session, notification.id)
    return notification


async def withdraw(
    session: AsyncSession,
    *,
    entity_id: uuid.UUID,
    kinds: list[NotificationKind],
    since: datetime,
) -> bool:
    """Delete the entity's notifications of these kinds written since ``since`` that still
    wait; False when one of them is being sent or was sent already (nothing to take back)."""
    mine = (
        Notification.entity_id == entity_id,
        Notification.kind.in_(kinds),
        Notification.created_at >= since,
    )
    await session.execute(
        sa.delete(Notification)
        .where(*mine, Notification.status == NotificationStatus.PENDING)
        .execution_options(synchronize_session=False)
    )
    return not await session.scalar(sa.select(sa.func.count()).where(*mine))


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
