"""Guards for the routes where credentials can be guessed or accounts created: rate limits
per IP and per account, and the password policy where a new account gets its password."""

import sqlalchemy as sa
from fastapi import Request

from hoa.auth.passwords import check_new_password
from hoa.auth.schemas import (
    InvitationAccept,
    JoinWithCode,
    LoginRequest,
    PasswordResetConfirm,
    PasswordResetRequest,
)
from hoa.auth.security import hash_token, unsign
from hoa.deps import CurrentUser, OptionalUser, SessionDep, SettingsDep
from hoa.models import Invitation, User
from hoa.ratelimit import limit_auth


async def guard_sign_in(request: Request, body: LoginRequest) -> None:
    await limit_auth(request, "sign_in", body.email)


async def guard_password_change(request: Request, user: CurrentUser) -> None:
    await limit_auth(request, "password_change", user.email)


async def guard_password_reset(request: Request, body: PasswordResetRequest) -> None:
    """Limits the emails one address receives, and one client's probing of many addresses."""
    await limit_auth(request, "password_reset", body.email)


async def guard_password_reset_confirm(
    request: Request, body: PasswordResetConfirm, settings: SettingsDep
) -> None:
    claims = unsign(settings, "password_reset", body.token)
    await limit_auth(request, "password_reset_confirm", claims["sub"] if claims else None)


async def guard_verification_email(request: Request, user: CurrentUser) -> None:
    await limit_auth(request, "verification_email", user.email)


async def guard_invitation_accept(
    request: Request, body: InvitationAccept, session: SessionDep, settings: SettingsDep
) -> None:
    """The account is the invited email; its password is new only if the account is."""
    email = await session.scalar(
        sa.select(Invitation.email).where(Invitation.token_hash == hash_token(body.token))
    )
    await limit_auth(request, "invitation_accept", email)
    if email is None:
        return  # the route answers invitation.invalid
    if await session.scalar(sa.select(User.id).where(User.email == email)) is None:
        check_new_password(settings, body.password, email=email, name=body.name)


async def guard_join(
    request: Request, body: JoinWithCode, user: OptionalUser, settings: SettingsDep
) -> None:
    await limit_auth(request, "join", user.email if user else body.email)
    if user is None and body.email and body.name and body.password:
        check_new_password(settings, body.password, email=body.email, name=body.name)
