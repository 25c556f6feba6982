"""Admins watch their community's emails and retry the failed ones."""

import uuid

import sqlalchemy as sa
from fastapi import APIRouter

from hoa.db import utcnow
from hoa.deps import CommunityAdmin, SessionDep
from hoa.errors import Conflict, Forbidden, NotFound, errors_for
from hoa.models import Notification, NotificationStatus
from hoa.notifications.schemas import NotificationCounts, NotificationRead
from hoa.notifications.service import enqueue_after_commit
from hoa.pagination import CursorParam, LimitParam, Page, page_query

router = APIRouter(prefix="/communities/{community_id}/notifications", tags=["notifications"])


class NotFailed(Conflict):
    code, message = "notification.not_failed", "Only a failed notification can be retried."


@router.get("", response_model=Page[NotificationRead], responses=errors_for(Forbidden, NotFound))
async def list_notifications(
    ctx: CommunityAdmin,
    session: SessionDep,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
    status: NotificationStatus | None = None,
) -> Page[NotificationRead]:
    """The community's notifications, newest first, optionally of one status."""
    query = sa.select(Notification).where(Notification.community_id == ctx.community_id)
    if status is not None:
        query = query.where(Notification.status == status)
    rows, next_cursor = await page_query(
        session, query, Notification.created_at, Notification.id, cursor, limit, descending=True
    )
    return Page.of([row[0] for row in rows], NotificationRead, next_cursor)


@router.get("/counts", responses=errors_for(Forbidden, NotFound))
async def count_notifications(ctx: CommunityAdmin, session: SessionDep) -> NotificationCounts:
    """How many notifications are in each status."""
    rows = await session.execute(
        sa.select(Notification.status, sa.func.count())
        .where(Notification.community_id == ctx.community_id)
        .group_by(Notification.status)
    )
    return NotificationCounts(**{status.value: count for status, count in rows.all()})


@router.post("/{notification_id}/retry", responses=errors_for(Forbidden, NotFound, NotFailed))
async def retry_notification(
    ctx: CommunityAdmin, session: SessionDep, notification_id: uuid.UUID
) -> NotificationRead:
    """Send a failed notification again (attempts start over)."""
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
    return NotificationRead.model_validate(row)
