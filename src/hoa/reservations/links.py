"""One-click cancel links in reminder emails.

The link opens a page that shows the booking and asks for a click: cancelling on a plain GET
would let mail scanners that prefetch links cancel bookings. The token is signed, expires at
the amenity's cancellation cutoff and names the start time it was issued for, so it stops
working once the booking is cancelled or moved.
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.context import CommunityCtx
from hoa.core.database import keep_loaded
from hoa.core.errors import AppError, CommunitySuspended
from hoa.core.links import Page, link
from hoa.core.schemas import Input, Output
from hoa.core.settings import Settings
from hoa.core.tokens import sign, unsign
from hoa.models import (
    ACTIVE_STATUSES,
    Amenity,
    Community,
    Membership,
    MemberStatus,
    Reservation,
    ReservationStatus,
    User,
    member_context,
)
from hoa.reservations.errors import NotActive
from hoa.reservations.service import check_cutoff, mark_cancelled

PURPOSE = "cancel_reservation"


class InvalidLink(AppError):
    code, status_code, message = (
        "reservation.invalid_link",
        400,
        "This link is invalid or has expired. Sign in to manage your booking.",
    )


class CancelLinkRequest(Input):
    token: str = Field(max_length=2000)


class CancelLinkRead(Output):
    reservation_id: uuid.UUID
    community_name: str
    amenity_name: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    title: str | None
    status: ReservationStatus


def cancel_link(
    settings: Settings, reservation: Reservation, deadline: datetime, now: datetime
) -> str | None:
    """The link for a confirmed booking's reminder, valid until ``deadline`` (its
    ``cancellable_until``), or None once cancelling is no longer allowed."""
    if deadline <= now:
        return None
    token = sign(
        settings,
        PURPOSE,
        str(reservation.id),
        deadline,
        start=reservation.starts_at.astimezone(UTC).isoformat(),
    )
    return link(settings, Page.CANCEL_BOOKING, token=token)


async def _resolve(
    session: AsyncSession, settings: Settings, token: str, *, lock: bool = False
) -> tuple[Reservation, Amenity, CommunityCtx]:
    claims = unsign(settings, PURPOSE, token)
    if claims is None:
        raise InvalidLink
    try:
        reservation_id = uuid.UUID(claims["sub"])
    except (ValueError, TypeError):
        raise InvalidLink from None
    query = (
        sa.select(Reservation, Amenity, Community, Membership, User)
        .join(Amenity, Amenity.id == Reservation.amenity_id)
        .join(Community, Community.id == Reservation.community_id)
        .join(User, User.id == Reservation.booked_for_id)
        .join(
            Membership,
            (Membership.user_id == User.id) & (Membership.community_id == Community.id),
        )
        .where(
            Reservation.id == reservation_id,
            Membership.status == MemberStatus.ACTIVE,
            User.is_active,
        )
    )
    if lock:
        query = query.with_for_update(of=Reservation)
    row = (await session.execute(query)).one_or_none()
    if row is None:
        raise InvalidLink
    reservation, amenity, community, membership, user = row
    if community.suspended_at is not None:
        raise CommunitySuspended(community.suspended_reason)
    try:
        issued_for = datetime.fromisoformat(claims["start"])
    except (KeyError, TypeError, ValueError):
        raise InvalidLink from None
    if issued_for != reservation.starts_at:
        raise InvalidLink  # moved since the reminder: the link was for the old time
    keep_loaded(session, community, user)
    return reservation, amenity, member_context(community, membership, user)


def _read(reservation: Reservation, amenity: Amenity, ctx: CommunityCtx) -> CancelLinkRead:
    return CancelLinkRead(
        reservation_id=reservation.id,
        community_name=ctx.community_name,
        amenity_name=amenity.name,
        timezone=ctx.timezone,
        starts_at=reservation.starts_at,
        ends_at=reservation.ends_at,
        title=reservation.title,
        status=reservation.status,
    )


async def show(session: AsyncSession, settings: Settings, token: str) -> CancelLinkRead:
    """The booking a cancel link is for. Raises InvalidLink."""
    return _read(*await _resolve(session, settings, token))


async def cancel(session: AsyncSession, settings: Settings, token: str) -> CancelLinkRead:
    """Cancel the booking as the person it is for, under the same cutoff as in the app.
    Raises InvalidLink, NotActive, or the cutoff rule's error."""
    reservation, amenity, ctx = await _resolve(session, settings, token, lock=True)
    if reservation.status not in ACTIVE_STATUSES:
        raise NotActive
    check_cutoff(reservation, amenity, ctx)
    await mark_cancelled(session, ctx, reservation, "Cancelled from the reminder email.")
    return _read(reservation, amenity, ctx)
