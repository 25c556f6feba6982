import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hoa.core.database import Base
from hoa.models._common import created_at, uuid_pk


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index(None, "community_id", "created_at"),
        sa.Index(None, "entity_id"),  # a booking's history
        sa.Index(
            "ix_audit_events_by_operator",
            "created_at",
            postgresql_where=sa.text("by_operator"),
            sqlite_where=sa.text("by_operator"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # None for platform-level events (a community created by an operator is logged in it).
    community_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("communities.id", ondelete="CASCADE")
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(sa.String(80))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[uuid.UUID]
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    # Done by a platform operator as such: on the platform, or in a community they are no
    # member of (the platform audit log lists these).
    by_operator: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = created_at()
