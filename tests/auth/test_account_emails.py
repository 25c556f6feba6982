"""Account emails: password reset, email verification and invitations, each delivered to the
outbox and followed through the API with the link read from the email."""

import re
import uuid
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import Database, utcnow
from hoa.core.settings import RateLimitSettings, Settings
from hoa.core.tokens import fingerprint, sign
from hoa.main import create_app
from hoa.models import AuditEvent, Notification, User
from tests.conftest import Api, sign_in
from tests.factories import PASSWORD, World, make_user
from tests.notifications.conftest import variant

RESET, CONFIRM = "/api/v1/auth/password-reset", "/api/v1/auth/password-reset/confirm"
VERIFY, RESEND, ME = "/api/v1/auth/verify-email", "/api/v1/me/verification-email", "/api/v1/me"
LOGIN, REFRESH = "/api/v1/auth/login", "/api/v1/auth/refresh"
NEW_PASSWORD = "lantern orchard velvet quarry"


async def notices(db: Database, kind: str) -> list[Notification]:
    async with db.reader() as s:
        query = sa.select(Notification).where(Notification.kind == kind)
        return list((await s.scalars(query.order_by(Notification.created_at))).all())


async def audit_actions(db: Database, entity_id: uuid.UUID) -> list[str]:
    async with db.reader() as s:
        query = sa.select(AuditEvent.action).where(AuditEvent.entity_id == entity_id)
        return list(await s.scalars(query.order_by(AuditEvent.created_at)))


@pytest.fixture
def deliver(settings: Settings, tmp_path: Path, deliverer_for: Any) -> Any:
    """``deliver(notification)`` → the email it became, read back from the outbox."""
    deliverer = deliverer_for(variant(settings, tmp_path))
    outbox = tmp_path / "outbox"

    def run(notification: Notification) -> EmailMessage:
        before = set(outbox.glob("*.eml")) if outbox.exists() else set()
        assert deliverer.deliver(notification.id) == "sent"
        [eml] = set(outbox.glob("*.eml")) - before
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message

    return run


