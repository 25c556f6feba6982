"""Shared values for the booking-rules tests: a New York community, booking from a fixed now."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hoa.rules import (
    AmenityRules,
    Booked,
    BookingRequest,
    Hours,
    Interval,
    Violation,
    check_booking,
)

NY = ZoneInfo("America/New_York")
NNBSP = "\u202f"  # CLDR puts a narrow no-break space before AM/PM
ALL_DAY: Hours = dict.fromkeys(range(7), ((0, 1440),))
DAYTIME: Hours = dict.fromkeys(range(7), ((480, 1320),))  # 08:00–22:00
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=NY)  # a Monday
RULES = AmenityRules(hours=DAYTIME, max_days_ahead=365)


def ny(when: str, *, fold: int = 0) -> datetime:
    """'2026-03-03 10:00' as New York wall time; fold=1 picks the second of a repeated time."""
    return datetime.fromisoformat(when).replace(tzinfo=NY, fold=fold)


def rules(**changes: Any) -> AmenityRules:
    return replace(RULES, **changes)


def request(
    starts_at: datetime,
    ends_at: datetime,
    *,
    headcount: int = 1,
    guests: int = 0,
    household: object = "us",
    accepted: int | None = None,
) -> BookingRequest:
    return BookingRequest(starts_at, ends_at, headcount, guests, household, accepted)


def check(
    req: BookingRequest,
    amenity: AmenityRules = RULES,
    *,
    now: datetime = NOW,
    booked: Sequence[Booked] = (),
    household_booked: Sequence[Interval] = (),
    blackouts: Sequence[Interval] = (),
    check_acceptance: bool = True,
    locale: str = "en-US",
) -> Violation | None:
    return check_booking(
        req,
        amenity,
        NY,
        now,
        booked=booked,
        household_booked=household_booked,
        blackouts=blackouts,
        check_acceptance=check_acceptance,
        locale=locale,
    )


def code(req: BookingRequest, amenity: AmenityRules = RULES, **context: Any) -> str | None:
    violation = check(req, amenity, **context)
    return None if violation is None else violation.code
