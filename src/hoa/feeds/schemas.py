import enum
import uuid
from datetime import datetime

from pydantic import Field

from hoa.core.schemas import Input, Output


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
