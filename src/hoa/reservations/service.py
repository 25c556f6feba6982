"""Booking, cancelling, deciding; the calendar and availability reads."""

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hoa import rules
from hoa.amenities import service as amenities
from hoa.audit.service import record, snapshot
from hoa.core.context import CommunityCtx
from hoa.core.database import utcnow, violated_constraint
from hoa.core.errors import Forbidden, NotFound, ValidationFailed
from hoa.core.pagination import AnySelect, Cursor, page_query
from hoa.core.settings import Settings
from hoa.models import (
    ACTIVE_STATUSES,
    HELD_STATUSES,
    MAX_RESERVATION_DAYS,
    OVERLAP_CONSTRAINT,
    Amenity,
    AmenityStatus,
    Blackout,
    BookingMode,
    Community,
    Membership,
    MemberStatus,
    Reservation,
    ReservationStatus,
    User,
)
from hoa.notifications.service import alert_admins, notify_reservation
from hoa.reservations.errors import (
    IdempotencyKeyReused,
    NoHousehold,
    NotActive,
    NotPending,
    RangeTooLong,
    SlotTaken,
    violation_error,
)
from hoa.reservations.schemas import (
    CheckResult,
    ReservationChange,
    ReservationCreate,
    SlotRead,
    ViolationRead,
)

AUDITED = ("status", "starts_at", "ends_at", "headcount", "amenity_id", "household_id")
# Refusals for which a nearby free slot is a useful answer.
SUGGEST_FOR = frozenset(
    {
        "reservation.slot_taken",
        "reservation.capacity_full",
        "reservation.blackout",
        "reservation.outside_hours",
        "reservation.too_little_notice",
        "reservation.in_past",
    }
)
MAX_CALENDAR_DAYS = 62
DEADLOCK_DETECTED = "40P01"
SUGGEST_DAYS = 14
_HISTORY = timedelta(days=MAX_RESERVATION_DAYS)


@dataclass(frozen=True, slots=True)
class Party:
    """Who a booking is for: the user and their household."""

    user_id: uuid.UUID
    household_id: uuid.UUID | None


async def _community(session: AsyncSession, ctx: CommunityCtx) -> Community:
    """The caller's community, from the session (loaded with the caller's membership)."""
    return await session.get_one(Community, ctx.community_id)


def _tz(ctx: CommunityCtx) -> ZoneInfo:
    return ZoneInfo(ctx.timezone)


def _booked_query(amenity_id: Any, since: Any, until: Any, ends_after: Any) -> AnySelect:
    """Bookings of the amenity that hold time, starting in (since, until) and ending after
    ends_after, as (kind 0, starts_at, ends_at, headcount, household_id)."""
    return sa.select(
        sa.literal_column("0").label("kind"),
        Reservation.starts_at,
        Reservation.ends_at,
        Reservation.headcount,
        Reservation.household_id,
    ).where(
        Reservation.amenity_id == amenity_id,
        Reservation.status.in_(HELD_STATUSES),
        Reservation.starts_at > since,
        Reservation.starts_at < until,
        Reservation.ends_at > ends_after,
    )


def _blackouts_query(community_id: Any, amenity_id: Any, start: Any, end: Any) -> AnySelect:
    """The community's and the amenity's closures overlapping [start, end), shaped like
    _booked_query's rows with kind 2."""
    return sa.select(
        sa.literal_column("2").label("kind"),
        Blackout.starts_at,
        Blackout.ends_at,
        sa.literal_column("0").label("headcount"),
        sa.null().label("household_id"),
    ).where(
        Blackout.community_id == community_id,
        sa.or_(Blackout.amenity_id == amenity_id, Blackout.amenity_id.is_(None)),
        Blackout.starts_at < end,
        Blackout.ends_at > start,
    )


def _household_query(amenity_id: Any, household_id: Any, since: Any) -> AnySelect:
    """The household's bookings of the amenity holding time starting from since, with kind 1."""
    return sa.select(
        sa.literal_column("1").label("kind"),
        Reservation.starts_at,
        Reservation.ends_at,
        Reservation.headcount,
        Reservation.household_id,
    ).where(
        Reservation.amenity_id == amenity_id,
        Reservation.household_id == household_id,
        Reservation.status.in_(HELD_STATUSES),
        Reservation.starts_at >= since,
    )


