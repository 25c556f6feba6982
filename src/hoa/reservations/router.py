import uuid
from datetime import datetime, timedelta
from functools import partial
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.amenities.service import Archived, UnknownKind
from hoa.core.database import Database, on_replica, utcnow
from hoa.core.errors import Forbidden, NotFound
from hoa.core.pagination import Page
from hoa.core.schemas import Instant, LocalDate
from hoa.core.settings import Settings
from hoa.core.versions import community
from hoa.models import KIND_MAX_LENGTH, Reservation, ReservationStatus
from hoa.reservations import finder, links, office, queue, reads, service
from hoa.reservations.errors import (
    AmenityOrKind,
    IdempotencyKeyReused,
    NoHousehold,
    NotActive,
    NotPending,
    RangeTooLong,
    RuleConflict,
    RuleViolation,
    SlotTaken,
    UndoExpired,
)
from hoa.reservations.schemas import (
    Availability,
    BookingHistory,
    Calendar,
    CheckResult,
    Decision,
    DecisionRead,
    NextAvailable,
    OfficeBookingPage,
    QueuedRequest,
    Rejection,
    ReservationChange,
    ReservationCreate,
    ReservationRead,
)
from hoa.web.cache import Codec, ReadCache
from hoa.web.deps import (
    CommunityAdmin,
    CommunityMember,
    CursorParam,
    DatabaseDep,
    LagTolerant,
    LimitParam,
    ReadCacheDep,
    SessionDep,
    SettingsDep,
)
from hoa.web.errors import errors_for
from hoa.web.responses import trusted_json

router = APIRouter(prefix="/communities/{community_id}", tags=["reservations"])
Since = Annotated[Instant, Query(description="Range start, ISO 8601 with offset")]
Until = Annotated[Instant, Query(description="Range end (exclusive)")]
CALENDAR_CODEC = Codec(reads.calendar_bytes, reads.calendar_from_bytes)


async def _present(session: AsyncSession, reservation: Reservation) -> ReservationRead:
    return (await reads.present(session, [reservation]))[0]


async def _decided(
    session: AsyncSession, settings: Settings, reservation: Reservation
) -> DecisionRead:
    return DecisionRead(
        **(await _present(session, reservation)).model_dump(),
        undo_until=service.undo_until(settings, reservation),
    )


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
) -> ReservationRead:
    """Book an amenity (pending when it needs approval). A retry with the same
    ``Idempotency-Key`` returns the original reservation."""
    reservation, created = await service.create(session, settings, ctx, body, idempotency_key)
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return await _present(session, reservation)


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
) -> Response:
    """The caller's household's reservations (admins: the community's), by start time."""
    rows, next_cursor = await reads.list_reservations(
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
    return trusted_json({"items": rows, "next_cursor": next_cursor and next_cursor.encode()})


@router.get(
    "/approval-queue",
    response_model=list[QueuedRequest],
    responses=errors_for(NotFound, Forbidden),
)
async def get_approval_queue(ctx: CommunityAdmin, session: SessionDep) -> list[QueuedRequest]:
    """Pending requests not yet over, soonest first, each with the overlapping requests and
    closures, and the household's other bookings that month."""
    return await queue.approval_queue(session, ctx)


@router.get(
    "/reservations/{reservation_id}", response_model=ReservationRead, responses=errors_for(NotFound)
)
async def get_reservation(
    reservation_id: uuid.UUID, ctx: CommunityMember, session: SessionDep
) -> ReservationRead:
    return await _present(session, await reads.get_visible(session, ctx, reservation_id))


@router.get(
    "/reservations/{reservation_id}/calendar.ics",
    response_class=Response,
    responses={
        **errors_for(NotFound),
        200: {"content": {"text/calendar": {}}, "description": "An RFC 5545 file"},
    },
)
async def download_reservation_calendar(
    reservation_id: uuid.UUID, ctx: CommunityMember, session: SessionDep, settings: SettingsDep
) -> Response:
    """The booking as a calendar file to import (the same event as in its emails and feeds)."""
    return Response(
        await service.calendar(session, settings, ctx, reservation_id),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="reservation.ics"'},
    )


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
) -> ReservationRead:
    """Move or edit a pending or confirmed booking, under the rules of booking it (residents:
    before the amenity's cancellation cutoff). Changing the time replaces the party times. On an
    amenity that needs approval, a resident's new time or headcount waits for approval again."""
    return await _present(
        session, await service.change(session, settings, ctx, reservation_id, body)
    )


@router.post(
    "/reservations/{reservation_id}/cancel",
    response_model=ReservationRead,
    responses=errors_for(NotFound, NotActive, RuleConflict),
)
async def cancel_reservation(
    reservation_id: uuid.UUID, body: Decision, ctx: CommunityMember, session: SessionDep
) -> ReservationRead:
    """Cancel (residents: before the amenity's cancellation cutoff)."""
    return await _present(session, await service.cancel(session, ctx, reservation_id, body.reason))


