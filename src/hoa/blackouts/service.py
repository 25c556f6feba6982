import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.amenities import service as amenities
from hoa.audit.service import record, snapshot
from hoa.blackouts.schemas import BlackoutCreate, BlackoutCreated, BlackoutRead, BlackoutUpdate
from hoa.core.context import CommunityCtx
from hoa.core.errors import AppError, NotFound
from hoa.models import (
    ACTIVE_STATUSES,
    MAX_RESERVATION_DAYS,
    Blackout,
    Reservation,
)
from hoa.reservations import service as reservations
from hoa.reservations.schemas import ReservationRead

FIELDS = ("amenity_id", "starts_at", "ends_at", "reason")


class InvalidPeriod(AppError):
    code, status_code, message = (
        "blackout.invalid_period",
        422,
        "A closure must end after it starts.",
    )


class Conflicts(AppError):
    code, status_code, message = (
        "blackout.conflicts",
        409,
        "Reservations exist in this period; cancel them with the blackout or pick other times.",
    )


async def list_blackouts(
    session: AsyncSession, ctx: CommunityCtx, start: datetime | None, end: datetime | None
) -> list[Blackout]:
    query = sa.select(Blackout).where(Blackout.community_id == ctx.community_id)
    if start is not None:
        query = query.where(Blackout.ends_at > start)
    if end is not None:
        query = query.where(Blackout.starts_at < end)
    return list(await session.scalars(query.order_by(Blackout.starts_at)))


async def _conflicts(
    session: AsyncSession,
    ctx: CommunityCtx,
    amenity_id: uuid.UUID | None,
    starts_at: datetime,
    ends_at: datetime,
    cancel: bool,
) -> list[Reservation]:
    """The active reservations the period overlaps, locked. Raises Conflicts listing them
    unless ``cancel``."""
    query = sa.select(Reservation).where(
        Reservation.community_id == ctx.community_id,
        Reservation.status.in_(ACTIVE_STATUSES),
        Reservation.starts_at > starts_at - timedelta(days=MAX_RESERVATION_DAYS),
        Reservation.starts_at < ends_at,
        Reservation.ends_at > starts_at,
    )
    if amenity_id is not None:
        query = query.where(Reservation.amenity_id == amenity_id)
    conflicts = list(await session.scalars(query.order_by(Reservation.starts_at).with_for_update()))
    if conflicts and not cancel:
        raise Conflicts(
            details={
                "reservations": [
                    ReservationRead.model_validate(r).model_dump(mode="json") for r in conflicts
                ]
            }
        )
    return conflicts


async def create(session: AsyncSession, ctx: CommunityCtx, data: BlackoutCreate) -> BlackoutCreated:
    """Close an amenity (or all) for a period; overlapping active reservations are refused
    unless ``cancel_conflicts``, in which case they are cancelled in the same transaction."""
    if data.amenity_id is not None:
        await amenities.get(session, ctx.community_id, data.amenity_id)
    conflicts = await _conflicts(
        session, ctx, data.amenity_id, data.starts_at, data.ends_at, data.cancel_conflicts
    )
    blackout = Blackout(
        community_id=ctx.community_id,
        amenity_id=data.amenity_id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        reason=data.reason,
        created_by_id=ctx.user_id,
    )
    session.add(blackout)
    await session.flush()
    record(
        session,
        community_id=ctx.community_id,
        actor_id=ctx.user_id,
        action="blackout.created",
        entity_type="blackout",
        entity_id=blackout.id,
        after=snapshot(blackout, FIELDS),
    )
    for reservation in conflicts:
        await reservations.mark_cancelled(session, ctx, reservation, f"Closed: {data.reason}")
    return BlackoutCreated(
        **BlackoutRead.model_validate(blackout).model_dump(),
        cancelled_reservations=[ReservationRead.model_validate(r) for r in conflicts],
    )


async def _get(session: AsyncSession, ctx: CommunityCtx, blackout_id: uuid.UUID) -> Blackout:
    blackout = await session.get(Blackout, blackout_id)
    if blackout is None or blackout.community_id != ctx.community_id:
        raise NotFound("Blackout not found.")
    return blackout


async def update(
    session: AsyncSession, ctx: CommunityCtx, blackout_id: uuid.UUID, data: BlackoutUpdate
) -> BlackoutCreated:
    """Change a closure's times or reason. Its new period is checked like a new closure's:
    reservations it overlaps are refused (Conflicts) or, with ``cancel_conflicts``, cancelled.
    Raises InvalidPeriod when it would end before it starts."""
    blackout = await _get(session, ctx, blackout_id)
    before = snapshot(blackout, FIELDS)
    starts_at = data.starts_at or blackout.starts_at
    ends_at = data.ends_at or blackout.ends_at
    if ends_at <= starts_at:
        raise InvalidPeriod
    conflicts = await _conflicts(
        session, ctx, blackout.amenity_id, starts_at, ends_at, data.cancel_conflicts
    )
    blackout.starts_at, blackout.ends_at = starts_at, ends_at
    blackout.reason = data.reason or blackout.reason
    await session.flush()
    record(
        session,
        community_id=ctx.community_id,
        actor_id=ctx.user_id,
        action="blackout.updated",
        entity_type="blackout",
        entity_id=blackout.id,
        before=before,
        after=snapshot(blackout, FIELDS),
    )
    for reservation in conflicts:
        await reservations.mark_cancelled(session, ctx, reservation, f"Closed: {blackout.reason}")
    return BlackoutCreated(
        **BlackoutRead.model_validate(blackout).model_dump(),
        cancelled_reservations=[ReservationRead.model_validate(r) for r in conflicts],
    )


async def delete(session: AsyncSession, ctx: CommunityCtx, blackout_id: uuid.UUID) -> None:
    blackout = await _get(session, ctx, blackout_id)
    record(
        session,
        community_id=ctx.community_id,
        actor_id=ctx.user_id,
        action="blackout.deleted",
        entity_type="blackout",
        entity_id=blackout.id,
        before=snapshot(blackout, FIELDS),
    )
    await session.delete(blackout)
    await session.flush()
