"""The amenity templates a new community starts from: each one creates a working amenity."""

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.models import Role
from tests.conftest import Api, sign_in
from tests.factories import make_community, make_member, make_user


async def test_each_template_creates_a_bookable_amenity(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    community = await make_community(session, name="Cedar Hills")
    admin = await make_user(session, email="board@cedar.example")
    await make_member(session, community, admin, Role.ADMIN)
    await session.commit()
    api = Api(client, await sign_in(client, admin.email), community.id)

    templates = (await api.get("/amenities/templates")).json()
    assert [t["key"] for t in templates] == [
        "clubhouse",
        "pool",
        "tennis-court",
        "guest-suite",
        "bbq-area",
    ]
    for template in templates:
        assert template["summary"]
        r = await api.post("/amenities", template["amenity"])
        assert r.status_code == 201, (template["key"], r.text)
        made = r.json()
        assert made["status"] == "active"
        for field, value in template["amenity"].items():
            if value is not None:
                assert made[field] == value, (template["key"], field)
    listed = (await api.get("/amenities")).json()
    assert sorted(a["name"] for a in listed) == [
        "BBQ Area",
        "Clubhouse",
        "Guest Suite",
        "Pool",
        "Tennis Court",
    ]


async def test_templates_are_for_admins(as_user: Any) -> None:
    r = await (await as_user("resident")).get("/amenities/templates")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