@router.post(
    "/reservations/{reservation_id}/approve",
    response_model=DecisionRead,
    responses=errors_for(NotFound, Forbidden, NotPending, RuleConflict),
)
async def approve_reservation(
    reservation_id: uuid.UUID,
    body: Decision,
    ctx: CommunityAdmin,
    session: SessionDep,
    settings: SettingsDep,
) -> DecisionRead:
    """Confirm a request; ``reason`` is an optional note in the resident's email, which waits
    until the undo window has passed."""
    return await _decided(
        session,
        settings,
        await service.approve(session, settings, ctx, reservation_id, body.reason),
    )


@router.post(
    "/reservations/{reservation_id}/reject",
    response_model=DecisionRead,
    responses=errors_for(NotFound, Forbidden, NotPending),
)
async def reject_reservation(
    reservation_id: uuid.UUID,
    body: Rejection,
    ctx: CommunityAdmin,
    session: SessionDep,
    settings: SettingsDep,
) -> DecisionRead:
    """Decline a request with a reason; the resident's email waits until the undo window has
    passed."""
    return await _decided(
        session,
        settings,
        await service.reject(session, settings, ctx, reservation_id, body.reason),
    )


@router.post(
    "/reservations/{reservation_id}/undo-decision",
    response_model=ReservationRead,
    responses=errors_for(NotFound, Forbidden, UndoExpired, SlotTaken, RuleConflict),
)
async def undo_reservation_decision(
    reservation_id: uuid.UUID, ctx: CommunityAdmin, session: SessionDep, settings: SettingsDep
) -> ReservationRead:
    """Within ``decision_undo_minutes`` of approving or declining, and while the booking is
    unchanged since: the request is pending again and the decision's email is never sent."""
    return await _present(
        session, await service.undo_decision(session, settings, ctx, reservation_id)
    )


@router.get(
    "/calendar",
    response_model=Calendar,
    responses=errors_for(NotFound, RangeTooLong),
    dependencies=[LagTolerant],
)
async def get_calendar(
    ctx: CommunityMember,
    session: SessionDep,
    cache: ReadCacheDep,
    start: Since,
    end: Until,
    amenity_id: uuid.UUID | None = None,
) -> Response:
    """Active bookings overlapping the range (at most 62 days), optionally of one amenity."""
    reads.check_range(start, end)
    if not cache.enabled:
        parts = [await reads.calendar_rows(session, ctx.community_id, start, end, amenity_id)]
    else:  # the community's whole months, shared by every viewer and range
        months = reads.local_months(start, end, ZoneInfo(ctx.timezone))
        parts = await _months(cache, session, ctx.community_id, ctx.timezone, months)
    return trusted_json(reads.present_calendar(ctx, start, end, amenity_id, parts))


async def _months(
    cache: ReadCache,
    session: AsyncSession,
    community_id: uuid.UUID,
    timezone: str,
    months: list[tuple[datetime, datetime]],
) -> list[reads.CalendarRows]:
    tz = ZoneInfo(timezone)
    loads = {
        f"calendar:{community_id}:{timezone}:{month.astimezone(tz):%Y-%m}": partial(
            reads.calendar_rows, session, community_id, month, next_month, None
        )
        for month, next_month in months
    }
    return await cache.get_or_load_all(
        "calendar",
        [community(community_id)],
        loads,
        cache.settings.calendar_seconds,
        store=not on_replica(session),
        codec=CALENDAR_CODEC,
    )


async def warm_calendar(cache: ReadCache, db: Database, community_id: uuid.UUID) -> None:
    """Load the community's calendar of this local month and the next (what most views show)
    into the cache again, after a write invalidated it."""
    now = utcnow()
    async with db.reader() as session:
        timezone = await reads.community_timezone(session, community_id)
        if timezone is None:  # the community is gone
            return
        months = reads.local_months(now, now + timedelta(days=32), ZoneInfo(timezone))
        await _months(cache, session, community_id, timezone, months[:2])


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
    cache: ReadCacheDep,
    day: Annotated[LocalDate, Query(alias="date", description="Local date in the community")],
    exclude: Annotated[
        uuid.UUID | None,
        Query(description="A booking the caller may change: its own time counts as free"),
    ] = None,
) -> Response:
    """Slots of the amenity on a local day, with what remains of each."""
    load = partial(reads.availability_inputs, session, ctx, amenity_id, day, exclude)
    if exclude is None:  # the shared day; moving a booking sees the day without it
        key = f"availability:{ctx.community_id}:{amenity_id}:{day}"
        scopes = [community(ctx.community_id)]
        inputs = await cache.get_or_load(
            "availability",
            scopes,
            key,
            cache.settings.calendar_seconds,
            load,
            store=not on_replica(session),
        )
    else:
        inputs = await load()
    slots = reads.availability(inputs, ctx.timezone, day)
    return trusted_json(
        {"amenity_id": amenity_id, "date": day, "timezone": ctx.timezone, "slots": slots}
    )


