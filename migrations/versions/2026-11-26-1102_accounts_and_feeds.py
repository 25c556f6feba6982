"""accounts and feeds

Revision ID: 9fca14d5d112
Revises: 2505db7fc91c
Create Date: 2026-11-26 11:02:59.082113+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hoa.core.database

revision: str = "9fca14d5d112"
down_revision: str | None = "2505db7fc91c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("amenity_id", sa.Uuid(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", hoa.core.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["amenity_id"],
            ["amenities.id"],
            name=op.f("fk_calendar_feeds_amenity_id_amenities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_feeds_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_feeds_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_hours", sa.Integer(), server_default="24", nullable=False)
        )

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("community_id", existing_type=sa.Uuid(), nullable=True)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "email_verified_at", hoa.core.database.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("reminders_enabled", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "admin_alerts",
                sa.Enum(
                    "immediate", "digest", "off", name="adminalerts", native_enum=False, length=20
                ),
                server_default="digest",
                nullable=False,
            )
        )

    # Accounts so far came from invitations or the operator's CLI: their addresses are known good.
    op.execute("UPDATE users SET email_verified_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("admin_alerts")
        batch_op.drop_column("reminders_enabled")
        batch_op.drop_column("email_verified_at")

    op.execute("DELETE FROM notifications WHERE community_id IS NULL")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("community_id", existing_type=sa.Uuid(), nullable=False)

    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.drop_column("reminder_hours")

    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_user_id"))

    op.drop_table("calendar_feeds")
