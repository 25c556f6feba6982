import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
from pydantic import SecretStr

from hoa.core.settings import Settings
from hoa.core.tokens import issue_token, read_token, signing_keys
from hoa.web.cookies import CSRF_COOKIE, SESSION_COOKIE
from tests.conftest import sign_in
from tests.factories import PASSWORD, World


async def test_login_sets_cookie_session_and_returns_bearer(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await client.post(
        "/api/v1/auth/login", json={"email": world.emails["resident"].upper(), "password": PASSWORD}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["user"]["email"] == world.emails["resident"]
    set_cookie = r.headers.get_list("set-cookie")
    session_cookie = next(c for c in set_cookie if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in session_cookie and "samesite=lax" in session_cookie.lower()
    assert any(c.startswith(CSRF_COOKIE) and "HttpOnly" not in c for c in set_cookie)

    me = await client.get("/api/v1/me")  # the cookie alone authenticates reads
    assert me.status_code == 200
    [membership] = me.json()["memberships"]
    assert membership["community_id"] == str(world.community.id)
    assert membership["role"] == "resident" and membership["household"]["label"] == "Lot 1"


async def test_wrong_password_and_unknown_email_look_the_same(
    client: httpx.AsyncClient, world: World
) -> None:
    wrong = await client.post(
        "/api/v1/auth/login", json={"email": world.emails["resident"], "password": "nope-nope-nope"}
    )
    unknown = await client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()["error"]["code"]
        == unknown.json()["error"]["code"]
        == "auth.invalid_credentials"
    )
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


async def test_cookie_writes_need_the_csrf_header(client: httpx.AsyncClient, world: World) -> None:
    login = await client.post(
        "/api/v1/auth/login", json={"email": world.emails["resident"], "password": PASSWORD}
    )
    csrf = login.json()["csrf_token"]
    url = "/api/v1/auth/logout"
    refused = await client.post(url)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.csrf_failed"
    forged = await client.post(url, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    ok = await client.post(url, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 204


async def test_bearer_requests_need_no_csrf(client: httpx.AsyncClient, world: World) -> None:
    token = await sign_in(client, world.emails["resident"])
    r = await client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204


async def test_tampered_and_missing_tokens_are_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    token = await sign_in(client, world.emails["resident"])
    header, payload, signature = token.split(".")
    for bad in (f"{header}.{payload}.{signature[::-1]}", "not-a-token", f"{header}.{payload}."):
        r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "auth.not_authenticated"
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_password_change_ends_other_sessions(client: httpx.AsyncClient, world: World) -> None:
    old = await sign_in(client, world.emails["neighbor"])
    headers = {"Authorization": f"Bearer {old}"}
    r = await client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "a much longer passphrase"},
        headers=headers,
    )
    assert r.status_code == 200
    fresh = r.json()["access_token"]
    client.cookies.clear()
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    assert (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"})
    ).status_code == 200
    relogin = await client.post(
        "/api/v1/auth/login",
        json={"email": world.emails["neighbor"], "password": "a much longer passphrase"},
    )
    assert relogin.status_code == 200


async def test_wrong_current_password_is_refused(client: httpx.AsyncClient, world: World) -> None:
    token = await sign_in(client, world.emails["neighbor"])
    r = await client.post(
        "/api/v1/auth/password",
        json={"current_password": "wrong-wrong", "new_password": "a much longer passphrase"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth.invalid_credentials"


async def test_sign_out_everywhere_revokes_tokens(client: httpx.AsyncClient, world: World) -> None:
    token = await sign_in(client, world.emails["resident"])
    headers = {"Authorization": f"Bearer {token}"}
    r = await client.post("/api/v1/auth/logout", params={"everywhere": "true"}, headers=headers)
    assert r.status_code == 204
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


def test_a_token_accepted_before_stops_at_its_expiry_and_under_other_keys(
    settings: Settings,
) -> None:
    """Checked tokens are remembered per process (hoa.core.tokens): what is remembered still
    expires on time, and a token checked under one key set is not thereby good under another."""
    user_id = uuid.uuid4()
    token, _ = issue_token(settings, user_id, 0, "csrf", uuid.uuid4())
    claims = read_token(settings, token)
    assert claims is not None and read_token(settings, token) == claims
    rotated = settings.model_copy(update={"secret_key": SecretStr("another-secret-" * 3)})
    assert read_token(rotated, token) is None
    soon = datetime.now(UTC) + timedelta(seconds=1)
    header = {"kid": next(iter(signing_keys(settings)))}
    secret = next(iter(signing_keys(settings).values()))
    payload = {"sub": str(user_id), "ver": 0, "csrf": "c", "sid": str(uuid.uuid4())}
    short = jwt.encode({**payload, "exp": soon}, secret, algorithm="HS256", headers=header)
    assert read_token(settings, short) is not None
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.05)
    assert read_token(settings, short) is None
