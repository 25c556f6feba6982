"""Calendar feeds: secret addresses that calendar apps poll for a user's bookings.

A feed's secret is shown once, when the feed is made or rotated; only its SHA-256 is stored, so
a lost address cannot be shown again, only replaced.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.audit.service import record
from hoa.core.database import utcnow
from hoa.core.errors import Forbidden, NotFound
from hoa.core.links import Page, link
from hoa.core.pagination import AnySelect
from hoa.core.settings import Settings
from hoa.core.tokens import hash_token, new_token
from hoa.email.render import BookingEvent, booking_event, describe_booking, ical_status
from hoa.feeds.schemas import CalendarFeedCreated, CalendarFeedRead, FeedKind
from hoa.models import (
    HELD_STATUSES,
    MAX_RESERVATION_DAYS,
    Amenity,
    CalendarFeed,
    Community,
    Membership,
    MemberStatus,
    Reservation,
    ReservationStatus,
    Role,
    User,
)
from hoa.rules.wording import Wording

# What a feed holds: recent history (so last week's booking does not vanish from the calendar)
# and the year ahead, at most MAX_EVENTS bookings, the soonest past the window's start first.
PAST = timedelta(days=60)
AHEAD = timedelta(days=366)
MAX_EVENTS = 2000
# Calendar apps poll; this many seconds of staleness are fine and spare the database.
CACHE_CONTROL = "private, max-age=300"


class FeedNotFound(NotFound):
    message = "This calendar address is unknown or was revoked."


def _read(feed: CalendarFeed, amenity: Amenity | None) -> CalendarFeedRead:
    return CalendarFeedRead(
        id=feed.id,
        kind=FeedKind.PERSONAL if feed.amenity_id is None else FeedKind.AMENITY,
        amenity_id=feed.amenity_id,
        amenity_name=amenity.name if amenity else None,
        community_id=amenity.community_id if amenity else None,
        created_at=feed.created_at,
    )


async def list_feeds(session: AsyncSession, user: User) -> list[CalendarFeedRead]:
    """The user's feeds, personal first, then by amenity name; never their secrets."""
    rows = await session.execute(
        sa.select(CalendarFeed, Amenity)
        .outerjoin(Amenity, Amenity.id == CalendarFeed.amenity_id)
        .where(CalendarFeed.user_id == user.id)
        .order_by(CalendarFeed.amenity_id.is_not(None), Amenity.name, CalendarFeed.created_at)
    )
    return [_read(feed, amenity) for feed, amenity in rows]


async def _admin_amenity(session: AsyncSession, user: User, amenity_id: uuid.UUID) -> Amenity:
    """The amenity, if the user is an active admin of its community.

    Raises NotFound outside the community (its existence is not disclosed) and Forbidden for a
    resident of it."""
    row = (
        await session.execute(
            sa.select(Amenity, Membership.role)
            .join(Membership, Membership.community_id == Amenity.community_id)
            .where(
                Amenity.id == amenity_id,
                Membership.user_id == user.id,
                Membership.status == MemberStatus.ACTIVE,
            )
        )
    ).first()
    if row is None:
        raise NotFound("Amenity not found.")
    amenity, role = row
    if role is not Role.ADMIN:
        raise Forbidden("Only community admins can follow an amenity's bookings.")
    return amenity


def _urls(settings: Settings, secret: str) -> tuple[str, str]:
    url = f"{settings.public_url.rstrip('/')}/ical/{secret}.ics"
    return url, "webcal://" + url.split("://", 1)[-1]


