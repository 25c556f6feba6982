"""operator audit

Audit events done by a platform operator as such (on the platform, or in a community they are
no member of) are marked, for the platform audit log. ADD COLUMN with a default, and a partial
index of the marked events by time.

Revision ID: 8b3e51c2d9a4
Revises: 8c3e5f1a2d47
Create Date: 2026-12-07 14:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8b3e51c2d9a4"
down_revision: str | None = "8c3e5f1a2d47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "audit_events",
        sa.Column("by_operator", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index(
        "ix_audit_events_by_operator",
        "audit_events",
        ["created_at"],
        postgresql_where=sa.text("by_operator"),
        sqlite_where=sa.text("by_operator"),
    )


def downgrade() -> None:
    op.drop_index("ix_audit_events_by_operator", table_name="audit_events")
    op.drop_column("audit_events", "by_operator")
