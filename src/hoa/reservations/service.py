"""Booking and what follows it: check, create, change, cancel, approve, reject. Each use case
is one function that writes the change, its audit event and its notifications in the caller's
transaction; the reads live in ``reservations.reads``."""

import hashlib
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from hoa import rules
from hoa.amenities import service as amenities
from hoa.audit.service import record, snapshot
from hoa.core import metrics
from hoa.core.context import CommunityCtx
from hoa.core.database import lock, utcnow
from hoa.core.errors import Forbidden, NotFound, ValidationFailed
from hoa.core.integrity import flush
from hoa.core.settings import Settings
from hoa.models import (
    ACTIVE_STATUSES,
    Amenity,
    AmenityStatus,
    BookingMode,
    Community,
    Membership,
    MemberStatus,
    Reservation,
    ReservationStatus,
)
from hoa.notifications.kinds import (
    ReservationApproved,
    ReservationCancelled,
    ReservationChanged,
    ReservationConfirmed,
    ReservationRejected,
    ReservationRequested,
)
from hoa.notifications.service import withdraw
from hoa.reservations import reads
from hoa.reservations.errors import (
    IdempotencyKeyReused,
    NoHousehold,
    NotActive,
    NotPending,
    UndoExpired,
    violation_error,
)
from hoa.reservations.notices import alert_admins, calendar_download, notify_reservation
from hoa.reservations.schemas import (
    CheckResult,
    ReservationChange,
    ReservationCreate,
    SlotRead,
    ViolationRead,
)

AUDITED = (
    "status",
    "starts_at",
    "ends_at",
    "party_starts_at",
    "party_ends_at",
    "headcount",
    "guests",
    "title",
    "notes",
    "amenity_id",
    "household_id",
    "decision_reason",
    "cancel_reason",
)
SUGGEST_DAYS = 14
DECIDED = (ReservationStatus.CONFIRMED, ReservationStatus.REJECTED)


@dataclass(frozen=True, slots=True)
class BookedFor:
    """Who a booking is for: the user and their household."""

    user_id: uuid.UUID
    household_id: uuid.UUID | None


async def _community(session: AsyncSession, ctx: CommunityCtx) -> Community:
    """The caller's community, from the session (loaded with the caller's membership)."""
    return await session.get_one(Community, ctx.community_id)


def _request(data: ReservationCreate, booked_for: BookedFor) -> rules.BookingRequest:
    return rules.BookingRequest(
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        headcount=data.headcount,
        guests=data.guests,
        household_id=booked_for.household_id,
        accepted_rules_version=data.accepted_rules_version,
    )


async def _evaluate(
    session: AsyncSession,
    ctx: CommunityCtx,
    amenity: Amenity,
    amenity_rules: rules.AmenityRules,
    data: ReservationCreate,
    booked_for: BookedFor,
    *,
    check_acceptance: bool,
    exclude: Reservation | None = None,
) -> rules.Violation | None:
    """The first rule ``data`` breaks, judged against the amenity's bookings and closures (less
    ``exclude``, the booking being changed), or None."""
    tz, now = ZoneInfo(ctx.timezone), utcnow()
    blocked = rules.blocked_interval(data.starts_at, data.ends_at, amenity_rules)
    # Quotas count by the local day/week/month of the start; a week can begin in the previous
    # month, so look back a little further than the month's first day.
    local_start = data.starts_at.astimezone(tz)
    month_start = local_start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    since = min(now, month_start - timedelta(days=7))
    busy = await reads.load_busy(
        session,
        amenity,
        (data.starts_at, data.ends_at),
        (blocked.starts_at, blocked.ends_at),
        reads.quota_household(amenity_rules, booked_for.household_id, since),
        exclude=None if exclude is None else exclude.id,
    )
    return rules.check_booking(
        _request(data, booked_for),
        amenity_rules,
        tz,
        now,
        booked=busy.booked,
        household_booked=busy.household_booked,
        blackouts=busy.blackouts,
        check_acceptance=check_acceptance,
        locale=ctx.locale,
    )