def bodies(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def link_token(message: EmailMessage, path: str) -> str:
    """The token of the one link to ``path``, the same in the text and HTML parts."""
    text, html = bodies(message)
    urls: set[str] = set(re.findall(rf"https?://\S+{re.escape(path)}\?token=[\w.\-]+", text))
    [url] = urls
    assert f'href="{url}"' in html
    assert "<img" not in html  # no remote images
    [token] = parse_qs(urlsplit(url).query)["token"]
    return token


def error_code(r: httpx.Response) -> str:
    return str(r.json()["error"]["code"])


async def anonymous_post(client: httpx.AsyncClient, url: str, body: Any) -> httpx.Response:
    client.cookies.clear()
    r = await client.post(url, json=body)
    client.cookies.clear()
    return r


# Password reset


async def test_a_reset_email_delayed_past_its_hour_is_not_sent(
    client: httpx.AsyncClient,
    world: World,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
) -> None:
    r = await anonymous_post(client, RESET, {"email": world.emails["resident"]})
    assert r.status_code == 202
    [notice] = await notices(db, "password_reset")
    deliverer = deliverer_for(variant(settings, tmp_path))
    async with db.writer() as s, s.begin():
        expired = {**notice.payload, "expires_at": utcnow().isoformat()}
        await s.execute(
            sa.update(Notification).where(Notification.id == notice.id).values(payload=expired)
        )
    assert deliverer.deliver(notice.id) == "failed"
    [failed] = await notices(db, "password_reset")
    assert failed.last_error == "the reset link expired before it could be sent"
    assert not (tmp_path / "outbox").exists() or not list((tmp_path / "outbox").glob("*.eml"))


async def test_password_reset_round_trip_ends_every_session(
    client: httpx.AsyncClient, world: World, db: Database, deliver: Any
) -> None:
    email, user_id = world.emails["resident"], world.members["resident"].user_id
    old = (await client.post(LOGIN, json={"email": email, "password": PASSWORD})).json()
    client.cookies.clear()

    r = await anonymous_post(client, RESET, {"email": email.upper()})
    assert r.status_code == 202
    [notice] = await notices(db, "password_reset")
    assert notice.community_id is None and notice.recipient_id == user_id
    assert "link" not in notice.payload and "token" not in str(notice.payload)  # signed at send
    message = deliver(notice)
    assert message["To"] == email and message["Subject"] == "Reset your password"
    token = link_token(message, "/reset-password")
    assert "60 minutes" in bodies(message)[0]

    weak = await anonymous_post(client, CONFIRM, {"token": token, "password": "password123"})
    assert weak.status_code == 422 and error_code(weak) == "auth.weak_password"
    done = await anonymous_post(client, CONFIRM, {"token": token, "password": NEW_PASSWORD})
    assert done.status_code == 204, done.text

    # the old access and refresh tokens stopped working; only the new password signs in
    stale = await client.get(ME, headers={"Authorization": f"Bearer {old['access_token']}"})
    assert stale.status_code == 401
    refreshed = await anonymous_post(client, REFRESH, {"refresh_token": old["refresh_token"]})
    assert refreshed.status_code == 401
    wrong = await anonymous_post(client, LOGIN, {"email": email, "password": PASSWORD})
    assert wrong.status_code == 401
    await sign_in(client, email, NEW_PASSWORD)

    # single use: the password hash the link was made for is gone
    again = await anonymous_post(client, CONFIRM, {"token": token, "password": PASSWORD + "!"})
    assert again.status_code == 400 and error_code(again) == "auth.invalid_reset_token"
    actions = await audit_actions(db, user_id)
    assert actions.index("auth.password_reset_requested") < actions.index("auth.password_reset")


async def test_an_unknown_address_gets_the_same_answer_and_no_email(
    client: httpx.AsyncClient, world: World, db: Database, session: AsyncSession
) -> None:
    known = await anonymous_post(client, RESET, {"email": world.emails["resident"]})
    unknown = await anonymous_post(client, RESET, {"email": "nobody-here@example.com"})
    disabled_user = await make_user(session, is_active=False)
    await session.commit()
    disabled = await anonymous_post(client, RESET, {"email": disabled_user.email})
    assert known.status_code == unknown.status_code == disabled.status_code == 202
    assert known.json() == unknown.json() == disabled.json()
    assert [n.recipient_email for n in await notices(db, "password_reset")] == [
        world.emails["resident"]
    ]


async def test_a_reset_is_answered_before_the_address_is_looked_up(
    app: FastAPI, world: World, db: Database
) -> None:
    """Known and unknown addresses take the same path until the answer is sent: the lookup and
    the email come after it, so timing tells nothing."""
    events: list[str] = []

    def on_execute(*args: Any) -> None:
        events.append(str(args[2]).split(None, 1)[0].upper())

    async def recorded(scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: Any) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                events.append("ANSWERED")
            await send(message)

        await app(scope, receive, sending)

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        transport = httpx.ASGITransport(app=recorded)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            before: list[list[str]] = []
            for email in (world.emails["resident"], "nobody-here@example.com"):
                events.clear()
                assert (await c.post(RESET, json={"email": email})).status_code == 202
                before.append(events[: events.index("ANSWERED")])
    finally:
        sa.event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)
    assert before[0] == before[1]
    assert "SELECT" not in before[0]
    assert [n.recipient_email for n in await notices(db, "password_reset")] == [
        world.emails["resident"]
    ]


