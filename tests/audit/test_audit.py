"""The audit trail: every state change leaves an event, admins read it newest first and filter
it; residents and other communities see none of it."""

from typing import Any

from tests.factories import World


async def test_admins_read_the_trail_newest_first_and_filtered(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    court = world.amenities["court"]
    for name in ("Court A", "Court B"):
        r = await admin.patch(f"/amenities/{court.id}", {"name": name})
        assert r.status_code == 200, r.text
    r = await admin.get("/audit-events", params={"entity_id": str(court.id), "limit": 1})
    page = r.json()
    assert [e["after"]["name"] for e in page["items"]] == ["Court B"]
    more = await admin.get(
        "/audit-events",
        params={"entity_id": str(court.id), "limit": 1, "cursor": page["next_cursor"]},
    )
    assert [e["after"]["name"] for e in more.json()["items"]] == ["Court A"]
    kinds = {e["entity_type"] for e in (await admin.get("/audit-events")).json()["items"]}
    assert kinds == {"amenity"}
    assert (await admin.get("/audit-events", params={"entity_type": "membership"})).json()[
        "items"
    ] == []


async def test_residents_and_outsiders_read_no_trail(as_user: Any, world: World) -> None:
    resident = await as_user("resident")
    assert (await resident.get("/audit-events")).status_code == 403
    outsider = await as_user("outsider", world.community.id)
    assert (await outsider.get("/audit-events")).status_code == 404
