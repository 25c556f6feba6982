import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hoa.core.database import UTCDateTime, utcnow


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)


def created_at() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, nullable=False)


def updated_at() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


def community_fk() -> Mapped[uuid.UUID]:
    return mapped_column(sa.ForeignKey("communities.id", ondelete="CASCADE"), index=True)


def str_enum(enum_cls: type[enum.StrEnum]) -> sa.Enum:
    """A VARCHAR holding the enum's values (not its member names), portable across dialects."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )
