import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from hoa.communities import service
from hoa.communities.schemas import (
    CommunityCreate,
    CommunityCreated,
    CommunityRead,
    CommunitySummary,
    CommunitySuspend,
    CommunityUpdate,
    PlatformTotals,
)
from hoa.core.errors import Forbidden, NotFound
from hoa.models import Community
from hoa.web.deps import (
    CommunityAdmin,
    CommunityMember,
    CurrentUser,
    PlatformOperator,
    SessionDep,
    SettingsDep,
)
from hoa.web.errors import errors_for

router = APIRouter(prefix="/communities", tags=["communities"])
operator_router = APIRouter(prefix="/operator", tags=["operator"])


@router.get("", response_model=list[CommunityRead])
async def list_communities(user: CurrentUser, session: SessionDep) -> list[Community]:
    """The communities the caller is an active member of."""
    return await service.list_mine(session, user)


@router.post(
    "",
    status_code=201,
    response_model=CommunityCreated,
    responses=errors_for(Forbidden, service.SlugTaken),
)
async def create_community(
    body: CommunityCreate, operator: PlatformOperator, session: SessionDep, settings: SettingsDep
) -> CommunityCreated:
    """Create a community and appoint its first admin (platform operators only)."""
    return await service.create(session, settings, operator, body)


@router.get("/{community_id}", response_model=CommunityRead, responses=errors_for(NotFound))
async def get_community(ctx: CommunityMember, session: SessionDep) -> Community:
    return await service.get(session, ctx)


@router.patch(
    "/{community_id}", response_model=CommunityRead, responses=errors_for(Forbidden, NotFound)
)
async def update_community(
    body: CommunityUpdate, ctx: CommunityAdmin, session: SessionDep
) -> Community:
    """Change the community's name, time zone or privacy settings (admins)."""
    return await service.update(session, ctx, body)


@operator_router.get(
    "/communities", response_model=list[CommunitySummary], responses=errors_for(Forbidden)
)
async def list_all_communities(
    operator: PlatformOperator,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, description="Name or short name")] = None,
) -> list[CommunitySummary]:
    """Every community with its members, amenities, bookings this month and last activity
    (platform operators only)."""
    return await service.list_for_operator(session, q)


@operator_router.get("/totals", response_model=PlatformTotals, responses=errors_for(Forbidden))
async def get_platform_totals(operator: PlatformOperator, session: SessionDep) -> PlatformTotals:
    """Communities, active members and bookings this month over the whole platform."""
    return await service.totals(session)


@operator_router.post(
    "/communities/{id}/suspend",
    response_model=CommunityRead,
    responses=errors_for(Forbidden, NotFound, service.AlreadySuspended),
)
async def suspend_community(
    id: uuid.UUID, body: CommunitySuspend, operator: PlatformOperator, session: SessionDep
) -> Community:
    """Suspend a community: nothing can be booked or changed there, and its residents are told
    the reason (platform operators only)."""
    return await service.suspend(session, operator, id, body.reason)


@operator_router.post(
    "/communities/{id}/resume",
    response_model=CommunityRead,
    responses=errors_for(Forbidden, NotFound, service.NotSuspended),
)
async def resume_community(
    id: uuid.UUID, operator: PlatformOperator, session: SessionDep
) -> Community:
    """Lift a community's suspension; everything in it is as it was (platform operators only)."""
    return await service.resume(session, operator, id)
