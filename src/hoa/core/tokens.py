"""Signed and random tokens: access tokens (JWT with key ids), single-purpose link tokens, tokens
derived from an id, and the hashes stored in their place."""

import base64
import functools
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from hoa.core.cache import SharedCache
from hoa.core.database import utcnow
from hoa.core.errors import AccountDisabled, NotAuthenticated
from hoa.core.settings import Settings


def hash_token(token: str) -> str:
    """One-time tokens are stored as SHA-256; they are random, so no salt is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: uuid.UUID
    version: int
    csrf: str
    session_id: uuid.UUID  # the session's refresh token family

    def check_account(self, token_version: int, is_active: bool) -> None:
        """Refuse the token of an account signed out everywhere (or whose password changed)
        since it was issued, or disabled."""
        if token_version != self.version:
            raise NotAuthenticated
        if not is_active:
            raise AccountDisabled


def signing_keys(settings: Settings) -> dict[str, str]:
    """Key id → secret, the signing key first. Without configured keys, one key derived from
    HOA_SECRET_KEY, its id a hash of the secret so a changed secret reads as an unknown key."""
    if settings.auth.signing_keys:
        return {key.kid: key.secret.get_secret_value() for key in settings.auth.signing_keys}
    secret = settings.secret_key.get_secret_value()
    return {hashlib.sha256(secret.encode()).hexdigest()[:8]: secret}


def issue_token(
    settings: Settings, user_id: uuid.UUID, version: int, csrf: str, session_id: uuid.UUID
) -> tuple[str, datetime]:
    kid, secret = next(iter(signing_keys(settings).items()))
    now = utcnow()
    expires_at = now + timedelta(minutes=settings.access_token_minutes)
    claims = {"sub": str(user_id), "ver": version, "csrf": csrf, "sid": str(session_id)}
    token = jwt.encode(
        {**claims, "exp": expires_at, "iat": now},
        secret,
        algorithm="HS256",
        headers={"kid": kid},
    )
    return token, expires_at


def read_token(settings: Settings, token: str) -> TokenClaims | None:
    """The claims of a valid token, or None (bad signature, unknown key, expired, malformed)."""
    verified = _verified(token, tuple(signing_keys(settings).items()))
    if verified is None:
        return None
    claims, expires_at = verified
    return claims if time.time() < expires_at else None


@functools.lru_cache(maxsize=4096)
def _verified(token: str, keys: tuple[tuple[str, str], ...]) -> tuple[TokenClaims, float] | None:
    """A token's claims and expiry, checked once per process and key set: a client sends the
    same token on every request for its lifetime, and parsing and checking it cost as much as
    the rest of a cached read's own work. The expiry is compared at each use, by the caller."""
    try:
        secret = dict(keys).get(jwt.get_unverified_header(token).get("kid", ""))
        if secret is None:
            return None
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={"require": ["sub", "exp", "ver", "csrf", "sid"]},
        )
        return TokenClaims(
            uuid.UUID(claims["sub"]),
            int(claims["ver"]),
            str(claims["csrf"]),
            uuid.UUID(claims["sid"]),
        ), float(claims["exp"])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None


def _revoked_key(session_id: uuid.UUID) -> str:
    return f"hoa:revoked_session:{session_id}"


async def revoke_session(cache: SharedCache, settings: Settings, session_id: uuid.UUID) -> None:
    """The session's access tokens stop working at once (each request checks the cache, not
    the database); remembered as long as its newest token could live."""
    await cache.set(_revoked_key(session_id), "1", expire=settings.access_token_minutes * 60)


async def session_revoked(cache: SharedCache, session_id: uuid.UUID) -> bool:
    return await cache.get(_revoked_key(session_id)) is not None


def sign(
    settings: Settings, purpose: str, subject: str, expires_at: datetime, **claims: Any
) -> str:
    """A signed link token for one purpose (password reset, email verification, cancel link).

    Single use comes from the claims: a reset token carries a fingerprint of the password hash
    it replaces, a cancel token the booking it cancels, so using one makes it stale."""
    kid, secret = next(iter(signing_keys(settings).items()))
    payload = {"sub": subject, "purpose": purpose, "exp": expires_at, **claims}
    return jwt.encode(payload, secret, algorithm="HS256", headers={"kid": kid})


def unsign(settings: Settings, purpose: str, token: str) -> dict[str, Any] | None:
    """The claims of a valid, unexpired token made by ``sign`` for ``purpose``, or None."""
    try:
        secret = signing_keys(settings).get(jwt.get_unverified_header(token).get("kid", ""))
        if secret is None:
            return None
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["sub", "exp", "purpose"]}
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    return claims if claims["purpose"] == purpose else None


def derive_token(settings: Settings, purpose: str, entity_id: uuid.UUID) -> str:
    """A token the server can compute again from the entity, so an email job can put it in a
    link without it being stored anywhere; only its hash is kept for lookup."""
    secret = settings.secret_key.get_secret_value().encode()
    digest = hmac.new(secret, f"{purpose}:{entity_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def fingerprint(value: str) -> str:
    """A short digest that changes when ``value`` changes (a password hash in a reset token)."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def reset_token(
    settings: Settings, user_id: uuid.UUID, password_hash: str | None, expires_at: datetime
) -> str:
    """A password reset token: bound to the hash it replaces, so it works once."""
    pw = fingerprint(password_hash or "")
    return sign(settings, "password_reset", str(user_id), expires_at, pw=pw)
