import uuid

from fastapi import APIRouter

from hoa.amenities import service
from hoa.amenities.schemas import AmenityCreate, AmenityRead, AmenityTemplate, AmenityUpdate
from hoa.amenities.templates import TEMPLATES
from hoa.core.errors import Forbidden, NotFound
from hoa.models import Amenity
from hoa.web.deps import CommunityAdmin, CommunityMember, LagTolerant, SessionDep
from hoa.web.errors import errors_for

router = APIRouter(prefix="/communities/{community_id}/amenities", tags=["amenities"])
WRITE_ERRORS = errors_for(Forbidden, NotFound, service.NameTaken, service.InvalidRules)


@router.get(
    "",
    response_model=list[AmenityRead],
    responses=errors_for(NotFound),
    dependencies=[LagTolerant],
)
async def list_amenities(
    ctx: CommunityMember, session: SessionDep, include_archived: bool = False
) -> list[Amenity]:
    """The community's amenities with their rules (archived ones only for admins who ask)."""
    return await service.list_amenities(
        session, ctx, include_archived=include_archived and ctx.is_admin
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
async def get_amenity(amenity_id: uuid.UUID, ctx: CommunityMember, session: SessionDep) -> Amenity:
    return await service.get(session, ctx.community_id, amenity_id)


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
