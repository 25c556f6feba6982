import itertools
import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from hoa.core.schemas import Input, Name, Output
from hoa.models import (
    KIND_MAX_LENGTH,
    MAX_BUFFER_MINUTES,
    MAX_RESERVATION_DAYS,
    AmenityStatus,
    BookingMode,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def clock_minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _valid_ranges(ranges: list[tuple[str, str]]) -> list[tuple[str, str]]:
    spans = []
    for start, end in ranges:
        if not (_CLOCK.match(start) and _CLOCK.match(end)):
            raise ValueError("times are HH:MM, 00:00 to 24:00")
        if clock_minutes(start) >= clock_minutes(end):
            raise ValueError(f"{start}–{end}: opening must be before closing")
        spans.append((clock_minutes(start), clock_minutes(end)))
    spans.sort()
    for (_, closes), (opens, _) in itertools.pairwise(spans):
        if opens < closes:
            raise ValueError("opening ranges of a day overlap")
    return sorted(ranges, key=lambda r: clock_minutes(r[0]))


DayHours = Annotated[list[tuple[str, str]], Field(max_length=12), AfterValidator(_valid_ranges)]
Hours = Annotated[
    dict[Weekday, DayHours],
    Field(
        description='Local opening ranges per weekday, e.g. {"mon": [["08:00", "22:00"]]}; '
        "a missing day is closed",
        examples=[{"mon": [["08:00", "12:00"], ["13:00", "22:00"]]}],
    ),
]
Minutes = Annotated[StrictInt, Field(ge=0, le=MAX_BUFFER_MINUTES)]
Limit = Annotated[StrictInt | None, Field(ge=1, le=1000)]
Clock = Annotated[
    str,
    Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["15:00"], description="Local HH:MM"),
]


def tidy_kind(value: object) -> object:
    """Trimmed, inner runs of spaces as one (so "Tennis  court " groups with "Tennis court");
    blank means no kind."""
    if isinstance(value, str):
        return " ".join(value.split()) or None
    return value


Kind = Annotated[
    Annotated[str, StringConstraints(max_length=KIND_MAX_LENGTH)] | None,
    BeforeValidator(tidy_kind),
    Field(
        description="What the amenity is, shared by interchangeable ones so residents can ask "
        'for any of them (e.g. "Tennis court"); blank or null: none',
        examples=["Tennis court"],
    ),
]
Money = Annotated[StrictInt, Field(ge=0, le=100_000_000, description="Amount in cents")]


class _Rules(Input):
    description: str | None = Field(None, max_length=5000)
    kind: Kind = None
    hours: Hours | None = None
    slot_minutes: StrictInt | None = Field(None, ge=5, le=1440)
    min_duration_minutes: StrictInt | None = Field(None, ge=5, le=MAX_RESERVATION_DAYS * 1440)
    max_duration_minutes: StrictInt | None = Field(None, ge=5, le=MAX_RESERVATION_DAYS * 1440)
    max_days_ahead: StrictInt | None = Field(None, ge=0, le=730)
    min_notice_minutes: StrictInt | None = Field(None, ge=0, le=60 * 24 * 60)
    buffer_before_minutes: Minutes | None = None
    buffer_after_minutes: Minutes | None = None
    mode: BookingMode | None = None
    capacity: StrictInt | None = Field(None, ge=1, le=10_000)
    max_headcount_per_household: Limit = None
    max_guests: StrictInt | None = Field(None, ge=0, le=10_000)
    requires_approval: StrictBool | None = None
    cancellation_cutoff_hours: StrictInt | None = Field(None, ge=0, le=24 * 90)
    cancellation_grace_minutes: StrictInt | None = Field(
        None,
        ge=0,
        le=24 * 60,
        description="How long after it is confirmed a booking can be cancelled even inside "
        "the cutoff",
    )
    max_per_day: Limit = None
    max_per_week: Limit = None
    max_per_month: Limit = None
    max_upcoming: Limit = None
    overnight_allowed: StrictBool | None = None
    check_in_time: Clock | None = Field(
        None, description="Stays start at this local time (overnight amenities, with check-out)"
    )
    check_out_time: Clock | None = Field(
        None, description="Stays end at this local time, whole nights after check-in"
    )
    rules_text: str | None = Field(None, max_length=20_000)
    fee_cents: Money | None = None
    deposit_cents: Money | None = None


class AmenityCreate(_Rules):
    name: Name
    hours: Hours


class AmenityTemplate(Output):
    """A usual amenity with sensible rules, to create as it is and adjust afterwards."""

    key: str
    summary: str = Field(description="Its main rules in a sentence")
    amenity: AmenityCreate


class AmenityUpdate(_Rules):
    name: Name | None = None
    status: AmenityStatus | None = None


class AmenityRead(Output):
    id: uuid.UUID
    name: str
    description: str
    kind: str | None
    hours: dict[Weekday, list[tuple[str, str]]]
    slot_minutes: int
    min_duration_minutes: int
    max_duration_minutes: int
    max_days_ahead: int
    min_notice_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    mode: BookingMode
    capacity: int
    max_headcount_per_household: int | None
    max_guests: int | None
    requires_approval: bool
    cancellation_cutoff_hours: int
    cancellation_grace_minutes: int
    max_per_day: int | None
    max_per_week: int | None
    max_per_month: int | None
    max_upcoming: int | None
    overnight_allowed: bool
    check_in_time: str | None
    check_out_time: str | None
    rules_text: str
    rules_version: int
    fee_cents: int
    deposit_cents: int
    status: AmenityStatus
    created_at: datetime
    updated_at: datetime