async def create_or_rotate(
    session: AsyncSession, settings: Settings, user: User, amenity_id: uuid.UUID | None
) -> tuple[CalendarFeedCreated, bool]:
    """A new feed of the user's bookings (no amenity) or of one amenity's (admins), and whether
    it was created: a user has one feed per amenity (and one personal), so asking again
    replaces the existing feed's secret, and the old address stops working at commit.

    The returned address holds the secret, which is not stored: it cannot be shown again.
    Raises NotFound / Forbidden as ``_admin_amenity``."""
    amenity = await _admin_amenity(session, user, amenity_id) if amenity_id else None
    # Serializes a user's concurrent requests, so two cannot both create the same feed.
    await session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    feed = await session.scalar(
        sa.select(CalendarFeed).where(
            CalendarFeed.user_id == user.id,
            CalendarFeed.amenity_id == amenity_id
            if amenity_id
            else CalendarFeed.amenity_id.is_(None),
        )
    )
    secret = new_token()
    created = feed is None
    if feed is None:
        feed = CalendarFeed(user_id=user.id, amenity_id=amenity_id, token_hash=hash_token(secret))
        session.add(feed)
    else:
        feed.token_hash, feed.created_at = hash_token(secret), utcnow()
    await session.flush()
    record(
        session,
        community_id=amenity.community_id if amenity else None,
        actor_id=user.id,
        action="calendar_feed.created" if created else "calendar_feed.rotated",
        entity_type="calendar_feed",
        entity_id=feed.id,
        after={"amenity_id": str(amenity_id) if amenity_id else None},
    )
    url, webcal_url = _urls(settings, secret)
    read = _read(feed, amenity)
    return CalendarFeedCreated(**read.model_dump(), url=url, webcal_url=webcal_url), created


async def revoke(session: AsyncSession, user: User, feed_id: uuid.UUID) -> None:
    """Delete one of the user's feeds; its address answers 404 from the commit on.

    Raises NotFound for an unknown id or another user's feed."""
    feed = await session.scalar(
        sa.select(CalendarFeed).where(CalendarFeed.id == feed_id, CalendarFeed.user_id == user.id)
    )
    if feed is None:
        raise NotFound("Calendar feed not found.")
    amenity = await session.get(Amenity, feed.amenity_id) if feed.amenity_id else None
    await session.delete(feed)
    record(
        session,
        community_id=amenity.community_id if amenity else None,
        actor_id=user.id,
        action="calendar_feed.revoked",
        entity_type="calendar_feed",
        entity_id=feed.id,
    )


@dataclass(frozen=True, slots=True)
class _Entry:
    id: uuid.UUID
    community_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    party_starts_at: datetime | None
    party_ends_at: datetime | None
    headcount: int
    guests: int
    status: ReservationStatus
    sequence: int
    updated_at: datetime
    title: str
    booked_for_id: uuid.UUID
    booked_for_name: str
    amenity_name: str
    community_name: str
    timezone: str
    locale: str
    show_names: bool


def _entries_query(now: datetime) -> AnySelect:
    """Active bookings in the feed window, labelled as ``_Entry``'s fields."""
    return (
        sa.select(
            Reservation.id,
            Reservation.community_id,
            Reservation.starts_at,
            Reservation.ends_at,
            Reservation.party_starts_at,
            Reservation.party_ends_at,
            Reservation.headcount,
            Reservation.guests,
            Reservation.status,
            Reservation.sequence,
            Reservation.updated_at,
            Reservation.title,
            Reservation.booked_for_id,
            User.name.label("booked_for_name"),
            Amenity.name.label("amenity_name"),
            Community.name.label("community_name"),
            Community.timezone,
            Community.locale,
            Community.show_booker_names.label("show_names"),
        )
        .join(User, User.id == Reservation.booked_for_id)
        .join(Amenity, Amenity.id == Reservation.amenity_id)
        .join(Community, Community.id == Reservation.community_id)
        .where(
            Reservation.status.in_(HELD_STATUSES),
            # Bounded on starts_at both sides: the (…, starts_at) indexes serve it.
            Reservation.starts_at >= now - PAST,
            Reservation.starts_at < now + AHEAD,
        )
        .order_by(Reservation.starts_at, Reservation.id)
        .limit(MAX_EVENTS)
    )


async def _personal_entries(session: AsyncSession, user: User, now: datetime) -> list[_Entry]:
    """Bookings of the user's households, and for the user, in communities where the user's
    membership is active."""
    memberships = (
        await session.execute(
            sa.select(Membership.community_id, Membership.household_id).where(
                Membership.user_id == user.id, Membership.status == MemberStatus.ACTIVE
            )
        )
    ).all()
    if not memberships:
        return []
    households = [household for _, household in memberships if household is not None]
    mine = Reservation.booked_for_id == user.id
    if households:
        mine = mine | Reservation.household_id.in_(households)
    query = _entries_query(now).where(
        Reservation.community_id.in_([community for community, _ in memberships]), mine
    )
    return [_Entry(**row._mapping) for row in await session.execute(query)]


