"""New passwords follow NIST SP 800-63B: long enough, not breached or easily guessed, not built
from the account's name or email; no composition rules. Existing passwords are not judged."""

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.auth.passwords import WeakPassword, check_new_password, hash_password
from hoa.auth.schemas import PasswordChange
from hoa.auth.service import upsert_operator
from hoa.core.settings import AuthSettings, Settings
from hoa.models import User
from tests.conftest import sign_in
from tests.factories import PASSWORD, World

STRONG = "tuna kettle orbit lamp"
WEAK = {
    "short seven": "too_short",
    "1q2w3e4r5t6y": "breached",
    "qwertyuiopasdf": "guessable",
    "aaaaaaaaaaaaaaaa": "guessable",
    "123456789012345": "guessable",
    "Pat Rivers rules the pool": "personal",  # the name
    "rivers.pat forever and ever": "personal",  # the email's local part
}


def reason(r: httpx.Response) -> str:
    error = r.json()["error"]
    assert r.status_code == 422 and error["code"] == "auth.weak_password", r.text
    assert error["message"]
    return str(error["details"]["reason"])


async def test_password_change_applies_the_policy(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    user_id = world.members["resident"].user_id
    await session.execute(
        sa.update(User)
        .where(User.id == user_id)
        .values(name="Pat Rivers", email="rivers.pat@example.com")
    )
    await session.commit()
    headers = {"Authorization": f"Bearer {await sign_in(client, 'rivers.pat@example.com')}"}
    for password, expected in WEAK.items():
        r = await client.post(
            "/api/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": password},
            headers=headers,
        )
        assert reason(r) == expected, password
    current = PASSWORD
    for password in (STRONG, "ŝtrange ünicode wörds", "x7#" * 85 + "z"):  # no composition rules
        r = await client.post(
            "/api/v1/auth/password",
            json={"current_password": current, "new_password": password},
            headers=headers,
        )
        assert r.status_code == 200, (password, r.text)
        headers, current = {"Authorization": f"Bearer {r.json()['access_token']}"}, password


async def test_new_accounts_from_invitations_and_join_codes(
    as_user: Any, world: World, client: httpx.AsyncClient
) -> None:
    admin = await as_user("admin")
    r = await admin.post("/invitations", {"email": "maria.lopez@example.com", "role": "resident"})
    token = r.json()["token"]
    accept = {"token": token, "name": "Maria Lopez", "password": "maria lopez 2026!"}
    client.cookies.clear()
    assert reason(await client.post("/api/v1/invitations/accept", json=accept)) == "personal"
    accept["password"] = "short"
    assert reason(await client.post("/api/v1/invitations/accept", json=accept)) == "too_short"
    accept["password"] = STRONG
    assert (await client.post("/api/v1/invitations/accept", json=accept)).status_code == 200

    code = (await admin.post("/join-code")).json()["code"]
    join = {
        "code": code,
        "household_label": "Lot 2",
        "email": "sam.oak@example.com",
        "name": "Sam Oak",
        "password": "password1234",
    }
    client.cookies.clear()
    assert reason(await client.post("/api/v1/join/signup", json=join)) == "breached"
    join["password"] = STRONG
    assert (await client.post("/api/v1/join/signup", json=join)).status_code == 202


async def test_an_existing_account_accepts_with_its_current_password(
    as_user: Any, world: World, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The policy judges new passwords only: an old short one still signs in and accepts."""
    session.add(
        User(
            email="old.timer@example.com", name="Old Timer", password_hash=hash_password("hunter22")
        )
    )
    await session.commit()
    admin = await as_user("admin")
    r = await admin.post("/invitations", {"email": "old.timer@example.com", "role": "resident"})
    client.cookies.clear()
    accept = {"token": r.json()["token"], "name": "Old Timer", "password": "hunter22"}
    assert (await client.post("/api/v1/invitations/accept", json=accept)).status_code == 200


async def test_create_admin_applies_the_policy(settings: Settings, session: AsyncSession) -> None:
    with pytest.raises(WeakPassword) as refused:
        await upsert_operator(session, settings, "ops@example.com", "Ops", "password")
    assert refused.value.details["reason"] == "too_short"
    assert await upsert_operator(session, settings, "ops@example.com", "Ops", STRONG)


def test_the_minimum_length_is_a_setting(settings: Settings) -> None:
    longer = settings.model_copy(update={"auth": AuthSettings(password_min_length=24)})
    with pytest.raises(WeakPassword) as refused:
        check_new_password(longer, STRONG, email="a@example.com", name="A")
    assert refused.value.details == {"reason": "too_short", "min_length": 24}
    check_new_password(settings, STRONG, email="a@example.com", name="A")


def test_the_schema_bounds_are_the_policys() -> None:
    """Very short passwords get the policy's explanation, very long ones a validation error."""
    assert PasswordChange(current_password="x", new_password="x").new_password == "x"
    with pytest.raises(ValueError, match="256"):
        PasswordChange(current_password="x", new_password="x" * 257)
