"""community suspension

A platform operator may suspend a community (when and why) and resume it. Plain ADD/DROP
COLUMN on communities.

Revision ID: 2d7c9e4f1a86
Revises: 8b3e51c2d9a4
Create Date: 2026-12-07 14:40:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hoa.core.database import UTCDateTime

revision: str = "2d7c9e4f1a86"
down_revision: str | None = "8b3e51c2d9a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "communities", sa.Column("suspended_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("communities", sa.Column("suspended_reason", sa.String(500), nullable=True))


def downgrade() -> None:
    op.drop_column("communities", "suspended_reason")
    op.drop_column("communities", "suspended_at")