def _p(name: str) -> sa.BindParameter[Any]:
    return sa.bindparam(name)


# Built once: the hot reads and the booking check send one statement for all they need, and
# skip building and cache-keying the expressions per request.
_BUSY = sa.union_all(
    _booked_query(_p("amenity_id"), _p("since"), _p("until"), _p("ends_after")),
    _blackouts_query(_p("community_id"), _p("amenity_id"), _p("closed_from"), _p("closed_to")),
)
_BUSY_AND_HOUSEHOLD = sa.union_all(
    _booked_query(_p("amenity_id"), _p("since"), _p("until"), _p("ends_after")),
    _blackouts_query(_p("community_id"), _p("amenity_id"), _p("closed_from"), _p("closed_to")),
    _household_query(_p("amenity_id"), _p("household_id"), _p("household_since")),
)


_BUSY_ROWS = _BUSY.subquery()
# availability's amenity and what keeps it busy in one round trip: the amenity on every row (or
# alone, with NULLs, on a free day). The bookings' window is widened by _AVAILABILITY_PAD
# instead of the amenity's buffers, which are not known before the row arrives; an amenity with
# more buffer than that is read again with its own window.
_AVAILABILITY_PAD = timedelta(hours=2)
_AMENITY_AND_BUSY = (
    sa.select(Amenity, *_BUSY_ROWS.c)
    .outerjoin(_BUSY_ROWS, sa.true())
    .where(Amenity.id == _p("amenity_id"), Amenity.community_id == _p("community_id"))
)


@dataclass(frozen=True, slots=True)
class Busy:
    """What decides whether the amenity is free: active bookings, the booking household's own
    bookings (for quotas) and closures."""

    booked: list[rules.Booked]
    household_booked: list[rules.Interval]
    blackouts: list[rules.Interval]


def _booked_window(amenity: Amenity, start: datetime, end: datetime) -> dict[str, datetime]:
    """Bounds for bookings whose blocked span may touch [start, end). ``starts_at`` is bounded on
    both sides (no booking lasts longer than MAX_RESERVATION_DAYS) so the (amenity_id,
    starts_at) index serves it however long the history is."""
    pad = timedelta(minutes=amenity.buffer_before_minutes + amenity.buffer_after_minutes)
    lo, hi = start - pad, end + pad
    return {"since": lo - _HISTORY, "until": hi, "ends_after": lo}


async def _busy(
    session: AsyncSession,
    amenity: Amenity,
    booked: tuple[datetime, datetime],
    closed: tuple[datetime, datetime],
    household: tuple[uuid.UUID, datetime] | None = None,
) -> Busy:
    """In one round trip: bookings whose blocked span may touch the `booked` range, closures
    overlapping the `closed` range and, given (household_id, since), the household's bookings
    starting from since."""
    window = _booked_window(amenity, *booked)
    params = _busy_params(amenity.id, amenity.community_id, closed, window)
    if household is not None:
        params["household_id"], params["household_since"] = household
    connection = await session.connection()
    rows = await connection.execute(_BUSY if household is None else _BUSY_AND_HOUSEHOLD, params)
    return _sorted_busy(rows)


def _busy_params(
    amenity_id: uuid.UUID,
    community_id: uuid.UUID,
    closed: tuple[datetime, datetime],
    window: dict[str, datetime],
) -> dict[str, Any]:
    return {
        "amenity_id": amenity_id,
        "community_id": community_id,
        "closed_from": closed[0],
        "closed_to": closed[1],
        **window,
    }


def _sorted_busy(rows: Iterable[Sequence[Any]]) -> Busy:
    busy = Busy([], [], [])
    for kind, starts_at, ends_at, headcount, household_id in rows:
        if kind == 0:
            busy.booked.append(rules.Booked(starts_at, ends_at, headcount, household_id))
        elif kind == 1:
            busy.household_booked.append(rules.Interval(starts_at, ends_at))
        elif kind == 2:
            busy.blackouts.append(rules.Interval(starts_at, ends_at))
    return busy


