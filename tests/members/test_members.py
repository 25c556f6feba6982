"""Households, members (search, pagination, role/status changes), invitations and join codes."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import Database, utcnow
from hoa.core.tokens import hash_token
from hoa.models import Invitation, Notification
from tests.factories import PASSWORD, World, make_member, make_user

ACCEPT, JOIN = "/api/v1/invitations/accept", "/api/v1/join"
SIGNUP = "/api/v1/join/signup"


def error_code(r: httpx.Response) -> str:
    return str(r.json()["error"]["code"])


async def anonymous_post(client: httpx.AsyncClient, url: str, body: Any) -> httpx.Response:
    """POST with no session at all (accept/join set a session cookie on the shared client)."""
    client.cookies.clear()
    r = await client.post(url, json=body)
    client.cookies.clear()
    return r


async def me(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def memberships(profile: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """community id -> (role, household label)."""
    return {
        m["community_id"]: (m["role"], m["household"] and m["household"]["label"])
        for m in profile["memberships"]
    }


# Households


async def test_households_are_listed_created_and_unique(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    labels = [h["label"] for h in (await admin.get("/households")).json()]
    assert labels == ["Lot 1", "Lot 2"]

    r = await admin.post("/households", {"label": "  Lot 3 "})
    assert r.status_code == 201, r.text
    assert r.json()["label"] == "Lot 3" and uuid.UUID(r.json()["id"])
    for duplicate in ("Lot 3", "lot 3", "LOT 1"):
        again = await admin.post("/households", {"label": duplicate})
        assert again.status_code == 409, duplicate
        assert error_code(again) == "household.exists"
    assert (await admin.post("/households", {"label": "   "})).status_code == 422
    # the other community's labels do not clash
    assert (await admin.post("/households", {"label": "Unit 9"})).status_code == 201
    labels = [h["label"] for h in (await admin.get("/households")).json()]
    assert labels == ["Lot 1", "Lot 2", "Lot 3", "Unit 9"]


async def test_a_household_in_use_cannot_be_deleted(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    in_use = await admin.delete(f"/households/{world.households['a'].id}")
    assert in_use.status_code == 409 and error_code(in_use) == "household.in_use"

    empty = (await admin.post("/households", {"label": "Lot 4"})).json()
    assert (await admin.delete(f"/households/{empty['id']}")).status_code == 204
    assert [h["label"] for h in (await admin.get("/households")).json()] == ["Lot 1", "Lot 2"]
    assert (await admin.delete(f"/households/{empty['id']}")).status_code == 404
    other = await admin.delete(f"/households/{world.households['other'].id}")
    assert other.status_code == 404 and error_code(other) == "not_found"

    # once its people moved out, it can go
    neighbor = world.members["neighbor"]
    moved = await admin.patch(
        f"/members/{neighbor.id}", {"household_id": str(world.households["a"].id)}
    )
    assert moved.status_code == 200
    assert (await admin.delete(f"/households/{world.households['b'].id}")).status_code == 204


# Members


async def test_members_are_searched_and_filtered(as_user: Any, world: World) -> None:
    admin = await as_user("admin")

    async def names(**params: str) -> list[str]:
        r = await admin.get("/members", params=params)
        assert r.status_code == 200, r.text
        return sorted(m["name"] for m in r.json()["items"])

    assert await names() == ["Admin", "Housemate", "Neighbor", "Resident"]
    assert await names(q="NEIGH") == ["Neighbor"]  # by name, any case
    assert await names(q=world.emails["housemate"].split("@")[0].upper()) == ["Housemate"]
    assert await names(q="lot 1") == ["Housemate", "Resident"]  # by unit label
    assert await names(q="lot") == ["Housemate", "Neighbor", "Resident"]
    assert await names(q="nobody") == []
    # LIKE wildcards are searched for literally
    assert await names(q="%") == []
    assert await names(q="_") == []
    assert await names(role="admin") == ["Admin"]
    assert await names(role="resident", q="lot 2") == ["Neighbor"]

    neighbor = world.members["neighbor"]
    await admin.patch(f"/members/{neighbor.id}", {"status": "suspended"})
    assert await names(status="suspended") == ["Neighbor"]
    assert await names(status="active", role="resident") == ["Housemate", "Resident"]
    bad = await admin.get("/members", params={"role": "owner"})
    assert bad.status_code == 422 and error_code(bad) == "validation_error"

    item = (await admin.get("/members", params={"q": "neighbor"})).json()["items"][0]
    assert item == {
        "id": str(neighbor.id),
        "user_id": str(neighbor.user_id),
        "name": "Neighbor",
        "email": world.emails["neighbor"],
        "role": "resident",
        "status": "suspended",
        "household_id": str(world.households["b"].id),
        "household_label": "Lot 2",
        "created_at": item["created_at"],
    }


async def test_members_are_paged_with_a_cursor(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    for n in range(5):
        user = await make_user(session, name=f"Extra {n}")
        await make_member(session, world.community, user)
    await session.commit()
    admin = await as_user("admin")
    everyone = (await admin.get("/members")).json()
    assert len(everyone["items"]) == 9 and everyone["next_cursor"] is None

    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    pages = 0
    while True:
        page = (await admin.get("/members", params=params)).json()
        pages += 1
        assert len(page["items"]) <= 2
        seen += [m["id"] for m in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert pages == 5
    assert seen == [m["id"] for m in everyone["items"]]  # same order, nothing twice or missed

    filtered = (await admin.get("/members", params={"q": "extra", "limit": 3})).json()
    rest = (
        await admin.get(
            "/members", params={"q": "extra", "limit": 3, "cursor": filtered["next_cursor"]}
        )
    ).json()
    names = [m["name"] for m in filtered["items"] + rest["items"]]
    assert sorted(names) == [f"Extra {n}" for n in range(5)] and rest["next_cursor"] is None

    for bad in ({"cursor": "not-a-cursor"}, {"limit": 0}, {"limit": 201}):
        r = await admin.get("/members", params=bad)
        assert r.status_code == 422, bad
    assert error_code(await admin.get("/members", params={"cursor": "xyz"})) == "invalid_cursor"


async def test_get_member_is_scoped_to_the_community(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    resident = world.members["resident"]
    r = await admin.get(f"/members/{resident.id}")
    assert r.status_code == 200
    assert r.json()["email"] == world.emails["resident"]
    assert r.json()["household_label"] == "Lot 1"
    for missing in (world.members["outsider"].id, uuid.uuid4()):
        r = await admin.get(f"/members/{missing}")
        assert r.status_code == 404 and error_code(r) == "not_found"
    assert (await (await as_user("resident")).get(f"/members/{resident.id}")).status_code == 403


async def test_member_update_is_applied_and_audited(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    resident = world.members["resident"]
    r = await admin.patch(
        f"/members/{resident.id}", {"role": "admin", "household_id": str(world.households["b"].id)}
    )
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "admin" and r.json()["household_label"] == "Lot 2"
    assert r.json()["status"] == "active"
    # the promoted resident can now use admin routes
    assert (await (await as_user("resident")).get("/members")).status_code == 200

    events = (
        await admin.get(
            "/audit-events", params={"entity_type": "membership", "entity_id": str(resident.id)}
        )
    ).json()["items"]
    assert len(events) == 1
    event = events[0]
    assert event["action"] == "membership.updated"
    assert event["actor_id"] == str(world.members["admin"].user_id)
    assert event["before"] == {
        "role": "resident",
        "status": "active",
        "household_id": str(world.households["a"].id),
    }
    assert event["after"] == {
        "role": "admin",
        "status": "active",
        "household_id": str(world.households["b"].id),
    }
    assert event["request_id"]

    # household null leaves the member without one; another community's household is not found
    r = await admin.patch(f"/members/{resident.id}", {"household_id": None})
    assert r.status_code == 200
    assert r.json()["household_id"] is None and r.json()["household_label"] is None
    r = await admin.patch(
        f"/members/{resident.id}", {"household_id": str(world.households["other"].id)}
    )
    assert r.status_code == 404
    assert (await admin.get(f"/members/{resident.id}")).json()["household_id"] is None
    r = await admin.patch(f"/members/{world.members['outsider'].id}", {"role": "resident"})
    assert r.status_code == 404


async def test_the_last_active_admin_stays(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    me_ = world.members["admin"]
    for change in ({"role": "resident"}, {"status": "suspended"}):
        r = await admin.patch(f"/members/{me_.id}", change)
        assert r.status_code == 409, change
        assert error_code(r) == "member.last_admin"
    r = await admin.delete(f"/members/{me_.id}")
    assert r.status_code == 409 and error_code(r) == "member.last_admin"
    # sending null changes nothing, so it is no demotion
    r = await admin.patch(f"/members/{me_.id}", {"role": None, "status": None})
    assert r.status_code == 200 and r.json()["role"] == "admin"

    # a suspended admin does not count as the other admin
    neighbor = world.members["neighbor"]
    await admin.patch(f"/members/{neighbor.id}", {"role": "admin", "status": "suspended"})
    r = await admin.patch(f"/members/{me_.id}", {"role": "resident"})
    assert r.status_code == 409 and error_code(r) == "member.last_admin"

    await admin.patch(f"/members/{neighbor.id}", {"status": "active"})
    r = await admin.patch(f"/members/{me_.id}", {"role": "resident"})
    assert r.status_code == 200 and r.json()["role"] == "resident"
    # demoted: admin routes are closed to them now
    assert (await admin.get("/members")).status_code == 403
    neighbor_api = await as_user("neighbor")
    r = await neighbor_api.patch(f"/members/{neighbor.id}", {"role": "resident"})
    assert r.status_code == 409 and error_code(r) == "member.last_admin"


async def test_concurrent_self_demotions_keep_an_admin(as_user: Any, world: World) -> None:
    admin, neighbor_api = await as_user("admin"), await as_user("neighbor")
    first, second = world.members["admin"], world.members["neighbor"]
    assert (await admin.patch(f"/members/{second.id}", {"role": "admin"})).status_code == 200
    # both admins step down at the same moment, a few times over: one of them must stay
    for _ in range(5):
        results = await asyncio.gather(
            admin.patch(f"/members/{first.id}", {"role": "resident"}),
            neighbor_api.patch(f"/members/{second.id}", {"role": "resident"}),
        )
        statuses = [r.status_code for r in results]
        assert sorted(statuses) == [200, 409], [r.text for r in results]
        stayed, left = (admin, second) if statuses[0] == 409 else (neighbor_api, first)
        assert len((await stayed.get("/members", params={"role": "admin"})).json()["items"]) == 1
        assert (await stayed.patch(f"/members/{left.id}", {"role": "admin"})).status_code == 200


async def test_suspension_closes_the_community_until_reactivated(
    as_user: Any, world: World
) -> None:
    admin, resident = await as_user("admin"), await as_user("resident")
    member = world.members["resident"]
    assert (await resident.get("/amenities")).status_code == 200

    r = await admin.patch(f"/members/{member.id}", {"status": "suspended"})
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    for path in ("", "/amenities", "/reservations"):
        r = await resident.get(path)
        assert r.status_code == 404 and error_code(r) == "not_found", path
    assert (await resident.get("/api/v1/communities")).json() == []
    profile = await me(resident.client, resident.headers["Authorization"].split()[1])
    assert [m["status"] for m in profile["memberships"]] == ["suspended"]

    r = await admin.patch(f"/members/{member.id}", {"status": "active"})
    assert r.status_code == 200
    assert (await resident.get("/amenities")).status_code == 200
    listed = (await resident.get("/api/v1/communities")).json()
    assert [c["id"] for c in listed] == [str(world.community.id)]


async def test_a_removed_member_is_gone(as_user: Any, world: World) -> None:
    admin, resident = await as_user("admin"), await as_user("resident")
    member = world.members["resident"]
    assert (await admin.delete(f"/members/{member.id}")).status_code == 204
    assert (await admin.get(f"/members/{member.id}")).status_code == 404
    assert (await admin.delete(f"/members/{member.id}")).status_code == 404
    assert str(member.id) not in (await admin.get("/members")).text
    assert (await resident.get("/amenities")).status_code == 404
    events = (await admin.get("/audit-events", params={"entity_id": str(member.id)})).json()[
        "items"
    ]
    assert [e["action"] for e in events] == ["membership.removed"]
    assert events[0]["before"]["role"] == "resident" and events[0]["after"] is None
    # the household is free of them: only the housemate keeps it in use
    r = await admin.delete(f"/households/{world.households['a'].id}")
    assert r.status_code == 409
    # residents cannot remove anyone
    r = await (await as_user("housemate")).delete(f"/members/{world.members['neighbor'].id}")
    assert r.status_code == 403


# Invitations


async def invite(admin: Any, email: str, **extra: Any) -> dict[str, Any]:
    r = await admin.post("/invitations", {"email": email, **extra})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_invitation_creates_account_and_membership(
    as_user: Any, world: World, client: httpx.AsyncClient
) -> None:
    admin = await as_user("admin")
    invitation = await invite(
        admin, "New.Person@Example.com", role="resident", household_id=str(world.households["b"].id)
    )
    assert invitation["email"] == "new.person@example.com"
    assert invitation["accepted_at"] is None and invitation["role"] == "resident"
    token = invitation["token"]
    assert parse_qs(urlsplit(invitation["accept_url"]).query)["token"] == [token]
    pending = (await admin.get("/invitations")).json()
    assert [i["id"] for i in pending] == [invitation["id"]]
    assert "token" not in pending[0]

    r = await anonymous_post(
        client, ACCEPT, {"token": token, "name": "New Person", "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    session = r.json()
    assert session["user"]["email"] == "new.person@example.com"
    assert session["user"]["name"] == "New Person"
    profile = await me(client, session["access_token"])
    assert memberships(profile) == {str(world.community.id): ("resident", "Lot 2")}
    # they can sign in with the password they chose
    login = await anonymous_post(
        client, "/api/v1/auth/login", {"email": "new.person@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200

    assert (await admin.get("/invitations")).json() == []
    again = await anonymous_post(
        client, ACCEPT, {"token": token, "name": "New Person", "password": PASSWORD}
    )
    assert again.status_code == 404 and error_code(again) == "invitation.invalid"
    events = (await admin.get("/audit-events", params={"entity_type": "membership"})).json()
    assert [e["action"] for e in events["items"]] == ["membership.invitation_accepted"]


async def test_invited_admin_gets_admin_rights(
    as_user: Any, world: World, client: httpx.AsyncClient
) -> None:
    admin = await as_user("admin")
    token = (await invite(admin, "board@example.com", role="admin"))["token"]
    r = await anonymous_post(
        client, ACCEPT, {"token": token, "name": "Board", "password": PASSWORD}
    )
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    members = await client.get(f"{admin.base}/members", headers=headers)
    assert members.status_code == 200 and len(members.json()["items"]) == 5


async def test_existing_members_are_not_invited(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    r = await admin.post("/invitations", {"email": world.emails["neighbor"].upper()})
    assert r.status_code == 409 and error_code(r) == "member.exists"
    # a member of another community can be invited
    assert (
        await admin.post("/invitations", {"email": world.emails["outsider"]})
    ).status_code == 201
    r = await admin.post(
        "/invitations", {"email": "x@example.com", "household_id": str(uuid.uuid4())}
    )
    assert r.status_code == 404
    r = await admin.post("/invitations", {"email": "not an email"})
    assert r.status_code == 422 and error_code(r) == "validation_error"
    assert len((await admin.get("/invitations")).json()) == 1
    assert (
        await (await as_user("resident")).post("/invitations", {"email": "y@example.com"})
    ).status_code == 403


async def test_revoked_expired_and_unknown_invitations_are_invalid(
    as_user: Any, world: World, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await as_user("admin")
    revoked = await invite(admin, "revoked@example.com")
    expired = await invite(admin, "expired@example.com")
    assert (await admin.delete(f"/invitations/{revoked['id']}")).status_code == 204
    assert (await admin.delete(f"/invitations/{revoked['id']}")).status_code == 404
    await session.execute(
        sa.update(Invitation)
        .where(Invitation.token_hash == hash_token(expired["token"]))
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    await session.commit()

    for token in (revoked["token"], expired["token"], "x" * 43):
        r = await anonymous_post(
            client, ACCEPT, {"token": token, "name": "Y", "password": PASSWORD}
        )
        assert r.status_code == 404, token
        assert error_code(r) == "invitation.invalid"
    # nobody joined
    assert len((await admin.get("/members")).json()["items"]) == 4
    # another community's invitation cannot be revoked from here
    outsider = await as_user("outsider", world.other.id)
    theirs = await invite(outsider, "theirs@example.com")
    assert (await admin.delete(f"/invitations/{theirs['id']}")).status_code == 404


async def test_an_existing_account_accepts_with_its_password(
    as_user: Any, world: World, client: httpx.AsyncClient
) -> None:
    admin = await as_user("admin")
    email = world.emails["outsider"]
    token = (await invite(admin, email, household_id=str(world.households["a"].id)))["token"]
    # the token alone signs nobody in to an existing account
    alone = await anonymous_post(client, ACCEPT, {"token": token})
    assert alone.status_code == 409 and error_code(alone) == "auth.account_exists"
    wrong = await anonymous_post(
        client, ACCEPT, {"token": token, "name": "Someone", "password": "not the password"}
    )
    assert wrong.status_code == 401 and error_code(wrong) == "auth.invalid_credentials"
    r = await anonymous_post(
        client, ACCEPT, {"token": token, "name": "Someone", "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    assert r.json()["user"]["name"] == "Outsider"  # the account keeps its name
    profile = await me(client, r.json()["access_token"])
    assert memberships(profile) == {
        str(world.community.id): ("resident", "Lot 1"),
        str(world.other.id): ("admin", "Unit 9"),
    }


async def test_a_signed_in_account_accepts_its_own_invitation(
    as_user: Any, world: World, client: httpx.AsyncClient
) -> None:
    admin = await as_user("admin")
    outsider = await as_user("outsider", world.other.id)
    token = (await invite(admin, world.emails["outsider"]))["token"]
    other = await invite(admin, "someone.else@example.com")

    mismatch = await client.post(ACCEPT, json={"token": other["token"]}, headers=outsider.headers)
    assert mismatch.status_code == 409 and error_code(mismatch) == "invitation.other_account"
    r = await client.post(ACCEPT, json={"token": token}, headers=outsider.headers)
    client.cookies.clear()
    assert r.status_code == 200, r.text
    assert r.json()["user"]["email"] == world.emails["outsider"]
    profile = await me(client, r.json()["access_token"])
    assert memberships(profile)[str(world.community.id)] == ("resident", None)
    # a new account still needs its name and password
    missing = await anonymous_post(client, ACCEPT, {"token": other["token"], "name": "Else"})
    assert missing.status_code == 422 and error_code(missing) == "invitation.signup_required"


# Join codes


async def test_join_code_is_shown_rotated_and_disabled(
    as_user: Any, world: World, client: httpx.AsyncClient
) -> None:
    admin = await as_user("admin")
    assert (await admin.get("/join-code")).json() == {"code": None}
    first = (await admin.post("/join-code")).json()["code"]
    assert first and len(first) == 8
    assert (await admin.get("/join-code")).json() == {"code": first}
    second = (await admin.post("/join-code")).json()["code"]
    assert second != first

    body = {"household_label": "Lot 2", "email": "j@example.com", "name": "J", "password": PASSWORD}
    stale = await anonymous_post(client, SIGNUP, {**body, "code": first})
    assert stale.status_code == 404 and error_code(stale) == "join.invalid_code"

    assert (await admin.delete("/join-code")).status_code == 204
    assert (await admin.get("/join-code")).json() == {"code": None}
    disabled = await anonymous_post(client, SIGNUP, {**body, "code": second})
    assert disabled.status_code == 404 and error_code(disabled) == "join.invalid_code"

    actions = [
        e["action"]
        for e in (await admin.get("/audit-events", params={"entity_type": "community"})).json()[
            "items"
        ]
    ]
    assert actions == [
        "community.join_code_disabled",
        "community.join_code_rotated",
        "community.join_code_rotated",
    ]
    assert (await (await as_user("resident")).get("/join-code")).status_code == 403


async def test_joining_with_a_code_asks_to_join_as_a_resident(
    as_user: Any, world: World, client: httpx.AsyncClient
) -> None:
    admin = await as_user("admin")
    code = (await admin.post("/join-code")).json()["code"]
    body = {
        "code": f" {code.lower()} ",
        "household_label": " lot 2",
        "email": "Joiner@Example.com",
        "name": "Joiner",
        "password": PASSWORD,
    }
    r = await anonymous_post(client, SIGNUP, body)
    assert r.status_code == 202, r.text
    # the account signs in with the password it chose
    login = {"email": "joiner@example.com", "password": PASSWORD}
    signed_in = await anonymous_post(client, "/api/v1/auth/login", login)
    assert signed_in.status_code == 200, signed_in.text
    profile = await me(client, signed_in.json()["access_token"])
    assert memberships(profile) == {str(world.community.id): ("resident", "Lot 2")}
    [m] = [m for m in profile["memberships"] if m["community_id"] == str(world.community.id)]
    assert m["status"] == "pending"
    joined = (await admin.get("/join-requests")).json()
    assert [(m["email"], m["household_label"]) for m in joined] == [("joiner@example.com", "Lot 2")]


async def test_a_taken_address_gets_the_same_answer_and_no_account(
    as_user: Any, world: World, client: httpx.AsyncClient, db: Database
) -> None:
    admin = await as_user("admin")
    code = (await admin.post("/join-code")).json()["code"]
    body = {"code": code, "household_label": "Lot 2", "name": "Someone", "password": PASSWORD}
    new = await anonymous_post(client, SIGNUP, {**body, "email": "fresh@example.com"})
    taken = await anonymous_post(client, SIGNUP, {**body, "email": world.emails["outsider"]})
    assert new.status_code == taken.status_code == 202
    assert new.json() == taken.json()
    # the owner of the address is sent a reset link, and nobody joined as them
    async with db.reader() as s:
        kinds = (await s.execute(sa.select(Notification.recipient_email, Notification.kind))).all()
    assert (world.emails["outsider"], "password_reset") in kinds
    assert ("fresh@example.com", "email_verification") in kinds
    members = (await admin.get("/members", params={"q": "outsider"})).json()["items"]
    assert members == []


async def test_a_signed_in_user_joins_with_code_and_label(
    as_user: Any, world: World, client: httpx.AsyncClient
) -> None:
    admin = await as_user("admin")
    code = (await admin.post("/join-code")).json()["code"]
    outsider = await as_user("outsider", world.other.id)
    r = await client.post(
        JOIN, json={"code": code, "household_label": "LOT 1"}, headers=outsider.headers
    )
    client.cookies.clear()
    assert r.status_code == 200, r.text
    assert r.json()["user"]["email"] == world.emails["outsider"]
    profile = await me(client, r.json()["access_token"])
    assert memberships(profile)[str(world.community.id)] == ("resident", "Lot 1")
    again = await client.post(
        JOIN, json={"code": code, "household_label": "Lot 1"}, headers=outsider.headers
    )
    client.cookies.clear()
    assert again.status_code == 409 and error_code(again) == "member.exists"


async def test_a_double_submitted_join_makes_one_account_and_one_membership(
    as_user: Any, world: World, client: httpx.AsyncClient
) -> None:
    admin = await as_user("admin")
    code = (await admin.post("/join-code")).json()["code"]
    body = {"code": code, "household_label": "Lot 2", "name": "Twice", "password": PASSWORD}
    client.cookies.clear()
    for n in range(3):
        twice = {**body, "email": f"twice-{n}@example.com"}
        results = await asyncio.gather(
            client.post(SIGNUP, json=twice), client.post(SIGNUP, json=twice)
        )
        assert [r.status_code for r in results] == [202, 202]

    outsider = await as_user("outsider", world.other.id)
    signed_in = {"code": code, "household_label": "Lot 1"}
    results = await asyncio.gather(
        client.post(JOIN, json=signed_in, headers=outsider.headers),
        client.post(JOIN, json=signed_in, headers=outsider.headers),
    )
    client.cookies.clear()
    outcomes = sorted((r.status_code, r.json().get("error", {}).get("code")) for r in results)
    assert outcomes == [(200, None), (409, "member.exists")], outcomes
    joined = [r["email"] for r in (await admin.get("/join-requests")).json()]
    assert set(joined) == {*(f"twice-{n}@example.com" for n in range(3)), world.emails["outsider"]}


async def test_join_errors(as_user: Any, world: World, client: httpx.AsyncClient) -> None:
    admin = await as_user("admin")
    code = (await admin.post("/join-code")).json()["code"]
    signup = {"email": "new@example.com", "name": "New", "password": PASSWORD}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"code": "NOPE2345", "household_label": "Lot 1", **signup}, 404, "join.invalid_code"),
        ({"code": code, "household_label": "Lot 99", **signup}, 422, "join.unknown_household"),
        # a label of another community is unknown here
        ({"code": code, "household_label": "Unit 9", **signup}, 422, "join.unknown_household"),
        ({"code": code, "household_label": "Lot 1"}, 422, "validation_error"),
        (
            {"code": code, "household_label": "Lot 1", "email": "new@example.com", "name": "N"},
            422,
            "validation_error",
        ),
    ]
    for body, status, code_ in cases:
        r = await anonymous_post(client, SIGNUP, body)
        assert (r.status_code, error_code(r)) == (status, code_), body
    # joining without an account is signing up
    r = await anonymous_post(client, JOIN, {"code": code, "household_label": "Lot 1"})
    assert (r.status_code, error_code(r)) == (401, "auth.not_authenticated")
    assert len((await admin.get("/members")).json()["items"]) == 4


async def test_members_see_their_household_without_addresses(world: World, as_user: Any) -> None:
    resident = await as_user("resident")
    r = await resident.get("/household")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["household"]["label"] == "Lot 1"
    assert body["members"] == [
        {"name": "Housemate", "role": "resident", "you": False},
        {"name": "Resident", "role": "resident", "you": True},
    ]
    assert "@" not in r.text

    neighbor = (await (await as_user("neighbor")).get("/household")).json()
    assert neighbor["household"]["label"] == "Lot 2"
    assert [m["name"] for m in neighbor["members"]] == ["Neighbor"]
    # An admin without a household here has none to show.
    assert (await (await as_user("admin")).get("/household")).json() == {
        "household": None,
        "members": [],
    }