async def _suggestion(
    session: AsyncSession,
    ctx: CommunityCtx,
    amenity: Amenity,
    amenity_rules: rules.AmenityRules,
    data: ReservationCreate,
    booked_for: BookedFor,
    violation: rules.Violation,
) -> SlotRead | None:
    """The nearest free slot, for refusals where one is a useful answer. Advice, not a
    decision: the refused request has written nothing, so its transaction ends first and lets
    go of the amenity's row, and a storm's losers no longer take turns holding it while each
    looks for a slot (on PostgreSQL; a SQLite writer's next read takes the write lock again)."""
    if not rules.RULES[violation.code].suggest:
        return None
    session.expunge(amenity)  # kept as read: ending the transaction would expire it
    await session.rollback()
    span = timedelta(days=SUGGEST_DAYS + 1)
    lo, hi = data.starts_at - span, data.ends_at + span
    busy = await reads.load_busy(session, amenity, (lo, hi), (lo, hi))
    slot = rules.nearest_free_slot(
        _request(data, booked_for),
        amenity_rules,
        ZoneInfo(ctx.timezone),
        utcnow(),
        booked=busy.booked,
        blackouts=busy.blackouts,
        search_days=SUGGEST_DAYS,
    )
    return SlotRead.model_validate(slot) if slot else None


async def _refuse_if_broken(
    session: AsyncSession,
    ctx: CommunityCtx,
    amenity: Amenity,
    data: ReservationCreate,
    booked_for: BookedFor,
    *,
    check_acceptance: bool,
    suggest: bool,
    exclude: Reservation | None = None,
    ignore_notice: bool = False,
) -> rules.AmenityRules:
    """The step create and change share: judge ``data`` under the amenity's rules and raise the
    first broken rule's error (with the nearest free slot when ``suggest`` and it helps).
    Returns the rules it judged by.

    The caller holds the amenity's row (``_locked_for_booking``), so quota counts cannot
    interleave with another booking's write; only ``_refuse_if_taken`` calls it without, as it
    can only refuse there. ``ignore_notice``: the office may move a booking closer than the
    amenity's minimum notice (the overlap and capacity checks stay)."""
    amenity_rules = amenities.to_rules(amenity)
    if ignore_notice:
        amenity_rules = replace(amenity_rules, min_notice_minutes=0)
    violation = await _evaluate(
        session,
        ctx,
        amenity,
        amenity_rules,
        data,
        booked_for,
        check_acceptance=check_acceptance,
        exclude=exclude,
    )
    if violation is None:
        return amenity_rules
    suggestion = None
    if suggest:
        suggestion = await _suggestion(
            session, ctx, amenity, amenity_rules, data, booked_for, violation
        )
    raise violation_error(
        violation, {"suggestion": suggestion.model_dump(mode="json") if suggestion else None}
    )


async def _refuse_if_taken(
    session: AsyncSession,
    ctx: CommunityCtx,
    amenity: Amenity,
    data: ReservationCreate,
    booked_for: BookedFor,
    *,
    check_acceptance: bool,
) -> None:
    """The fast refusal of a taken exclusive slot, before the amenity's row is locked: when one
    unlocked statement finds the time taken, judge every rule as the locked path would (same
    error, same suggestion) and raise. A storm's losers answer 409 at once instead of queueing
    one by one on the row, each holding a pooled connection, until the pool times out.

    A refusal read from committed rows is sound without the lock; a pass is not, so when nothing
    refuses (the booking was cancelled meanwhile) the caller goes on to the locked path, which
    with the overlap guard stays the authority. Shared capacity gets no such probe: whether it
    is full is a peak of summed headcounts, which one cheap statement cannot tell."""
    if amenity.mode is not BookingMode.EXCLUSIVE:
        return
    if await reads.taken(session, amenity, data.starts_at, data.ends_at):
        await _refuse_if_broken(
            session, ctx, amenity, data, booked_for, check_acceptance=check_acceptance, suggest=True
        )


async def _booked_for(
    session: AsyncSession, ctx: CommunityCtx, data: ReservationCreate
) -> BookedFor:
    if data.on_behalf_of_member_id is None:
        if ctx.as_operator:
            raise Forbidden("Platform operators book on behalf of a member.")
        if ctx.household_id is None and not ctx.is_admin:
            raise NoHousehold
        return BookedFor(ctx.user_id, ctx.household_id)
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
    return BookedFor(member.user_id, member.household_id)


