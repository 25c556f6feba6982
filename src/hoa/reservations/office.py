"""The community office's console: every booking of the community, filtered and paged or
exported as CSV, and one booking's history (its audit trail and its emails)."""

import csv
import io
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.audit import wording
from hoa.core.context import CommunityCtx
from hoa.core.errors import AppError
from hoa.core.pagination import AnySelect
from hoa.core.spreadsheet import cell
from hoa.models import (
    Amenity,
    AuditEvent,
    Household,
    Membership,
    Notification,
    Reservation,
    ReservationStatus,
    User,
)
from hoa.reservations import reads
from hoa.reservations.schemas import (
    BookingHistory,
    HistoryEmail,
    HistoryEvent,
    OfficeBooking,
    OfficeBookingPage,
)
from hoa.rules.wording import Wording

EXPORT_BATCH = 1000
OFFICE = "Community office"


class InvalidRange(AppError):
    code, status_code, message = (
        "reservation.invalid_range",
        422,
        "The range's end must be after its start.",
    )


@dataclass(frozen=True, slots=True)
class Filters:
    """What the console shows: bookings of one amenity, matching a search of the resident's
    name or email or the household's label, overlapping [start, end), in these statuses."""

    amenity_id: uuid.UUID | None = None
    q: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: Sequence[ReservationStatus] = ()
    descending: bool = False

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise InvalidRange


_COLUMNS = (
    Reservation.id,
    Reservation.amenity_id,
    Amenity.name.label("amenity_name"),
    Reservation.household_id,
    Household.label.label("household_label"),
    Reservation.booked_for_id,
    User.name.label("booked_for_name"),
    User.email.label("booked_for_email"),
    Reservation.starts_at,
    Reservation.ends_at,
    Reservation.party_starts_at,
    Reservation.party_ends_at,
    Reservation.headcount,
    Reservation.guests,
    Reservation.title,
    Reservation.status,
    Reservation.cancel_reason,
    Reservation.created_at,
)


def _filtered(community_id: uuid.UUID, f: Filters, *columns: Any) -> AnySelect:
    """The community's bookings matching ``f``, joined to what the console shows."""
    query = (
        sa.select(*columns)
        .select_from(Reservation)
        .join(Amenity, Amenity.id == Reservation.amenity_id)
        .join(User, User.id == Reservation.booked_for_id)
        .outerjoin(Household, Household.id == Reservation.household_id)
        .where(Reservation.community_id == community_id)
    )
    if f.amenity_id is not None:
        query = query.where(Reservation.amenity_id == f.amenity_id)
    if f.q:
        term = f.q.strip().lower()
        # autoescape: a % or _ typed by the admin is searched for, not a wildcard
        query = query.where(
            sa.or_(
                sa.func.lower(User.name).contains(term, autoescape=True),
                sa.func.lower(User.email).contains(term, autoescape=True),
                sa.func.lower(Household.label).contains(term, autoescape=True),
            )
        )
    if f.start is not None:
        query = query.where(Reservation.ends_at > f.start)
    if f.end is not None:
        query = query.where(Reservation.starts_at < f.end)
    if f.statuses:
        query = query.where(Reservation.status.in_(f.statuses))
    return query


def _order(f: Filters) -> tuple[Any, Any]:
    if f.descending:
        return Reservation.starts_at.desc(), Reservation.id.desc()
    return Reservation.starts_at.asc(), Reservation.id.asc()


async def list_bookings(
    session: AsyncSession, ctx: CommunityCtx, f: Filters, *, offset: int, limit: int
) -> OfficeBookingPage:
    """One page of the matching bookings by start time (one statement) and their total."""
    page = _filtered(ctx.community_id, f, *_COLUMNS).order_by(*_order(f))
    rows = await session.execute(page.offset(offset).limit(limit))
    total = await session.scalar(_filtered(ctx.community_id, f, sa.func.count()))
    return OfficeBookingPage(
        items=[OfficeBooking.model_validate(row._mapping) for row in rows],
        total=total or 0,
        offset=offset,
        limit=limit,
    )


