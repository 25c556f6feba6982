from typing import Any

from hoa import rules
from hoa.core.errors import AppError, DomainError
from hoa.models import OVERLAP_CONSTRAINT

# Conflicts with other bookings or with the current state answer 409; a request that breaks the
# amenity's rules on its own answers 422.
CONFLICT_CODES = frozenset(
    {
        "reservation.slot_taken",
        "reservation.capacity_full",
        "reservation.blackout",
        "reservation.quota_exceeded",
        "reservation.cutoff_passed",
        "reservation.already_started",
    }
)


def violation_error(violation: rules.Violation, extra: dict[str, Any] | None = None) -> DomainError:
    status = 409 if violation.code in CONFLICT_CODES else 422
    return DomainError(
        violation.code, violation.message, status, {**violation.details, **(extra or {})}
    )


class SlotTaken(AppError):
    code, status_code, message = (
        "reservation.slot_taken",
        409,
        "Someone else has just booked this time. Please pick another slot.",
    )
    constraint = OVERLAP_CONSTRAINT
    # Two overlapping bookings' exclusion checks waiting on each other: PostgreSQL aborts one
    # as a deadlock, and that one lost the slot.
    sqlstates = ("40P01",)


class RuleViolation(AppError):
    """Documents the rule codes (``reservation.*``) a booking can be refused with."""

    code, status_code, message = "reservation.<rule>", 422, "The booking breaks a rule."


class RuleConflict(AppError):
    code, status_code, message = "reservation.<conflict>", 409, "The time is taken or closed."


class NotActive(AppError):
    code, status_code, message = (
        "reservation.not_active",
        409,
        "This reservation is already cancelled or rejected.",
    )


class NotPending(AppError):
    code, status_code, message = (
        "reservation.not_pending",
        409,
        "Only pending requests can be approved or rejected.",
    )


class UndoExpired(AppError):
    code, status_code, message = (
        "reservation.undo_expired",
        409,
        "This decision can no longer be undone: its time is up or the booking changed since.",
    )


class NoHousehold(AppError):
    code, status_code, message = (
        "reservation.no_household",
        422,
        "Your membership is not linked to a home yet; ask your community admin.",
    )


class IdempotencyKeyReused(AppError):
    code, status_code, message = (
        "idempotency.key_reused",
        422,
        "This Idempotency-Key was already used for a different request.",
    )
    constraint = "uq_reservations_community_id_booked_by_id_idempotency_key"
    sqlite_columns = (
        "reservations.community_id, reservations.booked_by_id, reservations.idempotency_key"
    )


class RangeTooLong(AppError):
    code, status_code, message = (
        "calendar.range_too_long",
        422,
        "Ask for at most 62 days at a time.",
    )


class AmenityOrKind(AppError):
    code, status_code, message = (
        "availability.amenity_or_kind",
        422,
        "Ask about amenities or about a kind of amenity, one of the two.",
    )