async def _amenity_entries(
    session: AsyncSession, user: User, amenity_id: uuid.UUID, now: datetime
) -> list[_Entry]:
    """Every active booking of the amenity, while the user is an active admin of its community;
    otherwise the feed is dead (FeedNotFound)."""
    admin = await session.scalar(
        sa.select(Membership.id)
        .join(Amenity, Amenity.community_id == Membership.community_id)
        .where(
            Amenity.id == amenity_id,
            Membership.user_id == user.id,
            Membership.status == MemberStatus.ACTIVE,
            Membership.role == Role.ADMIN,
        )
    )
    if admin is None:
        raise FeedNotFound
    query = _entries_query(now).where(Reservation.amenity_id == amenity_id)
    return [_Entry(**row._mapping) for row in await session.execute(query)]


async def feed_calendar(session: AsyncSession, settings: Settings, secret: str) -> bytes:
    """The feed's RFC 5545 calendar.

    Raises FeedNotFound for an unknown or revoked secret, a disabled account, and an amenity
    feed whose owner is no longer an active admin of the amenity's community."""
    row = (
        await session.execute(
            sa.select(CalendarFeed, User)
            .join(User, User.id == CalendarFeed.user_id)
            .where(CalendarFeed.token_hash == hash_token(secret))
        )
    ).first()
    if row is None or not row[1].is_active:
        raise FeedNotFound
    feed, user = row
    now = utcnow()
    if feed.amenity_id is None:
        entries = await _personal_entries(session, user, now)
        name = "My amenity bookings"
    else:
        entries = await _amenity_entries(session, user, feed.amenity_id, now)
        amenity = await session.get(Amenity, feed.amenity_id)
        community = await session.get(Community, amenity.community_id) if amenity else None
        name = f"{amenity.name} – {community.name}" if amenity and community else "Bookings"
    return render_calendar(settings, name, entries, user.id, now)


def render_calendar(
    settings: Settings, name: str, entries: Sequence[_Entry], user_id: uuid.UUID, now: datetime
) -> bytes:
    """One VEVENT per booking, as in the emails (same UID, location, link and description),
    local times in the community's zone with a VTIMEZONE per zone used. A resident's name and
    the booking's title appear only when it is the feed owner's booking or the community shows
    names: feed addresses end up in third-party calendar services."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//hoa//calendar feed//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", timedelta(hours=1))
    for entry in entries:
        mine = entry.booked_for_id == user_id
        shown = entry.show_names or mine
        event = booking_event(_event(settings, entry, shown=shown, linked=mine))
        event.add("last-modified", entry.updated_at)
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    # Zone rules for the window only (bookings last at most MAX_RESERVATION_DAYS): the default
    # 1970-2038 span would be most of the body, sent on every poll.
    cal.add_missing_timezones(
        first_date=(now - PAST - timedelta(days=1)).date(),
        last_date=(now + AHEAD + timedelta(days=MAX_RESERVATION_DAYS + 1)).date(),
    )
    ical: bytes = cal.to_ical()
    return ical


def _event(settings: Settings, entry: _Entry, *, shown: bool, linked: bool) -> BookingEvent:
    """``shown``: with who it is for and its title; ``linked``: with the link to its page
    (which only the household and admins may open)."""
    tz = ZoneInfo(entry.timezone)
    url = None
    if linked:
        url = link(
            settings, Page.RESERVATION, community_id=entry.community_id, reservation_id=entry.id
        )
    party = None
    if entry.party_starts_at is not None and entry.party_ends_at is not None:
        party = (entry.party_starts_at, entry.party_ends_at)
    title = f"Booked for {entry.booked_for_name}. {entry.title}".strip() if shown else None
    return BookingEvent(
        reservation_id=entry.id,
        sequence=entry.sequence,
        stamp=entry.updated_at,
        starts=entry.starts_at.astimezone(tz),
        ends=entry.ends_at.astimezone(tz),
        summary=f"{entry.amenity_name} – {entry.community_name}",
        location=f"{entry.amenity_name}, {entry.community_name}",
        description=describe_booking(
            Wording(tz, entry.locale),
            amenity_name=entry.amenity_name,
            community_name=entry.community_name,
            starts=entry.starts_at,
            ends=entry.ends_at,
            status=entry.status.value,
            party=party if shown else None,
            headcount=entry.headcount,
            guests=entry.guests,
            title=title,
            url=url,
        ),
        status=ical_status(entry.status.value),
        url=url,
    )
