"""Demo data for ``hoa seed-demo``: two communities, their people and amenities, and a month of
bookings around today."""

import random
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.amenities.schemas import WEEKDAYS, clock_minutes
from hoa.auth.passwords import hash_password, verify_password
from hoa.core.database import Base, Database
from hoa.core.settings import Settings
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

# Bookings span the past week and the next four weeks (each amenity's booking window allowing).
PAST_DAYS = 7
FUTURE_DAYS = 27
# Residents book at most three weeks before the date, whatever the amenity's window allows.
MAX_LEAD = timedelta(days=21)
# A random booking that keeps colliding with earlier ones is given up after this many tries.
ATTEMPTS = 5
CANCEL_RATE = 0.06
CHECKOUT = "11:00"
CHECK_IN = ("15:00", "16:00", "17:00")
RNG_SEED = 2026


def _daily(*ranges: tuple[str, str]) -> dict[str, list[list[str]]]:
    return {day: [list(r) for r in ranges] for day in WEEKDAYS}


@dataclass(frozen=True, slots=True)
class Login:
    email: str
    name: str
    description: str
    community: str | None = None  # slug
    role: Role | None = None
    household: str | None = None  # label
    operator: bool = False


LOGINS = (
    Login("operator@demo.example", "Dana Whitfield", "platform operator", operator=True),
    Login(
        "admin@maple-grove.example",
        "Linda Chen",
        "Maple Grove HOA admin",
        "maple-grove",
        Role.ADMIN,
        "2 Maple Ct",
    ),
    Login(
        "resident@maple-grove.example",
        "Jordan Rivera",
        "Maple Grove resident, 12 Maple Ct",
        "maple-grove",
        Role.RESIDENT,
        "12 Maple Ct",
    ),
    Login(
        "neighbor@maple-grove.example",
        "Priya Shah",
        "Maple Grove resident of another household, 14 Maple Ct",
        "maple-grove",
        Role.RESIDENT,
        "14 Maple Ct",
    ),
    Login(
        "admin@oak-ridge.example",
        "Marcus Bell",
        "Oak Ridge HOA admin",
        "oak-ridge",
        Role.ADMIN,
        "Unit 1A",
    ),
    Login(
        "resident@oak-ridge.example",
        "Emily Novak",
        "Oak Ridge resident, Unit 2B",
        "oak-ridge",
        Role.RESIDENT,
        "Unit 2B",
    ),
)

FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophia", "Mason", "Isabella", "Lucas",
    "Mia", "Benjamin", "Charlotte", "Henry", "Amelia", "Daniel", "Harper", "Samuel", "Evelyn",
    "David", "Grace", "Michael", "Chloe", "James", "Nora", "Aiden", "Hannah", "Carlos", "Mei",
    "Rahul", "Fatima", "Omar", "Sofia", "Diego", "Aisha", "Kenji", "Ingrid", "Tyler", "Rosa",
    "Victor",
)  # fmt: skip
LAST_NAMES = (
    "Anderson", "Baker", "Brooks", "Campbell", "Carter", "Cohen", "Collins", "Diaz", "Edwards",
    "Fischer", "Foster", "Garcia", "Gonzalez", "Greene", "Hall", "Hayes", "Hughes", "Jensen",
    "Kim", "Kowalski", "Lee", "Lopez", "Martin", "Mitchell", "Morgan", "Murphy", "Nguyen",
    "O'Connor", "Okafor", "Park", "Patel", "Reyes", "Rossi", "Russo", "Schmidt", "Singh",
    "Sullivan", "Tanaka", "Thompson", "Turner", "Walker", "Ward", "Weber", "Wright", "Young",
)  # fmt: skip
CANCEL_REASONS = (
    "Plans changed.",
    "Rain in the forecast.",
    "Sick kid at home.",
    "Guests cancelled their visit.",
    "Booked the wrong day by mistake.",
)
REJECT_REASONS = (
    "The clubhouse is being set up for the board meeting that evening.",
    "Your household already has two clubhouse events this month.",
    "Commercial events are not allowed in the clubhouse.",
)


