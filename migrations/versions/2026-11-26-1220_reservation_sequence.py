"""reservation sequence

Counts a booking's changes for the SEQUENCE of its calendar files. Plain ADD/DROP COLUMN: SQLite
does not rebuild the table, so the overlap triggers stay.

Revision ID: 5d1c0e7a9b42
Revises: 1a35888c5d9a
Create Date: 2026-11-26 12:20:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d1c0e7a9b42"
down_revision: str | None = "1a35888c5d9a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "reservations", sa.Column("sequence", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place (no table rebuild, the triggers stay).
    op.drop_column("reservations", "sequence")
