import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from hoa.models import NotificationStatus
from hoa.notifications.kinds import NotificationKind


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    recipient_id: uuid.UUID | None
    recipient_email: str
    kind: NotificationKind
    entity_type: str
    entity_id: uuid.UUID
    status: NotificationStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    provider_message_id: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


class NotificationCounts(BaseModel):
    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