@router.get(
    "/availability/next",
    response_model=NextAvailable,
    responses=errors_for(NotFound, Archived, UnknownKind, AmenityOrKind),
    dependencies=[LagTolerant],
)
async def get_next_available(
    ctx: CommunityMember,
    session: SessionDep,
    amenity_id: Annotated[
        list[uuid.UUID] | None,
        Query(
            min_length=1,
            max_length=finder.MAX_AMENITIES,
            description="One amenity, or several to compare (not with kind)",
        ),
    ] = None,
    kind: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=KIND_MAX_LENGTH,
            description="Every bookable amenity of this kind (any tennis court), by name, at "
            f"most {finder.MAX_AMENITIES}; case and spacing do not matter (not with amenity_id)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    per_day: Annotated[
        int | None, Query(ge=1, le=50, description="At most this many slots of a day")
    ] = None,
) -> dict[str, object]:
    """The next slots the caller's household can book, per amenity, across its whole booking
    window (notice, hours, closures, quotas, capacity), and why the days before are blocked."""
    targets = await finder.resolve(session, ctx, amenity_id, kind)
    found = await finder.next_available(session, ctx, targets, limit, per_day)
    return {"timezone": ctx.timezone, "amenities": found}


# One-click cancel links from reminder emails: no sign-in, the signed token is the authority.
async def office_filters(
    amenity_id: uuid.UUID | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Resident's name or email, or household")
    ] = None,
    start: Annotated[Instant | None, Query(description="Bookings ending after this")] = None,
    end: Annotated[Instant | None, Query(description="Bookings starting before this")] = None,
    status: Annotated[list[ReservationStatus] | None, Query(description="Any of these")] = None,
    sort: Annotated[Literal["starts_at", "-starts_at"], Query(description="Order")] = "starts_at",
) -> office.Filters:
    return office.Filters(amenity_id, q, start, end, tuple(status or ()), sort == "-starts_at")


OfficeFilters = Annotated[office.Filters, Depends(office_filters)]


@router.get(
    "/admin/reservations",
    response_model=OfficeBookingPage,
    responses=errors_for(NotFound, Forbidden, office.InvalidRange),
)
async def list_office_reservations(
    ctx: CommunityAdmin,
    session: SessionDep,
    filters: OfficeFilters,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: LimitParam = 50,
) -> OfficeBookingPage:
    """Every booking of the community matching the filters, with its amenity, household and
    resident, by start time, a page at a time with the total."""
    return await office.list_bookings(session, ctx, filters, offset=offset, limit=limit)


@router.get(
    "/admin/reservations.csv",
    response_class=StreamingResponse,
    responses={
        **errors_for(NotFound, Forbidden, office.InvalidRange),
        200: {"content": {"text/csv": {}}, "description": "The bookings, one per row"},
    },
)
async def export_office_reservations(
    ctx: CommunityAdmin, filters: OfficeFilters, db: DatabaseDep
) -> StreamingResponse:
    """The filtered bookings as CSV, streamed; times in the community's zone."""
    return StreamingResponse(
        office.export_csv(db.reader, ctx, filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="bookings.csv"'},
    )


@router.get(
    "/reservations/{reservation_id}/history",
    response_model=BookingHistory,
    responses=errors_for(NotFound),
)
async def get_reservation_history(
    reservation_id: uuid.UUID, ctx: CommunityMember, session: SessionDep
) -> BookingHistory:
    """What happened to the booking (its audit trail, in words) and the emails about it. A
    resident sees 'Community office' for changes made by the office, and only their
    household's emails."""
    return await office.history(session, ctx, reservation_id)


links_router = APIRouter(prefix="/reservation-links", tags=["reservations"])


@links_router.get(
    "/cancel", response_model=links.CancelLinkRead, responses=errors_for(links.InvalidLink)
)
async def show_cancel_link(
    token: Annotated[str, Query(max_length=2000)], session: SessionDep, settings: SettingsDep
) -> links.CancelLinkRead:
    """The booking a reminder's cancel link is for, to confirm before cancelling. No sign-in:
    the signed token is the authority."""
    return await links.show(session, settings, token)


@links_router.post(
    "/cancel",
    response_model=links.CancelLinkRead,
    responses=errors_for(links.InvalidLink, NotActive, RuleConflict),
)
async def use_cancel_link(
    body: links.CancelLinkRequest, session: SessionDep, settings: SettingsDep
) -> links.CancelLinkRead:
    """Cancel the booking as the person it is for, under the same cutoff as in the app."""
    return await links.cancel(session, settings, body.token)
