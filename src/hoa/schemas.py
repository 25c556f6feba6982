"""Field types shared by several domains' schemas."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Response
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def _normalize_email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value


def _plausible(value: datetime) -> datetime:
    """In UTC, so what is stored and echoed back reads the same as every later read; years
    bounded to keep date arithmetic (buffers, history windows) far from datetime's limits."""
    if not 2000 <= value.year <= 2200:
        raise ValueError("must be between the years 2000 and 2200")
    return value.astimezone(UTC)


Instant = Annotated[AwareDatetime, AfterValidator(_plausible)]
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


def trusted_json(data: dict[str, Any]) -> Response:
    """Serialize data a hot read built itself, skipping FastAPI's validation of the return
    value and per-row model building, which cost more than the query for hundreds of rows. The
    route's ``response_model`` still documents the shape, and the schemathesis test checks the
    responses against it. Datetimes come out as pydantic writes them (UTC as ``Z``)."""
    # Subclasses of str and UUID (enums, asyncpg's UUID) go through str().
    options = orjson.OPT_UTC_Z | orjson.OPT_PASSTHROUGH_SUBCLASS
    content = orjson.dumps(data, default=str, option=options)
    return Response(content=content, media_type="application/json")