@dataclass(frozen=True, slots=True)
class Demand:
    """How residents use an amenity: expected bookings a day, lengths (minutes, or nights for an
    overnight amenity), party sizes and titles."""

    weekday: float
    weekend: float
    lengths: tuple[int, ...]
    people: tuple[int, int] = (1, 1)
    max_guests: int = 0
    titles: tuple[str, ...] = ("",)
    earliest: str | None = None  # no start before this local time, though the amenity opens
    event: bool = False  # with setup and cleanup around the party itself


@dataclass(frozen=True, slots=True)
class AmenitySpec:
    name: str
    demand: Demand
    columns: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Featured:
    """A booking of a demo login, so that each has upcoming and past bookings to look at."""

    email: str
    amenity: str
    day: int  # days from today
    start: str  # local HH:MM
    length: int  # minutes, or nights for an overnight amenity
    people: int = 1
    guests: int = 0
    title: str = ""
    status: ReservationStatus = ReservationStatus.CONFIRMED
    saturday: bool = False  # moved to the first Saturday on or after `day`


@dataclass(frozen=True, slots=True)
class CommunitySpec:
    name: str
    slug: str
    timezone: str
    join_code: str
    show_booker_names: bool
    households: tuple[str, ...]
    amenities: tuple[AmenitySpec, ...]
    featured: tuple[Featured, ...]


CLUBHOUSE_RULES = """\
1. The resident who books must be present for the whole event.
2. Music off by 22:00; everyone out by 23:00.
3. No glitter, confetti, rice or open flames (birthday candles excepted).
4. Setup and cleanup happen inside your booking: wipe the tables, sweep the floor, bag the trash \
and take it to the dumpster.
5. The $250 deposit is refunded within 7 days of the inspection, less cleaning or repair costs.
6. At most 60 people, guests included. No smoking or vaping in the building."""

POOL_RULES = """\
1. No lifeguard on duty: swim at your own risk; children under 14 need an adult with them.
2. Bring your fob; guests must stay with the resident who booked.
3. No glass, no pets, no diving in the shallow end.
4. Swim diapers for little ones. Thunder heard? Everyone out for 30 minutes."""

GUEST_SUITE_RULES = """\
1. Check-in 15:00–22:00, check-out by 11:00. The key is in the lockbox; the office texts the code.
2. At most 4 guests. No pets, no smoking, no parties.
3. Linens and towels are provided: strip the beds and start the dishwasher before you leave.
4. The host resident is responsible for their guests and any damage."""

PARTY_ROOM_RULES = """\
1. Music off by 21:30, room vacated by 22:00.
2. Clean up inside your booking; the $100 deposit covers cleaning left undone.
3. No confetti or open flames."""