async def _booked(
    session: AsyncSession,
    amenity: Amenity,
    start: datetime,
    end: datetime,
    exclude: uuid.UUID | None = None,
) -> list[rules.Booked]:
    """Active bookings of the amenity whose blocked span may touch [start, end)."""
    window = _booked_window(amenity, start, end)
    query = _booked_query(amenity.id, window["since"], window["until"], window["ends_after"])
    if exclude is not None:
        query = query.where(Reservation.id != exclude)
    rows = await session.execute(query)
    return [rules.Booked(*row[1:]) for row in rows]


async def _blackouts(
    session: AsyncSession, amenity: Amenity, start: datetime, end: datetime
) -> list[rules.Interval]:
    rows = await session.execute(_blackouts_query(amenity.community_id, amenity.id, start, end))
    return [rules.Interval(row.starts_at, row.ends_at) for row in rows]


def _request(data: ReservationCreate, party: Party) -> rules.BookingRequest:
    return rules.BookingRequest(
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        headcount=data.headcount,
        guests=data.guests,
        household_id=party.household_id,
        accepted_rules_version=data.accepted_rules_version,
    )


async def _evaluate(
    session: AsyncSession,
    ctx: CommunityCtx,
    amenity: Amenity,
    amenity_rules: rules.AmenityRules,
    data: ReservationCreate,
    party: Party,
    *,
    check_acceptance: bool,
    exclude: Reservation | None = None,
) -> rules.Violation | None:
    """The first rule ``data`` breaks, judged against the amenity's bookings and closures (less
    ``exclude``, the booking being changed), or None."""
    tz, now = _tz(ctx), utcnow()
    blocked = rules.blocked_interval(data.starts_at, data.ends_at, amenity_rules)
    # Quotas count by the local day/week/month of the start; a week can begin in the previous
    # month, so look back a little further than the month's first day.
    local_start = data.starts_at.astimezone(tz)
    month_start = local_start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    since = min(now, month_start - timedelta(days=7))
    busy = await _busy(
        session,
        amenity,
        (data.starts_at, data.ends_at),
        (blocked.starts_at, blocked.ends_at),
        None if party.household_id is None else (party.household_id, since),
    )
    if exclude is not None:
        own = (exclude.starts_at, exclude.ends_at)
        _drop_one(busy.booked, rules.Booked(*own, exclude.headcount, exclude.household_id))
        _drop_one(busy.household_booked, rules.Interval(*own))
    return rules.check_booking(
        _request(data, party),
        amenity_rules,
        tz,
        now,
        booked=busy.booked,
        household_booked=busy.household_booked,
        blackouts=busy.blackouts,
        check_acceptance=check_acceptance,
    )


def _drop_one(items: list[Any], item: object) -> None:
    """Remove one occurrence (the booking itself: an identical one of the same household, if
    any, stays)."""
    if item in items:
        items.remove(item)


async def _suggest(
    session: AsyncSession,
    ctx: CommunityCtx,
    amenity: Amenity,
    amenity_rules: rules.AmenityRules,
    data: ReservationCreate,
    party: Party,
) -> SlotRead | None:
    span = timedelta(days=SUGGEST_DAYS + 1)
    lo, hi = data.starts_at - span, data.ends_at + span
    busy = await _busy(session, amenity, (lo, hi), (lo, hi))
    slot = rules.nearest_free_slot(
        _request(data, party),
        amenity_rules,
        _tz(ctx),
        utcnow(),
        booked=busy.booked,
        blackouts=busy.blackouts,
        search_days=SUGGEST_DAYS,
    )
    return SlotRead.model_validate(slot) if slot else None


async def _party(session: AsyncSession, ctx: CommunityCtx, data: ReservationCreate) -> Party:
    if data.on_behalf_of_member_id is None:
        if ctx.household_id is None and not ctx.is_admin:
            raise NoHousehold
        return Party(ctx.user_id, ctx.household_id)
    if not ctx.is_admin:
        raise Forbidden("Only admins can book on behalf of someone else.")
    member = await session.scalar(
        sa.select(Membership).where(
            Membership.id == data.on_behalf_of_member_id,
            Membership.community_id == ctx.community_id,
            Membership.status == MemberStatus.ACTIVE,
        )
    )
    if member is None:
        raise NotFound("Member not found.")
    return Party(member.user_id, member.household_id)


