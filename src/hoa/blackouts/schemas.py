import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import Field, StrictBool, StringConstraints, model_validator

from hoa.core.schemas import Input, Instant, Output
from hoa.reservations.schemas import ReservationRead


class BlackoutCreate(Input):
    amenity_id: uuid.UUID | None = Field(None, description="None closes every amenity")
    starts_at: Instant
    ends_at: Instant
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    cancel_conflicts: StrictBool = Field(
        False,
        description="Cancel the active reservations it overlaps; otherwise they are listed "
        "in a 409 blackout.conflicts error and nothing is written",
    )

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class BlackoutUpdate(Input):
    """New times or reason; the new period is checked against reservations like a new one."""

    starts_at: Instant | None = None
    ends_at: Instant | None = None
    reason: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
        | None
    ) = None
    cancel_conflicts: bool = Field(
        False, description="Cancel the active reservations the new period overlaps"
    )


class BlackoutRead(Output):
    id: uuid.UUID
    amenity_id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_at: datetime


class BlackoutCreated(BlackoutRead):
    cancelled_reservations: list[ReservationRead]