def _maple_grove() -> CommunitySpec:
    households = (
        *(f"{n} Maple Ct" for n in range(2, 22, 2)),
        *(f"{n} Birch Ln" for n in range(1, 21, 2)),
        *(f"{n} Willow Way" for n in range(101, 121, 2)),
        *(f"Lot {n}" for n in range(21, 31)),
    )
    clubhouse = Demand(
        0.15,
        0.7,
        lengths=(180, 240, 240, 300, 360),
        people=(15, 60),
        max_guests=50,
        titles=(
            "Birthday party",
            "Baby shower",
            "Bridal shower",
            "Book club",
            "Retirement party",
            "Anniversary dinner",
            "Scout troop meeting",
            "Graduation party",
        ),
        earliest="11:00",
        event=True,
    )
    amenities = (
        AmenitySpec(
            "Clubhouse",
            clubhouse,
            {
                "description": "Main hall with a kitchen, 8 round tables and 60 chairs, a sound "
                "system and a patio. Ideal for birthdays, showers and meetings. Requests are "
                "reviewed by the board within two days.",
                "hours": _daily(("08:00", "23:00")),
                "slot_minutes": 60,
                "min_duration_minutes": 120,
                "max_duration_minutes": 360,
                "max_days_ahead": 90,
                "min_notice_minutes": 3 * 24 * 60,
                "buffer_before_minutes": 30,
                "buffer_after_minutes": 30,
                "mode": BookingMode.EXCLUSIVE,
                "max_headcount_per_household": 60,
                "max_guests": 50,
                "requires_approval": True,
                "cancellation_cutoff_hours": 48,
                "max_per_month": 2,
                "rules_text": CLUBHOUSE_RULES,
                "rules_version": 1,
                "fee_cents": 15000,
                "deposit_cents": 25000,
            },
        ),
        AmenitySpec(
            "Pool",
            Demand(
                4,
                7,
                lengths=(60, 60, 120, 120, 180),
                people=(1, 6),
                max_guests=4,
                titles=("", "", "Swim practice", "Lap swim", "Kids' swim time"),
            ),
            {
                "description": "Heated 25-yard pool with a shallow end, loungers and shade "
                "umbrellas. Up to 20 swimmers at a time; book the hours your household will "
                "swim.",
                "hours": _daily(("07:00", "21:00")),
                "slot_minutes": 60,
                "min_duration_minutes": 60,
                "max_duration_minutes": 180,
                "max_days_ahead": 7,
                "mode": BookingMode.CAPACITY,
                "capacity": 20,
                "max_headcount_per_household": 6,
                "max_guests": 4,
                "max_per_day": 1,
                "rules_text": POOL_RULES,
                "rules_version": 1,
            },
        ),
        *(
            AmenitySpec(
                f"Tennis Court {number}",
                Demand(
                    2,
                    3,
                    lengths=(30, 60, 60, 90, 120),
                    people=(2, 4),
                    max_guests=2,
                    titles=("", "Singles", "Doubles", "Lesson with Coach Mike", "Pickleball"),
                ),
                {
                    "description": f"Hard court {number} with lights for evening play. Bring "
                    "your own racquets and balls; please brush the court when you finish.",
                    "hours": _daily(("06:00", "22:00")),
                    "slot_minutes": 30,
                    "min_duration_minutes": 30,
                    "max_duration_minutes": 120,
                    "max_days_ahead": 14,
                    "mode": BookingMode.EXCLUSIVE,
                    "max_headcount_per_household": 4,
                    "max_guests": 3,
                    "max_per_week": 3,
                },
            )
            for number in (1, 2)
        ),
        AmenitySpec(
            "Guest Suite",
            Demand(
                0.1,
                0.25,
                lengths=(1, 1, 2, 2, 3, 4),
                people=(1, 4),
                max_guests=4,
                titles=(
                    "Parents visiting",
                    "In-laws visiting",
                    "College friend staying over",
                    "Grandparents visiting",
                ),
            ),
            {
                "description": "Furnished one-bedroom suite above the clubhouse for your "
                "visitors: queen bed, sofa bed, kitchenette and private bath. Check-in "
                "15:00–22:00, check-out by 11:00.",
                "hours": _daily(("07:00", "11:00"), ("15:00", "22:00")),
                "slot_minutes": 60,
                "min_duration_minutes": 16 * 60,
                "max_duration_minutes": 7 * 24 * 60,
                "max_days_ahead": 120,
                "mode": BookingMode.EXCLUSIVE,
                "max_headcount_per_household": 4,
                "max_guests": 4,
                "overnight_allowed": True,
                "cancellation_cutoff_hours": 72,
                "max_per_month": 2,
                "rules_text": GUEST_SUITE_RULES,
                "rules_version": 1,
                "fee_cents": 5000,
            },
        ),
        AmenitySpec(
            "BBQ Area",
            Demand(
                0.3,
                1.2,
                lengths=(120, 180, 180, 240),
                people=(4, 20),
                max_guests=15,
                titles=("Family cookout", "Birthday BBQ", "Neighbors get-together", "Game day"),
                earliest="11:00",
            ),
            {
                "description": "Covered patio by the playground with two gas grills, three "
                "picnic tables and string lights. Propane is refilled by the HOA.",
                "hours": _daily(("10:00", "21:00")),
                "slot_minutes": 60,
                "min_duration_minutes": 60,
                "max_duration_minutes": 240,
                "max_days_ahead": 30,
                "mode": BookingMode.EXCLUSIVE,
                "max_headcount_per_household": 25,
                "max_guests": 20,
                "cancellation_cutoff_hours": 24,
            },
        ),
    )
    resident, neighbor = "resident@maple-grove.example", "neighbor@maple-grove.example"
    featured = (
        Featured(resident, "Tennis Court 1", -3, "18:00", 60, 2, 1, "Singles"),
        Featured(resident, "Pool", -2, "14:00", 120, 3, 1),
        Featured(resident, "Pool", 1, "16:00", 120, 4, 2, "Kids' swim time"),
        Featured(resident, "Tennis Court 1", 2, "07:00", 90, 2, 1, "Singles"),
        Featured(resident, "Pool", 4, "10:00", 60, 2, status=ReservationStatus.CANCELLED),
        Featured(resident, "BBQ Area", 5, "17:00", 180, 8, 6, "Family cookout"),
        Featured(
            resident,
            "Clubhouse",
            10,
            "16:00",
            360,
            35,
            30,
            "Maya's 10th birthday",
            ReservationStatus.PENDING,
            saturday=True,
        ),
        Featured(resident, "Guest Suite", 20, "15:00", 2, 2, 2, "Grandparents visiting"),
        Featured(neighbor, "Clubhouse", -6, "13:00", 240, 18, 12, "Book club brunch"),
        Featured(neighbor, "BBQ Area", -4, "17:00", 180, 10, 7, "Neighbors get-together"),
        Featured(neighbor, "Pool", 2, "11:00", 120, 2, 0, "Lap swim"),
        Featured(neighbor, "Tennis Court 2", 3, "19:00", 60, 4, 2, "Doubles"),
        Featured(
            neighbor,
            "Clubhouse",
            17,
            "18:00",
            300,
            45,
            40,
            "Graduation party",
            saturday=True,
        ),
    )
    return CommunitySpec(
        name="Maple Grove HOA",
        slug="maple-grove",
        timezone="America/New_York",
        join_code="MAPLE2026",
        show_booker_names=False,
        households=households,
        amenities=amenities,
        featured=featured,
    )