async def check(session: AsyncSession, ctx: CommunityCtx, data: ReservationCreate) -> CheckResult:
    """The "can I book this?" dry run: the first rule that refuses it, and a nearby free slot."""
    amenity = await _bookable(session, ctx, data.amenity_id, lock=False)
    party = await _party(session, ctx, data)
    amenity_rules = amenities.to_rules(amenity)
    violation = await _evaluate(
        session, ctx, amenity, amenity_rules, data, party, check_acceptance=False
    )
    if violation is None:
        return CheckResult(allowed=True, violation=None, suggestion=None)
    suggestion = None
    if violation.code in SUGGEST_FOR:
        suggestion = await _suggest(session, ctx, amenity, amenity_rules, data, party)
    return CheckResult(
        allowed=False, violation=ViolationRead.model_validate(violation), suggestion=suggestion
    )


async def _bookable(
    session: AsyncSession, ctx: CommunityCtx, amenity_id: uuid.UUID, *, lock: bool
) -> Amenity:
    amenity = await amenities.get(session, ctx.community_id, amenity_id, lock=lock)
    if amenity.status is AmenityStatus.ARCHIVED:
        raise amenities.Archived
    return amenity


def _request_hash(data: ReservationCreate) -> str:
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


async def _replay(
    session: AsyncSession, ctx: CommunityCtx, key: str, request_hash: str
) -> Reservation | None:
    existing = await session.scalar(
        sa.select(Reservation).where(
            Reservation.community_id == ctx.community_id,
            Reservation.booked_by_id == ctx.user_id,
            Reservation.idempotency_key == key,
        )
    )
    if existing is not None and existing.request_hash != request_hash:
        raise IdempotencyKeyReused
    return existing


async def create(
    session: AsyncSession,
    settings: Settings,
    ctx: CommunityCtx,
    data: ReservationCreate,
    idempotency_key: str | None,
) -> tuple[Reservation, bool]:
    """Book, or with a reused ``Idempotency-Key`` return the original booking.

    Returns the reservation and whether it was created now. Raises the first violated rule as
    its ``reservation.*`` error, with a suggested free slot where one helps. The database's
    overlap guard (exclusion constraint or trigger) is the last word on conflicts.
    """
    request_hash = _request_hash(data)
    if idempotency_key is not None and (
        found := await _replay(session, ctx, idempotency_key, request_hash)
    ):
        return found, False
    amenity = await _bookable(session, ctx, data.amenity_id, lock=False)
    if amenity.mode is BookingMode.CAPACITY:
        # Shared-capacity amenities sum headcounts in code, so concurrent bookings of one
        # amenity must queue on its row (PostgreSQL); SQLite writers are already serialized.
        await session.refresh(amenity, with_for_update=True)
    party = await _party(session, ctx, data)
    acting_admin = data.on_behalf_of_member_id is not None
    amenity_rules = amenities.to_rules(amenity)
    violation = await _evaluate(
        session, ctx, amenity, amenity_rules, data, party, check_acceptance=not acting_admin
    )
    if violation is not None:
        suggestion = None
        if violation.code in SUGGEST_FOR:
            suggestion = await _suggest(session, ctx, amenity, amenity_rules, data, party)
        raise violation_error(
            violation, {"suggestion": suggestion.model_dump(mode="json") if suggestion else None}
        )
    blocked = rules.blocked_interval(data.starts_at, data.ends_at, amenity_rules)
    now = utcnow()
    needs_approval = amenity.requires_approval and not ctx.is_admin
    reservation = Reservation(
        community_id=ctx.community_id,
        amenity_id=amenity.id,
        household_id=party.household_id,
        booked_by_id=ctx.user_id,
        booked_for_id=party.user_id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        block_starts_at=blocked.starts_at,
        block_ends_at=blocked.ends_at,
        exclusive=amenity.mode is BookingMode.EXCLUSIVE,
        party_starts_at=data.party_starts_at,
        party_ends_at=data.party_ends_at,
        headcount=data.headcount,
        guests=data.guests,
        title=data.title,
        notes=data.notes,
        status=ReservationStatus.PENDING if needs_approval else ReservationStatus.CONFIRMED,
        accepted_rules_version=data.accepted_rules_version or amenity.rules_version or None,
        decided_by_id=None if needs_approval else ctx.user_id,
        decided_at=None if needs_approval else now,
        idempotency_key=idempotency_key,
        request_hash=request_hash if idempotency_key else None,
    )
    session.add(reservation)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        if violated_constraint(exc, (OVERLAP_CONSTRAINT,)):
            raise SlotTaken from exc
        if idempotency_key is not None and (
            found := await _replay(session, ctx, idempotency_key, request_hash)
        ):
            return found, False  # an identical retry won the race
        raise
    except DBAPIError as exc:
        # Two overlapping inserts can each wait on the other's exclusion-constraint check;
        # PostgreSQL then aborts one as a deadlock. That loser lost the slot.
        if getattr(exc.orig, "sqlstate", None) == DEADLOCK_DETECTED:
            raise SlotTaken from exc
        raise
    record(
        session,
        community_id=ctx.community_id,
        actor_id=ctx.user_id,
        action="reservation.requested" if needs_approval else "reservation.created",
        entity_type="reservation",
        entity_id=reservation.id,
        after=snapshot(reservation, AUDITED),
    )
    await notify_reservation(
        session,
        await _community(session, ctx),
        reservation,
        "reservation_requested" if needs_approval else "reservation_confirmed",
    )
    if needs_approval:
        await alert_admins(session, settings, await _community(session, ctx), reservation)
    return reservation, True


