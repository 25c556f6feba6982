import enum
import uuid
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hoa.core.database import Base
from hoa.models._common import created_at, str_enum, updated_at, uuid_pk


class ReservationStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    COMPLETED = "completed"  # confirmed and over; set by a periodic job


# Still ahead or under way: can be cancelled, approved, reminded of.
ACTIVE_STATUSES = (ReservationStatus.PENDING, ReservationStatus.CONFIRMED)
# Hold their time: block overlaps (with buffers that may reach past the end), count to quotas,
# show on calendars.
HELD_STATUSES = (*ACTIVE_STATUSES, ReservationStatus.COMPLETED)
_HELD_SQL = ", ".join(f"'{status.value}'" for status in HELD_STATUSES)

# No reservation may last longer than this; it lets range queries bound `starts_at` on both sides
# (index range scan) instead of scanning an amenity's whole history.
MAX_RESERVATION_DAYS = 31
MAX_BUFFER_MINUTES = 24 * 60

# Named in the PostgreSQL exclusion constraint and in the SQLite triggers' RAISE message, and mapped
# to reservation.slot_taken in one place.
OVERLAP_CONSTRAINT = "ex_reservations_no_overlap"


class Reservation(Base):
    __tablename__ = "reservations"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="time_order"),
        sa.CheckConstraint(
            "block_starts_at <= starts_at AND block_ends_at >= ends_at", name="block"
        ),
        sa.CheckConstraint(
            "headcount >= 1 AND guests >= 0 AND guests <= headcount", name="headcount"
        ),
        sa.CheckConstraint(
            "party_starts_at IS NULL OR (party_ends_at IS NOT NULL"
            " AND starts_at <= party_starts_at AND party_starts_at < party_ends_at"
            " AND party_ends_at <= ends_at)",
            name="party_times",
        ),
        sa.UniqueConstraint("community_id", "booked_by_id", "idempotency_key"),
        sa.Index(None, "community_id", "starts_at"),
        sa.Index(None, "amenity_id", "starts_at"),
        # What the completion job looks for: confirmed bookings that have ended.
        sa.Index(
            "ix_reservations_confirmed_ends_at",
            "ends_at",
            postgresql_where=sa.text("status = 'confirmed'"),
            sqlite_where=sa.text("status = 'confirmed'"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("communities.id", ondelete="CASCADE")
    )
    amenity_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("amenities.id", ondelete="CASCADE"))
    household_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("households.id", ondelete="SET NULL"), index=True
    )
    booked_by_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    booked_for_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # The span the amenity is unavailable: the booking widened by the amenity's buffers. The
    # database's overlap guard works on this span.
    block_starts_at: Mapped[datetime]
    block_ends_at: Mapped[datetime]
    # Copied from the amenity's mode: only exclusive bookings take part in the overlap guard.
    exclusive: Mapped[bool]
    party_starts_at: Mapped[datetime | None] = mapped_column(default=None)
    party_ends_at: Mapped[datetime | None] = mapped_column(default=None)
    headcount: Mapped[int] = mapped_column(default=1)
    guests: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[ReservationStatus] = mapped_column(str_enum(ReservationStatus), index=True)
    accepted_rules_version: Mapped[int | None] = mapped_column(default=None)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_reason: Mapped[str | None] = mapped_column(sa.String(500), default=None)
    cancelled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    # SHA-256 of the create request's body: a reused key with a different body is refused.
    request_hash: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    # Bumped by every change of time or party, so calendar files (SEQUENCE) replace older ones.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


# Declared for PostgreSQL only; Alembic's autogenerate ignores exclusion constraints, so the
# migration writes the same DDL by hand (and SQLite gets triggers there instead).
_table = cast(sa.Table, Reservation.__table__)
_table.append_constraint(
    ExcludeConstraint(
        (_table.c.amenity_id, "="),
        (
            sa.func.tstzrange(_table.c.block_starts_at, _table.c.block_ends_at, sa.text("'[)'")),
            "&&",
        ),
        name=OVERLAP_CONSTRAINT,
        using="gist",
        where=sa.text(f"exclusive AND status IN ({_HELD_SQL})"),
    ).ddl_if(dialect="postgresql")
)


def overlap_guard_ddl(dialect: str, statuses: str = _HELD_SQL) -> list[str]:
    """DDL that makes overlapping exclusive bookings in ``statuses`` (an SQL list of quoted
    values; migrations pass the one of their time) impossible, per dialect.

    SQLite has no exclusion constraints, so triggers raise with the constraint's name. Alembic's
    batch mode rebuilds tables and drops triggers silently: any migration that batch-alters
    ``reservations`` must run this again.
    """
    if dialect == "postgresql":
        return [
            "CREATE EXTENSION IF NOT EXISTS btree_gist",
            "ALTER TABLE reservations ADD CONSTRAINT ex_reservations_no_overlap EXCLUDE USING gist "
            "(amenity_id WITH =, tstzrange(block_starts_at, block_ends_at, '[)') WITH &&) "
            f"WHERE (exclusive AND status IN ({statuses}))",
        ]
    # The RAISE message is OVERLAP_CONSTRAINT, spelled out so the DDL stays a constant.
    # ``statuses`` is a constant of this module or of a migration, never input.
    check = (
        "SELECT RAISE(ABORT, 'ex_reservations_no_overlap') "  # noqa: S608
        "WHERE EXISTS (SELECT 1 FROM reservations r "
        "WHERE r.amenity_id = NEW.amenity_id AND r.id <> NEW.id AND r.exclusive "
        f"AND r.status IN ({statuses}) "
        "AND r.block_starts_at < NEW.block_ends_at AND NEW.block_starts_at < r.block_ends_at);"
    )
    when = f"WHEN NEW.exclusive AND NEW.status IN ({statuses})"
    return [
        f"CREATE TRIGGER trg_reservations_no_overlap_insert BEFORE INSERT ON reservations "
        f"{when} BEGIN {check} END",
        "CREATE TRIGGER trg_reservations_no_overlap_update BEFORE UPDATE OF "
        "amenity_id, block_starts_at, block_ends_at, status, exclusive ON reservations "
        f"{when} BEGIN {check} END",
    ]


def drop_overlap_guard_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return ["ALTER TABLE reservations DROP CONSTRAINT IF EXISTS ex_reservations_no_overlap"]
    return [
        "DROP TRIGGER IF EXISTS trg_reservations_no_overlap_insert",
        "DROP TRIGGER IF EXISTS trg_reservations_no_overlap_update",
    ]
