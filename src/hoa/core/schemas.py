"""Field types shared by several domains' schemas."""

import re
from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

_D = TypeVar("_D", date, datetime)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _normalize_email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value


def _plausible_year(value: _D) -> _D:
    """Years bounded to keep date arithmetic (buffers, history windows, the days around a
    local date) far from datetime's limits."""
    if not 2000 <= value.year <= 2200:
        raise ValueError("must be between the years 2000 and 2200")
    return value


def _plausible(value: datetime) -> datetime:
    """In UTC, so what is stored and echoed back reads the same as every later read."""
    return _plausible_year(value).astimezone(UTC)


def _not_a_number(value: object) -> object:
    # Times come as ISO 8601 text: a number would be read as seconds since 1970.
    if isinstance(value, int | float):
        raise ValueError("must be an ISO 8601 string, not a number")
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_not_a_number), AfterValidator(_plausible)]
LocalDate = Annotated[date, BeforeValidator(_not_a_number), AfterValidator(_plausible_year)]
Email = Annotated[str, Field(max_length=320), AfterValidator(_normalize_email)]
# Only bounds here: the policy for new passwords (auth/passwords.py) explains its refusals.
Password = Annotated[str, Field(min_length=1, max_length=256)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class Input(BaseModel):
    """Request bodies reject unknown fields."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)
