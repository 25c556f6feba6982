import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from hoa.amenities.service import Archived
from hoa.deps import CommunityAdmin, CommunityMember, LagTolerant, SessionDep, SettingsDep
from hoa.errors import Forbidden, NotFound, errors_for
from hoa.models import Reservation, ReservationStatus
from hoa.notifications.service import alert_admins
from hoa.pagination import CursorParam, LimitParam, Page
from hoa.reservations import service
from hoa.reservations.errors import (
    IdempotencyKeyReused,
    NoHousehold,
    NotActive,
    NotPending,
    RangeTooLong,
    RuleConflict,
    RuleViolation,
    SlotTaken,
)
from hoa.reservations.schemas import (
    Availability,
    Calendar,
    CheckResult,
    Decision,
    Rejection,
    ReservationChange,
    ReservationCreate,
    ReservationRead,
)
from hoa.schemas import Instant, trusted_json

router = APIRouter(prefix="/communities/{community_id}", tags=["reservations"])
Since = Annotated[Instant, Query(description="Range start, ISO 8601 with offset")]
Until = Annotated[Instant, Query(description="Range end (exclusive)")]


@router.post(
    "/reservations",
    status_code=201,
    response_model=ReservationRead,
    responses=errors_for(
        NotFound,
        Forbidden,
        SlotTaken,
        RuleViolation,
        RuleConflict,
        Archived,
        NoHousehold,
        IdempotencyKeyReused,
    ),
)
async def create_reservation(
    body: ReservationCreate,
    response: Response,
    ctx: CommunityMember,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Reservation:
    """Book an amenity (pending when it needs approval). A retry with the same
    ``Idempotency-Key`` returns the original reservation."""
    reservation, created = await service.create(session, ctx, body, idempotency_key)
    if created and reservation.status is ReservationStatus.PENDING:
        await alert_admins(session, settings, ctx.community, reservation)
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return reservation


@router.post(
    "/reservations/check",
    response_model=CheckResult,
    responses=errors_for(NotFound, Forbidden, Archived, NoHousehold),
)
async def check_reservation(
    body: ReservationCreate, ctx: CommunityMember, session: SessionDep
) -> CheckResult:
    """Can I book this? Explains the first rule that refuses it and suggests a free slot;
    writes nothing."""
    return await service.check(session, ctx, body)


@router.get("/reservations", response_model=Page[ReservationRead], responses=errors_for(NotFound))
async def list_reservations(
    ctx: CommunityMember,
    session: SessionDep,
    cursor: CursorParam,
    limit: LimitParam = 50,
    mine: bool = Query(False, description="Admins: only their own household's"),
    amenity_id: uuid.UUID | None = None,
    status: ReservationStatus | None = None,
    start: Instant | None = None,
    end: Instant | None = None,
) -> Page[ReservationRead]:
    """The caller's household's reservations (admins: the community's), by start time."""
    rows, next_cursor = await service.list_reservations(
        session,
        ctx,
        mine=mine,
        amenity_id=amenity_id,
        status=status,
        start=start,
        end=end,
        cursor=cursor,
        limit=limit,
    )
    return Page.of(rows, ReservationRead, next_cursor)


@router.get(
    "/reservations/{reservation_id}", response_model=ReservationRead, responses=errors_for(NotFound)
)
async def get_reservation(
    reservation_id: uuid.UUID, ctx: CommunityMember, session: SessionDep
) -> Reservation:
    return await service.get_visible(session, ctx, reservation_id)


@router.patch(
    "/reservations/{reservation_id}",
    response_model=ReservationRead,
    responses=errors_for(NotFound, NotActive, SlotTaken, RuleViolation, RuleConflict, Archived),
)
async def change_reservation(
    reservation_id: uuid.UUID,
    body: ReservationChange,
    ctx: CommunityMember,
    session: SessionDep,
    settings: SettingsDep,
) -> Reservation:
    """Move or edit a pending or confirmed booking, under the rules of booking it (residents:
    before the amenity's cancellation cutoff). Changing the time replaces the party times. On an
    amenity that needs approval, a resident's new time or headcount waits for approval again."""
    reservation, again = await service.change(session, ctx, reservation_id, body)
    if again:
        await alert_admins(session, settings, ctx.community, reservation)
    return reservation


@router.post(
    "/reservations/{reservation_id}/cancel",
    response_model=ReservationRead,
    responses=errors_for(NotFound, NotActive, RuleConflict),
)
async def cancel_reservation(
    reservation_id: uuid.UUID, body: Decision, ctx: CommunityMember, session: SessionDep
) -> Reservation:
    """Cancel (residents: before the amenity's cancellation cutoff)."""
    return await service.cancel(session, ctx, reservation_id, body.reason)


@router.post(
    "/reservations/{reservation_id}/approve",
    response_model=ReservationRead,
    responses=errors_for(NotFound, Forbidden, NotPending, RuleConflict),
)
async def approve_reservation(
    reservation_id: uuid.UUID, body: Decision, ctx: CommunityAdmin, session: SessionDep
) -> Reservation:
    return await service.approve(session, ctx, reservation_id, body.reason)


@router.post(
    "/reservations/{reservation_id}/reject",
    response_model=ReservationRead,
    responses=errors_for(NotFound, Forbidden, NotPending),
)
async def reject_reservation(
    reservation_id: uuid.UUID, body: Rejection, ctx: CommunityAdmin, session: SessionDep
) -> Reservation:
    return await service.reject(session, ctx, reservation_id, body.reason)


@router.get(
    "/calendar",
    response_model=Calendar,
    responses=errors_for(NotFound, RangeTooLong),
    dependencies=[LagTolerant],
)
async def get_calendar(
    ctx: CommunityMember,
    session: SessionDep,
    start: Since,
    end: Until,
    amenity_id: uuid.UUID | None = None,
) -> Response:
    """Active bookings overlapping the range (at most 62 days), optionally of one amenity."""
    return trusted_json(await service.calendar(session, ctx, start, end, amenity_id))


@router.get(
    "/amenities/{amenity_id}/availability",
    response_model=Availability,
    responses=errors_for(NotFound, Archived),
    dependencies=[LagTolerant],
)
async def get_availability(
    amenity_id: uuid.UUID,
    ctx: CommunityMember,
    session: SessionDep,
    day: Annotated[date, Query(alias="date", description="Local date in the community")],
) -> Response:
    """Slots of the amenity on a local day, with what remains of each."""
    slots = await service.availability(session, ctx, amenity_id, day)
    return trusted_json(
        {"amenity_id": amenity_id, "date": day, "timezone": ctx.community.timezone, "slots": slots}
    )
