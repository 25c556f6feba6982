import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    actor_id: uuid.UUID | None
    action: str
    entity_type: str
    entity_id: uuid.UUID
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    by_operator: bool = Field(
        description="Done by a platform operator who is no member of the community"
    )
    created_at: datetime


class PlatformAuditEventRead(AuditEventRead):
    community_id: uuid.UUID | None
    community_name: str | None
    actor_email: str | None


class HistoryChange(BaseModel):
    field: str = Field(description="What changed: time, party, people, status, reason, or a field")
    before: str | None
    after: str | None


class AuditEntryRead(AuditEventRead):
    """An event as the office reads it: who, what and what changed in words, and the booking."""

    actor_name: str | None = Field(
        description="Who did it: a name, 'Platform operator', or none when the system did"
    )
    summary: str = Field(description="What happened, in words")
    changes: list[HistoryChange] = Field(
        description="Names instead of ids, times in the community's zone"
    )
    booking_id: uuid.UUID | None = Field(description="The booking the event concerns")
    booking_label: str | None = Field(description="The booking's amenity and time")
