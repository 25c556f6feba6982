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
