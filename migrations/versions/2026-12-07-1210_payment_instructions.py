"""payment instructions

What residents are told about paying an amenity's fee and deposit (in booking emails and in the
app). Plain ADD/DROP COLUMN on communities.

Revision ID: 6f2d8b1a4c07
Revises: 6f2d8a1c4b90
Create Date: 2026-12-07 12:10:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6f2d8b1a4c07"
down_revision: str | None = "6f2d8a1c4b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "communities",
        sa.Column("payment_instructions", sa.Text(), server_default="", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("communities", "payment_instructions")
