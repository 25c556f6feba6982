"""Starting points for a new community's amenities: the usual HOA amenities with sensible rules,
which an admin creates in one step and adjusts afterwards."""

from hoa.amenities.schemas import WEEKDAYS, AmenityCreate, AmenityTemplate
from hoa.models import BookingMode


def _daily(*ranges: tuple[str, str]) -> dict[str, list[tuple[str, str]]]:
    return {day: list(ranges) for day in WEEKDAYS}


def _template(key: str, summary: str, **amenity: object) -> AmenityTemplate:
    return AmenityTemplate(key=key, summary=summary, amenity=AmenityCreate.model_validate(amenity))


TEMPLATES = (
    _template(
        "clubhouse",
        "Events of 2–6 hours, approved by an admin, booked at least 3 days ahead; "
        "2 per household a month.",
        name="Clubhouse",
        kind="Clubhouse",
        description="Hall with a kitchen, tables and chairs, for parties, showers and meetings.",
        hours=_daily(("08:00", "23:00")),
        slot_minutes=60,
        min_duration_minutes=120,
        max_duration_minutes=360,
        max_days_ahead=90,
        min_notice_minutes=3 * 24 * 60,
        buffer_before_minutes=30,
        buffer_after_minutes=30,
        mode=BookingMode.EXCLUSIVE,
        max_guests=50,
        requires_approval=True,
        cancellation_cutoff_hours=48,
        max_per_month=2,
        rules_text="1. The resident who books is present for the whole event.\n"
        "2. Music off by 22:00; everyone out by 23:00.\n"
        "3. Setup and cleanup happen inside your booking; take the trash to the dumpster.\n"
        "4. No smoking or vaping in the building.",
    ),
    _template(
        "pool",
        "Shared by up to 20 swimmers, 1–3 hours once a day, booked up to a week ahead.",
        name="Pool",
        kind="Pool",
        description="Outdoor pool with loungers and shade. Book the hours your household swims.",
        hours=_daily(("07:00", "21:00")),
        slot_minutes=60,
        min_duration_minutes=60,
        max_duration_minutes=180,
        max_days_ahead=7,
        mode=BookingMode.CAPACITY,
        capacity=20,
        max_headcount_per_household=6,
        max_guests=4,
        max_per_day=1,
        rules_text="1. No lifeguard on duty: children under 14 swim with an adult.\n"
        "2. Guests stay with the resident who booked.\n"
        "3. No glass, no pets. Thunder heard? Everyone out for 30 minutes.",
    ),
    _template(
        "tennis-court",
        "30 minutes to 2 hours, up to 2 weeks ahead, 3 times a week per household.",
        name="Tennis Court",
        kind="Tennis court",
        description="Hard court with lights. Bring your own racquets and balls.",
        hours=_daily(("06:00", "22:00")),
        slot_minutes=30,
        min_duration_minutes=30,
        max_duration_minutes=120,
        max_days_ahead=14,
        mode=BookingMode.EXCLUSIVE,
        max_guests=3,
        max_per_week=3,
        rules_text="1. Tennis shoes only.\n2. Please brush the court when you finish.",
    ),
    _template(
        "guest-suite",
        "Overnight stays of 1–7 nights for visitors, up to 4 months ahead, approved by an admin.",
        name="Guest Suite",
        kind="Guest suite",
        description="Furnished suite for your visitors. Check-in 15:00–22:00, check-out by 11:00.",
        hours=_daily(("07:00", "11:00"), ("15:00", "22:00")),
        slot_minutes=60,
        min_duration_minutes=16 * 60,
        max_duration_minutes=7 * 24 * 60,
        max_days_ahead=120,
        mode=BookingMode.EXCLUSIVE,
        max_guests=4,
        overnight_allowed=True,
        requires_approval=True,
        cancellation_cutoff_hours=72,
        max_per_month=2,
        rules_text="1. At most 4 guests. No pets, no smoking, no parties.\n"
        "2. Strip the beds and start the dishwasher before you leave.\n"
        "3. The host resident is responsible for their guests and any damage.",
    ),
    _template(
        "bbq-area",
        "1–4 hours, up to a month ahead, cancellable until a day before.",
        name="BBQ Area",
        kind="BBQ area",
        description="Covered patio with gas grills and picnic tables.",
        hours=_daily(("10:00", "21:00")),
        slot_minutes=60,
        min_duration_minutes=60,
        max_duration_minutes=240,
        max_days_ahead=30,
        mode=BookingMode.EXCLUSIVE,
        max_guests=20,
        cancellation_cutoff_hours=24,
        rules_text="1. Turn the grills off and close the propane valve when you finish.\n"
        "2. Scrape the grates and take the trash with you.",
    ),
)
