"""Builds the demo (``hoa seed-demo``) from its seed data (``demo.data``): two communities, their
people and amenities, and a month of bookings around today, each placed only where the booking
rules allow it."""

import random
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa import rules
from hoa.amenities.schemas import WEEKDAYS, clock_minutes
from hoa.amenities.service import to_rules
from hoa.auth.passwords import hash_password, verify_password
from hoa.core.database import Base, Database
from hoa.core.settings import Settings
from hoa.demo.data import (
    ATTEMPTS,
    CANCEL_RATE,
    CANCEL_REASONS,
    COMMUNITIES,
    FIRST_NAMES,
    FUTURE_DAYS,
    LAST_NAMES,
    LOGINS,
    MAX_LEAD,
    PAST_DAYS,
    REJECT_REASONS,
    RNG_SEED,
    CommunitySpec,
    Demand,
    Featured,
)
from hoa.models import (
    ACTIVE_STATUSES,
    Amenity,
    BookingMode,
    Community,
    Household,
    Membership,
    MemberStatus,
    Reservation,
    ReservationStatus,
    Role,
    User,
)


async def seed(settings: Settings, *, now: datetime | None = None) -> list[tuple[str, str]]:
    """Create the demo communities that do not exist yet and make every demo login work.

    A community found by its slug keeps its data: its bookings were placed around the day it was
    created, and a second month would pile on top of them. The demo logins are (re)created with
    the current demo password, active, and members of their community again. One transaction.
    New bookings are placed around `now` (default: the current time). Returns (email,
    description) of each demo login.
    """
    password = settings.demo_password.get_secret_value()
    # argon2 is slow on purpose: one hash serves every new demo account.
    password_hash = hash_password(password)
    now = now or datetime.now(UTC)
    db = Database(settings)
    try:
        async with db.writer() as session, session.begin():
            users = await _ensure_logins(session, password, password_hash)
            for spec in COMMUNITIES:
                community = await session.scalar(
                    sa.select(Community).where(Community.slug == spec.slug)
                )
                if community is None:
                    await _build(session, spec, users, password_hash, now)
                else:
                    await _ensure_memberships(session, community, users)
    finally:
        await db.dispose()
    return [(login.email, login.description) for login in LOGINS]


async def _ensure_logins(
    session: AsyncSession, password: str, password_hash: str
) -> dict[str, User]:
    """The demo accounts by email, created or made usable again (active, current password)."""
    emails = [login.email for login in LOGINS]
    found = {
        u.email: u for u in await session.scalars(sa.select(User).where(User.email.in_(emails)))
    }
    users = {}
    # The demo accounts share one hash, so checking it once is usually enough (argon2 is slow).
    current: dict[str, bool] = {}
    for login in LOGINS:
        user = found.get(login.email)
        if user is None:
            user = User(
                id=uuid.uuid4(),
                email=login.email,
                name=login.name,
                password_hash=password_hash,
                is_operator=login.operator,
                email_verified_at=datetime.now(UTC),  # made-up addresses: nothing to verify
            )
            session.add(user)
        else:
            if user.password_hash not in current:
                current[user.password_hash] = verify_password(password, user.password_hash)
            if not current[user.password_hash]:
                user.password_hash = password_hash
                user.token_version += 1  # as on any password change, other sessions end
            if not user.is_active:
                user.is_active = True
            if login.operator and not user.is_operator:
                user.is_operator = True
        users[login.email] = user
    await session.flush()
    return users


@dataclass(frozen=True, slots=True)
class _Member:
    user_id: uuid.UUID
    household_id: uuid.UUID


async def _ensure_memberships(
    session: AsyncSession, community: Community, users: dict[str, User]
) -> dict[str, _Member]:
    """The demo logins' memberships in the community, created or restored; by email."""
    members = {}
    for login in LOGINS:
        if login.community != community.slug or login.role is None or login.household is None:
            continue
        household = await session.scalar(
            sa.select(Household).where(
                Household.community_id == community.id, Household.label == login.household
            )
        )
        if household is None:
            household = Household(id=uuid.uuid4(), community_id=community.id, label=login.household)
            session.add(household)
        user = users[login.email]
        membership = await session.scalar(
            sa.select(Membership).where(
                Membership.community_id == community.id, Membership.user_id == user.id
            )
        )
        if membership is None:
            membership = Membership(
                id=uuid.uuid4(),
                community_id=community.id,
                user_id=user.id,
                household_id=household.id,
                role=login.role,
            )
            session.add(membership)
        else:
            if membership.role is not login.role:
                membership.role = login.role
            if membership.status is not MemberStatus.ACTIVE:
                membership.status = MemberStatus.ACTIVE
            if membership.household_id is None:
                membership.household_id = household.id
        members[login.email] = _Member(user.id, membership.household_id or household.id)
        await session.flush()
    return members


