"""Request-scoped dependencies: the session, the caller, the community context and role guards."""

import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.auth.security import CSRF_HEADER, SESSION_COOKIE, read_token
from hoa.db import Database
from hoa.errors import AppError, Forbidden, NotAuthenticated, NotFound
from hoa.models import Community, Membership, MemberStatus, Role, User
from hoa.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent.

    Unsafe methods get the writer session (``BEGIN IMMEDIATE`` on SQLite) so concurrent writers
    queue instead of racing.
    """
    db: Database = request.app.state.db
    factory = db.reader if request.method in SAFE_METHODS else db.writer
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


class CsrfFailed(AppError):
    code, status_code, message = (
        "auth.csrf_failed",
        403,
        "The form expired or came from another site; reload the page and try again.",
    )


class AccountDisabled(AppError):
    code, status_code, message = "auth.account_disabled", 401, "This account is disabled."


async def get_current_user(request: Request, session: SessionDep, settings: SettingsDep) -> User:
    """The signed-in user, from a bearer token or the session cookie (which needs the CSRF
    header on unsafe methods)."""
    authorization = request.headers.get("authorization", "")
    scheme, _, bearer = authorization.partition(" ")
    from_cookie = not (scheme.lower() == "bearer" and bearer)
    token = request.cookies.get(SESSION_COOKIE) if from_cookie else bearer
    claims = read_token(settings, token) if token else None
    if claims is None:
        raise NotAuthenticated
    if from_cookie and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not secrets.compare_digest(sent.encode(), claims.csrf.encode()):
            raise CsrfFailed
    user = await session.get(User, claims.user_id)
    if user is None or user.token_version != claims.version:
        raise NotAuthenticated
    if not user.is_active:
        raise AccountDisabled
    request.state.user_id = user.id
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_optional_user(
    request: Request, session: SessionDep, settings: SettingsDep
) -> User | None:
    """The signed-in user, or None for anonymous callers (a bad token still fails)."""
    has_bearer = request.headers.get("authorization", "").lower().startswith("bearer ")
    if not has_bearer and SESSION_COOKIE not in request.cookies:
        return None
    return await get_current_user(request, session, settings)


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def require_operator(user: CurrentUser) -> User:
    if not user.is_operator:
        raise Forbidden("Only platform operators can do this.")
    return user


PlatformOperator = Annotated[User, Depends(require_operator)]


@dataclass(frozen=True, slots=True)
class CommunityCtx:
    community: Community
    membership: Membership
    user: User

    @property
    def community_id(self) -> uuid.UUID:
        return self.community.id

    @property
    def is_admin(self) -> bool:
        return self.membership.role is Role.ADMIN


async def community_ctx(
    community_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> CommunityCtx:
    """The caller's active membership in the community; outsiders learn nothing (404)."""
    row = (
        await session.execute(
            sa.select(Membership, Community)
            .join(Community, Community.id == Membership.community_id)
            .where(
                Membership.community_id == community_id,
                Membership.user_id == user.id,
                Membership.status == MemberStatus.ACTIVE,
            )
        )
    ).first()
    if row is None:
        raise NotFound("Community not found.")
    membership, community = row
    return CommunityCtx(community=community, membership=membership, user=user)


CommunityMember = Annotated[CommunityCtx, Depends(community_ctx)]


async def require_admin(ctx: CommunityMember) -> CommunityCtx:
    if not ctx.is_admin:
        raise Forbidden("Only community admins can do this.")
    return ctx


CommunityAdmin = Annotated[CommunityCtx, Depends(require_admin)]
