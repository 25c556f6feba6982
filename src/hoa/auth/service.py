import re
import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.audit.service import record
from hoa.auth.passwords import check_new_password, hash_password, verify_password
from hoa.auth.schemas import (
    AccountUpdate,
    NotificationPreferences,
    NotificationPreferencesUpdate,
    SessionRead,
    UserRead,
)
from hoa.core import metrics
from hoa.core.cache import SharedCache
from hoa.core.database import utcnow
from hoa.core.errors import AccountDisabled, AppError, NotAuthenticated
from hoa.core.links import Page, link
from hoa.core.settings import Settings
from hoa.core.tokens import (
    TokenClaims,
    fingerprint,
    hash_token,
    issue_token,
    new_token,
    revoke_session,
    sign,
    unsign,
)
from hoa.models import Community, Household, Membership, RefreshToken, User
from hoa.notifications.kinds import ALWAYS_SENT, AccountLocked, EmailVerification, PasswordReset
from hoa.notifications.service import notify

RESET_MINUTES, VERIFICATION_HOURS = 60, 48


class InvalidCredentials(AppError):
    code, status_code, message = "auth.invalid_credentials", 401, "Wrong email or password."
    commits = True  # the failure count, lockout and audit rows are the point


class InvalidResetToken(AppError):
    code, status_code, message = (
        "auth.invalid_reset_token",
        400,
        "This reset link is invalid, used or expired; ask for a new one.",
    )


class InvalidVerificationToken(AppError):
    code, status_code, message = (
        "auth.invalid_verification_token",
        400,
        "This verification link is invalid or expired; ask for a new one.",
    )


class AlreadyVerified(AppError):
    code, status_code, message = (
        "auth.email_already_verified",
        409,
        "Your email address is already verified.",
    )


class InvalidRefreshToken(AppError):
    code, status_code, message = (
        "auth.invalid_refresh_token",
        401,
        "This session has ended; sign in again.",
    )
    commits = True  # a reused token's family stays revoked


def _audit(
    session: AsyncSession,
    action: str,
    entity_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None,
    after: Mapping[str, object] | None = None,
    entity_type: str = "user",
) -> None:
    record(
        session,
        community_id=None,
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        after=after,
    )


async def sign_in(
    session: AsyncSession, settings: Settings, email: str, password: str
) -> SessionRead:
    """A new session for the user with these credentials. Unknown email, wrong password, locked
    or disabled account: one InvalidCredentials after the same hashing work, so a caller cannot
    tell them apart; the failure is counted (and may lock the account) all the same."""
    return await start_session(
        session, settings, await authenticate(session, settings, email, password)
    )


async def authenticate(
    session: AsyncSession, settings: Settings, email: str, password: str
) -> User:
    """The active user with these credentials; every path that checks a password goes through
    here, so each failure is counted and a lockout holds everywhere.

    Raises InvalidCredentials (the same for an unknown email, a wrong password, a locked or a
    disabled account)."""
    user = await session.scalar(
        sa.select(User)
        .where(User.email == email)
        .with_for_update()
        .execution_options(populate_existing=True)  # the count as of the lock, not as loaded
    )
    valid = verify_password(password, user.password_hash if user else None)
    now = utcnow()
    if user is None:
        metrics.SIGN_INS.labels("failed").inc()
        # No user id to record: group the attempts by a stable id derived from the address.
        entity_id = uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{email}")
        after = {"email": email, "reason": "unknown_email"}
        _audit(
            session,
            "auth.sign_in_failed",
            entity_id,
            actor_id=None,
            after=after,
            entity_type="email",
        )
        raise InvalidCredentials
    if user.locked_until is not None and user.locked_until > now:
        reason = "locked"  # not counted: the lock would otherwise never run out under attack
    elif not valid:
        reason = "wrong_password"
        _count_failure(session, settings, user, now)
    elif not user.is_active:
        reason = "disabled"
    else:
        user.failed_sign_ins, user.locked_until = 0, None
        _audit(session, "auth.signed_in", user.id, actor_id=user.id)
        metrics.SIGN_INS.labels("ok").inc()
        return user
    metrics.SIGN_INS.labels("failed").inc()
    _audit(
        session,
        "auth.sign_in_failed",
        user.id,
        actor_id=None,
        after={"email": email, "reason": reason},
    )
    raise InvalidCredentials


