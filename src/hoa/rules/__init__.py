"""Booking rules as pure functions: hours, windows, quotas, capacity, cutoffs (no I/O)."""

from hoa.rules.booking import (
    CODES,
    AmenityRules,
    Booked,
    BookingMode,
    BookingRequest,
    Hours,
    Interval,
    Violation,
    blocked_interval,
    check_booking,
    check_cancellation,
    check_conflicts,
)
from hoa.rules.slots import Slot, day_slots, nearest_free_slot

__all__ = [
    "CODES",
    "AmenityRules",
    "Booked",
    "BookingMode",
    "BookingRequest",
    "Hours",
    "Interval",
    "Slot",
    "Violation",
    "blocked_interval",
    "check_booking",
    "check_cancellation",
    "check_conflicts",
    "day_slots",
    "nearest_free_slot",
]