async def change(
    session: AsyncSession,
    settings: Settings,
    ctx: CommunityCtx,
    reservation_id: uuid.UUID,
    data: ReservationChange,
) -> Reservation:
    """Move or edit an active booking under the rules of booking it, less itself: residents
    until the amenity's cancellation cutoff (a pending request until it starts), admins any
    time. A resident's new time or headcount on an amenity that needs approval asks for it
    again (and alerts the admins). The database's overlap guard has the last word, as on
    create."""
    reservation = await get_visible(session, ctx, reservation_id, lock=True)
    if reservation.status not in ACTIVE_STATUSES:
        raise NotActive
    amenity = await _bookable(session, ctx, reservation.amenity_id, lock=False)
    if amenity.mode is BookingMode.CAPACITY:
        await session.refresh(amenity, with_for_update=True)  # as on create
    if not ctx.is_admin:
        check_cutoff(reservation, amenity)
    changes = data.model_dump(exclude_unset=True)
    retimed = "starts_at" in changes or "ends_at" in changes
    current = {
        "amenity_id": reservation.amenity_id,
        "starts_at": reservation.starts_at,
        "ends_at": reservation.ends_at,
        "party_starts_at": None if retimed else reservation.party_starts_at,
        "party_ends_at": None if retimed else reservation.party_ends_at,
        "headcount": reservation.headcount,
        "guests": reservation.guests,
        "title": reservation.title,
        "notes": reservation.notes,
        "accepted_rules_version": reservation.accepted_rules_version,
    }
    given = {k: v for k, v in changes.items() if v is not None or k.startswith("party_")}
    try:
        new = ReservationCreate.model_validate({**current, **given})
    except ValidationError as exc:
        raise ValidationFailed.from_errors(exc.errors(include_url=False)) from exc
    amenity_rules = amenities.to_rules(amenity)
    party = Party(reservation.booked_for_id, reservation.household_id)
    violation = await _evaluate(
        session,
        ctx,
        amenity,
        amenity_rules,
        new,
        party,
        check_acceptance=not ctx.is_admin,
        exclude=reservation,
    )
    if violation is not None:
        raise violation_error(violation, {"suggestion": None})
    material = (
        new.starts_at != reservation.starts_at
        or new.ends_at != reservation.ends_at
        or new.party_starts_at != reservation.party_starts_at
        or new.party_ends_at != reservation.party_ends_at
        or new.headcount != reservation.headcount
        or new.guests != reservation.guests
    )
    before = snapshot(reservation, AUDITED)
    blocked = rules.blocked_interval(new.starts_at, new.ends_at, amenity_rules)
    reservation.starts_at, reservation.ends_at = new.starts_at, new.ends_at
    reservation.block_starts_at, reservation.block_ends_at = blocked.starts_at, blocked.ends_at
    reservation.party_starts_at, reservation.party_ends_at = new.party_starts_at, new.party_ends_at
    reservation.headcount, reservation.guests = new.headcount, new.guests
    reservation.title, reservation.notes = new.title, new.notes
    if new.accepted_rules_version is not None:
        reservation.accepted_rules_version = new.accepted_rules_version
    again = (
        material
        and amenity.requires_approval
        and not ctx.is_admin
        and reservation.status is ReservationStatus.CONFIRMED
    )
    if again:
        reservation.status = ReservationStatus.PENDING
        reservation.decided_by_id = reservation.decided_at = reservation.decision_reason = None
    if material:
        reservation.sequence += 1
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        if violated_constraint(exc, (OVERLAP_CONSTRAINT,)):
            raise SlotTaken from exc
        raise
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == DEADLOCK_DETECTED:
            raise SlotTaken from exc
        raise
    _audit_change(session, ctx, reservation, "reservation.changed", before)
    if material:
        await notify_reservation(
            session,
            await _community(session, ctx),
            reservation,
            "reservation_changed",
            changed_by=None if ctx.user_id == reservation.booked_for_id else ctx.user_name,
            pending=again,
        )
    if again:
        await alert_admins(session, settings, await _community(session, ctx), reservation)
    return reservation


