import enum
import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, StrictBool, field_validator

from hoa.models import AdminAlerts
from hoa.schemas import Input, Output


class FeedKind(enum.StrEnum):
    PERSONAL = "personal"  # the user's households' bookings, across their communities
    AMENITY = "amenity"  # every booking of one amenity, for an admin of its community


class CalendarFeedCreate(Input):
    amenity_id: uuid.UUID | None = Field(
        None, description="An amenity to follow (community admins); null for your own bookings"
    )


class CalendarFeedRead(Output):
    id: uuid.UUID
    kind: FeedKind
    amenity_id: uuid.UUID | None
    amenity_name: str | None
    community_id: uuid.UUID | None
    created_at: datetime = Field(description="When the current secret address was made")


class CalendarFeedCreated(CalendarFeedRead):
    url: str = Field(description="The secret subscribe address; shown only this once")
    webcal_url: str = Field(description="The same address for calendar apps (webcal://)")


class NotificationPreferences(Output):
    reminders: bool = Field(description="Email a reminder before each confirmed booking")
    admin_alerts: AdminAlerts = Field(
        description="Admins: booking requests awaiting approval, by email as they come, "
        "in an hourly digest, or not at all"
    )


class NotificationPreferencesUpdate(Input):
    """Only the fields sent change."""

    reminders: StrictBool | None = None
    admin_alerts: AdminAlerts | None = None

    @field_validator("reminders", "admin_alerts", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Omitting a field keeps it; null is not a value either setting can take.
        if value is None:
            raise ValueError("must not be null; omit the field to keep its value")
        return value
