"""Guards for the routes where accounts are created: rate limits per IP and per account, and the
password policy where a new account gets its password."""

import sqlalchemy as sa
from fastapi import Request

from hoa.auth.passwords import check_new_password
from hoa.core.tokens import hash_token
from hoa.members.schemas import InvitationAccept, SignupWithCode
from hoa.models import Invitation, User
from hoa.web.deps import CurrentUser, SessionDep, SettingsDep, limit_auth


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
    new_account = await session.scalar(sa.select(User.id).where(User.email == email)) is None
    if new_account and body.password is not None:
        check_new_password(settings, body.password, email=email, name=body.name or "")


async def guard_join(request: Request, user: CurrentUser) -> None:
    await limit_auth(request, "join", user.email)


async def guard_signup(request: Request, body: SignupWithCode, settings: SettingsDep) -> None:
    await limit_auth(request, "join", body.email)
    check_new_password(settings, body.password, email=body.email, name=body.name)
