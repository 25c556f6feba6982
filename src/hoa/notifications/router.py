"""Admins watch their community's emails and retry the failed ones."""

import uuid

from fastapi import APIRouter

from hoa.core.errors import Forbidden, NotFound
from hoa.core.pagination import Page
from hoa.models import NotificationStatus
from hoa.notifications import service
from hoa.notifications.schemas import NotificationCounts, NotificationRead
from hoa.web.deps import CommunityAdmin, CursorParam, LimitParam, SessionDep
from hoa.web.errors import errors_for

router = APIRouter(prefix="/communities/{community_id}/notifications", tags=["notifications"])


@router.get("", response_model=Page[NotificationRead], responses=errors_for(Forbidden, NotFound))
async def list_notifications(
    ctx: CommunityAdmin,
    session: SessionDep,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
    status: NotificationStatus | None = None,
) -> Page[NotificationRead]:
    """The community's notifications, newest first, optionally of one status."""
    rows, next_cursor = await service.list_notifications(session, ctx, status, cursor, limit)
    return Page.of(rows, NotificationRead, next_cursor)


@router.get("/counts", responses=errors_for(Forbidden, NotFound))
async def count_notifications(ctx: CommunityAdmin, session: SessionDep) -> NotificationCounts:
    """How many notifications are in each status."""
    return NotificationCounts(**await service.count_notifications(session, ctx))


@router.post(
    "/{notification_id}/retry", responses=errors_for(Forbidden, NotFound, service.NotFailed)
)
async def retry_notification(
    ctx: CommunityAdmin, session: SessionDep, notification_id: uuid.UUID
) -> NotificationRead:
    """Send a failed notification again (attempts start over)."""
    return NotificationRead.model_validate(await service.retry(session, ctx, notification_id))