def _oak_ridge() -> CommunitySpec:
    amenities = (
        AmenitySpec(
            "Fitness Room",
            Demand(0.4, 0.4, lengths=(30, 60, 60, 90), people=(1, 2)),
            {
                "description": "Two treadmills, an elliptical, a rowing machine and free "
                "weights up to 50 lb. Wipe the equipment down after use.",
                "hours": _daily(("05:00", "23:00")),
                "slot_minutes": 30,
                "min_duration_minutes": 30,
                "max_duration_minutes": 90,
                "max_days_ahead": 7,
                "mode": BookingMode.CAPACITY,
                "capacity": 8,
                "max_headcount_per_household": 2,
                "max_guests": 1,
                "max_per_day": 1,
            },
        ),
        AmenitySpec(
            "Party Room",
            Demand(
                0.05,
                0.4,
                lengths=(180, 240, 300),
                people=(10, 40),
                max_guests=35,
                titles=("Birthday party", "Holiday potluck", "Housewarming"),
                earliest="12:00",
                event=True,
            ),
            {
                "description": "Ground-floor lounge with a kitchenette, seating for 40 and a TV.",
                "hours": _daily(("10:00", "22:00")),
                "slot_minutes": 60,
                "min_duration_minutes": 120,
                "max_duration_minutes": 300,
                "max_days_ahead": 60,
                "buffer_after_minutes": 30,
                "mode": BookingMode.EXCLUSIVE,
                "max_headcount_per_household": 45,
                "max_guests": 40,
                "cancellation_cutoff_hours": 24,
                "max_per_month": 1,
                "rules_text": PARTY_ROOM_RULES,
                "rules_version": 1,
                "fee_cents": 7500,
                "deposit_cents": 10000,
            },
        ),
    )
    resident = "resident@oak-ridge.example"
    featured = (
        Featured(resident, "Fitness Room", -2, "07:00", 60),
        Featured(resident, "Fitness Room", 1, "06:30", 60),
        Featured(resident, "Party Room", 8, "17:00", 240, 20, 16, "Housewarming"),
    )
    return CommunitySpec(
        name="Oak Ridge HOA",
        slug="oak-ridge",
        timezone="America/Chicago",
        join_code="OAKRIDGE",
        show_booker_names=True,
        households=("Unit 1A", "Unit 1B", "Unit 2A", "Unit 2B", "Unit 3A"),
        amenities=amenities,
        featured=featured,
    )