async def check(session: AsyncSession, ctx: CommunityCtx, data: ReservationCreate) -> CheckResult:
    """The "can I book this?" dry run: the first rule that refuses it, and a nearby free slot."""
    amenity = await _bookable(session, ctx, data.amenity_id)
    booked_for = await _booked_for(session, ctx, data)
    amenity_rules = amenities.to_rules(amenity)
    violation = await _evaluate(
        session, ctx, amenity, amenity_rules, data, booked_for, check_acceptance=False
    )
    if violation is None:
        return CheckResult(allowed=True, violation=None, suggestion=None)
    suggestion = await _suggestion(
        session, ctx, amenity, amenity_rules, data, booked_for, violation
    )
    return CheckResult(
        allowed=False, violation=ViolationRead.model_validate(violation), suggestion=suggestion
    )


async def _bookable(
    session: AsyncSession, ctx: CommunityCtx, amenity_id: uuid.UUID, *, lock: bool = False
) -> Amenity:
    amenity = await amenities.get(session, ctx.community_id, amenity_id, lock=lock)
    if amenity.status is AmenityStatus.ARCHIVED:
        raise amenities.Archived
    return amenity


async def _locked_for_booking(
    session: AsyncSession, ctx: CommunityCtx, amenity_id: uuid.UUID
) -> Amenity:
    """The bookable amenity, its row held until the transaction ends (PostgreSQL; SQLite
    writers are serialized anyway). Bookings of one amenity queue here (those of a slot found
    taken are refused before, by ``_refuse_if_taken``): shared capacity and household quotas
    are sums counted in code, and concurrent inserts of one exclusive slot would wait on each
    other's overlap check until PostgreSQL aborts them as deadlocks, a second each. The
    overlap guard stays the last word."""
    return await _bookable(session, ctx, amenity_id, lock=True)


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
    overlap guard (exclusion constraint or trigger) is the last word on conflicts. A request
    that needs approval alerts the admins who want each one at once.
    """
    request_hash = _request_hash(data)
    if idempotency_key is not None:
        # Retries with one key queue here: the first books, each later one finds its booking.
        await lock(session, "idempotency", ctx.community_id, ctx.user_id, idempotency_key)
        if found := await _replay(session, ctx, idempotency_key, request_hash):
            return found, False
    check_acceptance = data.on_behalf_of_member_id is None
    amenity = await _bookable(session, ctx, data.amenity_id)
    booked_for = await _booked_for(session, ctx, data)
    await _refuse_if_taken(
        session, ctx, amenity, data, booked_for, check_acceptance=check_acceptance
    )
    amenity = await _locked_for_booking(session, ctx, data.amenity_id)
    amenity_rules = await _refuse_if_broken(
        session,
        ctx,
        amenity,
        data,
        booked_for,
        check_acceptance=check_acceptance,
        suggest=True,
    )
    needs_approval = amenity.requires_approval and not ctx.is_admin
    reservation = _new_reservation(ctx, amenity, amenity_rules, data, booked_for, needs_approval)
    if idempotency_key is not None:
        reservation.idempotency_key, reservation.request_hash = idempotency_key, request_hash
    session.add(reservation)
    await flush(session)
    record(
        session,
        community_id=ctx.community_id,
        actor_id=ctx.user_id,
        action="reservation.requested" if needs_approval else "reservation.created",
        entity_type="reservation",
        entity_id=reservation.id,
        after=snapshot(reservation, AUDITED),
    )
    community = await _community(session, ctx)
    kind = ReservationRequested if needs_approval else ReservationConfirmed
    await notify_reservation(
        session, community, reservation, kind, by_office=_by_office(ctx, reservation)
    )
    if needs_approval:
        await alert_admins(session, settings, community, reservation)
    metrics.RESERVATIONS.labels("create", reservation.status.value).inc()
    return reservation, True


def _by_office(ctx: CommunityCtx, reservation: Reservation) -> bool:
    """Whether an admin acts on someone else's booking, as the community office: the emails
    about it say so and are "changes by the office" in that person's preferences, and a
    change is held to neither the resident's cutoff nor the minimum notice."""
    return ctx.is_admin and ctx.user_id != reservation.booked_for_id


