"""completed reservations

Confirmed bookings that are over become ``completed``; they keep holding their time (their
buffer may reach past the end), so the overlap guard now covers them too.

Revision ID: 1a35888c5d9a
Revises: 9fca14d5d112
Create Date: 2026-11-26 11:30:13.412659+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hoa.models.reservations import drop_overlap_guard_ddl, overlap_guard_ddl

revision: str = "1a35888c5d9a"
down_revision: str | None = "9fca14d5d112"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = "'pending', 'confirmed'"
AFTER = "'pending', 'confirmed', 'completed'"


def _guard(statuses: str) -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_overlap_guard_ddl(dialect) + overlap_guard_ddl(dialect, statuses):
        op.execute(statement)


def upgrade() -> None:
    op.create_index(
        "ix_reservations_confirmed_ends_at",
        "reservations",
        ["ends_at"],
        unique=False,
        postgresql_where=sa.text("status = 'confirmed'"),
        sqlite_where=sa.text("status = 'confirmed'"),
    )
    _guard(AFTER)


def downgrade() -> None:
    op.execute("UPDATE reservations SET status = 'confirmed' WHERE status = 'completed'")
    _guard(BEFORE)
    op.drop_index("ix_reservations_confirmed_ends_at", table_name="reservations")
