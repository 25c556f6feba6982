import secrets

import sqlalchemy as sa
from fastapi import Response
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.auth.schemas import MeRead, MyMembership, SessionRead, UserRead
from hoa.auth.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    hash_password,
    issue_token,
    verify_password,
)
from hoa.errors import AppError
from hoa.models import Community, Household, Membership, User
from hoa.settings import Env, Settings


class InvalidCredentials(AppError):
    code, status_code, message = "auth.invalid_credentials", 401, "Wrong email or password."


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    """The active user with these credentials; the same error for unknown emails and wrong
    passwords, after the same hashing work."""
    user = await session.scalar(sa.select(User).where(User.email == email))
    valid = verify_password(password, user.password_hash if user else None)
    if user is None or not valid or not user.is_active:
        raise InvalidCredentials
    return user


def start_session(response: Response, settings: Settings, user: User) -> SessionRead:
    """Issue a token and set it as the httpOnly session cookie plus a readable CSRF cookie."""
    csrf = secrets.token_urlsafe(24)
    token, expires_at = issue_token(settings, user.id, user.token_version, csrf)
    secure = settings.env is Env.PRODUCTION
    max_age = settings.access_token_minutes * 60
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax", secure=secure
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="lax", secure=secure
    )
    return SessionRead(
        access_token=token,
        expires_at=expires_at,
        csrf_token=csrf,
        user=UserRead.model_validate(user),
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


async def change_password(session: AsyncSession, user: User, current: str, new: str) -> None:
    if not verify_password(current, user.password_hash):
        raise InvalidCredentials("The current password is wrong.")
    user.password_hash = hash_password(new)
    user.token_version += 1  # every other session of this user ends
    await session.flush()


async def sign_out_everywhere(session: AsyncSession, user: User) -> None:
    user.token_version += 1
    await session.flush()


async def me(session: AsyncSession, user: User) -> MeRead:
    rows = await session.execute(
        sa.select(
            Membership.community_id,
            Community.name,
            Community.slug,
            Community.timezone,
            Membership.role,
            Membership.status,
            Household.id,
            Household.label,
        )
        .join(Community, Community.id == Membership.community_id)
        .outerjoin(Household, Household.id == Membership.household_id)
        .where(Membership.user_id == user.id)
        .order_by(Community.name)
    )
    memberships = [
        MyMembership(
            community_id=community_id,
            community_name=name,
            community_slug=slug,
            timezone=tz,
            role=role,
            status=status,
            household={"id": household_id, "label": label} if household_id else None,
        )
        for community_id, name, slug, tz, role, status, household_id, label in rows
    ]
    return MeRead(
        id=user.id,
        email=user.email,
        name=user.name,
        is_operator=user.is_operator,
        memberships=memberships,
    )


async def upsert_operator(session: AsyncSession, email: str, name: str, password: str) -> bool:
    """Create a platform operator, or promote the existing account. True when created."""
    user = await session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        session.add(
            User(email=email, name=name, password_hash=hash_password(password), is_operator=True)
        )
        return True
    user.is_operator = True
    user.password_hash = hash_password(password)
    return False
