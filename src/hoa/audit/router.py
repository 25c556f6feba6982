import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from hoa.audit import service
from hoa.audit.schemas import AuditEntryRead, PlatformAuditEventRead
from hoa.core.errors import Forbidden, NotFound
from hoa.core.pagination import Page
from hoa.core.schemas import Instant
from hoa.web.deps import (
    CommunityAdmin,
    CursorParam,
    DatabaseDep,
    LimitParam,
    PlatformOperator,
    SessionDep,
)
from hoa.web.errors import errors_for

router = APIRouter(prefix="/communities/{community_id}/audit-events", tags=["audit"])
csv_router = APIRouter(prefix="/communities/{community_id}", tags=["audit"])
operator_router = APIRouter(prefix="/operator/audit-events", tags=["operator"])


async def audit_filters(
    actor_id: Annotated[uuid.UUID | None, Query(description="Done by this person")] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=60,
            pattern=r"^[a-z_]+(\.[a-z_]*)?$",
            description="This action, or every action starting so (e.g. reservation.)",
        ),
    ] = None,
    entity_type: Annotated[str | None, Query(max_length=40)] = None,
    entity_id: Annotated[
        uuid.UUID | None, Query(description="About this thing, e.g. a booking")
    ] = None,
    start: Annotated[Instant | None, Query(description="Recorded at or after this")] = None,
    end: Annotated[Instant | None, Query(description="Recorded before this")] = None,
) -> service.Filters:
    return service.Filters(actor_id, action, entity_type, entity_id, start, end)


AuditFilters = Annotated[service.Filters, Depends(audit_filters)]


@router.get(
    "",
    response_model=Page[AuditEntryRead],
    responses=errors_for(Forbidden, NotFound, service.InvalidRange),
)
async def list_audit_events(
    ctx: CommunityAdmin,
    session: SessionDep,
    filters: AuditFilters,
    cursor: CursorParam = None,
    limit: LimitParam = 50,
) -> Page[AuditEntryRead]:
    """The community's audit trail matching the filters, newest first, in words: who, what,
    the booking it concerns and what changed (names instead of ids, the community's zone)."""
    events, next_cursor = await service.list_events(
        session, ctx, filters, cursor=cursor, limit=limit
    )
    return Page(items=events, next_cursor=next_cursor and next_cursor.encode())


@csv_router.get(
    "/audit.csv",
    response_class=StreamingResponse,
    responses={
        **errors_for(Forbidden, NotFound, service.InvalidRange),
        200: {"content": {"text/csv": {}}, "description": "The events, one per row"},
    },
)
async def export_audit_events(
    ctx: CommunityAdmin, filters: AuditFilters, db: DatabaseDep
) -> StreamingResponse:
    """The filtered audit trail as CSV, newest first, streamed; times in the community's zone."""
    return StreamingResponse(
        service.export_csv(db.reader, ctx, filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


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