async def _insert(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> None:
    # An executemany with no rows would insert one row of defaults.
    if rows:
        await session.execute(sa.insert(model), rows)


async def _build(
    session: AsyncSession,
    spec: CommunitySpec,
    users: dict[str, User],
    password_hash: str,
    now: datetime,
) -> None:
    rng = random.Random(RNG_SEED)  # noqa: S311 - reproducible demo data, not a secret
    tz = ZoneInfo(spec.timezone)
    # Backdated so that the community, its amenities and members predate their bookings.
    since = now - timedelta(days=730)
    community = Community(
        id=uuid.uuid4(),
        name=spec.name,
        slug=spec.slug,
        timezone=spec.timezone,
        join_code=spec.join_code,
        show_booker_names=spec.show_booker_names,
        created_at=since,
        updated_at=since,
    )
    session.add(community)
    await session.flush()
    households = {label: uuid.uuid4() for label in spec.households}
    await _insert(
        session,
        Household,
        [
            {"id": household_id, "community_id": community.id, "label": label, "created_at": since}
            for label, household_id in households.items()
        ],
    )
    amenities = [
        Amenity(
            id=uuid.uuid4(),
            community_id=community.id,
            name=a.name,
            created_at=since,
            updated_at=since,
            **a.columns,
        )
        for a in spec.amenities
    ]
    session.add_all(amenities)
    demo_members = await _ensure_memberships(session, community, users)
    residents = await _add_residents(
        session, spec, community.id, households, password_hash, rng, since
    )
    admin = next(
        demo_members[login.email].user_id
        for login in LOGINS
        if login.community == spec.slug and login.role is Role.ADMIN
    )
    planner = _Planner(rng, community.id, tz, admin, now)
    for amenity, amenity_spec in zip(amenities, spec.amenities, strict=True):
        planner.add_amenity(amenity, amenity_spec.demand)
    today = now.astimezone(tz).date()
    for booking in spec.featured:
        planner.place_featured(booking, demo_members[booking.email], today)
    planner.fill([*demo_members.values(), *residents], today)
    await _insert(session, Reservation, planner.rows)


async def _add_residents(
    session: AsyncSession,
    spec: CommunitySpec,
    community_id: uuid.UUID,
    households: dict[str, uuid.UUID],
    password_hash: str,
    rng: random.Random,
    since: datetime,
) -> list[_Member]:
    """One or two residents per household (besides a demo login living there), all able to sign
    in with the demo password."""
    domain = f"{spec.slug}.example"
    demo_families = {
        login.household: login.name.split()[-1] for login in LOGINS if login.community == spec.slug
    }
    families = iter(rng.sample(LAST_NAMES, len(LAST_NAMES)))
    people: list[tuple[str, str, uuid.UUID]] = []
    for label, household_id in households.items():
        family = demo_families.get(label)
        count = rng.choice((0, 1)) if family else rng.choice((1, 2))
        family = family or next(families)
        for first in rng.sample(FIRST_NAMES, count):
            name = f"{first} {family}"
            email = f"{_handle(first)}.{_handle(family)}@{domain}"
            people.append((email, name, household_id))
    emails = [email for email, _, _ in people]
    found = await session.execute(sa.select(User.email, User.id).where(User.email.in_(emails)))
    known = dict(found.all())
    new_users: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "email": email,
            "name": name,
            "password_hash": password_hash,
            "created_at": since,
            "updated_at": since,
        }
        for email, name, _ in people
        if email not in known
    ]
    await _insert(session, User, new_users)
    known.update((row["email"], row["id"]) for row in new_users)
    members = [_Member(known[email], household_id) for email, _, household_id in people]
    await _insert(
        session,
        Membership,
        [
            {
                "id": uuid.uuid4(),
                "community_id": community_id,
                "user_id": m.user_id,
                "household_id": m.household_id,
                "role": Role.RESIDENT,
                "created_at": since,
                "updated_at": since,
            }
            for m in members
        ],
    )
    return members


