"""The emails about a booking: to the person it is for, and to the admins who approve requests."""

from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import utcnow
from hoa.core.links import Page, link
from hoa.core.settings import Settings
from hoa.email.render import calendar_file
from hoa.models import (
    AdminAlerts,
    Amenity,
    Community,
    Membership,
    MemberStatus,
    Reservation,
    Role,
    User,
)
from hoa.notifications.kinds import ApprovalRequested, ReservationNotice
from hoa.notifications.service import notify

N = TypeVar("N", bound=ReservationNotice)


def approvals_link(settings: Settings, community: Community) -> str:
    return link(settings, Page.APPROVALS, community_id=community.id)


def notice(
    kind: type[N],
    community: Community,
    amenity: Amenity,
    reservation: Reservation,
    **extra: object,
) -> N:
    """The payload of an email about the reservation, frozen now."""
    return kind.model_validate(
        {
            "community_id": community.id,
            "community_name": community.name,
            "timezone": community.timezone,
            "locale": community.locale,
            "amenity_name": amenity.name,
            "starts_at": reservation.starts_at,
            "ends_at": reservation.ends_at,
            "status": str(reservation.status),
            "party_starts_at": reservation.party_starts_at,
            "party_ends_at": reservation.party_ends_at,
            "headcount": reservation.headcount,
            "guests": reservation.guests,
            "fee_cents": amenity.fee_cents,
            "deposit_cents": amenity.deposit_cents,
            "payment_instructions": community.payment_instructions,
            "title": reservation.title,
            "stamp": utcnow(),
            # A cancellation outranks the booking's last calendar file.
            "sequence": reservation.sequence + (kind.ics_method == "CANCEL"),
            **extra,
        }
    )


def calendar_download(
    settings: Settings, community: Community, amenity: Amenity, reservation: Reservation
) -> bytes:
    """The booking's calendar file to import (METHOD:PUBLISH): the same event, UID and all, as
    in its emails and feeds."""
    payload = notice(ReservationNotice, community, amenity, reservation)
    url = payload.booking_url(settings, reservation.id)
    return calendar_file(payload.event(reservation.id, url), "PUBLISH")


async def notify_reservation(
    session: AsyncSession,
    community: Community,
    reservation: Reservation,
    kind: type[ReservationNotice],
    not_before: datetime | None = None,
    **extra: object,
) -> None:
    """Email the person the reservation is for, in the current transaction (not before
    ``not_before``); ``extra`` are the kind's own fields (a reason, who cancelled, ...)."""
    user = await session.get_one(User, reservation.booked_for_id)
    amenity = await session.get_one(Amenity, reservation.amenity_id)
    notify(
        session,
        recipient=user,
        payload=notice(kind, community, amenity, reservation, **extra),
        entity_type="reservation",
        entity_id=reservation.id,
        community_id=community.id,
        not_before=not_before,
    )


async def alert_admins(
    session: AsyncSession, settings: Settings, community: Community, reservation: Reservation
) -> None:
    """Tell the community's admins who want each request at once that a booking waits for
    approval; admins on the digest hear of it within the hour, the others not at all."""
    admins = await session.scalars(
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.community_id == community.id,
            Membership.role == Role.ADMIN,
            Membership.status == MemberStatus.ACTIVE,
            User.is_active,
            User.admin_alerts == AdminAlerts.IMMEDIATE,
        )
    )
    recipients = list(admins)
    if not recipients:
        return
    amenity = await session.get_one(Amenity, reservation.amenity_id)
    booked_for = await session.get_one(User, reservation.booked_for_id)
    payload = notice(
        ApprovalRequested,
        community,
        amenity,
        reservation,
        booked_for=booked_for.name,
        link=approvals_link(settings, community),
    )
    for admin in recipients:
        notify(
            session,
            recipient=admin,
            payload=payload,
            entity_type="reservation",
            entity_id=reservation.id,
            community_id=community.id,
        )
