"""Every rule a booking can break, in one table: its code, the HTTP status of the refusal,
whether a nearby free slot is a useful answer, and what it means in a sentence. The API exports
the codes (and this table) in its OpenAPI document; the web app keys its messages by them."""

from dataclasses import dataclass
from enum import StrEnum


class RuleCode(StrEnum):
    INVALID_TIME = "reservation.invalid_time"
    INVALID_HEADCOUNT = "reservation.invalid_headcount"
    MISALIGNED = "reservation.misaligned"
    TOO_SHORT = "reservation.too_short"
    TOO_LONG = "reservation.too_long"
    IN_PAST = "reservation.in_past"
    TOO_LITTLE_NOTICE = "reservation.too_little_notice"
    TOO_FAR_AHEAD = "reservation.too_far_ahead"
    OUTSIDE_HOURS = "reservation.outside_hours"
    TOO_MANY_GUESTS = "reservation.too_many_guests"
    CAPACITY_EXCEEDED = "reservation.capacity_exceeded"
    BLACKOUT = "reservation.blackout"
    QUOTA_EXCEEDED = "reservation.quota_exceeded"
    SLOT_TAKEN = "reservation.slot_taken"
    CAPACITY_FULL = "reservation.capacity_full"
    RULES_NOT_ACCEPTED = "reservation.rules_not_accepted"
    CUTOFF_PASSED = "reservation.cutoff_passed"
    ALREADY_STARTED = "reservation.already_started"


@dataclass(frozen=True, slots=True)
class Rule:
    # 409 when other bookings, closures or the clock decide; 422 when the request alone breaks it.
    status: int
    # Whether the nearest free slot is worth suggesting with the refusal.
    suggest: bool
    message: str


CONFLICT, INVALID = 409, 422

RULES: dict[RuleCode, Rule] = {
    RuleCode.INVALID_TIME: Rule(INVALID, False, "A booking must end after it starts."),
    RuleCode.INVALID_HEADCOUNT: Rule(
        INVALID, False, "A booking needs at least one person; guests count in the headcount."
    ),
    RuleCode.MISALIGNED: Rule(INVALID, False, "Bookings start and end on the slot grid."),
    RuleCode.TOO_SHORT: Rule(INVALID, False, "The booking is shorter than the minimum."),
    RuleCode.TOO_LONG: Rule(INVALID, False, "The booking is longer than the maximum."),
    RuleCode.IN_PAST: Rule(INVALID, True, "Bookings cannot start in the past."),
    RuleCode.TOO_LITTLE_NOTICE: Rule(INVALID, True, "The booking starts too soon."),
    RuleCode.TOO_FAR_AHEAD: Rule(INVALID, False, "The booking is beyond the booking window."),
    RuleCode.OUTSIDE_HOURS: Rule(INVALID, True, "The booking is outside the opening hours."),
    RuleCode.TOO_MANY_GUESTS: Rule(INVALID, False, "The party brings too many guests."),
    RuleCode.CAPACITY_EXCEEDED: Rule(
        INVALID, False, "More people than the amenity or a household may bring."
    ),
    RuleCode.BLACKOUT: Rule(CONFLICT, True, "The amenity is closed then."),
    RuleCode.QUOTA_EXCEEDED: Rule(CONFLICT, False, "The household's booking limit is reached."),
    RuleCode.SLOT_TAKEN: Rule(CONFLICT, True, "Another booking holds the time."),
    RuleCode.CAPACITY_FULL: Rule(CONFLICT, True, "Not enough places are free for that time."),
    RuleCode.RULES_NOT_ACCEPTED: Rule(
        INVALID, False, "The amenity's current rules must be accepted first."
    ),
    RuleCode.CUTOFF_PASSED: Rule(
        CONFLICT, False, "The cancellation cutoff has passed: no more changes online."
    ),
    RuleCode.ALREADY_STARTED: Rule(CONFLICT, False, "The booking has already started."),
}
