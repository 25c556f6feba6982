import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from hoa.core.schemas import Email, Input, Name, Output, Password
from hoa.models import MemberStatus, Role

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class HouseholdCreate(Input):
    label: Label


class HouseholdRead(Output):
    id: uuid.UUID
    label: str
    created_at: datetime


class HouseholdUpdate(Input):
    label: Label


class HouseholdMerge(Input):
    into_household_id: uuid.UUID = Field(description="The household that takes in this one")


class HouseholdMember(Output):
    id: uuid.UUID
    name: str
    role: Role
    status: MemberStatus


class HouseholdSummary(HouseholdRead):
    members: list[HouseholdMember]
    upcoming_bookings: int = Field(description="Pending and confirmed bookings not yet over")


FutureBookings = Literal["keep", "cancel"]
FUTURE_BOOKINGS_HELP = (
    "What happens to the member's upcoming bookings: kept with their household, or cancelled"
    " (the person is emailed). Required when they have any."
)


class MemberRead(Output):
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    email: str
    role: Role
    status: MemberStatus
    household_id: uuid.UUID | None
    household_label: str | None
    created_at: datetime


class HouseholdMemberRead(Output):
    """A member of one's household, as they see each other: no email addresses."""

    name: str
    role: Role
    you: bool


class MyHouseholdRead(Output):
    household: HouseholdRead | None = Field(description="None: the caller has no household here")
    members: list[HouseholdMemberRead] = Field(description="Its active members, by name")


class MemberUpdate(Input):
    role: Role | None = None
    # A pending membership is approved or declined as a join request, never set here.
    status: Literal[MemberStatus.ACTIVE, MemberStatus.SUSPENDED] | None = None
    household_id: uuid.UUID | None = Field(None, description="Move the member to this household")
    future_bookings: FutureBookings | None = Field(None, description=FUTURE_BOOKINGS_HELP)


class JoinRequestRead(Output):
    """A pending membership: someone who joined with the code and waits for approval."""

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    email: str
    email_verified: bool
    household_id: uuid.UUID | None = Field(description="The home they named")
    household_label: str | None
    created_at: datetime


class JoinApproval(Input):
    household_id: uuid.UUID | None = Field(
        None,
        description="Admins only: put them in this household instead of the one they named",
    )


class InvitationCreate(Input):
    email: Email
    role: Role = Role.RESIDENT
    household_id: uuid.UUID | None = None


class InvitationRead(Output):
    id: uuid.UUID
    email: str
    role: Role
    household_id: uuid.UUID | None
    expires_at: datetime
    accepted_at: datetime | None
    created_at: datetime


class InvitationCreated(InvitationRead):
    accept_url: str = Field(description="The link to send to the invitee (shown once)")
    token: str


class JoinCodeRead(Output):
    code: str | None = Field(description="None when joining by code is disabled")


class InvitationAccept(Input):
    token: str = Field(min_length=10, max_length=200)
    # For a caller who is not signed in: the new account's name and password, or the existing
    # account's password.
    name: Name | None = None
    password: Password | None = None


class JoinWithCode(Input):
    code: str = Field(min_length=4, max_length=32)
    household_label: str = Field(min_length=1, max_length=100)


class SignupWithCode(JoinWithCode):
    email: Email
    name: Name
    password: Password


class SignupRequested(Output):
    """The same answer whether or not the address has an account."""

    detail: str = (
        "Check your email: a new account gets a link to confirm the address; an address that "
        "has an account gets a link to reset its password instead."
    )
