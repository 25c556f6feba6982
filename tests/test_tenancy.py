"""Every community route, walked as an outsider (404, nothing disclosed) and, for admin routes,
as a resident (403)."""

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.api import ROUTERS
from hoa.models import Membership, MemberStatus
from hoa.web.deps import require_admin
from tests.conftest import sign_in
from tests.factories import World, local, make_member, make_reservation, make_user


def _community_routes(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    documented = app.openapi()["paths"]
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and "{community_id}" in route.path:
                path = f"/api/v1{route.path}"
                assert path in documented  # the walk sees what the API serves
                for method in sorted(route.methods):
                    yield method, path, route


def _needs_admin(dependant: Dependant) -> bool:
    return dependant.call is require_admin or any(_needs_admin(d) for d in dependant.dependencies)


async def _ids(world: World, session: AsyncSession) -> dict[str, uuid.UUID]:
    reservation = await make_reservation(
        session, world.amenities["court"], world.members["resident"], local(3, 10)
    )
    await session.commit()
    return {
        "community_id": world.community.id,
        "amenity_id": world.amenities["court"].id,
        "reservation_id": reservation.id,
        "member_id": world.members["resident"].id,
        "household_id": world.households["a"].id,
        "blackout_id": uuid.uuid4(),
        "invitation_id": uuid.uuid4(),
        "notification_id": uuid.uuid4(),
        "request_id": uuid.uuid4(),
    }


def _url(path: str, ids: dict[str, Any]) -> str:
    return path.format(**{k: str(v) for k, v in ids.items()})


QUERY = {
    "start": "2030-01-01T00:00:00+00:00",
    "end": "2030-01-02T00:00:00+00:00",
    "date": "2030-01-01",
}


def _query(ids: dict[str, Any]) -> dict[str, str]:
    """QUERY, and the amenity the finder is asked about."""
    return {**QUERY, "amenity_id": str(ids["amenity_id"])}


async def test_routes_are_walked(app: FastAPI) -> None:
    # Guards against the walk silently covering nothing.
    assert len(list(_community_routes(app))) >= 30


async def test_outsider_gets_404_everywhere(
    app: FastAPI, world: World, session: AsyncSession, as_user: Any
) -> None:
    ids = await _ids(world, session)
    outsider = await as_user("outsider", world.other.id)
    for method, path, _ in _community_routes(app):
        url = _url(path, ids)
        r = await outsider.client.request(
            method, url, headers=outsider.headers, params=_query(ids), json={}
        )
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        body = r.json()
        assert body["error"]["code"] == "not_found", (method, path)
        assert str(ids["reservation_id"]) not in r.text and "Maple" not in r.text


async def test_resident_gets_403_on_admin_routes(
    app: FastAPI, world: World, session: AsyncSession, as_user: Any
) -> None:
    ids = await _ids(world, session)
    resident = await as_user("resident")
    # Join requests are decided by admins, and by household members only where the community
    # lets them (off by default).
    admin_routes = [
        (m, p)
        for m, p, route in _community_routes(app)
        if _needs_admin(route.dependant) or "/join-requests" in p
    ]
    assert len(admin_routes) >= 18
    assert {
        ("GET", f"/api/v1/communities/{{community_id}}/admin/reservations{suffix}")
        for suffix in ("", ".csv")
    } <= set(admin_routes)
    for method, path in admin_routes:
        r = await resident.client.request(
            method, _url(path, ids), headers=resident.headers, params=_query(ids), json={}
        )
        assert r.status_code == 403, (method, path, r.status_code, r.text)
        assert r.json()["error"]["code"] == "forbidden"


async def test_a_pending_member_gets_403_everywhere(
    app: FastAPI, world: World, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """Someone who asked to join with the code sees nothing until approved."""
    ids = await _ids(world, session)
    user = await make_user(session, email="pending@example.com")
    await make_member(session, world.community, user, household=world.households["a"])
    await session.execute(
        sa.update(Membership)
        .where(Membership.user_id == user.id)
        .values(status=MemberStatus.PENDING)
    )
    await session.commit()
    headers = {"Authorization": f"Bearer {await sign_in(client, user.email)}"}
    for method, path, _ in _community_routes(app):
        r = await client.request(
            method, _url(path, ids), headers=headers, params=_query(ids), json={}
        )
        assert r.status_code == 403, (method, path, r.status_code, r.text)
        assert r.json()["error"]["code"] == "membership.pending", (method, path)
        assert str(ids["reservation_id"]) not in r.text


@pytest.mark.parametrize("who", ["resident", "admin"])
async def test_members_cannot_reach_the_other_community(
    world: World, session: AsyncSession, as_user: Any, who: str
) -> None:
    theirs = await make_reservation(
        session, world.amenities["other_gym"], world.members["outsider"], local(3, 10)
    )
    await session.commit()
    api = await as_user(who)
    other = f"/api/v1/communities/{world.other.id}"
    for path in (
        "",
        "/amenities",
        f"/amenities/{world.amenities['other_gym'].id}",
        "/reservations",
        "/admin/reservations",
        "/admin/reservations.csv",
        f"/reservations/{theirs.id}/history",
    ):
        r = await api.get(other + path)
        assert r.status_code == 404, path
    # the other community's booking, asked for under one's own community, is not found either
    r = await api.get(f"/reservations/{theirs.id}/history")
    assert r.status_code == 404
    # an id from the other community, asked for under one's own community, is not found either
    r = await api.get(f"/amenities/{world.amenities['other_gym'].id}")
    assert r.status_code == 404


def _operator_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    documented = app.openapi()["paths"]
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.path.startswith("/operator/"):
                path = f"/api/v1{route.path}"
                assert path in documented
                for method in sorted(route.methods):
                    yield method, path


@pytest.mark.parametrize("who", ["resident", "admin"])
async def test_operator_routes_refuse_everyone_else(
    app: FastAPI, world: World, as_user: Any, who: str
) -> None:
    routes = list(_operator_routes(app))
    assert len(routes) >= 5
    api = await as_user(who)
    for method, path in routes:
        url = path.format(id=world.community.id)
        r = await api.client.request(method, url, headers=api.headers, json={"reason": "x"})
        assert r.status_code == 403, (method, path, r.status_code, r.text)
        assert r.json()["error"]["code"] == "forbidden"
    assert (await api.get("")).json()["suspended_at"] is None
