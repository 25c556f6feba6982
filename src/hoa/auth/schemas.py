import uuid
from datetime import datetime

from pydantic import Field

from hoa.models import MemberStatus, Role
from hoa.schemas import Email, Input, Name, Output, Password


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
    role: Role
    status: MemberStatus
    household: HouseholdRef | None


class MeRead(UserRead):
    email_verified: bool = Field(description="False until the owner opens a verification link")
    memberships: list[MyMembership]


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


class InvitationAccept(Input):
    token: str = Field(min_length=10, max_length=200)
    name: Name
    password: Password


class JoinWithCode(Input):
    code: str = Field(min_length=4, max_length=32)
    household_label: str = Field(min_length=1, max_length=100)
    # Needed only when the caller is not signed in: the account is created with them.
    email: Email | None = None
    name: Name | None = None
    password: Password | None = None
