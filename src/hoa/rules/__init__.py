"""Booking rules as pure functions: hours, windows, quotas, capacity, cutoffs (no I/O)."""

from hoa.rules.booking import (
    RULES,
    AmenityRules,
    Booked,
    BookingMode,
    BookingRequest,
    Hours,
    Interval,
    Rule,
    RuleCode,
    Violation,
    blocked_interval,
    cancellation_deadline,
    check_booking,
    check_cancellation,
    check_conflicts,
    stay_end,
)
from hoa.rules.slots import Slot, day_slots, nearest_free_slot

__all__ = [
    "RULES",
    "AmenityRules",
    "Booked",
    "BookingMode",
    "BookingRequest",
    "Hours",
    "Interval",
    "Rule",
    "RuleCode",
    "Slot",
    "Violation",
    "blocked_interval",
    "cancellation_deadline",
    "check_booking",
    "check_cancellation",
    "check_conflicts",
    "day_slots",
    "nearest_free_slot",
    "stay_end",
]
