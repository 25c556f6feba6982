"""Communities: my list, creation by platform operators with a first admin, validation, updates."""

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Api, sign_in
from tests.factories import PASSWORD, World, make_user

COMMUNITIES = "/api/v1/communities"


def error_code(r: httpx.Response) -> str:
    return str(r.json()["error"]["code"])


def new_community(slug: str = "birch-bay", **extra: Any) -> dict[str, Any]:
    return {"name": "Birch Bay", "slug": slug, "timezone": "America/Chicago", **extra}


@pytest.fixture
async def operator(client: httpx.AsyncClient, session: AsyncSession, world: World) -> Api:
    """A platform operator, who belongs to no community."""
    user = await make_user(session, is_operator=True, email="ops@example.com", name="Ops")
    await session.commit()
    return Api(client, await sign_in(client, user.email), world.community.id)


async def profile(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_each_member_lists_only_their_communities(
    as_user: Any, world: World, operator: Api
) -> None:
    resident = await as_user("resident")
    r = await resident.get(COMMUNITIES)
    assert r.status_code == 200
    assert [(c["id"], c["name"]) for c in r.json()] == [
        (str(world.community.id), "Maple Grove HOA")
    ]
    mine = (await (await as_user("outsider")).get(COMMUNITIES)).json()
    assert [c["name"] for c in mine] == ["Oak Ridge HOA"]
    assert (await operator.get(COMMUNITIES)).json() == []
    assert (await resident.client.get(COMMUNITIES)).status_code == 401

    one = await resident.get("")
    assert one.status_code == 200 and one.json()["timezone"] == "America/New_York"
    other = await resident.get(f"{COMMUNITIES}/{world.other.id}")
    assert other.status_code == 404 and error_code(other) == "not_found"


async def test_operator_appoints_an_existing_account_as_first_admin(
    operator: Api, world: World, as_user: Any
) -> None:
    r = await operator.post(
        COMMUNITIES,
        new_community(first_admin_email=world.emails["neighbor"].upper(), show_booker_names=True),
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["slug"] == "birch-bay" and created["timezone"] == "America/Chicago"
    assert created["show_booker_names"] is True and created["admin_invitation_url"] is None

    neighbor = await as_user("neighbor")
    me = await profile(neighbor.client, neighbor.headers["Authorization"].split()[1])
    roles = {m["community_slug"]: m["role"] for m in me["memberships"]}
    assert roles == {world.community.slug: "resident", "birch-bay": "admin"}
    listed = [c["name"] for c in (await neighbor.get(COMMUNITIES)).json()]
    assert listed == ["Birch Bay", "Maple Grove HOA"]
    in_new = Api(neighbor.client, neighbor.headers["Authorization"].split()[1], created["id"])
    assert (await in_new.get("/members")).status_code == 200
    # the operator appointed them but is no member: they open it as the operator
    assert (await operator.get(COMMUNITIES)).json() == []
    assert (await operator.get(f"{COMMUNITIES}/{created['id']}")).status_code == 200
    events = (await in_new.get("/audit-events")).json()["items"]
    assert sorted((e["action"], e["by_operator"]) for e in events) == [
        ("community.created", True),
        ("membership.created", True),
    ]


async def test_operator_invites_an_unknown_first_admin(
    operator: Api, client: httpx.AsyncClient
) -> None:
    r = await operator.post(COMMUNITIES, new_community(first_admin_email="chair@birch.example"))
    assert r.status_code == 201, r.text
    created = r.json()
    url = created["admin_invitation_url"]
    assert url and "/invitations/accept?" in url
    token = parse_qs(urlsplit(url).query)["token"][0]

    client.cookies.clear()
    accepted = await client.post(
        "/api/v1/invitations/accept", json={"token": token, "name": "Chair", "password": PASSWORD}
    )
    client.cookies.clear()
    assert accepted.status_code == 200, accepted.text
    token = accepted.json()["access_token"]
    me = await profile(client, token)
    assert [(m["community_id"], m["role"]) for m in me["memberships"]] == [(created["id"], "admin")]
    chair = Api(client, token, created["id"])
    assert (await chair.get("/members")).json()["items"][0]["email"] == "chair@birch.example"


async def test_only_operators_create_communities(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    r = await admin.post(COMMUNITIES, new_community())
    assert r.status_code == 403 and error_code(r) == "forbidden"
    anonymous = await admin.client.post(COMMUNITIES, json=new_community())
    assert anonymous.status_code == 401
    assert [c["name"] for c in (await admin.get(COMMUNITIES)).json()] == ["Maple Grove HOA"]


async def test_slugs_are_unique(operator: Api, world: World) -> None:
    assert (await operator.post(COMMUNITIES, new_community())).status_code == 201
    r = await operator.post(COMMUNITIES, {**new_community(), "name": "Another"})
    assert r.status_code == 409 and error_code(r) == "community.slug_taken"
    r = await operator.post(COMMUNITIES, new_community(slug=world.community.slug))
    assert r.status_code == 409 and error_code(r) == "community.slug_taken"


async def test_invalid_communities_are_refused_field_by_field(operator: Api) -> None:
    def fields(r: httpx.Response) -> set[str]:
        assert r.status_code == 422, r.text
        assert error_code(r) == "validation_error"
        return {f["location"][-1] for f in r.json()["error"]["details"]["fields"]}

    body = new_community()
    # not IANA zones: the server's own zone (a community would follow the host), tzdata's files
    for zone in ("Mars/Olympus", "localtime", "posixrules", "Factory", "posix/Europe/Paris"):
        r = await operator.post(COMMUNITIES, {**body, "timezone": zone})
        assert fields(r) == {"timezone"}, zone
    for slug in ("Birch Bay", "-birch", "birch-", "birch_bay", "", "x" * 81):
        assert fields(await operator.post(COMMUNITIES, {**body, "slug": slug})) == {"slug"}, slug
    both = await operator.post(COMMUNITIES, {**body, "slug": "Bad Slug", "timezone": "EST5EDT!"})
    assert fields(both) == {"slug", "timezone"}
    assert fields(await operator.post(COMMUNITIES, {"name": "x"})) == {"slug", "timezone"}
    bad_email = await operator.post(COMMUNITIES, {**body, "first_admin_email": "nope"})
    assert fields(bad_email) == {"first_admin_email"}
    assert (await operator.post(COMMUNITIES, body)).status_code == 201  # nothing half-made


async def test_admin_updates_the_community_and_it_is_audited(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    r = await admin.patch(
        "",
        {
            "name": "Maple Grove",
            "timezone": "Europe/Berlin",
            "show_booker_names": True,
            "reminder_hours": 48,
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["reminder_hours"] == 48
    assert (r.json()["name"], r.json()["timezone"], r.json()["show_booker_names"]) == (
        "Maple Grove",
        "Europe/Berlin",
        True,
    )
    fetched = (await (await as_user("resident")).get("")).json()
    assert fetched["timezone"] == "Europe/Berlin" and fetched["slug"] == world.community.slug

    # a partial update leaves the rest alone
    r = await admin.patch("", {"show_booker_names": False})
    assert r.json()["name"] == "Maple Grove" and r.json()["timezone"] == "Europe/Berlin"

    events = (await admin.get("/audit-events", params={"entity_type": "community"})).json()
    assert [e["action"] for e in events["items"]] == ["community.updated"] * 2
    first = events["items"][-1]
    assert first["entity_id"] == str(world.community.id)
    assert first["before"] == {
        "name": "Maple Grove HOA",
        "slug": world.community.slug,
        "timezone": "America/New_York",
        "locale": "en-US",
        "payment_instructions": "",
        "show_booker_names": False,
        "reminder_hours": 24,
        "households_approve_joins": False,
    }
    assert first["after"] == {
        "name": "Maple Grove",
        "slug": world.community.slug,
        "timezone": "Europe/Berlin",
        "locale": "en-US",
        "payment_instructions": "",
        "show_booker_names": True,
        "reminder_hours": 48,
        "households_approve_joins": False,
    }

    for bad in (
        {"timezone": "Nowhere/Land"},
        {"slug": "new-slug"},
        {"name": ""},
        {"reminder_hours": -1},
        {"reminder_hours": 24 * 8},
    ):
        r = await admin.patch("", bad)
        assert r.status_code == 422 and error_code(r) == "validation_error", bad
    assert (await admin.get("")).json()["name"] == "Maple Grove"


async def test_residents_cannot_update_the_community(as_user: Any, world: World) -> None:
    resident = await as_user("resident")
    r = await resident.patch("", {"name": "Mine now"})
    assert r.status_code == 403 and error_code(r) == "forbidden"
    assert (await resident.get("")).json()["name"] == "Maple Grove HOA"
    outsider = await as_user("outsider")  # admin of the other community
    r = await outsider.patch(f"{COMMUNITIES}/{world.community.id}", {"name": "Mine now"})
    assert r.status_code == 404
