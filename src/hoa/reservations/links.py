"""One-click cancel links in reminder emails.

The link opens a page that shows the booking and asks for a click: cancelling on a plain GET
would let mail scanners that prefetch links cancel bookings. The token is signed, expires at
the amenity's cancellation cutoff and names the start time it was issued for, so it stops
working once the booking is cancelled or moved.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.auth.security import sign, unsign
from hoa.deps import CommunityCtx, SessionDep, SettingsDep
from hoa.errors import AppError, errors_for
from hoa.models import (
    ACTIVE_STATUSES,
    Amenity,
    Community,
    Membership,
    MemberStatus,
    Reservation,
    ReservationStatus,
    User,
)
from hoa.reservations.errors import NotActive, RuleConflict
from hoa.reservations.service import check_cutoff, mark_cancelled
from hoa.schemas import Input, Output
from hoa.settings import Settings

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
    settings: Settings, reservation: Reservation, cutoff_hours: int, now: datetime
) -> str | None:
    """The link for a confirmed booking's reminder, or None once cancelling is no longer
    allowed."""
    deadline = reservation.starts_at - timedelta(hours=cutoff_hours)
    if deadline <= now:
        return None
    token = sign(
        settings,
        PURPOSE,
        str(reservation.id),
        deadline,
        start=reservation.starts_at.astimezone(UTC).isoformat(),
    )
    return f"{settings.public_url.rstrip('/')}/cancel-booking?token={token}"


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
    try:
        issued_for = datetime.fromisoformat(claims["start"])
    except (KeyError, TypeError, ValueError):
        raise InvalidLink from None
    if issued_for != reservation.starts_at:
        raise InvalidLink  # moved since the reminder: the link was for the old time
    return reservation, amenity, CommunityCtx(community, membership, user)


def _read(reservation: Reservation, amenity: Amenity, ctx: CommunityCtx) -> CancelLinkRead:
    return CancelLinkRead(
        reservation_id=reservation.id,
        community_name=ctx.community.name,
        amenity_name=amenity.name,
        timezone=ctx.community.timezone,
        starts_at=reservation.starts_at,
        ends_at=reservation.ends_at,
        title=reservation.title,
        status=reservation.status,
    )


router = APIRouter(prefix="/reservation-links", tags=["reservations"])


@router.get("/cancel", response_model=CancelLinkRead, responses=errors_for(InvalidLink))
async def show_cancel_link(
    token: Annotated[str, Query(max_length=2000)], session: SessionDep, settings: SettingsDep
) -> CancelLinkRead:
    """The booking a reminder's cancel link is for, to confirm before cancelling. No sign-in:
    the signed token is the authority."""
    return _read(*await _resolve(session, settings, token))


@router.post(
    "/cancel",
    response_model=CancelLinkRead,
    responses=errors_for(InvalidLink, NotActive, RuleConflict),
)
async def use_cancel_link(
    body: CancelLinkRequest, session: SessionDep, settings: SettingsDep
) -> CancelLinkRead:
    """Cancel the booking as the person it is for, under the same cutoff as in the app."""
    reservation, amenity, ctx = await _resolve(session, settings, body.token, lock=True)
    if reservation.status not in ACTIVE_STATUSES:
        raise NotActive
    check_cutoff(reservation, amenity)
    await mark_cancelled(session, ctx, reservation, "Cancelled from the reminder email.")
    return _read(reservation, amenity, ctx)