async def get_visible(
    session: AsyncSession, ctx: CommunityCtx, reservation_id: uuid.UUID, *, lock: bool = False
) -> Reservation:
    """A reservation of the caller's household, or any of the community's for admins."""
    query = sa.select(Reservation).where(
        Reservation.id == reservation_id, Reservation.community_id == ctx.community_id
    )
    reservation = await session.scalar(query.with_for_update() if lock else query)
    if reservation is None or not (
        ctx.is_admin
        or reservation.booked_for_id == ctx.user_id
        or (reservation.household_id is not None and reservation.household_id == ctx.household_id)
    ):
        raise NotFound("Reservation not found.")
    return reservation


async def list_reservations(
    session: AsyncSession,
    ctx: CommunityCtx,
    *,
    mine: bool,
    amenity_id: uuid.UUID | None,
    status: ReservationStatus | None,
    start: datetime | None,
    end: datetime | None,
    cursor: Cursor | None,
    limit: int,
) -> tuple[list[Reservation], Cursor | None]:
    query = sa.select(Reservation).where(Reservation.community_id == ctx.community_id)
    if mine or not ctx.is_admin:
        own = Reservation.booked_for_id == ctx.user_id
        if ctx.household_id is not None:
            own = own | (Reservation.household_id == ctx.household_id)
        query = query.where(own)
    if amenity_id is not None:
        query = query.where(Reservation.amenity_id == amenity_id)
    if status is not None:
        query = query.where(Reservation.status == status)
    if start is not None:
        query = query.where(Reservation.ends_at > start)
    if end is not None:
        query = query.where(Reservation.starts_at < end)
    rows, next_cursor = await page_query(
        session, query, Reservation.starts_at, Reservation.id, cursor, limit
    )
    return [row[0] for row in rows], next_cursor


def _audit_change(
    session: AsyncSession,
    ctx: CommunityCtx,
    reservation: Reservation,
    action: str,
    before: dict[str, Any],
) -> None:
    record(
        session,
        community_id=ctx.community_id,
        actor_id=ctx.user_id,
        action=action,
        entity_type="reservation",
        entity_id=reservation.id,
        before=before,
        after=snapshot(reservation, AUDITED),
    )


async def cancel(
    session: AsyncSession, ctx: CommunityCtx, reservation_id: uuid.UUID, reason: str
) -> Reservation:
    """Residents cancel their household's bookings until the amenity's cutoff; admins any time."""
    reservation = await get_visible(session, ctx, reservation_id, lock=True)
    if reservation.status not in ACTIVE_STATUSES:
        raise NotActive
    if not ctx.is_admin:
        check_cutoff(reservation, await session.get_one(Amenity, reservation.amenity_id))
    await mark_cancelled(session, ctx, reservation, reason)
    return reservation