def _new_reservation(
    ctx: CommunityCtx,
    amenity: Amenity,
    amenity_rules: rules.AmenityRules,
    data: ReservationCreate,
    booked_for: BookedFor,
    needs_approval: bool,
) -> Reservation:
    blocked = rules.blocked_interval(data.starts_at, data.ends_at, amenity_rules)
    return Reservation(
        community_id=ctx.community_id,
        amenity_id=amenity.id,
        household_id=booked_for.household_id,
        booked_by_id=ctx.user_id,
        booked_for_id=booked_for.user_id,
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
        decided_at=None if needs_approval else utcnow(),
    )


async def change(
    session: AsyncSession,
    settings: Settings,
    ctx: CommunityCtx,
    reservation_id: uuid.UUID,
    data: ReservationChange,
) -> Reservation:
    """Move or edit an active booking under the rules of booking it, less itself: residents
    until ``reads.cancellable_until``, admins any time. A resident's new time or headcount on
    an amenity that needs approval asks for it again (and alerts the admins). The
    database's overlap guard has the last word, as on create."""
    reservation = await reads.get_visible(session, ctx, reservation_id, lock=True)
    if reservation.status not in ACTIVE_STATUSES:
        raise NotActive
    amenity = await _locked_for_booking(session, ctx, reservation.amenity_id)
    if not ctx.is_admin:
        check_cutoff(reservation, amenity, ctx)
    office = _by_office(ctx, reservation)
    planned = _planned(reservation, data)
    amenity_rules = await _refuse_if_broken(
        session,
        ctx,
        amenity,
        planned,
        BookedFor(reservation.booked_for_id, reservation.household_id),
        check_acceptance=not ctx.is_admin,
        suggest=False,
        exclude=reservation,
        ignore_notice=office,
    )
    material = _material(reservation, planned)
    back_to_pending = (
        _reviewed(reservation, planned)
        and amenity.requires_approval
        and not ctx.is_admin
        and reservation.status is ReservationStatus.CONFIRMED
    )
    before = snapshot(reservation, AUDITED)
    if material:
        await _supersede_decision_email(session, reservation)
    _apply(reservation, planned, amenity_rules, material=material, back_to_pending=back_to_pending)
    await flush(session)
    _audit_change(session, ctx, reservation, "reservation.changed", before)
    if material:
        community = await _community(session, ctx)
        changed_by = None if ctx.user_id == reservation.booked_for_id else ctx.user_name
        await notify_reservation(
            session,
            community,
            reservation,
            ReservationChanged,
            changed_by=changed_by,
            by_office=office,
            pending=back_to_pending,
        )
        if back_to_pending:
            await alert_admins(session, settings, community, reservation)
    return reservation


def _planned(reservation: Reservation, data: ReservationChange) -> ReservationCreate:
    """The booking as the change would make it, validated as a new booking would be. Changing
    the time drops the party times unless they are given again."""
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
        return ReservationCreate.model_validate({**current, **given})
    except ValidationError as exc:
        raise ValidationFailed.from_errors(exc.errors(include_url=False)) from exc


def _material(reservation: Reservation, planned: ReservationCreate) -> bool:
    """Whether the change moves the booking or changes who comes: what calendars and approval
    care about (a new title or note is not)."""
    return (
        planned.starts_at != reservation.starts_at
        or planned.ends_at != reservation.ends_at
        or planned.party_starts_at != reservation.party_starts_at
        or planned.party_ends_at != reservation.party_ends_at
        or planned.headcount != reservation.headcount
        or planned.guests != reservation.guests
    )


def _reviewed(reservation: Reservation, planned: ReservationCreate) -> bool:
    """Whether the board decides on the change again: a new time or headcount (party times,
    guests and notes stay within what it approved)."""
    return (
        planned.starts_at != reservation.starts_at
        or planned.ends_at != reservation.ends_at
        or planned.headcount != reservation.headcount
    )