def _count_failure(session: AsyncSession, settings: Settings, user: User, now: datetime) -> None:
    user.failed_sign_ins += 1
    excess = user.failed_sign_ins - settings.auth.lockout_after
    if excess < 0:
        return
    seconds = min(
        settings.auth.lockout_seconds * 2 ** min(excess, 32), settings.auth.lockout_max_seconds
    )
    user.locked_until = now + timedelta(seconds=seconds)
    metrics.LOCKOUTS.inc()
    after = {"locked_until": user.locked_until.isoformat(), "failed_sign_ins": user.failed_sign_ins}
    _audit(session, "auth.locked_out", user.id, actor_id=None, after=after)
    notify(
        session,
        recipient=user,
        payload=AccountLocked(
            minutes=max(round(seconds / 60), 1),
            failed_sign_ins=user.failed_sign_ins,
            reset_link=link(settings, Page.FORGOT_PASSWORD),
        ),
        entity_type="user",
        entity_id=user.id,
    )


async def start_session(
    session: AsyncSession, settings: Settings, user: User, family_id: uuid.UUID | None = None
) -> SessionRead:
    """Issue an access token, a CSRF token and a refresh token (of a new family unless
    continuing one); the router hands them to the browser as cookies too."""
    refresh_token = new_token()
    refresh_expires = utcnow() + timedelta(days=settings.auth.refresh_token_days)
    family_id = family_id or uuid.uuid4()
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id,
            token_hash=hash_token(refresh_token),
            expires_at=refresh_expires,
        )
    )
    csrf = secrets.token_urlsafe(24)
    # The family is the session: its access tokens carry its id, so ending it ends them too.
    token, expires_at = issue_token(settings, user.id, user.token_version, csrf, family_id)
    return SessionRead(
        access_token=token,
        expires_at=expires_at,
        refresh_token=refresh_token,
        csrf_token=csrf,
        user=UserRead.model_validate(user),
    )


async def refresh(
    session: AsyncSession, cache: SharedCache, settings: Settings, token: str
) -> SessionRead:
    """Use up a refresh token for the next session of its family.

    A token used before was copied: its whole family is revoked, its access tokens included
    (and stays revoked, though InvalidRefreshToken is raised)."""
    row = await session.scalar(
        sa.select(RefreshToken)
        .where(RefreshToken.token_hash == hash_token(token))
        .with_for_update()
    )
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise InvalidRefreshToken
    if row.used_at is not None:
        await _revoke(session, RefreshToken.family_id == row.family_id)
        await revoke_session(cache, settings, row.family_id)
        _audit(
            session,
            "auth.refresh_token_reused",
            row.user_id,
            actor_id=None,
            after={"family_id": str(row.family_id)},
        )
        raise InvalidRefreshToken
    user = await session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise AccountDisabled
    row.used_at = now
    return await start_session(session, settings, user, row.family_id)


async def _revoke(session: AsyncSession, *where: sa.ColumnElement[bool]) -> None:
    await session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.revoked_at.is_(None), *where)
        .values(revoked_at=utcnow())
    )


async def sign_out(
    session: AsyncSession,
    cache: SharedCache,
    settings: Settings,
    user: User,
    session_id: uuid.UUID,
    *,
    everywhere: bool,
) -> None:
    """End this session (its refresh tokens and, at once, its access tokens) or,
    ``everywhere``, every session of the account."""
    if everywhere:
        await _revoke_everything(session, user, "auth.signed_out_everywhere")
    await _revoke(session, RefreshToken.family_id == session_id)
    await revoke_session(cache, settings, session_id)


async def _revoke_everything(session: AsyncSession, user: User, action: str) -> None:
    user.token_version += 1  # access tokens carry the version and die with it
    await _revoke(session, RefreshToken.user_id == user.id)
    _audit(session, action, user.id, actor_id=user.id)
    await session.flush()


