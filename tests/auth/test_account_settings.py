"""The account's own details: PATCH /api/v1/me changes the name and the phone number."""

from typing import Any

import httpx
import pytest

from tests.factories import World

ME = "/api/v1/me"


async def test_name_and_phone_change_and_show_in_me(world: World, as_user: Any) -> None:
    api = await as_user("resident")
    r = await api.patch(ME, {"name": "  Riley Resident  ", "phone": "+1 (555) 123-4567"})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["phone"]) == ("Riley Resident", "+15551234567")
    me = (await api.get(ME)).json()
    assert (me["name"], me["phone"], me["email"]) == (
        "Riley Resident",
        "+15551234567",
        world.emails["resident"],
    )
    assert me["memberships"]  # the rest of /me as before

    # Only what is sent changes; an empty or null phone removes it.
    assert (await api.patch(ME, {"phone": "+44 20 7946 0958"})).json()["name"] == "Riley Resident"
    assert (await api.patch(ME, {"phone": ""})).json()["phone"] is None
    assert (await api.patch(ME, {"phone": "+4930123456"})).json()["phone"] == "+4930123456"
    assert (await api.patch(ME, {"phone": None})).json()["phone"] is None
    # Each account its own.
    assert (await (await as_user("housemate")).get(ME)).json()["name"] == "Housemate"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"phone": "555 123 4567"}, "account.invalid_phone"),  # no country code
        ({"phone": "+1 555 CALL NOW"}, "account.invalid_phone"),
        ({"phone": "+0 555 123 4567"}, "account.invalid_phone"),
        ({"phone": "+1234567890123456"}, "account.invalid_phone"),  # 16 digits
        ({"phone": "+12345"}, "account.invalid_phone"),
        ({"phone": "x" * 41}, "validation_error"),
        ({"name": "   "}, "validation_error"),
        ({"name": ""}, "validation_error"),
        ({"name": "n" * 121}, "validation_error"),
        ({"name": None}, "validation_error"),
        ({"email": "new@example.com"}, "validation_error"),
    ],
)
async def test_bad_names_and_phones_are_refused(
    world: World, as_user: Any, body: dict[str, Any], code: str
) -> None:
    api = await as_user("resident")
    r = await api.patch(ME, body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code
    me = (await api.get(ME)).json()
    assert (me["name"], me["phone"]) == ("Resident", None)


async def test_a_name_of_120_characters_is_kept_whole(world: World, as_user: Any) -> None:
    api = await as_user("resident")
    name = "N" * 120
    assert (await api.patch(ME, {"name": name})).json()["name"] == name


async def test_needs_a_signed_in_user(client: httpx.AsyncClient) -> None:
    assert (await client.patch(ME, json={"name": "Nobody"})).status_code == 401
