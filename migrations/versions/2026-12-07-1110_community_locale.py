"""community locale

The BCP 47 tag whose formats a community's dates and times are written in (12- or 24-hour
clock). Plain ADD/DROP COLUMN on communities.

Revision ID: 3c9a7d5e2f10
Revises: 8e4b2f61c0d3
Create Date: 2026-12-07 11:10:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c9a7d5e2f10"
down_revision: str | None = "8e4b2f61c0d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "communities",
        sa.Column("locale", sa.String(length=35), server_default="en-US", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("communities", "locale")
