"""The approval queue: pending requests with what an admin weighs before deciding, loaded in a
fixed number of queries whatever the queue's length."""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.context import CommunityCtx
from hoa.core.database import utcnow
from hoa.models import (
    ACTIVE_STATUSES,
    MAX_RESERVATION_DAYS,
    Blackout,
    Reservation,
    ReservationStatus,
)
from hoa.reservations import reads
from hoa.reservations.schemas import CalendarClosure, QueueBooking, QueuedRequest, ReservationRead

QUEUE_LIMIT = 200


def local_month(at: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local calendar month holding ``at``, as UTC instants [start, end)."""
    first = at.astimezone(tz).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return first, (first + timedelta(days=32)).replace(day=1)


async def approval_queue(session: AsyncSession, ctx: CommunityCtx) -> list[QueuedRequest]:
    """Pending requests not yet over, soonest first (at most QUEUE_LIMIT), each with the other
    pending requests whose time overlaps it (buffers included), the closures overlapping it, and
    its household's other active bookings in the same local month."""
    pending = list(
        await session.scalars(
            sa.select(Reservation)
            .where(
                Reservation.community_id == ctx.community_id,
                Reservation.status == ReservationStatus.PENDING,
                Reservation.ends_at > utcnow(),
            )
            .order_by(Reservation.starts_at, Reservation.id)
            .limit(QUEUE_LIMIT)
        )
    )
    if not pending:
        return []
    tz = ZoneInfo(ctx.timezone)
    since = min(r.block_starts_at for r in pending)
    until = max(r.block_ends_at for r in pending)
    months = {r.id: local_month(r.starts_at, tz) for r in pending}
    others = await session.scalars(
        sa.select(Reservation).where(
            Reservation.community_id == ctx.community_id,
            Reservation.status == ReservationStatus.PENDING,
            Reservation.amenity_id.in_({r.amenity_id for r in pending}),
            Reservation.starts_at >= since - timedelta(days=MAX_RESERVATION_DAYS),
            Reservation.starts_at < until,
            Reservation.block_ends_at > since,
        )
    )
    closures = await session.scalars(
        sa.select(Blackout).where(
            Blackout.community_id == ctx.community_id,
            Blackout.starts_at < until,
            Blackout.ends_at > since,
        )
    )
    household = await session.scalars(
        sa.select(Reservation)
        .where(
            Reservation.community_id == ctx.community_id,
            Reservation.household_id.in_({r.household_id for r in pending if r.household_id}),
            Reservation.status.in_(ACTIVE_STATUSES),
            Reservation.starts_at >= min(start for start, _ in months.values()),
            Reservation.starts_at < max(end for _, end in months.values()),
        )
        .order_by(Reservation.starts_at, Reservation.id)
    )
    return _assemble(
        pending,
        await reads.present(session, pending),
        list(others),
        list(closures),
        list(household),
        months,
    )


def _assemble(
    pending: Sequence[Reservation],
    presented: Sequence[ReservationRead],
    others: Sequence[Reservation],
    closures: Sequence[Blackout],
    household: Sequence[Reservation],
    months: dict[uuid.UUID, tuple[datetime, datetime]],
) -> list[QueuedRequest]:
    def overlaps(r: Reservation, starts_at: datetime, ends_at: datetime) -> bool:
        return starts_at < r.block_ends_at and r.block_starts_at < ends_at

    queued = []
    for r, shown in zip(pending, presented, strict=True):
        start, end = months[r.id]
        queued.append(
            QueuedRequest(
                reservation=shown,
                overlapping_requests=[
                    QueueBooking.model_validate(o)
                    for o in others
                    if o.id != r.id
                    and o.amenity_id == r.amenity_id
                    and overlaps(r, o.block_starts_at, o.block_ends_at)
                ],
                closures=[
                    CalendarClosure.model_validate(c)
                    for c in closures
                    if c.amenity_id in (None, r.amenity_id) and overlaps(r, c.starts_at, c.ends_at)
                ],
                household_month=[
                    QueueBooking.model_validate(h)
                    for h in household
                    if h.id != r.id
                    and r.household_id is not None
                    and h.household_id == r.household_id
                    and start <= h.starts_at < end
                ],
            )
        )
    return queued