async def test_expired_foreign_and_tampered_reset_tokens_are_refused(
    client: httpx.AsyncClient, world: World, settings: Settings, session: AsyncSession
) -> None:
    user = await session.get_one(User, world.members["resident"].user_id)
    assert user.password_hash is not None
    pw = fingerprint(user.password_hash)
    await session.commit()  # end the writer transaction: the app writes next
    expired = sign(settings, "password_reset", str(user.id), utcnow() - timedelta(seconds=1), pw=pw)
    later = utcnow() + timedelta(hours=1)
    verification = sign(settings, "email_verification", str(user.id), later, email=user.email)
    verification_as_reset = sign(settings, "email_verification", str(user.id), later, pw=pw)
    valid = sign(settings, "password_reset", str(user.id), later, pw=pw)
    tampered = valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB")
    other_key = sign(
        settings.model_copy(update={"secret_key": SecretStr("another-secret-another-secret-01")}),
        "password_reset",
        str(user.id),
        later,
        pw=pw,
    )
    for token in (expired, verification, verification_as_reset, tampered, other_key, "x" * 40):
        r = await anonymous_post(client, CONFIRM, {"token": token, "password": NEW_PASSWORD})
        assert r.status_code == 400 and error_code(r) == "auth.invalid_reset_token", token
    # a reset link is no verification link either
    r = await anonymous_post(client, VERIFY, {"token": valid})
    assert r.status_code == 400 and error_code(r) == "auth.invalid_verification_token"
    # and the untouched valid one still works
    ok = await anonymous_post(client, CONFIRM, {"token": valid, "password": NEW_PASSWORD})
    assert ok.status_code == 204


