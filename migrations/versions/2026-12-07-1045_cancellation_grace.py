"""cancellation grace

A grace period after a booking is confirmed during which its resident may still cancel it,
even inside the cancellation cutoff. Plain ADD/DROP COLUMN on amenities.

Revision ID: 8e4b2f61c0d3
Revises: 5d1c0e7a9b42
Create Date: 2026-12-07 10:45:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e4b2f61c0d3"
down_revision: str | None = "5d1c0e7a9b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "amenities",
        sa.Column("cancellation_grace_minutes", sa.Integer(), server_default="15", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("amenities", "cancellation_grace_minutes")
