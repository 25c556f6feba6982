"""The platform operator's list of every community, with its activity."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import utcnow
from tests.conftest import Api, sign_in
from tests.factories import World, local, make_reservation, make_user

URL = "/api/v1/operator/communities"


async def test_operators_list_and_search_every_community(
    world: World, session: AsyncSession, client: httpx.AsyncClient, as_user: Any
) -> None:
    this_month = utcnow().replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    court, resident = world.amenities["court"], world.members["resident"]
    await make_reservation(session, court, resident, this_month)
    await make_reservation(session, court, resident, this_month - timedelta(days=3))
    operator = await make_user(session, email="ops@example.com", is_operator=True)
    await session.commit()
    headers = {"Authorization": f"Bearer {await sign_in(client, operator.email)}"}
    admin = await as_user("admin")
    await admin.patch("", {"name": "Maple Grove HOA"})  # an audited change

    listed = (await client.get(URL, headers=headers)).json()
    assert [c["name"] for c in listed] == ["Maple Grove HOA", "Oak Ridge HOA"]
    maple, oak = listed
    assert (maple["members"], maple["amenities"], oak["members"], oak["amenities"]) == (4, 3, 1, 1)
    assert (maple["bookings_this_month"], oak["bookings_this_month"]) == (1, 0)
    assert maple["last_activity_at"] is not None and oak["last_activity_at"] is None
    found = (await client.get(URL, headers=headers, params={"q": "oak"})).json()
    assert [c["id"] for c in found] == [str(world.other.id)]

    for who in ("admin", "resident"):
        r = await (await as_user(who)).get(URL)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


async def _operator(
    session: AsyncSession, client: httpx.AsyncClient, world: World
) -> tuple[Api, str]:
    """An operator who is no member of Maple Grove, and their id."""
    user = await make_user(session, email="ops@example.com", is_operator=True)
    await session.commit()
    return Api(client, await sign_in(client, user.email), world.community.id), str(user.id)


async def test_an_operator_acts_as_admin_in_any_community_audited_as_operator(
    world: World, session: AsyncSession, client: httpx.AsyncClient, as_user: Any
) -> None:
    operator, operator_id = await _operator(session, client, world)
    assert (await operator.get("")).json()["name"] == "Maple Grove HOA"
    members = (await operator.get("/members")).json()
    assert len(members["items"]) == 4
    r = await operator.patch("", {"name": "Maple Grove"})
    assert r.status_code == 200, r.text
    neighbor = world.members["neighbor"]
    start = local(5, 10)
    body = {
        "amenity_id": str(world.amenities["court"].id),
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
    }
    mine = await operator.post("/reservations", body)
    assert mine.status_code == 403 and mine.json()["error"]["code"] == "forbidden"
    booked = await operator.post(
        "/reservations", {**body, "on_behalf_of_member_id": str(neighbor.id)}
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["booked_for_id"] == str(neighbor.user_id)

    admin = await as_user("admin")
    await admin.patch("", {"name": "Maple Grove HOA"})
    events = (await admin.get("/audit-events")).json()["items"]
    marks = [(e["action"], e["actor_id"] == operator_id, e["by_operator"]) for e in events]
    assert marks[:3] == [
        ("community.updated", False, False),
        ("reservation.created", True, True),
        ("community.updated", True, True),
    ]

    # No community of that id: not found, for operators too.
    missing = await client.get(f"/api/v1/communities/{uuid.uuid4()}", headers=operator.headers)
    assert missing.status_code == 404


async def test_a_suspended_community_refuses_changes_until_resumed(
    world: World, session: AsyncSession, client: httpx.AsyncClient, as_user: Any
) -> None:
    booked = await make_reservation(
        session, world.amenities["court"], world.members["resident"], local(3, 10)
    )
    operator, _ = await _operator(session, client, world)
    resident, admin = await as_user("resident"), await as_user("admin")
    suspend = f"/api/v1/operator/communities/{world.community.id}/suspend"
    resume = f"/api/v1/operator/communities/{world.community.id}/resume"
    before = (await resident.get(f"/reservations/{booked.id}")).json()
    start = local(4, 10)
    body = {
        "amenity_id": str(world.amenities["court"].id),
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
    }

    blank = await operator.post(suspend, {"reason": ""})
    assert blank.status_code == 422 and blank.json()["error"]["code"] == "validation_error"
    r = await operator.post(suspend, {"reason": "Unpaid invoice"})
    assert r.status_code == 200, r.text
    assert r.json()["suspended_reason"] == "Unpaid invoice" and r.json()["suspended_at"]
    again = await operator.post(suspend, {"reason": "Again"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "community.already_suspended"

    for api, method, path, json in [
        (resident, "GET", "/amenities", None),
        (resident, "POST", "/reservations", body),
        (resident, "POST", f"/reservations/{booked.id}/cancel", {}),
        (admin, "PATCH", "", {"name": "Renamed"}),
        (admin, "POST", "/reservations", body),
        (operator, "PATCH", "", {"name": "Renamed"}),
    ]:
        refused = await client.request(method, api._url(path), headers=api.headers, json=json)
        assert refused.status_code == 423, (method, path, refused.text)
        error = refused.json()["error"]
        assert error["code"] == "community.suspended", (method, path)
        assert error["details"] == {"reason": "Unpaid invoice"}
    # Admins and operators still read; the residents see why on signing in.
    assert (await admin.get("/members")).status_code == 200
    assert (await operator.get(f"/reservations/{booked.id}")).status_code == 200
    me = (await resident.get("/api/v1/me")).json()
    assert [m["community_suspended_reason"] for m in me["memberships"]] == ["Unpaid invoice"]
    other = await as_user("outsider", world.other.id)
    assert (await other.get("/amenities")).status_code == 200

    assert (await operator.post(resume)).json()["suspended_at"] is None
    twice = await operator.post(resume)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "community.not_suspended"
    assert (await resident.get(f"/reservations/{booked.id}")).json() == before
    assert (await resident.post("/reservations", body)).status_code == 201
    missing = await operator.post(f"/api/v1/operator/communities/{uuid.uuid4()}/resume")
    assert missing.status_code == 404

    log = (await operator.get("/api/v1/operator/audit-events")).json()["items"]
    assert [(e["action"], e["community_name"], e["actor_email"]) for e in log] == [
        ("community.resumed", "Maple Grove HOA", "ops@example.com"),
        ("community.suspended", "Maple Grove HOA", "ops@example.com"),
    ]
    assert log[1]["after"]["suspended_reason"] == "Unpaid invoice"


async def test_platform_totals(
    world: World, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    this_month = utcnow().replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    await make_reservation(session, world.amenities["court"], world.members["resident"], this_month)
    operator, _ = await _operator(session, client, world)
    await operator.post(
        f"/api/v1/operator/communities/{world.other.id}/suspend", {"reason": "Moved out"}
    )
    totals = (await operator.get("/api/v1/operator/totals")).json()
    assert totals == {
        "communities": 2,
        "suspended_communities": 1,
        "active_members": 5,
        "bookings_this_month": 1,
    }