def _handle(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def _local(day: date, clock: str | int, tz: ZoneInfo) -> datetime:
    """A local wall-clock time of `day` (HH:MM or minutes from midnight) as a UTC instant."""
    minute = clock_minutes(clock) if isinstance(clock, str) else clock
    return datetime.combine(day, time(minute // 60, minute % 60), tz).astimezone(UTC)


@dataclass
class _Ledger:
    """An amenity's active bookings placed so far, and its booking rules: what the next one must
    respect, judged by the same rules a booking through the API is."""

    amenity: Amenity
    demand: Demand
    tz: ZoneInfo
    amenity_rules: rules.AmenityRules
    booked: list[rules.Booked] = field(default_factory=list)

    def admits(self, request: rules.BookingRequest, made_at: datetime) -> bool:
        """Whether the rules allow the booking, made at ``made_at`` (rules text accepted)."""
        own = [
            rules.Interval(b.starts_at, b.ends_at)
            for b in self.booked
            if b.household_id == request.household_id
        ]
        violation = rules.check_booking(
            request,
            self.amenity_rules,
            self.tz,
            made_at,
            booked=self.booked,
            household_booked=own,
            blackouts=(),
            check_acceptance=False,
        )
        return violation is None


class _Planner:
    """Places a community's bookings one by one, each allowed by its amenity's rules given those
    placed before it, with a believable history (created, decided, cancelled)."""

    def __init__(
        self,
        rng: random.Random,
        community_id: uuid.UUID,
        tz: ZoneInfo,
        admin_id: uuid.UUID,
        now: datetime,
    ) -> None:
        self.rng = rng
        self.community_id = community_id
        self.tz = tz
        self.admin_id = admin_id
        self.now = now
        self.ledgers: dict[str, _Ledger] = {}
        self.rows: list[dict[str, Any]] = []

    def add_amenity(self, amenity: Amenity, demand: Demand) -> None:
        self.ledgers[amenity.name] = _Ledger(amenity, demand, self.tz, to_rules(amenity))

    def place_featured(self, booking: Featured, who: _Member, today: date) -> None:
        """Raises RuntimeError if the rules refuse it: featured bookings go first and are chosen
        not to collide, so a refusal is a mistake in their list."""
        ledger = self.ledgers[booking.amenity]
        day = today + timedelta(days=booking.day)
        if booking.saturday:
            day += timedelta(days=(5 - day.weekday()) % 7)
        start, end = self._span(ledger.amenity, day, booking.start, booking.length)
        placed = self._place(
            ledger,
            who,
            who.user_id,
            start,
            end,
            booking.people,
            booking.guests,
            booking.title,
            booking.status,
        )
        if not placed:
            raise RuntimeError(f"the rules refuse the featured demo booking {booking}")

    def fill(self, members: Sequence[_Member], today: date) -> None:
        """Random bookings on each day of the period, as many as each amenity's demand."""
        for offset in range(-PAST_DAYS, FUTURE_DAYS + 1):
            day = today + timedelta(days=offset)
            for ledger in self.ledgers.values():
                if offset > ledger.amenity.max_days_ahead:
                    continue
                demand = ledger.demand
                expected = demand.weekend if day.weekday() >= 5 else demand.weekday
                wanted = int(expected) + (self.rng.random() < expected % 1)
                for _ in range(wanted):
                    for _ in range(ATTEMPTS):
                        if self._place_random(ledger, day, self.rng.choice(members)):
                            break

    def _place_random(self, ledger: _Ledger, day: date, who: _Member) -> bool:
        amenity, demand = ledger.amenity, ledger.demand
        length = self.rng.choice(demand.lengths)
        if amenity.check_in_time is not None:
            clock = clock_minutes(amenity.check_in_time)
        else:
            opens, closes = map(clock_minutes, amenity.hours[WEEKDAYS[day.weekday()]][0])
            if demand.earliest is not None:
                opens = max(opens, clock_minutes(demand.earliest))
            clock = self.rng.randrange(opens, closes - length + 1, amenity.slot_minutes)
        start, end = self._span(amenity, day, clock, length)
        people = self.rng.randint(*demand.people)
        guests = min(demand.max_guests, self.rng.randint(0, people - 1))
        # Now and then the management office books by phone for a resident.
        booker = (
            self.admin_id
            if not amenity.requires_approval and self.rng.random() < 0.05
            else who.user_id
        )
        return self._place(
            ledger,
            who,
            booker,
            start,
            end,
            people,
            guests,
            self.rng.choice(demand.titles),
            self._status(start, self._needs_approval(amenity, booker)),
        )

    def _span(
        self, amenity: Amenity, day: date, clock: str | int, length: int
    ) -> tuple[datetime, datetime]:
        start = _local(day, clock, self.tz)
        if amenity.check_out_time is not None:
            return start, _local(day + timedelta(days=length), amenity.check_out_time, self.tz)
        return start, start + timedelta(minutes=length)

    def _needs_approval(self, amenity: Amenity, booker: uuid.UUID) -> bool:
        return amenity.requires_approval and booker != self.admin_id

    def _status(self, start: datetime, needs_approval: bool) -> ReservationStatus:
        if self.rng.random() < CANCEL_RATE:
            return ReservationStatus.CANCELLED
        if not needs_approval:
            return ReservationStatus.CONFIRMED
        if start > self.now:
            return self.rng.choice((ReservationStatus.PENDING, ReservationStatus.CONFIRMED))
        return (
            ReservationStatus.REJECTED if self.rng.random() < 0.15 else ReservationStatus.CONFIRMED
        )

    def _place(
        self,
        ledger: _Ledger,
        who: _Member,
        booker: uuid.UUID,
        start: datetime,
        end: datetime,
        people: int,
        guests: int,
        title: str,
        status: ReservationStatus,
    ) -> bool:
        amenity = ledger.amenity
        created = self._created(amenity, start)
        if status in ACTIVE_STATUSES:
            request = rules.BookingRequest(start, end, people, guests, who.household_id, None)
            if not ledger.admits(request, created):
                return False
            ledger.booked.append(rules.Booked(start, end, people, who.household_id))
        decided_by, decided_at, decision_reason = None, None, None
        if not self._needs_approval(amenity, booker):
            decided_by, decided_at = booker, created
        elif status in (ReservationStatus.CONFIRMED, ReservationStatus.REJECTED):
            decided_by = self.admin_id
            decided_at = self._between(created, min(created + timedelta(days=2), start, self.now))
            if status is ReservationStatus.REJECTED:
                decision_reason = self.rng.choice(REJECT_REASONS)
        cancelled_by, cancelled_at, cancel_reason = None, None, None
        if status is ReservationStatus.CANCELLED:
            # Residents may cancel a confirmed booking until the cutoff, the office at any time.
            cutoff = amenity.cancellation_cutoff_hours if decided_at is not None else 0
            deadline = min(start - timedelta(hours=cutoff), self.now)
            if deadline > created:
                cancelled_by, cancelled_at = who.user_id, self._between(created, deadline)
            else:
                cancelled_by = self.admin_id
                cancelled_at = self._between(created, min(start, self.now))
            cancel_reason = self.rng.choice(CANCEL_REASONS)
        event = ledger.demand.event
        setup = timedelta(minutes=60 if end - start >= timedelta(hours=4) else 30)
        blocked = rules.blocked_interval(start, end, ledger.amenity_rules)
        self.rows.append(
            {
                "id": uuid.uuid4(),
                "community_id": self.community_id,
                "amenity_id": amenity.id,
                "household_id": who.household_id,
                "booked_by_id": booker,
                "booked_for_id": who.user_id,
                "starts_at": start,
                "ends_at": end,
                "block_starts_at": blocked.starts_at,
                "block_ends_at": blocked.ends_at,
                "exclusive": amenity.mode is BookingMode.EXCLUSIVE,
                "party_starts_at": start + setup if event else None,
                "party_ends_at": end - setup if event else None,
                "headcount": people,
                "guests": guests,
                "title": title,
                "notes": "Booked by phone through the management office."
                if booker != who.user_id
                else "",
                "status": status,
                "accepted_rules_version": amenity.rules_version or None,
                "decided_by_id": decided_by,
                "decided_at": decided_at,
                "decision_reason": decision_reason,
                "cancelled_by_id": cancelled_by,
                "cancelled_at": cancelled_at,
                "cancel_reason": cancel_reason,
                "created_at": created,
                "updated_at": max(t for t in (created, decided_at, cancelled_at) if t is not None),
            }
        )
        return True

    def _created(self, amenity: Amenity, start: datetime) -> datetime:
        """When the booking was made: inside the amenity's booking window and notice, and past."""
        notice = max(timedelta(hours=2), timedelta(minutes=amenity.min_notice_minutes))
        latest = min(start - notice, self.now)
        window = min(timedelta(days=amenity.max_days_ahead), MAX_LEAD)
        return self._between(min(start - window, latest), latest)

    def _between(self, lo: datetime, hi: datetime) -> datetime:
        moment = lo + (hi - lo) * self.rng.random() if hi > lo else hi
        return moment.replace(microsecond=0)
