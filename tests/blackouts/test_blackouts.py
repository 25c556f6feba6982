"""Closures: listing, creating (refused over bookings, or cancelling them), deleting."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.models import Notification, ReservationStatus
from tests.factories import World, local, make_reservation
from tests.reservations.test_reservations import booking


async def test_blackout_can_cancel_what_it_covers(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    held = await make_reservation(
        session, world.amenities["court"], world.members["resident"], local(4, 10)
    )
    await session.commit()
    admin, resident = await as_user("admin"), await as_user("resident")
    body = {
        "starts_at": local(4, 0).isoformat(),
        "ends_at": local(5, 0).isoformat(),
        "reason": "Resurfacing",
    }
    r = await admin.post("/blackouts", {**body, "cancel_conflicts": True})
    assert r.status_code == 201, r.text
    assert [c["id"] for c in r.json()["cancelled_reservations"]] == [str(held.id)]
    mine = (await resident.get(f"/reservations/{held.id}")).json()
    assert mine["status"] == ReservationStatus.CANCELLED.value
    assert mine["cancel_reason"] == "Closed: Resurfacing"
    refused = await resident.post("/reservations", booking(world, "court", local(4, 12)))
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "reservation.blackout"
    events = (await admin.get("/audit-events")).json()["items"]
    actions = [e["action"] for e in events]
    assert "blackout.created" in actions and "reservation.cancelled" in actions
    assert (await resident.get("/audit-events")).status_code == 403
    # the resident is told, like for any other cancellation
    kinds = await session.scalars(
        sa.select(Notification.kind).where(Notification.entity_id == held.id)
    )
    assert list(kinds) == ["reservation_cancelled"]


async def test_a_blackout_over_bookings_is_refused_with_them_listed(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    held = await make_reservation(
        session, world.amenities["court"], world.members["resident"], local(4, 10)
    )
    await session.commit()
    admin = await as_user("admin")
    body = {
        "amenity_id": str(world.amenities["court"].id),
        "starts_at": local(4, 9).isoformat(),
        "ends_at": local(4, 12).isoformat(),
        "reason": "Net repair",
    }
    r = await admin.post("/blackouts", body)
    assert r.status_code == 409 and r.json()["error"]["code"] == "blackout.conflicts"
    listed = r.json()["error"]["details"]["reservations"]
    assert [row["id"] for row in listed] == [str(held.id)]
    assert (await admin.get("/blackouts")).json() == []  # nothing written


async def test_blackouts_are_listed_by_range_and_deleted_by_admins_only(
    as_user: Any, world: World
) -> None:
    admin, resident = await as_user("admin"), await as_user("resident")
    made = []
    for day in (3, 6):
        body = {"starts_at": local(day, 0).isoformat(), "ends_at": local(day + 1, 0).isoformat()}
        r = await admin.post("/blackouts", {**body, "reason": f"Day {day}"})
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
    window = {"start": local(5, 0).isoformat(), "end": local(8, 0).isoformat()}
    assert [b["id"] for b in (await resident.get("/blackouts", params=window)).json()] == made[1:]
    assert (await resident.delete(f"/blackouts/{made[0]}")).status_code == 403
    assert (await admin.delete(f"/blackouts/{made[0]}")).status_code == 204
    assert [b["id"] for b in (await resident.get("/blackouts")).json()] == made[1:]
    assert (await admin.delete(f"/blackouts/{made[0]}")).status_code == 404


async def test_a_closure_is_edited_under_the_same_conflict_check(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    held = await make_reservation(
        session, world.amenities["court"], world.members["resident"], local(7, 10)
    )
    await session.commit()
    admin, resident = await as_user("admin"), await as_user("resident")
    made = await admin.post(
        "/blackouts",
        {
            "amenity_id": str(world.amenities["court"].id),
            "starts_at": local(6, 0).isoformat(),
            "ends_at": local(7, 0).isoformat(),
            "reason": "Resurfacing",
        },
    )
    url = f"/blackouts/{made.json()['id']}"
    longer = {"ends_at": local(8, 0).isoformat()}
    refused = await admin.patch(url, longer)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "blackout.conflicts"
    assert [r["id"] for r in refused.json()["error"]["details"]["reservations"]] == [str(held.id)]
    assert (await resident.patch(url, {"reason": "Mine"})).status_code == 403
    backwards = await admin.patch(url, {"ends_at": local(5, 0).isoformat()})
    assert backwards.status_code == 422
    assert backwards.json()["error"]["code"] == "blackout.invalid_period"

    renamed = await admin.patch(url, {"reason": "Net replaced"})
    assert renamed.status_code == 200 and renamed.json()["reason"] == "Net replaced"
    assert datetime.fromisoformat(renamed.json()["ends_at"]) == local(7, 0)
    moved = await admin.patch(url, {**longer, "cancel_conflicts": True})
    assert moved.status_code == 200, moved.text
    assert [r["id"] for r in moved.json()["cancelled_reservations"]] == [str(held.id)]
    mine = (await resident.get(f"/reservations/{held.id}")).json()
    assert (mine["status"], mine["cancel_reason"]) == ("cancelled", "Closed: Net replaced")
    events = (await admin.get("/audit-events", params={"entity_type": "blackout"})).json()
    assert [e["action"] for e in events["items"]][:2] == ["blackout.updated"] * 2


async def test_residents_see_closures_and_their_reason_on_the_calendar(
    as_user: Any, world: World
) -> None:
    admin, resident = await as_user("admin"), await as_user("resident")
    for amenity, reason in ((world.amenities["court"].id, "Resurfacing"), (None, "Storm")):
        r = await admin.post(
            "/blackouts",
            {
                "amenity_id": amenity and str(amenity),
                "starts_at": local(3, 8).isoformat(),
                "ends_at": local(3, 12).isoformat(),
                "reason": reason,
            },
        )
        assert r.status_code == 201, r.text
    window = {"start": local(3, 0).isoformat(), "end": local(4, 0).isoformat()}
    calendar = (await resident.get("/calendar", params=window)).json()
    assert sorted(c["reason"] for c in calendar["closures"]) == ["Resurfacing", "Storm"]
    pool = (
        await resident.get(
            "/calendar", params={**window, "amenity_id": str(world.amenities["pool"].id)}
        )
    ).json()
    assert [(c["amenity_id"], c["reason"]) for c in pool["closures"]] == [(None, "Storm")]
    later = {"start": local(3, 12).isoformat(), "end": local(4, 0).isoformat()}
    assert (await resident.get("/calendar", params=later)).json()["closures"] == []