async def change_password(
    session: AsyncSession, settings: Settings, user: User, current: str, new: str
) -> SessionRead:
    """Every other session of the user ends; this one continues with a fresh token."""
    await authenticate(session, settings, user.email, current)
    check_new_password(settings, new, email=user.email, name=user.name)
    user.password_hash = hash_password(new)
    await _revoke_everything(session, user, "auth.password_changed")
    return await start_session(session, settings, user)


async def request_password_reset(session: AsyncSession, settings: Settings, email: str) -> None:
    """Email a reset link to an active account with this address; otherwise do nothing, so the
    answer tells nobody whether the address has an account.

    The link is stateless (security.reset_token) and signed by the worker when it sends the
    email: the notification row holds only its expiry, never a usable link."""
    user = await session.scalar(sa.select(User).where(User.email == email))
    if user is None or not user.is_active:
        return
    expires_at = utcnow() + timedelta(minutes=RESET_MINUTES)
    notify(
        session,
        recipient=user,
        payload=PasswordReset(minutes=RESET_MINUTES, expires_at=expires_at),
        entity_type="user",
        entity_id=user.id,
    )
    _audit(session, "auth.password_reset_requested", user.id, actor_id=None)


async def _token_user(session: AsyncSession, claims: Mapping[str, object] | None) -> User | None:
    """The active user a signed link is about, locked for the change it makes."""
    if claims is None:
        return None
    try:
        user_id = uuid.UUID(str(claims["sub"]))
    except ValueError:
        return None
    user = await session.scalar(sa.select(User).where(User.id == user_id).with_for_update())
    return user if user is not None and user.is_active else None


async def reset_password(
    session: AsyncSession, settings: Settings, token: str, password: str
) -> None:
    """Set a new password from a reset link and end every session of the account.

    Raises InvalidResetToken (bad, expired, used or superseded link), WeakPassword."""
    claims = unsign(settings, "password_reset", token)
    user = await _token_user(session, claims)
    if user is None or claims is None or claims.get("pw") != fingerprint(user.password_hash or ""):
        raise InvalidResetToken
    check_new_password(settings, password, email=user.email, name=user.name)
    user.password_hash = hash_password(password)
    # The link came by email: the owner proved the address, and the lock is theirs to lift.
    user.failed_sign_ins, user.locked_until = 0, None
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    await _revoke_everything(session, user, "auth.password_reset")


def send_verification(session: AsyncSession, settings: Settings, user: User) -> None:
    """Email a link proving the account's address (valid VERIFICATION_HOURS, for this address
    only: it stops working if the email changes)."""
    expires_at = utcnow() + timedelta(hours=VERIFICATION_HOURS)
    token = sign(settings, "email_verification", str(user.id), expires_at, email=user.email)
    notify(
        session,
        recipient=user,
        payload=EmailVerification(
            name=user.name,
            email=user.email,
            hours=VERIFICATION_HOURS,
            link=link(settings, Page.VERIFY_EMAIL, token=token),
        ),
        entity_type="user",
        entity_id=user.id,
    )


async def resend_verification(session: AsyncSession, settings: Settings, user: User) -> None:
    """Raises AlreadyVerified: nothing is sent then."""
    if user.email_verified_at is not None:
        raise AlreadyVerified
    send_verification(session, settings, user)


async def verify_email(session: AsyncSession, settings: Settings, token: str) -> None:
    """Mark the address verified; a link used twice is fine (idempotent).

    Raises InvalidVerificationToken for a bad or expired link, or one for an older address."""
    claims = unsign(settings, "email_verification", token)
    user = await _token_user(session, claims)
    if user is None or claims is None or claims.get("email") != user.email:
        raise InvalidVerificationToken
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        _audit(session, "auth.email_verified", user.id, actor_id=user.id)


