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