COMMUNITIES = (_maple_grove(), _oak_ridge())


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
class _Span:
    starts_at: datetime
    ends_at: datetime
    headcount: int
    household_id: uuid.UUID


def _peak(spans: Iterable[_Span], start: datetime, end: datetime) -> int:
    """Most people present at one instant of [start, end) (a departure before an arrival at the
    same instant: intervals are half-open)."""
    events = sorted(
        event
        for s in spans
        if s.starts_at < end and start < s.ends_at
        for event in ((max(s.starts_at, start), s.headcount), (s.ends_at, -s.headcount))
    )
    return max(accumulate(delta for _, delta in events), default=0)


_PERIODS: tuple[tuple[str, Callable[[date], object]], ...] = (
    ("max_per_day", lambda d: d),
    ("max_per_week", lambda d: d.isocalendar()[:2]),
    ("max_per_month", lambda d: (d.year, d.month)),
)


@dataclass
class _Ledger:
    """An amenity's active bookings placed so far: what the next one must respect."""

    amenity: Amenity
    demand: Demand
    tz: ZoneInfo
    spans: list[_Span] = field(default_factory=list)

    def blocked(self, start: datetime, end: datetime) -> tuple[datetime, datetime]:
        return (
            start - timedelta(minutes=self.amenity.buffer_before_minutes),
            end + timedelta(minutes=self.amenity.buffer_after_minutes),
        )

    def admits(self, start: datetime, end: datetime, headcount: int, household: uuid.UUID) -> bool:
        """Overlap (buffers included) for exclusive amenities, capacity for shared ones, the
        household's headcount limit and its day/week/month quotas."""
        a = self.amenity
        if a.mode is BookingMode.EXCLUSIVE:
            lo, hi = self.blocked(start, end)
            taken = (self.blocked(s.starts_at, s.ends_at) for s in self.spans)
            if any(lo < taken_hi and taken_lo < hi for taken_lo, taken_hi in taken):
                return False
        elif _peak(self.spans, start, end) + headcount > a.capacity:
            return False
        own = [s for s in self.spans if s.household_id == household]
        limit = a.max_headcount_per_household
        if limit is not None and _peak(own, start, end) + headcount > limit:
            return False
        day = start.astimezone(self.tz).date()
        held = [s.starts_at.astimezone(self.tz).date() for s in own]
        for column, period in _PERIODS:
            limit = getattr(a, column)
            if limit is not None and sum(period(d) == period(day) for d in held) >= limit:
                return False
        return True


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
        self.ledgers[amenity.name] = _Ledger(amenity, demand, self.tz)

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
        if amenity.overnight_allowed:
            clock = clock_minutes(self.rng.choice(CHECK_IN))
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
        if amenity.overnight_allowed:
            return start, _local(day + timedelta(days=length), CHECKOUT, self.tz)
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
        if status in ACTIVE_STATUSES:
            if not ledger.admits(start, end, people, who.household_id):
                return False
            ledger.spans.append(_Span(start, end, people, who.household_id))
        created = self._created(amenity, start)
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
        block_starts_at, block_ends_at = ledger.blocked(start, end)
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
                "block_starts_at": block_starts_at,
                "block_ends_at": block_ends_at,
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
