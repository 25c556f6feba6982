import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from hoa.audit import service
from hoa.audit.schemas import AuditEventRead, PlatformAuditEventRead
from hoa.core.errors import Forbidden, NotFound
from hoa.core.pagination import Page
from hoa.web.deps import CommunityAdmin, CursorParam, LimitParam, PlatformOperator, SessionDep
from hoa.web.errors import errors_for

router = APIRouter(prefix="/communities/{community_id}/audit-events", tags=["audit"])
operator_router = APIRouter(prefix="/operator/audit-events", tags=["operator"])


@router.get("", response_model=Page[AuditEventRead], responses=errors_for(Forbidden, NotFound))
async def list_audit_events(
    ctx: CommunityAdmin,
    session: SessionDep,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
    entity_type: Annotated[str | None, Query(max_length=40)] = None,
    entity_id: uuid.UUID | None = None,
) -> Page[AuditEventRead]:
    """The community's audit trail, newest first."""
    events, next_cursor = await service.list_events(
        session,
        ctx.community_id,
        entity_type=entity_type,
        entity_id=entity_id,
        cursor=cursor,
        limit=limit,
    )
    return Page.of(events, AuditEventRead, next_cursor)


@operator_router.get(
    "", response_model=Page[PlatformAuditEventRead], responses=errors_for(Forbidden)
)
async def list_platform_audit_events(
    operator: PlatformOperator,
    session: SessionDep,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[PlatformAuditEventRead]:
    """The platform audit log, newest first: what operators did as such (communities created,
    suspended, resumed, and their changes in communities they are no member of)."""
    events, next_cursor = await service.list_operator_events(session, cursor=cursor, limit=limit)
    return Page(items=events, next_cursor=next_cursor and next_cursor.encode())
