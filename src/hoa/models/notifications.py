import enum
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hoa.core.database import Base, UTCDateTime, utcnow
from hoa.models._common import created_at, str_enum, updated_at, uuid_pk


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Notification(Base):
    """An email to send: written in the transaction of the change that causes it (the outbox)."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index(None, "community_id", "created_at"),
        sa.Index(None, "status", "next_attempt_at"),
        sa.Index(None, "entity_id"),  # a booking's emails, in its history
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # None for account notices (lockout, password reset) that belong to no community.
    community_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    recipient_email: Mapped[str] = mapped_column(sa.String(320))
    kind: Mapped[str] = mapped_column(sa.String(60))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[uuid.UUID]
    # Set on jobs that may run twice (reminders): a second insert of the same key fails.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[NotificationStatus] = mapped_column(
        str_enum(NotificationStatus), default=NotificationStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.String(1000))
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
