import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hoa.core.database import Base
from hoa.models._common import created_at, str_enum, updated_at, uuid_pk


class AdminAlerts(enum.StrEnum):
    """How an admin hears about booking requests waiting for approval."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"
    OFF = "off"


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = uuid_pk()
    # Stored lower-cased, so the unique index makes emails unique case-insensitively.
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_operator: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change and "sign out everywhere": tokens carry it and die with it.
    token_version: Mapped[int] = mapped_column(default=0)
    # Consecutive failed sign-ins and the lockout they caused; a successful sign-in resets both.
    failed_sign_ins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    # Set when the owner proved the address (an accepted invitation or a verification link).
    email_verified_at: Mapped[datetime | None]
    # E.164 ("+15551234567"), or None.
    phone: Mapped[str | None] = mapped_column(sa.String(16), default=None)
    # Email preferences by what the emails are about; the account's own emails (password,
    # verification, lockout, invitations) go out whatever they say.
    confirmations_enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    reminders_enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    office_changes_enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    admin_alerts: Mapped[AdminAlerts] = mapped_column(
        str_enum(AdminAlerts), default=AdminAlerts.DIGEST, server_default=AdminAlerts.DIGEST.value
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class CalendarFeed(Base):
    """A secret address calendar apps subscribe to: a user's household bookings (no amenity) or,
    for an admin, one amenity's. Only a SHA-256 of the secret is stored."""

    __tablename__ = "calendar_feeds"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    amenity_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("amenities.id", ondelete="CASCADE"), default=None
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = created_at()
