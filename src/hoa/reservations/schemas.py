import uuid
from datetime import date, datetime
from typing import Annotated, Any, Self

from pydantic import Field, GetJsonSchemaHandler, StrictInt, model_validator
from pydantic_core import CoreSchema

from hoa.audit.schemas import HistoryChange
from hoa.core.schemas import Input, Instant, Output, Reason
from hoa.models import NotificationStatus, ReservationStatus
from hoa.notifications.kinds import NotificationKind
from hoa.rules import RULES, RuleCode


class _RuleTable:
    """Exports the rule table with the codes in the OpenAPI document: the ``RuleCode`` schema
    describes each code, and ``x-rules`` gives status, suggestion and message as data."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        json_schema = handler(schema)
        target = handler.resolve_ref_schema(json_schema)
        lines = [
            f"- `{code.value}` ({rule.status}{', suggests a free slot' if rule.suggest else ''}):"
            f" {rule.message}"
            for code, rule in RULES.items()
        ]
        target["description"] = "The booking rule a request breaks.\n\n" + "\n".join(lines)
        target["x-rules"] = {
            code.value: {
                "status": rule.status,
                "suggest_slot": rule.suggest,
                "message": rule.message,
            }
            for code, rule in RULES.items()
        }
        return json_schema


Rule = Annotated[RuleCode, _RuleTable]


# Within the column's 32-bit integer on both backends.
RulesVersion = Annotated[StrictInt, Field(ge=0, le=2**31 - 1)]


class ReservationCreate(Input):
    amenity_id: uuid.UUID
    starts_at: Instant = Field(description="Start (setup start for events), with offset")
    ends_at: Instant = Field(description="End (cleanup end for events), with offset")
    party_starts_at: Instant | None = Field(None, description="Event start, if an event")
    party_ends_at: Instant | None = None
    headcount: StrictInt = Field(
        1, ge=1, le=10_000, description="People attending, guests included"
    )
    guests: StrictInt = Field(
        0, ge=0, le=10_000, description="Of the headcount, how many are guests"
    )
    title: Annotated[str, Field(max_length=200)] = ""
    notes: Annotated[str, Field(max_length=2000)] = ""
    accepted_rules_version: RulesVersion | None = Field(
        None, description="The amenity's rules_version the resident accepted"
    )
    on_behalf_of_member_id: uuid.UUID | None = Field(
        None, description="Admins: book for this member (their household)"
    )

    @model_validator(mode="after")
    def _times(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.guests > self.headcount:
            raise ValueError("guests cannot exceed headcount")
        if (self.party_starts_at is None) != (self.party_ends_at is None):
            raise ValueError("give both party_starts_at and party_ends_at, or neither")
        if (
            self.party_starts_at is not None
            and self.party_ends_at is not None
            and not (self.starts_at <= self.party_starts_at < self.party_ends_at <= self.ends_at)
        ):
            raise ValueError("setup start ≤ party start < party end ≤ cleanup end")
        return self


class ReservationChange(Input):
    """New values; what is left out keeps its current value. Changing the time replaces the
    party times too (give them again for an event)."""

    starts_at: Instant | None = None
    ends_at: Instant | None = None
    party_starts_at: Instant | None = None
    party_ends_at: Instant | None = None
    headcount: StrictInt | None = Field(None, ge=1, le=10_000)
    guests: StrictInt | None = Field(None, ge=0, le=10_000)
    title: Annotated[str, Field(max_length=200)] | None = None
    notes: Annotated[str, Field(max_length=2000)] | None = None
    accepted_rules_version: RulesVersion | None = None


class Decision(Input):
    reason: Reason = ""


class Rejection(Input):
    reason: Annotated[Reason, Field(min_length=1)]


class ReservationRead(Output):
    id: uuid.UUID
    community_id: uuid.UUID
    amenity_id: uuid.UUID
    household_id: uuid.UUID | None
    booked_by_id: uuid.UUID
    booked_for_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    party_starts_at: datetime | None
    party_ends_at: datetime | None
    headcount: int
    guests: int
    title: str
    notes: str
    status: ReservationStatus
    accepted_rules_version: int | None
    decided_by_id: uuid.UUID | None
    decided_at: datetime | None
    decision_reason: str | None
    cancelled_by_id: uuid.UUID | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    cancellable_until: datetime | None = Field(
        None,
        description="Until when the booking's resident may change or cancel it (admins: any "
        "time before it starts); null once it is no longer active",
    )
    created_at: datetime
    updated_at: datetime


class DecisionRead(ReservationRead):
    undo_until: datetime | None = Field(
        description="Until when the decision may be undone; the resident is emailed then"
    )


class SlotRead(Output):
    starts_at: datetime
    ends_at: datetime
    available: bool
    remaining: int
    reason: Rule | None


class ViolationRead(Output):
    code: Rule
    message: str
    details: dict[str, Any]


class CheckResult(Output):
    allowed: bool
    violation: ViolationRead | None
    suggestion: SlotRead | None = Field(description="The nearest free slot, when refused")


class Availability(Output):
    amenity_id: uuid.UUID
    date: date
    timezone: str
    slots: list[SlotRead]


class BlockedDayRead(Output):
    date: date
    reason: Rule | None = Field(
        description="Why most of the day's slots are refused; null when it has no opening hours"
    )


class AmenityNext(Output):
    amenity_id: uuid.UUID
    first_day: date | None = Field(description="The first local day with a bookable slot")
    blocked_days: list[BlockedDayRead] = Field(
        description="The days before first_day (at most 14), each with its main reason"
    )
    slots: list[SlotRead]


class NextAvailable(Output):
    timezone: str
    amenities: list[AmenityNext]


class CalendarEntry(Output):
    id: uuid.UUID
    amenity_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    status: ReservationStatus
    headcount: int
    mine: bool
    title: str | None = Field(
        description="Hidden for others' bookings unless the community shows names"
    )
    booked_for_name: str | None


class CalendarClosure(Output):
    id: uuid.UUID
    amenity_id: uuid.UUID | None = Field(description="None: every amenity is closed")
    starts_at: datetime
    ends_at: datetime
    reason: str = Field(description="The public reason, shown to residents")


class Calendar(Output):
    timezone: str
    start: datetime
    end: datetime
    entries: list[CalendarEntry]
    closures: list[CalendarClosure]


class OfficeBooking(Output):
    """A booking as the office's console lists it: with its amenity, household and resident."""

    id: uuid.UUID
    amenity_id: uuid.UUID
    amenity_name: str
    household_id: uuid.UUID | None
    household_label: str | None
    booked_for_id: uuid.UUID
    booked_for_name: str
    booked_for_email: str
    starts_at: datetime
    ends_at: datetime
    party_starts_at: datetime | None
    party_ends_at: datetime | None
    headcount: int
    guests: int
    title: str
    status: ReservationStatus
    cancel_reason: str | None
    created_at: datetime


