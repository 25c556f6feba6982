import uuid
import zoneinfo
from datetime import datetime
from functools import cache
from typing import Annotated

from pydantic import AfterValidator, Field, StrictBool, StrictInt

from hoa.core.schemas import Email, Input, Name, Output
from hoa.models import MAX_REMINDER_HOURS
from hoa.rules.wording import DEFAULT_LOCALE, parse_locale


@cache
def _zones() -> frozenset[str]:
    # Not the host's own zone (a community would follow the server) nor tzdata's internals.
    return frozenset(zoneinfo.available_timezones() - {"localtime", "posixrules", "Factory"})


def _valid_timezone(value: str) -> str:
    if value not in _zones():
        raise ValueError("not an IANA time zone such as America/New_York")
    return value


def _valid_locale(value: str) -> str:
    parse_locale(value)
    return value


Timezone = Annotated[str, Field(max_length=64), AfterValidator(_valid_timezone)]
Locale = Annotated[
    str,
    Field(
        max_length=35,
        description="BCP 47 tag whose formats dates and times follow, e.g. en-US (2:00 PM) or "
        "en-GB (14:00)",
        examples=["en-US"],
    ),
    AfterValidator(_valid_locale),
]
PaymentInstructions = Annotated[
    str,
    Field(
        max_length=2000,
        description="How to pay an amenity's fee and deposit, shown in booking emails and the app",
    ),
]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")]
ReminderHours = Annotated[
    StrictInt,
    Field(
        ge=0,
        le=MAX_REMINDER_HOURS,
        description="Hours before a confirmed booking that its reminder is sent; 0 turns off",
    ),
]


class CommunityCreate(Input):
    name: Name
    slug: Slug
    timezone: Timezone
    locale: Locale = DEFAULT_LOCALE
    payment_instructions: PaymentInstructions = ""
    show_booker_names: StrictBool = False
    reminder_hours: ReminderHours = 24
    first_admin_email: Email | None = Field(
        None,
        description="Made admin at once if the account exists, else invited as admin",
    )


class CommunityUpdate(Input):
    name: Name | None = None
    timezone: Timezone | None = None
    locale: Locale | None = None
    payment_instructions: PaymentInstructions | None = None
    show_booker_names: StrictBool | None = None
    reminder_hours: ReminderHours | None = None
    households_approve_joins: bool | None = Field(
        None,
        description="Members of a household may approve those who ask to join it with the code",
    )


class CommunityRead(Output):
    id: uuid.UUID
    name: str
    slug: str
    timezone: str
    locale: str
    payment_instructions: str
    show_booker_names: bool
    reminder_hours: int
    households_approve_joins: bool
    suspended_at: datetime | None
    suspended_reason: str | None
    created_at: datetime


class CommunityCreated(CommunityRead):
    admin_invitation_url: str | None = None


class CommunitySummary(Output):
    """A community as the platform operator's console lists it."""

    id: uuid.UUID
    name: str
    slug: str
    timezone: str
    members: int = Field(description="Active members")
    amenities: int = Field(description="Bookable (not archived) amenities")
    bookings_this_month: int = Field(description="Held bookings starting this month (UTC)")
    last_activity_at: datetime | None = Field(description="The latest audited change")
    suspended_at: datetime | None
    suspended_reason: str | None
    created_at: datetime


class CommunitySuspend(Input):
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="Why, shown to the community's members while it is suspended",
    )


class PlatformTotals(Output):
    communities: int
    suspended_communities: int
    active_members: int = Field(description="Active memberships over every community")
    bookings_this_month: int = Field(description="Held bookings starting this month (UTC)")