def check_cutoff(reservation: Reservation, amenity: Amenity) -> None:
    """Residents change or cancel a confirmed booking until the amenity's cancellation cutoff,
    a pending request until it starts; raises the rule's error after that."""
    confirmed = reservation.status is ReservationStatus.CONFIRMED
    cutoff = amenity.cancellation_cutoff_hours if confirmed else 0
    if violation := rules.check_cancellation(reservation.starts_at, utcnow(), cutoff):
        raise violation_error(violation)


async def mark_cancelled(
    session: AsyncSession, ctx: CommunityCtx, reservation: Reservation, reason: str
) -> None:
    """Cancel an active reservation the caller may cancel: the state change, its audit event
    and the notification to the person it was for, in the current transaction."""
    before = snapshot(reservation, AUDITED)
    reservation.status = ReservationStatus.CANCELLED
    reservation.cancelled_by_id = ctx.user_id
    reservation.cancelled_at = utcnow()
    reservation.cancel_reason = reason or None
    await session.flush()
    _audit_change(session, ctx, reservation, "reservation.cancelled", before)
    await notify_reservation(
        session,
        await _community(session, ctx),
        reservation,
        "reservation_cancelled",
        reason=reservation.cancel_reason,
        cancelled_by=ctx.user_name,
    )


async def approve(
    session: AsyncSession, ctx: CommunityCtx, reservation_id: uuid.UUID, reason: str
) -> Reservation:
    """Confirm a pending request after checking again that nothing now conflicts with it (a
    blackout added since, or a lowered capacity)."""
    reservation = await get_visible(session, ctx, reservation_id, lock=True)
    if reservation.status is not ReservationStatus.PENDING:
        raise NotPending
    amenity = await amenities.get(
        session, ctx.community_id, reservation.amenity_id, lock=not reservation.exclusive
    )
    amenity_rules = amenities.to_rules(amenity)
    blocked = rules.blocked_interval(reservation.starts_at, reservation.ends_at, amenity_rules)
    conflicts = rules.check_conflicts(
        rules.BookingRequest(
            starts_at=reservation.starts_at,
            ends_at=reservation.ends_at,
            headcount=reservation.headcount,
            guests=reservation.guests,
            household_id=reservation.household_id,
            accepted_rules_version=None,
        ),
        amenity_rules,
        _tz(ctx),
        booked=await _booked(
            session, amenity, reservation.starts_at, reservation.ends_at, exclude=reservation.id
        ),
        blackouts=await _blackouts(session, amenity, blocked.starts_at, blocked.ends_at),
    )
    if conflicts is not None:
        raise violation_error(conflicts)
    return await _decide(session, ctx, reservation, ReservationStatus.CONFIRMED, reason)


async def reject(
    session: AsyncSession, ctx: CommunityCtx, reservation_id: uuid.UUID, reason: str
) -> Reservation:
    reservation = await get_visible(session, ctx, reservation_id, lock=True)
    if reservation.status is not ReservationStatus.PENDING:
        raise NotPending
    return await _decide(session, ctx, reservation, ReservationStatus.REJECTED, reason)


async def _decide(
    session: AsyncSession,
    ctx: CommunityCtx,
    reservation: Reservation,
    status: ReservationStatus,
    reason: str,
) -> Reservation:
    before = snapshot(reservation, AUDITED)
    reservation.status = status
    reservation.decided_by_id = ctx.user_id
    reservation.decided_at = utcnow()
    reservation.decision_reason = reason or None
    await session.flush()
    action = (
        "reservation.approved" if status is ReservationStatus.CONFIRMED else "reservation.rejected"
    )
    _audit_change(session, ctx, reservation, action, before)
    kind = (
        "reservation_approved" if status is ReservationStatus.CONFIRMED else "reservation_rejected"
    )
    await notify_reservation(
        session,
        await _community(session, ctx),
        reservation,
        kind,
        reason=reservation.decision_reason,
    )
    return reservation