async def test_reset_is_rate_limited_per_account_and_per_ip(
    settings: Settings, world: World
) -> None:
    limits = RateLimitSettings(local_path=settings.rate_limit.local_path)
    app = create_app(settings.model_copy(update={"rate_limit": limits}))

    def client_from(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    async with app.router.lifespan_context(app):
        # one account asked for from many addresses
        for n in range(5):
            async with client_from(f"10.0.0.{n}") as c:
                r = await c.post(RESET, json={"email": world.emails["neighbor"]})
                assert r.status_code == 202
        async with client_from("10.0.0.99") as c:
            r = await c.post(RESET, json={"email": world.emails["neighbor"]})
            assert r.status_code == 429 and "Retry-After" in r.headers
        # one address probing many accounts
        async with client_from("10.0.1.1") as c:
            for n in range(5):
                r = await c.post(RESET, json={"email": f"probe-{n}@example.com"})
                assert r.status_code == 202
            r = await c.post(RESET, json={"email": "probe-5@example.com"})
            assert r.status_code == 429


# Email verification


async def join(client: httpx.AsyncClient, admin: Api, email: str) -> dict[str, Any]:
    code = (await admin.post("/join-code")).json()["code"]
    body = {
        "code": code,
        "household_label": "Lot 2",
        "email": email,
        "name": "Jo Joiner",
        "password": PASSWORD,
    }
    r = await anonymous_post(client, "/api/v1/join/signup", body)
    assert r.status_code == 202, r.text
    signed_in = await anonymous_post(client, LOGIN, {"email": email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    session: dict[str, Any] = signed_in.json()
    return session


async def test_accounts_made_with_a_join_code_verify_their_email(
    client: httpx.AsyncClient, world: World, db: Database, as_user: Any, deliver: Any
) -> None:
    joined = await join(client, await as_user("admin"), "joiner@example.com")
    jo = Api(client, joined["access_token"], world.community.id)
    assert (await jo.get(ME)).json()["email_verified"] is False
    [notice] = await notices(db, "email_verification")
    assert notice.community_id is None and notice.recipient_email == "joiner@example.com"
    message = deliver(notice)
    assert message["Subject"] == "Confirm your email address"
    assert "Jo Joiner" in bodies(message)[0]
    token = link_token(message, "/verify-email")

    # a second link on request; the first one keeps working
    assert (await jo.post(RESEND)).status_code == 204
    assert len(await notices(db, "email_verification")) == 2

    bad = await anonymous_post(client, VERIFY, {"token": token[:-3] + "abc"})
    assert bad.status_code == 400 and error_code(bad) == "auth.invalid_verification_token"
    for _ in range(2):  # idempotent
        assert (await anonymous_post(client, VERIFY, {"token": token})).status_code == 204
    assert (await jo.get(ME)).json()["email_verified"] is True
    assert (await audit_actions(db, uuid.UUID(joined["user"]["id"]))).count(
        "auth.email_verified"
    ) == 1
    again = await jo.post(RESEND)
    assert again.status_code == 409 and error_code(again) == "auth.email_already_verified"
    assert len(await notices(db, "email_verification")) == 2


async def test_a_link_for_an_older_address_does_not_verify(
    client: httpx.AsyncClient, world: World, settings: Settings, session: AsyncSession
) -> None:
    user = await make_user(session)
    await session.commit()
    later = utcnow() + timedelta(hours=1)
    token = sign(settings, "email_verification", str(user.id), later, email="old@example.com")
    r = await anonymous_post(client, VERIFY, {"token": token})
    assert r.status_code == 400 and error_code(r) == "auth.invalid_verification_token"
    expired = sign(
        settings, "email_verification", str(user.id), utcnow() - timedelta(1), email=user.email
    )
    r = await anonymous_post(client, VERIFY, {"token": expired})
    assert r.status_code == 400


# Invitations


async def test_the_invitation_email_carries_a_working_link(
    client: httpx.AsyncClient, world: World, db: Database, as_user: Any, deliver: Any
) -> None:
    admin = await as_user("admin")
    r = await admin.post("/invitations", {"email": "Invitee@Example.com", "role": "admin"})
    assert r.status_code == 201, r.text
    shown = r.json()
    [notice] = await notices(db, "invitation")
    assert notice.community_id == world.community.id and notice.recipient_id is None
    assert notice.recipient_email == "invitee@example.com"
    assert shown["token"] not in str(notice.payload)  # the raw token is stored nowhere
    # admins watch it (and can retry it) with the community's other emails
    [listed] = (await admin.get("/notifications")).json()["items"]
    assert (listed["kind"], listed["recipient_id"]) == ("invitation", None)

    message = deliver(notice)
    assert message["Subject"] == "Admin invited you to Maple Grove HOA"
    text, html = bodies(message)
    assert "as an admin" in text and "as an admin" in html
    assert "(America/New_York)" in text  # the expiry, in the community's time zone
    token = link_token(message, "/invitations/accept")
    assert token == shown["token"]

    body = {"token": token, "name": "Ivy Invitee", "password": NEW_PASSWORD}
    accepted = await anonymous_post(client, "/api/v1/invitations/accept", body)
    assert accepted.status_code == 200, accepted.text
    profile = await Api(client, accepted.json()["access_token"], world.community.id).get(ME)
    assert profile.json()["email_verified"] is True  # the link came to this address
    assert [m["role"] for m in profile.json()["memberships"]] == ["admin"]


async def test_an_operator_appointing_a_new_address_emails_it(
    client: httpx.AsyncClient, world: World, db: Database, session: AsyncSession, deliver: Any
) -> None:
    ops = await make_user(session, is_operator=True, email="ops@example.com", name="Olive Ops")
    await session.commit()
    operator = Api(client, await sign_in(client, ops.email), world.community.id)
    r = await operator.post(
        "/api/v1/communities",
        {
            "name": "Birch Bay",
            "slug": "birch-bay",
            "timezone": "America/Chicago",
            "first_admin_email": "board@example.com",
        },
    )
    assert r.status_code == 201, r.text
    [notice] = await notices(db, "invitation")
    assert notice.recipient_email == "board@example.com"
    message = deliver(notice)
    assert message["Subject"] == "Olive Ops invited you to Birch Bay"
    token = link_token(message, "/invitations/accept")
    assert r.json()["admin_invitation_url"].endswith(f"?token={token}")
