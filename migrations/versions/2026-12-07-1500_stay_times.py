"""stay times

Check-in and check-out times of overnight amenities: stays start at check-in and end at
check-out whole nights later. Plain ADD/DROP COLUMN on amenities (nullable).

Revision ID: 7a3c9e1d5b20
Revises: 8c41e2f0a9d3
Create Date: 2026-12-07 15:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a3c9e1d5b20"
down_revision: str | None = "8c41e2f0a9d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("amenities", sa.Column("check_in_time", sa.String(5), nullable=True))
    op.add_column("amenities", sa.Column("check_out_time", sa.String(5), nullable=True))


def downgrade() -> None:
    op.drop_column("amenities", "check_out_time")
    op.drop_column("amenities", "check_in_time")
