import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StrictBool, StringConstraints, field_validator

from hoa.core.schemas import Email, Input, Output, Password
from hoa.models import AdminAlerts, MemberStatus, Role
from hoa.notifications.kinds import NotificationKind


def _not_null(value: Any) -> Any:
    # Omitting a field keeps it; null is not a value the field can take.
    if value is None:
        raise ValueError("must not be null; omit the field to keep its value")
    return value


class LoginRequest(Input):
    email: Email
    password: str = Field(max_length=256)


class RefreshRequest(Input):
    refresh_token: str = Field(min_length=1, max_length=200)


class UserRead(Output):
    id: uuid.UUID
    email: str
    name: str
    is_operator: bool


class SessionRead(Output):
    access_token: str = Field(description="Bearer token for API clients")
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_at: datetime
    refresh_token: str = Field(description="Send to /auth/refresh for a new session; single use")
    csrf_token: str = Field(description="Send as X-CSRF-Token on unsafe requests with the cookie")
    user: UserRead


class HouseholdRef(Output):
    id: uuid.UUID
    label: str


class MyMembership(Output):
    community_id: uuid.UUID
    community_name: str
    community_slug: str
    timezone: str
    locale: str
    role: Role
    status: MemberStatus
    household: HouseholdRef | None
    community_suspended_reason: str | None = Field(
        description="Set while a platform operator has suspended the community"
    )


class MeRead(UserRead):
    email_verified: bool = Field(description="False until the owner opens a verification link")
    phone: str | None = Field(description="E.164, e.g. +15551234567")
    memberships: list[MyMembership]


AccountName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class AccountUpdate(Input):
    """Only the fields sent change."""

    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
        | None
    ) = Field(None, description="1 to 120 characters; spaces around it are trimmed")
    phone: str | None = Field(
        None,
        max_length=40,
        description="International format, e.g. +1 555 123 4567 (spaces, dashes, dots and "
        "brackets are dropped); empty or null removes it",
    )

    _name_not_null = field_validator("name", mode="before")(_not_null)


class PasswordChange(Input):
    current_password: str = Field(max_length=256)
    new_password: Password


class PasswordResetRequest(Input):
    email: Email


class PasswordResetRequested(Output):
    """The same answer whether or not the address has an account."""

    detail: str = "If an account uses this address, an email with a reset link is on its way."


class PasswordResetConfirm(Input):
    token: str = Field(min_length=10, max_length=1000)
    password: Password


class EmailVerification(Input):
    token: str = Field(min_length=10, max_length=1000)


class NotificationPreferences(Output):
    confirmations: bool = Field(
        description="Email about one's own bookings: made, requested, changed, cancelled"
    )
    reminders: bool = Field(description="Email a reminder before each confirmed booking")
    office_changes: bool = Field(
        description="Email when the office books, changes, approves, declines or cancels "
        "one's booking"
    )
    admin_alerts: AdminAlerts = Field(
        description="Admins: booking requests awaiting approval, by email as they come, "
        "in an hourly digest, or not at all"
    )
    always_sent: list[NotificationKind] = Field(
        description="The account's own emails, sent whatever the preferences say"
    )


class NotificationPreferencesUpdate(Input):
    """Only the fields sent change."""

    confirmations: StrictBool | None = None
    reminders: StrictBool | None = None
    office_changes: StrictBool | None = None
    admin_alerts: AdminAlerts | None = None

    _not_null = field_validator(
        "confirmations", "reminders", "office_changes", "admin_alerts", mode="before"
    )(_not_null)