class OfficeBookingPage(Output):
    items: list[OfficeBooking]
    total: int = Field(description="Bookings matching the filters, on every page")
    offset: int
    limit: int


class HistoryEvent(Output):
    at: datetime
    action: str = Field(description="The audit action, e.g. reservation.cancelled")
    summary: str = Field(description="What happened, in words")
    actor: str | None = Field(
        description="Who did it: a name, or 'Community office' to residents when the office did"
    )
    by_office: bool = Field(description="Done by someone outside the booking's household")
    changes: list[HistoryChange]


class HistoryEmail(Output):
    kind: NotificationKind
    status: NotificationStatus
    recipient: str | None = Field(description="The address (admins only)")
    created_at: datetime
    sent_at: datetime | None


class BookingHistory(Output):
    events: list[HistoryEvent] = Field(description="Oldest first")
    emails: list[HistoryEmail] = Field(description="Oldest first")


class QueueBooking(Output):
    id: uuid.UUID
    amenity_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    status: ReservationStatus
    headcount: int
    title: str


class QueuedRequest(Output):
    reservation: ReservationRead
    overlapping_requests: list[QueueBooking] = Field(
        description="Other pending requests of the amenity whose time (buffers included) "
        "overlaps this one"
    )
    closures: list[CalendarClosure] = Field(description="Closures overlapping the request's time")
    household_month: list[QueueBooking] = Field(
        description="The household's other pending and confirmed bookings in the request's "
        "local month, by start"
    )
