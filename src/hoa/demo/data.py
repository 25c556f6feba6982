"""The demo's seed data: who signs in, the two communities, their amenities and rules texts, how
residents use each amenity, and the bookings each demo login should have. The builder
(``demo.builder``) turns it into rows."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from hoa.amenities.schemas import WEEKDAYS
from hoa.models import BookingMode, ReservationStatus, Role

# Bookings span the past week and the next four weeks (each amenity's booking window allowing).
PAST_DAYS = 7
FUTURE_DAYS = 27
# Residents book at most three weeks before the date, whatever the amenity's window allows.
MAX_LEAD = timedelta(days=21)
# A random booking that keeps colliding with earlier ones is given up after this many tries.
ATTEMPTS = 5
CANCEL_RATE = 0.06
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
                "kind": "Clubhouse",
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
                "kind": "Pool",
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
                    "kind": "Tennis court",
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
                "kind": "Guest suite",
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
                "check_in_time": "15:00",
                "check_out_time": "11:00",
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
                "kind": "BBQ area",
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
                "kind": "Fitness room",
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
                "kind": "Party room",
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
