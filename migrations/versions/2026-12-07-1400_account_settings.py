"""account settings

A phone number on the account, and email preferences for confirmations and for changes the
office makes (on by default, like reminders). Plain ADD/DROP COLUMN on users.

Revision ID: 8c3e5f1a2d47
Revises: 6f2d8b1a4c07
Create Date: 2026-12-07 14:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c3e5f1a2d47"
down_revision: str | None = "6f2d8b1a4c07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFERENCES = ("confirmations_enabled", "office_changes_enabled")


def upgrade() -> None:
    op.add_column("users", sa.Column("phone", sa.String(length=16), nullable=True))
    for name in PREFERENCES:
        op.add_column(
            "users", sa.Column(name, sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    for name in (*PREFERENCES, "phone"):
        op.drop_column("users", name)
