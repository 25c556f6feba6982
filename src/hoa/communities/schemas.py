import uuid
import zoneinfo
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from hoa.schemas import Email, Input, Name, Output


def _valid_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("not an IANA time zone such as America/New_York") from exc
    return value


Timezone = Annotated[str, Field(max_length=64), AfterValidator(_valid_timezone)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")]


class CommunityCreate(Input):
    name: Name
    slug: Slug
    timezone: Timezone
    show_booker_names: bool = False
    first_admin_email: Email | None = Field(
        None,
        description="Made admin at once if the account exists, else invited as admin",
    )


class CommunityUpdate(Input):
    name: Name | None = None
    timezone: Timezone | None = None
    show_booker_names: bool | None = None


class CommunityRead(Output):
    id: uuid.UUID
    name: str
    slug: str
    timezone: str
    show_booker_names: bool
    created_at: datetime


class CommunityCreated(CommunityRead):
    admin_invitation_url: str | None = None
