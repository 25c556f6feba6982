"""Signing keys with rotation, refresh token families, lockout, tampered tokens and the audit
trail of sign-ins and revocations."""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import Database, utcnow
from hoa.core.settings import AuthSettings, Settings, SigningKey
from hoa.core.tokens import signing_keys
from hoa.main import create_app
from hoa.models import AuditEvent, MemberStatus, Notification, RefreshToken, User
from hoa.web.cookies import CSRF_COOKIE, REFRESH_COOKIE, SESSION_COOKIE
from tests.conftest import sign_in
from tests.factories import PASSWORD, World
from tests.notifications.conftest import variant

REDIS_URL = os.environ.get("HOA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LOGIN, REFRESH, ME = "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/me"
OLD = SigningKey(kid="2026-01", secret="old-key-old-key-old-key-old-key-0")  # type: ignore[arg-type]
NEW = SigningKey(kid="2026-06", secret="new-key-new-key-new-key-new-key-0")  # type: ignore[arg-type]


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a separate app instance (same database) built from ``settings``."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


def with_keys(settings: Settings, *keys: SigningKey) -> Settings:
    return settings.model_copy(update={"auth": AuthSettings(signing_keys=list(keys))})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Any:
    return await client.post(LOGIN, json={"email": email, "password": password})


async def audit_actions(db: Database, entity_id: uuid.UUID) -> list[str]:
    async with db.reader() as s:
        rows = await s.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.created_at)
        )
        return list(rows)


# Signing keys


async def test_rotation_keeps_old_tokens_until_their_key_is_dropped(
    settings: Settings, world: World, db: Database
) -> None:
    email = world.emails["resident"]
    async with serve(with_keys(settings, OLD)) as before:
        old_token = await sign_in(before, email)
    assert jwt.get_unverified_header(old_token)["kid"] == OLD.kid

    async with serve(with_keys(settings, NEW, OLD)) as rotated:
        assert (await rotated.get(ME, headers=bearer(old_token))).status_code == 200
        new_token = await sign_in(rotated, email)
    assert jwt.get_unverified_header(new_token)["kid"] == NEW.kid

    async with serve(with_keys(settings, NEW)) as dropped:
        r = await dropped.get(ME, headers=bearer(old_token))
        assert r.status_code == 401 and r.json()["error"]["code"] == "auth.not_authenticated"
        assert (await dropped.get(ME, headers=bearer(new_token))).status_code == 200


def forge(settings: Settings, user_id: uuid.UUID, **changes: Any) -> str:
    kid, secret = next(iter(signing_keys(settings).items()))
    claims = {
        "sub": str(user_id),
        "ver": 0,
        "csrf": "x",
        "sid": str(uuid.uuid4()),
        "exp": utcnow() + timedelta(minutes=5),
        **changes.pop("claims", {}),
    }
    key = changes.pop("key", secret)
    algorithm = changes.pop("algorithm", "HS256")
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid, **changes})


async def test_forged_and_expired_tokens_are_refused(
    client: httpx.AsyncClient, settings: Settings, world: World
) -> None:
    user_id = world.members["resident"].user_id
    assert (await client.get(ME, headers=bearer(forge(settings, user_id)))).status_code == 200
    refused = {
        "alg none": forge(settings, user_id, key=None, algorithm="none"),
        "wrong key": forge(settings, user_id, key="another-secret-another-secret-000"),
        "unknown kid": forge(settings, user_id, kid="nope"),
        "expired": forge(settings, user_id, claims={"exp": utcnow() - timedelta(seconds=1)}),
        "old version": forge(settings, user_id, claims={"ver": -1}),
        "no session": forge(settings, user_id, claims={"sid": None}),
    }
    for what, token in refused.items():
        r = await client.get(ME, headers=bearer(token))
        assert r.status_code == 401, what
        assert r.json()["error"]["code"] == "auth.not_authenticated", what