async def export_csv(
    sessions: Callable[[], AsyncSession], ctx: CommunityCtx, f: Filters
) -> AsyncIterator[str]:
    """The matching bookings as CSV, in batches of EXPORT_BATCH read by keyset (start, id)
    each in a short read of its own: memory stays constant however many rows match, and no
    transaction stays open while the client downloads. Times in the community's zone."""
    tz = ZoneInfo(ctx.timezone)

    def local(moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "booking_id",
            "amenity",
            f"starts ({ctx.timezone})",
            f"ends ({ctx.timezone})",
            "party_starts",
            "party_ends",
            "status",
            "household",
            "booked_for",
            "email",
            "headcount",
            "guests",
            "title",
            "cancel_reason",
            "booked_at",
        ]
    )
    query = _filtered(ctx.community_id, f, *_COLUMNS).order_by(*_order(f)).limit(EXPORT_BATCH)
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        batch = query
        if after is not None:
            at, last = after
            key, id_ = Reservation.starts_at, Reservation.id
            batch = query.where(
                (key < at) | ((key == at) & (id_ < last))
                if f.descending
                else (key > at) | ((key == at) & (id_ > last))
            )
        async with sessions() as session:
            rows = (await session.execute(batch)).all()
        for r in rows:
            writer.writerow(
                cell(v)
                for v in (
                    r.id,
                    r.amenity_name,
                    local(r.starts_at),
                    local(r.ends_at),
                    local(r.party_starts_at),
                    local(r.party_ends_at),
                    r.status.value,
                    r.household_label,
                    r.booked_for_name,
                    r.booked_for_email,
                    r.headcount,
                    r.guests,
                    r.title,
                    r.cancel_reason,
                    local(r.created_at),
                )
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < EXPORT_BATCH:
            return
        after = (rows[-1].starts_at, rows[-1].id)


async def history(
    session: AsyncSession, ctx: CommunityCtx, reservation_id: uuid.UUID
) -> BookingHistory:
    """A visible booking's audit trail and emails, oldest first. Residents see who of their
    household did what, 'Community office' for anyone else, and only the emails sent to
    their household. Raises NotFound."""
    reservation = await reads.get_visible(session, ctx, reservation_id)
    household = reservation.household_id
    events = await session.execute(
        sa.select(AuditEvent, User.name, Membership.household_id)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(
            Membership,
            (Membership.user_id == AuditEvent.actor_id)
            & (Membership.community_id == ctx.community_id),
        )
        .where(
            AuditEvent.community_id == ctx.community_id,
            AuditEvent.entity_type == "reservation",
            AuditEvent.entity_id == reservation.id,
        )
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    w = Wording(ZoneInfo(ctx.timezone), ctx.locale)
    out = []
    for event, name, actor_household in events:
        own = event.actor_id == reservation.booked_for_id or (
            household is not None and actor_household == household
        )
        out.append(
            HistoryEvent(
                at=event.created_at,
                action=event.action,
                summary=wording.summary(event.action),
                actor=name if ctx.is_admin or own or name is None else OFFICE,
                by_office=event.actor_id is not None and not own,
                changes=wording.booking_changes(w, event.before or {}, event.after or {}),
            )
        )
    emails = sa.select(Notification).where(
        Notification.community_id == ctx.community_id,
        Notification.entity_type == "reservation",
        Notification.entity_id == reservation.id,
    )
    if not ctx.is_admin:
        household_users = sa.select(Membership.user_id).where(
            Membership.community_id == ctx.community_id, Membership.household_id == household
        )
        emails = emails.where(
            (Notification.recipient_id == reservation.booked_for_id)
            | Notification.recipient_id.in_(household_users)
        )
    found = await session.scalars(emails.order_by(Notification.created_at, Notification.id))
    return BookingHistory(
        events=out,
        emails=[
            HistoryEmail(
                kind=n.kind,
                status=n.status,
                recipient=n.recipient_email if ctx.is_admin else None,
                created_at=n.created_at,
                sent_at=n.sent_at,
            )
            for n in found
        ],
    )
