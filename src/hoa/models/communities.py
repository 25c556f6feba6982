import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hoa.core.context import CommunityCtx
from hoa.core.database import Base
from hoa.models._common import community_fk, created_at, str_enum, updated_at, uuid_pk
from hoa.models.users import User

# Reminders go out at most a week ahead, which bounds the reminder job's scan.
MAX_REMINDER_HOURS = 7 * 24


class Role(enum.StrEnum):
    ADMIN = "admin"
    RESIDENT = "resident"


class MemberStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    # Asked to join with the community's code: sees and books nothing until approved.
    PENDING = "pending"


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    timezone: Mapped[str] = mapped_column(sa.String(64))
    # BCP 47 tag whose formats dates and times are written in (12- or 24-hour clock).
    locale: Mapped[str] = mapped_column(sa.String(35), default="en-US", server_default="en-US")
    # How to pay an amenity's fee and deposit: in booking emails and in the app.
    payment_instructions: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    show_booker_names: Mapped[bool] = mapped_column(default=False)
    # How long before a confirmed booking starts its reminder goes out; 0 turns reminders off.
    reminder_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    # A shareable code residents type to join; rotating it replaces it, disabling clears it.
    join_code: Mapped[str | None] = mapped_column(sa.String(32), unique=True, default=None)
    # Whether members of a household may approve those who ask to join it (admins always may).
    households_approve_joins: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Suspended by a platform operator: nothing can be booked or changed, residents see the
    # reason instead of the community; resuming clears both and changes nothing else.
    suspended_at: Mapped[datetime | None] = mapped_column(default=None)
    suspended_reason: Mapped[str | None] = mapped_column(sa.String(500), default=None)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Household(Base):
    __tablename__ = "households"
    __table_args__ = (sa.UniqueConstraint("community_id", "label"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = community_fk()
    label: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = created_at()


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("community_id", "user_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = community_fk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    household_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("households.id", ondelete="SET NULL"), index=True, default=None
    )
    role: Mapped[Role] = mapped_column(str_enum(Role))
    status: Mapped[MemberStatus] = mapped_column(
        str_enum(MemberStatus), default=MemberStatus.ACTIVE
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    user: Mapped[User] = relationship(lazy="raise")
    household: Mapped[Household | None] = relationship(lazy="raise")


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[uuid.UUID] = uuid_pk()
    community_id: Mapped[uuid.UUID] = community_fk()
    email: Mapped[str] = mapped_column(sa.String(320))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    household_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("households.id", ondelete="SET NULL"), default=None
    )
    # Only a SHA-256 of the token is stored: a database leak does not leak usable links.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = created_at()


def member_context(community: Community, membership: Membership, user: User) -> CommunityCtx:
    """The request context of an active member acting in their community."""
    return CommunityCtx(
        community_id=community.id,
        community_name=community.name,
        timezone=community.timezone,
        locale=community.locale,
        show_booker_names=community.show_booker_names,
        user_id=user.id,
        user_name=user.name,
        household_id=membership.household_id,
        is_admin=membership.role is Role.ADMIN,
        suspended_reason=community.suspended_reason,
    )


def operator_context(community: Community, user: User) -> CommunityCtx:
    """The request context of a platform operator in a community they are no member of: an
    admin's rights, no household."""
    return CommunityCtx(
        community_id=community.id,
        community_name=community.name,
        timezone=community.timezone,
        locale=community.locale,
        show_booker_names=community.show_booker_names,
        user_id=user.id,
        user_name=user.name,
        household_id=None,
        is_admin=True,
        as_operator=True,
        suspended_reason=community.suspended_reason,
    )
