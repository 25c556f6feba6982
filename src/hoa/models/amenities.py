import enum
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hoa.core.database import Base
from hoa.models._common import community_fk, created_at, str_enum, updated_at, uuid_pk

KIND_MAX_LENGTH = 60


class BookingMode(enum.StrEnum):
    EXCLUSIVE = "exclusive"
    CAPACITY = "capacity"


class AmenityStatus(enum.StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class Amenity(Base):
    __tablename__ = "amenities"
    __table_args__ = (sa.UniqueConstraint("community_id", "name"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = community_fk()
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # What it is, shared by interchangeable amenities ("Tennis court" for courts 1 and 2), so a
    # resident can ask for any of them. None: an amenity of its own kind.
    kind: Mapped[str | None] = mapped_column(sa.String(KIND_MAX_LENGTH), default=None)
    # {"mon": [["08:00", "22:00"]], ...}: local wall-clock opening ranges per weekday.
    hours: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    slot_minutes: Mapped[int] = mapped_column(default=30)
    min_duration_minutes: Mapped[int] = mapped_column(default=30)
    max_duration_minutes: Mapped[int] = mapped_column(default=240)
    max_days_ahead: Mapped[int] = mapped_column(default=60)
    min_notice_minutes: Mapped[int] = mapped_column(default=0)
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    mode: Mapped[BookingMode] = mapped_column(str_enum(BookingMode), default=BookingMode.EXCLUSIVE)
    capacity: Mapped[int] = mapped_column(default=1)
    max_headcount_per_household: Mapped[int | None] = mapped_column(default=None)
    max_guests: Mapped[int | None] = mapped_column(default=None)
    requires_approval: Mapped[bool] = mapped_column(default=False)
    cancellation_cutoff_hours: Mapped[int] = mapped_column(default=0)
    # How long after it is confirmed a booking stays cancellable even inside the cutoff.
    cancellation_grace_minutes: Mapped[int] = mapped_column(default=15, server_default="15")
    max_per_day: Mapped[int | None] = mapped_column(default=None)
    max_per_week: Mapped[int | None] = mapped_column(default=None)
    max_per_month: Mapped[int | None] = mapped_column(default=None)
    max_upcoming: Mapped[int | None] = mapped_column(default=None)
    overnight_allowed: Mapped[bool] = mapped_column(default=False)
    # "HH:MM" local: an overnight amenity with both books stays from check-in to check-out.
    check_in_time: Mapped[str | None] = mapped_column(sa.String(5), default=None)
    check_out_time: Mapped[str | None] = mapped_column(sa.String(5), default=None)
    rules_text: Mapped[str] = mapped_column(sa.Text, default="")
    rules_version: Mapped[int] = mapped_column(default=0)
    fee_cents: Mapped[int] = mapped_column(default=0)
    deposit_cents: Mapped[int] = mapped_column(default=0)
    status: Mapped[AmenityStatus] = mapped_column(
        str_enum(AmenityStatus), default=AmenityStatus.ACTIVE
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Blackout(Base):
    __tablename__ = "blackouts"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="time_order"),
        sa.Index(None, "community_id", "starts_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = community_fk()
    # None closes every amenity of the community.
    amenity_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("amenities.id", ondelete="CASCADE"), index=True, default=None
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(sa.String(500))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = created_at()