def _apply(
    reservation: Reservation,
    planned: ReservationCreate,
    amenity_rules: rules.AmenityRules,
    *,
    material: bool,
    back_to_pending: bool,
) -> None:
    blocked = rules.blocked_interval(planned.starts_at, planned.ends_at, amenity_rules)
    reservation.starts_at, reservation.ends_at = planned.starts_at, planned.ends_at
    reservation.block_starts_at, reservation.block_ends_at = blocked.starts_at, blocked.ends_at
    reservation.party_starts_at = planned.party_starts_at
    reservation.party_ends_at = planned.party_ends_at
    reservation.headcount, reservation.guests = planned.headcount, planned.guests
    reservation.title, reservation.notes = planned.title, planned.notes
    if planned.accepted_rules_version is not None:
        reservation.accepted_rules_version = planned.accepted_rules_version
    if back_to_pending:
        reservation.status = ReservationStatus.PENDING
        reservation.decided_by_id = reservation.decided_at = reservation.decision_reason = None
    if material:
        reservation.sequence += 1


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
    """Residents cancel their household's bookings until ``reads.cancellable_until``; admins
    any time."""
    reservation = await reads.get_visible(session, ctx, reservation_id, lock=True)
    if reservation.status not in ACTIVE_STATUSES:
        raise NotActive
    if not ctx.is_admin:
        amenity = await session.get_one(Amenity, reservation.amenity_id)
        check_cutoff(reservation, amenity, ctx)
    await mark_cancelled(session, ctx, reservation, reason)
    return reservation


def check_cutoff(reservation: Reservation, amenity: Amenity, ctx: CommunityCtx) -> None:
    """Raise the rule's error unless the booking's resident may still change or cancel it
    (``reads.cancellable_until``)."""
    deadline = reads.cancellable_until(reservation, amenity)
    if deadline is None:
        raise NotActive
    if violation := rules.check_cancellation(
        reservation.starts_at, utcnow(), deadline, ZoneInfo(ctx.timezone), ctx.locale
    ):
        raise violation_error(violation)


async def mark_cancelled(
    session: AsyncSession, ctx: CommunityCtx, reservation: Reservation, reason: str
) -> None:
    """Cancel an active reservation the caller may cancel: the state change, its audit event
    and the notification to the person it was for, in the current transaction."""
    await _supersede_decision_email(session, reservation)
    before = snapshot(reservation, AUDITED)
    reservation.status = ReservationStatus.CANCELLED
    reservation.cancelled_by_id = ctx.user_id
    reservation.cancelled_at = utcnow()
    reservation.cancel_reason = reason or None
    await session.flush()
    metrics.RESERVATIONS.labels("cancel", "cancelled").inc()
    _audit_change(session, ctx, reservation, "reservation.cancelled", before)
    await notify_reservation(
        session,
        await _community(session, ctx),
        reservation,
        ReservationCancelled,
        reason=reservation.cancel_reason,
        cancelled_by=ctx.user_name,
        by_office=_by_office(ctx, reservation),
    )


async def calendar(
    session: AsyncSession, settings: Settings, ctx: CommunityCtx, reservation_id: uuid.UUID
) -> bytes:
    """A visible booking's calendar file to import. Raises NotFound."""
    reservation = await reads.get_visible(session, ctx, reservation_id)
    amenity = await session.get_one(Amenity, reservation.amenity_id)
    return calendar_download(settings, await _community(session, ctx), amenity, reservation)


async def approve(
    session: AsyncSession,
    settings: Settings,
    ctx: CommunityCtx,
    reservation_id: uuid.UUID,
    reason: str,
) -> Reservation:
    """Confirm a pending request after checking again that nothing now conflicts with it (a
    blackout added since, or a lowered capacity). ``reason`` is the note in the email."""
    reservation = await reads.get_visible(session, ctx, reservation_id, lock=True)
    if reservation.status is not ReservationStatus.PENDING:
        raise NotPending
    await _refuse_conflicts(session, ctx, reservation)
    return await _decide(session, settings, ctx, reservation, ReservationStatus.CONFIRMED, reason)


