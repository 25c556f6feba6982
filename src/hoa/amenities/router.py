import uuid
from functools import partial

from fastapi import APIRouter, Response
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.amenities import service
from hoa.amenities.schemas import AmenityCreate, AmenityRead, AmenityTemplate, AmenityUpdate
from hoa.amenities.templates import TEMPLATES
from hoa.core.context import CommunityCtx
from hoa.core.database import on_replica
from hoa.core.errors import Forbidden, NotFound
from hoa.core.versions import amenities
from hoa.models import Amenity
from hoa.web.deps import CommunityAdmin, CommunityMember, LagTolerant, ReadCacheDep, SessionDep
from hoa.web.errors import errors_for
from hoa.web.responses import trusted_bytes

router = APIRouter(prefix="/communities/{community_id}/amenities", tags=["amenities"])
WRITE_ERRORS = errors_for(Forbidden, NotFound, service.NameTaken, service.InvalidRules)


@router.get(
    "",
    response_model=list[AmenityRead],
    responses=errors_for(NotFound),
    dependencies=[LagTolerant],
)
async def list_amenities(
    ctx: CommunityMember, session: SessionDep, cache: ReadCacheDep, include_archived: bool = False
) -> Response:
    """The community's amenities with their rules (archived ones only for admins who ask)."""
    archived = include_archived and ctx.is_admin
    body = await cache.get_or_load(
        "amenities",
        [amenities(ctx.community_id)],
        f"amenities:{ctx.community_id}:{archived}",
        cache.settings.amenities_seconds,
        partial(_list_json, session, ctx, archived),
        store=not on_replica(session),
    )
    return Response(body, media_type="application/json")


async def _list_json(session: AsyncSession, ctx: CommunityCtx, include_archived: bool) -> bytes:
    return trusted_bytes(
        await service.list_amenities(session, ctx, include_archived=include_archived)
    )


@router.post("", status_code=201, response_model=AmenityRead, responses=WRITE_ERRORS)
async def create_amenity(body: AmenityCreate, ctx: CommunityAdmin, session: SessionDep) -> Amenity:
    return await service.create(session, ctx, body)


@router.get(
    "/templates", response_model=list[AmenityTemplate], responses=errors_for(Forbidden, NotFound)
)
async def list_amenity_templates(ctx: CommunityAdmin) -> tuple[AmenityTemplate, ...]:
    """Usual amenities with sensible rules (clubhouse, pool, tennis court, guest suite, BBQ
    area), to create as they are and adjust afterwards (admins)."""
    return TEMPLATES


@router.get("/{amenity_id}", response_model=AmenityRead, responses=errors_for(NotFound))
async def get_amenity(
    amenity_id: uuid.UUID, ctx: CommunityMember, session: SessionDep, cache: ReadCacheDep
) -> Response:
    body = await cache.get_or_load(
        "amenities",
        [amenities(ctx.community_id)],
        f"amenity:{ctx.community_id}:{amenity_id}",
        cache.settings.amenities_seconds,
        partial(_amenity_json, session, ctx.community_id, amenity_id),
        store=not on_replica(session),
    )
    return Response(body, media_type="application/json")


async def _amenity_json(
    session: AsyncSession, community_id: uuid.UUID, amenity_id: uuid.UUID
) -> bytes:
    return trusted_bytes(await service.read(session, community_id, amenity_id))


@router.patch("/{amenity_id}", response_model=AmenityRead, responses=WRITE_ERRORS)
async def update_amenity(
    amenity_id: uuid.UUID, body: AmenityUpdate, ctx: CommunityAdmin, session: SessionDep
) -> Amenity:
    """Change rules; a changed rules text gets a new version residents must accept."""
    return await service.update(session, ctx, amenity_id, body)


@router.post(
    "/{amenity_id}/archive", response_model=AmenityRead, responses=errors_for(Forbidden, NotFound)
)
async def archive_amenity(
    amenity_id: uuid.UUID, ctx: CommunityAdmin, session: SessionDep
) -> Amenity:
    """Stop new bookings; existing reservations stay."""
    return await service.archive(session, ctx, amenity_id)