def calendar_query(
    community_id: uuid.UUID, start: datetime, end: datetime, amenity_id: uuid.UUID | None
) -> AnySelect:
    """Active bookings overlapping [start, end): ``starts_at`` is bounded on both sides so the
    (community_id, starts_at) index serves it whatever the history's length."""
    query = (
        sa.select(
            Reservation.id,
            Reservation.amenity_id,
            Reservation.starts_at,
            Reservation.ends_at,
            Reservation.status,
            Reservation.headcount,
            Reservation.household_id,
            Reservation.booked_for_id,
            Reservation.title,
            User.name,
        )
        .join(User, User.id == Reservation.booked_for_id)
        .where(
            Reservation.community_id == community_id,
            Reservation.starts_at > start - _HISTORY,
            Reservation.starts_at < end,
            Reservation.ends_at > start,
            Reservation.status.in_(HELD_STATUSES),
        )
        .order_by(Reservation.starts_at)
    )
    if amenity_id is not None:
        query = query.where(Reservation.amenity_id == amenity_id)
    return query


async def calendar(
    session: AsyncSession,
    ctx: CommunityCtx,
    start: datetime,
    end: datetime,
    amenity_id: uuid.UUID | None,
) -> dict[str, Any]:
    """Active bookings overlapping [start, end) in one round trip, as plain data shaped like
    ``Calendar``: a hot read, so rows skip ORM loading and per-row model building.

    Residents see others' bookings as anonymous busy blocks unless the community shows names.
    """
    if end <= start or end - start > timedelta(days=MAX_CALENDAR_DAYS):
        raise RangeTooLong
    connection = await session.connection()
    rows = await connection.execute(calendar_query(ctx.community_id, start, end, amenity_id))
    user_id, household = ctx.user_id, ctx.household_id
    names = ctx.is_admin or ctx.show_booker_names
    entries = []
    for id_, amenity, starts_at, ends_at, status, headcount, home, booked_for, title, name in rows:
        mine = booked_for == user_id or (household is not None and home == household)
        shown = mine or names
        entries.append(
            {
                "id": id_,
                "amenity_id": amenity,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "status": status,
                "headcount": headcount,
                "mine": mine,
                "title": title if shown else None,
                "booked_for_name": name if shown else None,
            }
        )
    return {"timezone": ctx.timezone, "start": start, "end": end, "entries": entries}


async def availability(
    session: AsyncSession, ctx: CommunityCtx, amenity_id: uuid.UUID, day: date
) -> list[dict[str, Any]]:
    """The day's slots as plain data shaped like ``SlotRead`` (a hot read)."""
    tz = _tz(ctx)
    # The local day, widened by a day each side: slots may straddle UTC midnight.
    lo = datetime.combine(day - timedelta(days=1), datetime.min.time(), tz)
    hi = datetime.combine(day + timedelta(days=2), datetime.min.time(), tz)
    window = {
        "since": lo - _AVAILABILITY_PAD - _HISTORY,
        "until": hi + _AVAILABILITY_PAD,
        "ends_after": lo - _AVAILABILITY_PAD,
    }
    params = _busy_params(amenity_id, ctx.community_id, (lo, hi), window)
    rows = (await session.execute(_AMENITY_AND_BUSY, params)).all()
    if not rows:
        raise NotFound("Amenity not found.")
    amenity = rows[0][0]
    if amenity.status is AmenityStatus.ARCHIVED:
        raise amenities.Archived
    pad = timedelta(minutes=amenity.buffer_before_minutes + amenity.buffer_after_minutes)
    length = timedelta(minutes=max(amenity.slot_minutes, amenity.min_duration_minutes))
    if pad <= _AVAILABILITY_PAD and length <= timedelta(days=1):
        busy = _sorted_busy(row[1:] for row in rows)
    else:
        # Long buffers, or slots lasting over a day (overnight stays) that end past `hi`.
        until = hi + max(length - timedelta(days=1), timedelta(0))
        busy = await _busy(session, amenity, (lo, until), (lo, until))
    slots = rules.day_slots(
        day,
        amenities.to_rules(amenity),
        tz,
        utcnow(),
        booked=busy.booked,
        blackouts=busy.blackouts,
    )
    return [
        {
            "starts_at": slot.starts_at,
            "ends_at": slot.ends_at,
            "available": slot.available,
            "remaining": slot.remaining,
            "reason": slot.reason,
        }
        for slot in slots
    ]
