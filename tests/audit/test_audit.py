"""The audit trail: every state change leaves an event, admins read it newest first and filter
it; residents and other communities see none of it."""

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.audit.service import EXPORT_BATCH
from hoa.core.database import utcnow
from hoa.models import AuditEvent
from tests.factories import World, local


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


async def _booking_story(as_user: Any, world: World) -> str:
    """The resident books the court, the office moves and cancels it; the booking's id."""
    resident, admin = await as_user("resident"), await as_user("admin")
    start = local(3, 10)
    created = await resident.post(
        "/reservations",
        {
            "amenity_id": str(world.amenities["court"].id),
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    rid = str(created.json()["id"])
    later = local(3, 15)
    moved = await admin.patch(
        f"/reservations/{rid}",
        {"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=1)).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    r = await admin.post(f"/reservations/{rid}/cancel", {"reason": "Tournament"})
    assert r.status_code == 200, r.text
    return rid


async def test_entries_read_in_words_with_names_and_the_booking(as_user: Any, world: World) -> None:
    rid = await _booking_story(as_user, world)
    admin = await as_user("admin")
    neighbor = world.members["neighbor"]
    r = await admin.patch(
        f"/members/{neighbor.id}", {"household_id": str(world.members["resident"].household_id)}
    )
    assert r.status_code == 200, r.text

    items = (await admin.get("/audit-events")).json()["items"]
    moved, cancelled, changed, booked = items
    assert moved["summary"] == "Membership updated: Neighbor"
    assert moved["actor_name"] == "Admin" and moved["booking_id"] is None
    assert {"field": "household", "before": "Lot 2", "after": "Lot 1"} in moved["changes"]
    assert [e["summary"] for e in (cancelled, changed, booked)] == [
        "Cancelled",
        "Changed",
        "Booked",
    ]
    assert [e["actor_name"] for e in (cancelled, changed, booked)] == ["Admin", "Admin", "Resident"]
    assert {e["booking_id"] for e in (cancelled, changed, booked)} == {rid}
    assert booked["booking_label"].startswith("Tennis Court 1 · ")
    assert "3:00" in booked["booking_label"]  # the booking as it is now, in the community's zone
    time = {c["field"]: c for c in changed["changes"]}["time"]
    assert "10:00" in time["before"] and "3:00" in time["after"]
    assert {"field": "reason", "before": None, "after": "Tournament"} in cancelled["changes"]


async def test_filters_by_who_kind_booking_and_date(as_user: Any, world: World) -> None:
    rid = await _booking_story(as_user, world)
    admin = await as_user("admin")
    await admin.patch(f"/amenities/{world.amenities['pool'].id}", {"name": "Lap Pool"})

    async def summaries(**params: Any) -> list[str]:
        r = await admin.get("/audit-events", params=params)
        assert r.status_code == 200, r.text
        return [e["summary"] for e in r.json()["items"]]

    resident_id = str(world.members["resident"].user_id)
    assert await summaries(actor_id=resident_id) == ["Booked"]
    assert await summaries(action="reservation.") == ["Cancelled", "Changed", "Booked"]
    assert await summaries(action="reservation.cancelled") == ["Cancelled"]
    assert await summaries(action="amenity.") == ["Amenity updated: Lap Pool"]
    hours = {day: [["07:00", "21:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    r = await admin.patch(
        f"/amenities/{world.amenities['pool'].id}", {"hours": hours, "requires_approval": True}
    )
    assert r.status_code == 200, r.text
    latest = (await admin.get("/audit-events", params={"limit": 1})).json()["items"][0]
    assert latest["changes"] == [
        {"field": "hours", "before": "…", "after": "…"},
        {"field": "requires approval", "before": "no", "after": "yes"},
    ]
    assert await summaries(entity_id=rid, limit=1) == ["Cancelled"]
    now = utcnow()
    assert len(await summaries(start=(now - timedelta(hours=1)).isoformat())) == 5
    assert await summaries(end=(now - timedelta(hours=1)).isoformat()) == []

    for params, error in (
        ({"start": now.isoformat(), "end": now.isoformat()}, "audit.invalid_range"),
        ({"action": "reservation.%"}, "validation_error"),
        ({"actor_id": "nobody"}, "validation_error"),
        ({"start": "2026-12-20T18:00:00"}, "validation_error"),  # no offset
    ):
        r = await admin.get("/audit-events", params=params)
        assert r.status_code == 422 and r.json()["error"]["code"] == error, (params, r.text)


async def test_csv_export_is_filtered_local_and_formula_safe(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    court = world.amenities["court"]
    assert (await admin.patch(f"/amenities/{court.id}", {"name": "=SUM(1)"})).status_code == 200
    rid = await _booking_story(as_user, world)
    r = await admin.get("/audit.csv", params={"action": "reservation."})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    header, *rows = list(csv.reader(io.StringIO(r.text)))
    assert header[:5] == ["when (America/New_York)", "who", "what", "booking_id", "booking"]
    assert [row[1:4] for row in rows] == [
        ["Admin", "Cancelled", rid],
        ["Admin", "Changed", rid],
        ["Resident", "Booked", rid],
    ]
    assert rows[0][4].startswith("'=SUM(1) · ")
    assert "reason: — → Tournament" in rows[0][5]
    bad = await admin.get("/audit.csv", params={"action": "no way"})
    assert bad.status_code == 422
    assert (await (await as_user("resident")).get("/audit.csv")).status_code == 403
    outsider = await as_user("outsider", world.community.id)
    assert (await outsider.get("/audit.csv")).status_code == 404


async def test_csv_export_reads_every_batch_newest_first(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    total = EXPORT_BATCH + 3
    base = utcnow() - timedelta(days=10)
    rows = [
        {
            "id": uuid.uuid4(),
            "community_id": world.community.id,
            "actor_id": world.members["admin"].user_id,
            "action": "amenity.updated",
            "entity_type": "amenity",
            "entity_id": world.amenities["court"].id,
            "before": {"name": f"Court {i}"},
            "after": {"name": f"Court {i + 1}"},
            "by_operator": False,
            # the six oldest at one time: a tie across the batches' edge
            "created_at": base + timedelta(seconds=max(i, 5)),
        }
        for i in range(total)
    ]
    await session.execute(sa.insert(AuditEvent), rows)
    await session.commit()
    r = await (await as_user("admin")).get("/audit.csv")
    assert r.status_code == 200
    _, *lines = list(csv.reader(io.StringIO(r.text)))
    assert len(lines) == total
    assert len({line[5] for line in lines}) == total  # each event once
    assert lines[0][5] == f"name: Court {total - 1} → Court {total}"
