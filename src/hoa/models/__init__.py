"""Every table, imported here so Alembic sees one metadata."""

from hoa.models.amenities import KIND_MAX_LENGTH, Amenity, AmenityStatus, Blackout, BookingMode
from hoa.models.audit import AuditEvent
from hoa.models.auth import RefreshToken
from hoa.models.communities import (
    MAX_REMINDER_HOURS,
    Community,
    Household,
    Invitation,
    Membership,
    MemberStatus,
    Role,
    member_context,
    operator_context,
)
from hoa.models.notifications import Notification, NotificationStatus
from hoa.models.reservations import (
    ACTIVE_STATUSES,
    HELD_STATUSES,
    MAX_BUFFER_MINUTES,
    MAX_RESERVATION_DAYS,
    OVERLAP_CONSTRAINT,
    Reservation,
    ReservationStatus,
)
from hoa.models.users import AdminAlerts, CalendarFeed, User

__all__ = [
    "ACTIVE_STATUSES",
    "HELD_STATUSES",
    "KIND_MAX_LENGTH",
    "MAX_BUFFER_MINUTES",
    "MAX_REMINDER_HOURS",
    "MAX_RESERVATION_DAYS",
    "OVERLAP_CONSTRAINT",
    "AdminAlerts",
    "Amenity",
    "AmenityStatus",
    "AuditEvent",
    "Blackout",
    "BookingMode",
    "CalendarFeed",
    "Community",
    "Household",
    "Invitation",
    "MemberStatus",
    "Membership",
    "Notification",
    "NotificationStatus",
    "RefreshToken",
    "Reservation",
    "ReservationStatus",
    "Role",
    "User",
    "member_context",
    "operator_context",
]