async def test_tokens_of_deleted_disabled_and_suspended_users(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    resident, neighbor, housemate = (
        await as_user("resident"),
        await as_user("neighbor"),
        await as_user("housemate"),
    )
    members = world.members
    await session.execute(sa.delete(User).where(User.id == members["resident"].user_id))
    await session.execute(
        sa.update(User).where(User.id == members["neighbor"].user_id).values(is_active=False)
    )
    members["housemate"].status = MemberStatus.SUSPENDED
    await session.commit()

    deleted = await resident.get(ME)
    assert deleted.status_code == 401
    assert deleted.json()["error"]["code"] == "auth.not_authenticated"
    for path in (ME, "/amenities"):
        disabled = await neighbor.get(path)
        assert disabled.status_code == 401
        assert disabled.json()["error"]["code"] == "auth.account_disabled"
    suspended = await housemate.get("/amenities")
    assert suspended.status_code == 404 and suspended.json()["error"]["code"] == "not_found"
    assert (await housemate.get(ME)).status_code == 200


# Refresh tokens


async def test_access_tokens_are_short_lived(client: httpx.AsyncClient, world: World) -> None:
    body = (await login(client, world.emails["resident"])).json()
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert body["refresh_token"] and body["refresh_token"] != body["access_token"]


async def test_refresh_rotates_and_reuse_revokes_the_family(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    first = (await login(client, world.emails["resident"])).json()
    client.cookies.clear()
    second = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    fresh = second.json()
    assert fresh["refresh_token"] != first["refresh_token"]
    assert (await client.get(ME, headers=bearer(fresh["access_token"]))).status_code == 200

    reused = await client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "auth.invalid_refresh_token"
    # the thief's copy and the owner's newer token of the same family both stop working
    stolen = await client.post(REFRESH, json={"refresh_token": fresh["refresh_token"]})
    assert stolen.status_code == 401

    user_id = world.members["resident"].user_id
    assert "auth.refresh_token_reused" in await audit_actions(db, user_id)
    async with db.reader() as s:
        families = (
            await s.execute(
                sa.select(
                    RefreshToken.family_id, sa.func.count(), sa.func.count(RefreshToken.revoked_at)
                )
                .where(RefreshToken.user_id == user_id)
                .group_by(RefreshToken.family_id)
            )
        ).all()
    assert [(total, revoked) for _, total, revoked in families] == [(2, 2)]


async def test_the_browser_refreshes_with_its_cookies(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await login(client, world.emails["resident"])
    refresh_cookie = next(
        c for c in r.headers.get_list("set-cookie") if c.startswith(REFRESH_COOKIE)
    )
    assert "HttpOnly" in refresh_cookie and "Path=/api/v1/auth" in refresh_cookie
    csrf = client.cookies[CSRF_COOKIE]
    client.cookies.delete(SESSION_COOKIE)  # the access token ran out

    refused = await client.post(REFRESH)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.csrf_failed"
    refreshed = await client.post(REFRESH, headers={"X-CSRF-Token": csrf})
    assert refreshed.status_code == 200, refreshed.text
    assert (await client.get(ME)).status_code == 200  # a new session cookie came with it

    new_csrf = refreshed.json()["csrf_token"]
    logout = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": new_csrf})
    assert logout.status_code == 204
    gone = await client.post(REFRESH, json={"refresh_token": refreshed.json()["refresh_token"]})
    assert gone.status_code == 401  # signing out revoked this browser's family


@pytest.mark.parametrize("redis", [False, True], ids=["in-process", "redis"])
async def test_sign_out_and_refresh_token_reuse_end_access_tokens_at_once(
    settings: Settings, world: World, redis: bool
) -> None:
    """With Redis the revocation reaches every app process; in process, the one it ran on."""
    shared = settings.model_copy(update={"redis_url": REDIS_URL if redis else None})
    email = world.emails["resident"]
    async with serve(shared) as one, serve(shared) as two:
        other = two if redis else one
        laptop = (await login(one, email)).json()
        phone = (await login(one, email)).json()
        one.cookies.clear()
        assert (await other.get(ME, headers=bearer(laptop["access_token"]))).status_code == 200
        r = await one.post("/api/v1/auth/logout", headers=bearer(laptop["access_token"]))
        assert r.status_code == 204
        ended = await other.get(ME, headers=bearer(laptop["access_token"]))
        assert ended.status_code == 401
        assert ended.json()["error"]["code"] == "auth.not_authenticated"
        gone = await one.post(REFRESH, json={"refresh_token": laptop["refresh_token"]})
        assert gone.status_code == 401  # the session's refresh token went with it
        assert (await other.get(ME, headers=bearer(phone["access_token"]))).status_code == 200

        # the phone's refresh token is copied: its reuse ends the tokens of both holders
        renewed = (await one.post(REFRESH, json={"refresh_token": phone["refresh_token"]})).json()
        reused = await one.post(REFRESH, json={"refresh_token": phone["refresh_token"]})
        assert reused.status_code == 401
        for token in (phone["access_token"], renewed["access_token"]):
            assert (await other.get(ME, headers=bearer(token))).status_code == 401


async def test_sign_out_everywhere_revokes_every_family(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    email = world.emails["resident"]
    laptop = (await login(client, email)).json()
    phone = (await login(client, email)).json()
    client.cookies.clear()
    r = await client.post(
        "/api/v1/auth/logout", params={"everywhere": "true"}, headers=bearer(phone["access_token"])
    )
    assert r.status_code == 204
    for device in (laptop, phone):
        again = await client.post(REFRESH, json={"refresh_token": device["refresh_token"]})
        assert again.status_code == 401
        assert (await client.get(ME, headers=bearer(device["access_token"]))).status_code == 401
    user_id = world.members["resident"].user_id
    assert "auth.signed_out_everywhere" in await audit_actions(db, user_id)


async def test_a_disabled_account_cannot_refresh(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    tokens = (await login(client, world.emails["resident"])).json()
    client.cookies.clear()
    user_id = world.members["resident"].user_id
    await session.execute(sa.update(User).where(User.id == user_id).values(is_active=False))
    await session.commit()
    r = await client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth.account_disabled"


# Lockout


def same_error(r: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = r.json()["error"]
    return {"status": r.status_code, **{k: v for k, v in error.items() if k != "request_id"}}


async def lockout_notices(db: Database, user_id: uuid.UUID) -> list[Notification]:
    async with db.reader() as s:
        query = sa.select(Notification).where(
            Notification.recipient_id == user_id, Notification.kind == "account_locked"
        )
        return list((await s.scalars(query)).all())


async def test_lockout_backs_off_and_looks_like_a_wrong_password(
    client: httpx.AsyncClient,
    world: World,
    session: AsyncSession,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
) -> None:
    email = world.emails["resident"]
    user_id = world.members["resident"].user_id
    unknown = same_error(await login(client, "nobody-here@example.com", "wrong-wrong"))
    assert unknown["status"] == 401 and unknown["code"] == "auth.invalid_credentials"
    for _ in range(5):
        assert same_error(await login(client, email, "wrong-wrong")) == unknown
    # locked: the right password gets the very same answer
    assert same_error(await login(client, email)) == unknown

    user = await session.get(User, user_id)
    assert user is not None and user.locked_until is not None
    assert timedelta(seconds=55) < user.locked_until - utcnow() <= timedelta(seconds=60)
    assert (await audit_actions(db, user_id)).count("auth.locked_out") == 1
    [notice] = await lockout_notices(db, user_id)

    # once the lock runs out, one more failure locks for twice as long
    user.locked_until = utcnow() - timedelta(seconds=1)
    await session.commit()
    assert same_error(await login(client, email, "wrong-wrong")) == unknown
    await session.refresh(user)
    assert user.locked_until is not None
    assert timedelta(seconds=115) < user.locked_until - utcnow() <= timedelta(seconds=120)
    assert len(await lockout_notices(db, user_id)) == 2  # one notice per lockout, not per try

    user.locked_until = utcnow() - timedelta(seconds=1)
    await session.commit()
    assert (await login(client, email)).status_code == 200
    await session.refresh(user)
    assert (user.failed_sign_ins, user.locked_until) == (0, None)
    await session.commit()

    # the owner heard about the first lockout by email, an account notice outside any community
    assert notice.community_id is None and notice.recipient_email == email
    assert deliverer_for(variant(settings, tmp_path)).deliver(notice.id) == "sent"
    [eml] = list((tmp_path / "outbox").glob("*.eml"))
    msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["Subject"] == "Your account is locked for 1 minute(s)"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "5 failed sign-in attempts" in text and "/forgot-password" in text


async def test_invitation_accept_counts_guesses_and_honours_the_lockout(
    client: httpx.AsyncClient, world: World, db: Database, as_user: Any
) -> None:
    """An admin invites an existing account and guesses its password on the accept route: each
    guess is a failed sign-in, and a locked account stays locked there too."""
    email = world.emails["outsider"]
    user_id = world.members["outsider"].user_id
    admin = await as_user("admin")
    token = (await admin.post("/invitations", {"email": email})).json()["token"]
    unknown = same_error(await login(client, "nobody-here@example.com", "wrong-wrong"))

    async def accept(password: str) -> httpx.Response:
        client.cookies.clear()
        body = {"token": token, "name": "Guess", "password": password}
        return await client.post("/api/v1/invitations/accept", json=body)

    for _ in range(8):
        assert same_error(await accept("wrong-wrong")) == unknown
    async with db.reader() as s:
        user = await s.get(User, user_id)
    assert user is not None and user.failed_sign_ins == 5 and user.locked_until is not None
    assert (await audit_actions(db, user_id)).count("auth.locked_out") == 1
    assert len(await lockout_notices(db, user_id)) == 1
    # locked: the right password opens neither route
    assert same_error(await accept(PASSWORD)) == unknown
    assert same_error(await login(client, email)) == unknown
    members = (await admin.get("/members", params={"q": "outsider"})).json()["items"]
    assert members == []


async def test_password_change_counts_guesses_and_honours_the_lockout(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    """A stolen session cannot guess the current password past the lockout."""
    token = await sign_in(client, world.emails["resident"])
    user_id = world.members["resident"].user_id

    async def change(current: str) -> httpx.Response:
        body = {"current_password": current, "new_password": "tuna kettle orbit lamp"}
        return await client.post("/api/v1/auth/password", json=body, headers=bearer(token))

    statuses = [(await change("wrong-wrong")).status_code for _ in range(6)]
    assert statuses == [401] * 6
    assert len(await lockout_notices(db, user_id)) == 1
    refused = await change(PASSWORD)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "auth.invalid_credentials"
    assert (await login(client, world.emails["resident"])).status_code == 401


async def test_lockout_is_capped(settings: Settings, world: World, session: AsyncSession) -> None:
    capped = settings.model_copy(
        update={"auth": AuthSettings(lockout_after=1, lockout_seconds=60, lockout_max_seconds=90)}
    )
    user_id = world.members["resident"].user_id
    async with serve(capped) as client:
        for _ in range(3):
            await login(client, world.emails["resident"], "wrong-wrong")
            await session.execute(
                sa.update(User)
                .where(User.id == user_id)
                .values(locked_until=utcnow() - timedelta(seconds=1))
            )
            await session.commit()
        await login(client, world.emails["resident"], "wrong-wrong")
    user = await session.get(User, user_id)
    assert user is not None and user.locked_until is not None
    assert user.failed_sign_ins == 4
    assert timedelta(seconds=85) < user.locked_until - utcnow() <= timedelta(seconds=90)


# Audit


async def test_sign_ins_are_audited(client: httpx.AsyncClient, world: World, db: Database) -> None:
    email = world.emails["resident"]
    user_id = world.members["resident"].user_id
    await login(client, email, "wrong-wrong")
    await login(client, email)
    await login(client, "ghost@example.com", "wrong-wrong")
    async with db.reader() as s:
        events = (
            await s.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.action.like("auth.%"))
                .order_by(AuditEvent.created_at)
            )
        ).all()
    summary = [(e.action, e.entity_type, e.entity_id, e.actor_id) for e in events]
    assert summary[:2] == [
        ("auth.sign_in_failed", "user", user_id, None),
        ("auth.signed_in", "user", user_id, user_id),
    ]
    ghost = events[2]
    assert (ghost.action, ghost.entity_type, ghost.actor_id) == (
        "auth.sign_in_failed",
        "email",
        None,
    )
    assert ghost.after == {"email": "ghost@example.com", "reason": "unknown_email"}
    assert all(e.community_id is None for e in events)
