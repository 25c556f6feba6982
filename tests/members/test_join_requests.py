"""Joining with a code asks to join: an admin (or, where the community allows it, a member of the
household) approves before the account sees or books anything of the household."""

import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.models import AuditEvent, Notification
from tests.conftest import Api
from tests.factories import PASSWORD, World, local, make_reservation
from tests.members.test_members import SIGNUP, anonymous_post, error_code, me


async def _join(client: httpx.AsyncClient, admin: Api, email: str = "intruder@example.com") -> Api:
    """A brand-new, unverified account signs up with the community's code and a real address,
    then signs in."""
    code = (await admin.post("/join-code")).json()["code"]
    r = await anonymous_post(
        client,
        SIGNUP,
        {
            "code": code,
            "household_label": "Lot 1",
            "email": email,
            "name": "Ima Intruder",
            "password": PASSWORD,
        },
    )
    assert r.status_code == 202, r.text
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    client.cookies.clear()  # the Api helper authenticates with the bearer token only
    return Api(client, login.json()["access_token"], uuid.UUID(admin.base.rsplit("/", 1)[1]))


async def _emailed(session: AsyncSession, kind: str) -> set[str]:
    emailed = set(
        await session.scalars(
            sa.select(Notification.recipient_email).where(Notification.kind == kind)
        )
    )
    await session.commit()  # the test session writes: end its transaction, app requests wait
    return emailed


def _booking(world: World, days: int = 3) -> dict[str, Any]:
    starts = local(days, 10)
    return {
        "amenity_id": str(world.amenities["court"].id),
        "starts_at": starts.isoformat(),
        "ends_at": starts.replace(hour=11).isoformat(),
    }


async def test_a_join_code_alone_takes_over_no_household(
    as_user: Any, world: World, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    await make_reservation(
        session, world.amenities["court"], world.members["resident"], local(2, 9), title="Secret"
    )
    await session.commit()
    joiner = await _join(client, await as_user("admin"))

    for path in ("/reservations", "/calendar", "/amenities", ""):
        r = await joiner.get(path, params={"start": local(0, 0).isoformat(), "end": local(9, 0)})
        assert r.status_code == 403, (path, r.text)
        assert error_code(r) == "membership.pending"
        assert "Secret" not in r.text
    r = await joiner.post("/reservations", json=_booking(world))
    assert r.status_code == 403 and error_code(r) == "membership.pending"
    assert "waiting for approval" in r.json()["error"]["message"]

    profile = await me(client, joiner.headers["Authorization"].split()[1])
    [membership] = profile["memberships"]
    assert (membership["status"], membership["household"]["label"]) == ("pending", "Lot 1")


async def test_approvers_are_emailed_and_an_admin_approves_choosing_the_household(
    as_user: Any, world: World, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    admin = await as_user("admin")
    joiner = await _join(client, admin)
    recipients = await _emailed(session, "join_requested")
    assert recipients == {world.emails["admin"]}  # household members approve only if allowed

    [request] = (await admin.get("/join-requests")).json()
    assert (request["name"], request["email"], request["household_label"]) == (
        "Ima Intruder",
        "intruder@example.com",
        "Lot 1",
    )
    assert request["email_verified"] is False
    # not a member yet: not in the member list, not changeable there
    assert "intruder" not in (await admin.get("/members")).text
    r = await admin.patch(f"/members/{request['id']}", json={"role": "admin"})
    assert r.status_code == 404

    approved = await admin.post(
        f"/join-requests/{request['id']}/approve",
        json={"household_id": str(world.households["b"].id)},
    )
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["household_label"]) == ("active", "Lot 2")
    assert (await admin.get("/join-requests")).json() == []
    assert (await joiner.post("/reservations", json=_booking(world))).status_code == 201
    again = await admin.post(f"/join-requests/{request['id']}/approve", json={})
    assert again.status_code == 404

    actions = list(
        await session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.entity_id == uuid.UUID(request["id"]))
            .order_by(AuditEvent.created_at)
        )
    )
    assert actions == ["membership.requested", "membership.approved"]
    assert await _emailed(session, "join_approved") == {"intruder@example.com"}


async def test_an_admin_declines_a_request(
    as_user: Any, world: World, client: httpx.AsyncClient
) -> None:
    admin = await as_user("admin")
    joiner = await _join(client, admin)
    [request] = (await admin.get("/join-requests")).json()
    bad = await admin.post(
        f"/join-requests/{request['id']}/approve",
        json={"household_id": str(world.households["other"].id)},
    )
    assert bad.status_code == 404  # another community's household
    assert (await admin.post(f"/join-requests/{request['id']}/decline")).status_code == 204
    assert (await admin.get("/join-requests")).json() == []
    profile = await me(client, joiner.headers["Authorization"].split()[1])
    assert profile["memberships"] == []
    assert (await joiner.get("/reservations")).status_code == 404


async def test_household_members_approve_only_where_the_community_allows_it(
    as_user: Any, world: World, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    admin, resident, neighbor = [await as_user(w) for w in ("admin", "resident", "neighbor")]
    await _join(client, admin)
    [request] = (await admin.get("/join-requests")).json()
    r = await resident.get("/join-requests")
    assert r.status_code == 403 and error_code(r) == "forbidden"
    assert (
        await resident.post(f"/join-requests/{request['id']}/approve", json={})
    ).status_code == 403
    assert (await admin.post(f"/join-requests/{request['id']}/decline")).status_code == 204

    r = await admin.patch("", json={"households_approve_joins": True})
    assert r.status_code == 200 and r.json()["households_approve_joins"] is True
    await session.execute(sa.delete(Notification))
    await session.commit()
    await _join(client, admin, "second@example.com")
    recipients = await _emailed(session, "join_requested")
    assert recipients == {world.emails[w] for w in ("admin", "resident", "housemate")}

    [request] = (await resident.get("/join-requests")).json()
    assert request["email"] == "second@example.com"
    assert (await neighbor.get("/join-requests")).json() == []
    approve = f"/join-requests/{request['id']}/approve"
    assert (await neighbor.post(approve, json={})).status_code == 404
    moved = await resident.post(approve, json={"household_id": str(world.households["b"].id)})
    assert moved.status_code == 403 and error_code(moved) == "forbidden"
    ok = await resident.post(approve, json={})
    assert ok.status_code == 200 and ok.json()["household_label"] == "Lot 1"
