"""join requests

Joining with a code makes a pending membership (a new value of the memberships' status, a
VARCHAR without a CHECK, so no change there); the community chooses whether household members
may approve those who ask to join their household. Plain ADD/DROP COLUMN on communities.

Revision ID: 6f2d8a1c4b90
Revises: 3c9a7d5e2f10
Create Date: 2026-12-07 11:40:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6f2d8a1c4b90"
down_revision: str | None = "3c9a7d5e2f10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "communities",
        sa.Column(
            "households_approve_joins", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )


def downgrade() -> None:
    # The older schema has no pending status: requests not approved yet granted nothing.
    op.execute("DELETE FROM memberships WHERE status = 'pending'")
    op.drop_column("communities", "households_approve_joins")
