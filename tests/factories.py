"""Plain factories: ``make_*(session, **overrides)`` add rows and flush; callers commit."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from hoa.auth.passwords import hash_password
from hoa.models import (
    Amenity,
    BookingMode,
    Community,
    Household,
    Membership,
    Reservation,
    ReservationStatus,
    Role,
    User,
)

PASSWORD = "correct horse battery staple"
NEW_YORK = ZoneInfo("America/New_York")
ALL_WEEK = {day: [["06:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per run


async def make_user(session: AsyncSession, **overrides: Any) -> User:
    values: dict[str, Any] = {
        "email": f"user-{uuid.uuid4().hex[:10]}@example.com",
        "name": "Pat Doe",
        "password_hash": _password_hash(),
        **overrides,
    }
    user = User(**values)
    session.add(user)
    await session.flush()
    return user


async def make_community(session: AsyncSession, **overrides: Any) -> Community:
    slug = f"c-{uuid.uuid4().hex[:10]}"
    values: dict[str, Any] = {
        "name": f"Community {slug}",
        "slug": slug,
        "timezone": "America/New_York",
        **overrides,
    }
    community = Community(**values)
    session.add(community)
    await session.flush()
    return community


async def make_household(session: AsyncSession, community: Community, label: str) -> Household:
    household = Household(community_id=community.id, label=label)
    session.add(household)
    await session.flush()
    return household


async def make_member(
    session: AsyncSession,
    community: Community,
    user: User,
    role: Role = Role.RESIDENT,
    household: Household | None = None,
) -> Membership:
    membership = Membership(
        community_id=community.id,
        user_id=user.id,
        role=role,
        household_id=household.id if household else None,
    )
    session.add(membership)
    await session.flush()
    return membership


async def make_amenity(session: AsyncSession, community: Community, **overrides: Any) -> Amenity:
    values: dict[str, Any] = {
        "name": f"Amenity {uuid.uuid4().hex[:6]}",
        "hours": ALL_WEEK,
        "slot_minutes": 30,
        "min_duration_minutes": 30,
        "max_duration_minutes": 240,
        "max_days_ahead": 60,
        **overrides,
    }
    amenity = Amenity(community_id=community.id, **values)
    session.add(amenity)
    await session.flush()
    return amenity


async def make_reservation(
    session: AsyncSession,
    amenity: Amenity,
    member: Membership,
    starts_at: datetime,
    hours: float = 1,
    **overrides: Any,
) -> Reservation:
    ends_at = starts_at + timedelta(hours=hours)
    values: dict[str, Any] = {
        "community_id": amenity.community_id,
        "amenity_id": amenity.id,
        "household_id": member.household_id,
        "booked_by_id": member.user_id,
        "booked_for_id": member.user_id,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "block_starts_at": starts_at - timedelta(minutes=amenity.buffer_before_minutes),
        "block_ends_at": ends_at + timedelta(minutes=amenity.buffer_after_minutes),
        "exclusive": amenity.mode is BookingMode.EXCLUSIVE,
        "status": ReservationStatus.CONFIRMED,
        **overrides,
    }
    reservation = Reservation(**values)
    session.add(reservation)
    await session.flush()
    return reservation


def local(days_ahead: int, hour: int, minute: int = 0) -> datetime:
    """A New York wall-clock time ``days_ahead`` days from today, as an aware datetime."""
    today = datetime.now(NEW_YORK).date() + timedelta(days=days_ahead)
    return datetime(today.year, today.month, today.day, hour, minute, tzinfo=NEW_YORK)


@dataclass
class World:
    community: Community
    other: Community
    members: dict[str, Membership]
    households: dict[str, Household]
    amenities: dict[str, Amenity]
    emails: dict[str, str] = field(default_factory=dict)


async def build_world(session: AsyncSession) -> World:
    community = await make_community(session, name="Maple Grove HOA")
    other = await make_community(session, name="Oak Ridge HOA")
    households = {
        "a": await make_household(session, community, "Lot 1"),
        "b": await make_household(session, community, "Lot 2"),
        "other": await make_household(session, other, "Unit 9"),
    }
    people = {
        "admin": (community, Role.ADMIN, None),
        "resident": (community, Role.RESIDENT, households["a"]),
        "housemate": (community, Role.RESIDENT, households["a"]),
        "neighbor": (community, Role.RESIDENT, households["b"]),
        "outsider": (other, Role.ADMIN, households["other"]),
    }
    members, emails = {}, {}
    for who, (where, role, household) in people.items():
        user = await make_user(
            session, email=f"{who}-{uuid.uuid4().hex[:6]}@example.com", name=who.title()
        )
        members[who] = await make_member(session, where, user, role, household)
        emails[who] = user.email
    amenities = {
        "court": await make_amenity(session, community, name="Tennis Court 1"),
        "pool": await make_amenity(
            session,
            community,
            name="Pool",
            mode=BookingMode.CAPACITY,
            capacity=20,
            max_headcount_per_household=6,
        ),
        "clubhouse": await make_amenity(
            session,
            community,
            name="Clubhouse",
            requires_approval=True,
            cancellation_cutoff_hours=48,
            rules_text="No glitter.",
            rules_version=1,
        ),
        "other_gym": await make_amenity(session, other, name="Gym"),
    }
    return World(community, other, members, households, amenities, emails)