async def me(session: AsyncSession, claims: TokenClaims) -> dict[str, Any]:
    """The caller and their communities, shaped like MeRead, in one query: a hot read, so the
    user's columns come as a plain row (no ORM object) and no model is built."""
    rows = (
        await session.execute(
            sa.select(
                User.id,
                User.email,
                User.name,
                User.is_operator,
                User.email_verified_at,
                User.phone,
                User.token_version,
                User.is_active,
                Membership.community_id,
                Community.name,
                Community.slug,
                Community.timezone,
                Community.locale,
                Community.suspended_reason,
                Membership.role,
                Membership.status,
                Household.id,
                Household.label,
            )
            .outerjoin(Membership, Membership.user_id == User.id)
            .outerjoin(Community, Community.id == Membership.community_id)
            .outerjoin(Household, Household.id == Membership.household_id)
            .where(User.id == claims.user_id)
            .order_by(Community.name)
        )
    ).all()
    if not rows:
        raise NotAuthenticated  # deleted
    uid, email, name, is_operator, verified_at, phone, token_version, is_active = rows[0][:8]
    claims.check_account(token_version, is_active)
    memberships = [
        {
            "community_id": cid,
            "community_name": community_name,
            "community_slug": slug,
            "timezone": tz,
            "locale": locale,
            "role": role,
            "status": status,
            "household": {"id": hid, "label": label} if hid else None,
            "community_suspended_reason": suspended,
        }
        for *_, cid, community_name, slug, tz, locale, suspended, role, status, hid, label in rows
        if cid is not None
    ]
    return {
        "id": uid,
        "email": email,
        "name": name,
        "is_operator": is_operator,
        "email_verified": verified_at is not None,
        "phone": phone,
        "memberships": memberships,
    }


async def upsert_operator(
    session: AsyncSession, settings: Settings, email: str, name: str, password: str
) -> bool:
    """Create a platform operator, or promote the existing account. True when created."""
    user = await session.scalar(sa.select(User).where(User.email == email))
    check_new_password(settings, password, email=email, name=user.name if user else name)
    if user is None:
        session.add(
            User(
                email=email,
                name=name,
                password_hash=hash_password(password),
                is_operator=True,
                email_verified_at=utcnow(),  # created from the server's shell by its owner
            )
        )
        return True
    user.is_operator = True
    user.password_hash = hash_password(password)
    return False


class InvalidPhone(AppError):
    code, status_code = "account.invalid_phone", 422
    message = "Give the phone number in international format, like +1 555 123 4567."


# What may separate a phone number's digits; E.164 itself is "+" and at most 15 digits.
_PHONE_SEPARATORS = re.compile(r"[\s\-.()/]")
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def normalize_phone(text: str | None) -> str | None:
    """E.164 from what people type ("+1 (555) 123-4567"), or None for nothing. Raises
    InvalidPhone."""
    digits = _PHONE_SEPARATORS.sub("", text or "")
    if not digits:
        return None
    if not _E164.fullmatch(digits):
        raise InvalidPhone
    return digits


async def update_account(
    session: AsyncSession, user: User, claims: TokenClaims, data: AccountUpdate
) -> dict[str, Any]:
    """Apply the fields sent (name, phone). Raises InvalidPhone."""
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes:
        user.name = changes["name"]
    if "phone" in changes:
        user.phone = normalize_phone(changes["phone"])
    await session.flush()
    return await me(session, claims)


def preferences(user: User) -> NotificationPreferences:
    return NotificationPreferences(
        confirmations=user.confirmations_enabled,
        reminders=user.reminders_enabled,
        office_changes=user.office_changes_enabled,
        admin_alerts=user.admin_alerts,
        always_sent=ALWAYS_SENT,
    )


# Preference (API field) → the user's column.
_PREFERENCE_COLUMNS = {
    "confirmations": "confirmations_enabled",
    "reminders": "reminders_enabled",
    "office_changes": "office_changes_enabled",
    "admin_alerts": "admin_alerts",
}


async def update_preferences(
    session: AsyncSession, user: User, data: NotificationPreferencesUpdate
) -> NotificationPreferences:
    """Apply the fields sent; emails written from now on follow them."""
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(user, _PREFERENCE_COLUMNS[field], value)
    await session.flush()
    return preferences(user)