async def _refuse_conflicts(
    session: AsyncSession, ctx: CommunityCtx, reservation: Reservation
) -> None:
    """Raise the first conflict (taken, full, closed) the reservation's time has now."""
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
        ZoneInfo(ctx.timezone),
        booked=await reads.booked(
            session, amenity, reservation.starts_at, reservation.ends_at, exclude=reservation.id
        ),
        blackouts=await reads.blackouts(session, amenity, blocked.starts_at, blocked.ends_at),
        locale=ctx.locale,
    )
    if conflicts is not None:
        raise violation_error(conflicts)


async def reject(
    session: AsyncSession,
    settings: Settings,
    ctx: CommunityCtx,
    reservation_id: uuid.UUID,
    reason: str,
) -> Reservation:
    reservation = await reads.get_visible(session, ctx, reservation_id, lock=True)
    if reservation.status is not ReservationStatus.PENDING:
        raise NotPending
    return await _decide(session, settings, ctx, reservation, ReservationStatus.REJECTED, reason)


def undo_until(settings: Settings, reservation: Reservation) -> datetime | None:
    """Until when the reservation's approval or decline may be undone; None when it cannot
    (not decided, or changed since the decision)."""
    if (
        reservation.status not in DECIDED
        or reservation.decided_at is None
        or reservation.updated_at != reservation.decided_at
    ):
        return None
    return reservation.decided_at + timedelta(minutes=settings.decision_undo_minutes)


async def undo_decision(
    session: AsyncSession, settings: Settings, ctx: CommunityCtx, reservation_id: uuid.UUID
) -> Reservation:
    """Take back an approval or a decline within the undo window: the request is pending again
    and the decision's email, held back until the window ends, is never sent. An approved
    request kept its time all along; a declined one is checked again against what was booked or
    closed since. Raises NotFound, UndoExpired, or the conflict."""
    reservation = await reads.get_visible(session, ctx, reservation_id, lock=True)
    decided_at, until = reservation.decided_at, undo_until(settings, reservation)
    if decided_at is None or until is None or utcnow() >= until:
        raise UndoExpired
    if reservation.status is ReservationStatus.REJECTED:
        await _refuse_conflicts(session, ctx, reservation)
    if not await withdraw(
        session,
        entity_id=reservation.id,
        kinds=[ReservationApproved.kind, ReservationRejected.kind],
        since=decided_at,
    ):
        raise UndoExpired  # the email is on its way: the decision stands
    before = snapshot(reservation, AUDITED)
    reservation.status = ReservationStatus.PENDING
    reservation.decided_by_id = reservation.decided_at = reservation.decision_reason = None
    await flush(session)
    _audit_change(session, ctx, reservation, "reservation.decision_undone", before)
    return reservation


async def _supersede_decision_email(session: AsyncSession, reservation: Reservation) -> None:
    """Drop the approval's email still held back: the email about what happened since tells
    the newer state, and an "approved" arriving after it would contradict it."""
    if reservation.decided_at is not None:
        await withdraw(
            session,
            entity_id=reservation.id,
            kinds=[ReservationApproved.kind],
            since=reservation.decided_at,
        )


async def _decide(
    session: AsyncSession,
    settings: Settings,
    ctx: CommunityCtx,
    reservation: Reservation,
    status: ReservationStatus,
    reason: str,
) -> Reservation:
    before = snapshot(reservation, AUDITED)
    reservation.status = status
    reservation.decided_by_id = ctx.user_id
    # The same instant in both: a later change of the booking ends the undo window.
    reservation.decided_at = reservation.updated_at = now = utcnow()
    reservation.decision_reason = reason or None
    await session.flush()
    approved = status is ReservationStatus.CONFIRMED
    action = "reservation.approved" if approved else "reservation.rejected"
    metrics.RESERVATIONS.labels("approve" if approved else "reject", status.value).inc()
    _audit_change(session, ctx, reservation, action, before)
    kind = ReservationApproved if approved else ReservationRejected
    await notify_reservation(
        session,
        await _community(session, ctx),
        reservation,
        kind,
        not_before=now + timedelta(minutes=settings.decision_undo_minutes),
        reason=reservation.decision_reason,
    )
    return reservation
