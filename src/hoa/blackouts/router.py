import uuid

from fastapi import APIRouter

from hoa.blackouts import service
from hoa.blackouts.schemas import BlackoutCreate, BlackoutCreated, BlackoutRead, BlackoutUpdate
from hoa.core.errors import Forbidden, NotFound
from hoa.core.schemas import Instant
from hoa.models import Blackout
from hoa.web.deps import CommunityAdmin, CommunityMember, SessionDep
from hoa.web.errors import errors_for

router = APIRouter(prefix="/communities/{community_id}/blackouts", tags=["blackouts"])


@router.get("", response_model=list[BlackoutRead], responses=errors_for(NotFound))
async def list_blackouts(
    ctx: CommunityMember,
    session: SessionDep,
    start: Instant | None = None,
    end: Instant | None = None,
) -> list[Blackout]:
    """Closures of the community's amenities, optionally those overlapping a range."""
    return await service.list_blackouts(session, ctx, start, end)


@router.post(
    "",
    status_code=201,
    response_model=BlackoutCreated,
    responses=errors_for(Forbidden, NotFound, service.Conflicts),
)
async def create_blackout(
    body: BlackoutCreate, ctx: CommunityAdmin, session: SessionDep
) -> BlackoutCreated:
    return await service.create(session, ctx, body)


@router.patch(
    "/{blackout_id}",
    response_model=BlackoutCreated,
    responses=errors_for(Forbidden, NotFound, service.Conflicts, service.InvalidPeriod),
)
async def update_blackout(
    blackout_id: uuid.UUID, body: BlackoutUpdate, ctx: CommunityAdmin, session: SessionDep
) -> BlackoutCreated:
    """Change a closure's times or reason, checked against reservations like a new one."""
    return await service.update(session, ctx, blackout_id, body)


@router.delete("/{blackout_id}", status_code=204, responses=errors_for(Forbidden, NotFound))
async def delete_blackout(blackout_id: uuid.UUID, ctx: CommunityAdmin, session: SessionDep) -> None:
    await service.delete(session, ctx, blackout_id)
