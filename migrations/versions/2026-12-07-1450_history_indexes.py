"""history indexes

A booking's history reads its audit events and its emails by the booking's id: index
``entity_id`` on both tables so that stays a lookup however long the community's trail is.

Revision ID: 8c41e2f0a9d3
Revises: 2d7c9e4f1a86
Create Date: 2026-12-07 14:50:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8c41e2f0a9d3"
down_revision: str | None = "2d7c9e4f1a86"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_events_entity_id", "audit_events", ["entity_id"])
    op.create_index("ix_notifications_entity_id", "notifications", ["entity_id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_entity_id", table_name="notifications")
    op.drop_index("ix_audit_events_entity_id", table_name="audit_events")
