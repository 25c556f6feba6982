"""The platform operator's list of every community, with its activity."""

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import utcnow
from tests.conftest import sign_in
from tests.factories import World, make_reservation, make_user

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
