"""Changing a booking: the rules of booking it, less itself; the database still refuses an
overlap; the person it is for gets a calendar update with a higher SEQUENCE."""

import asyncio
import email
import email.policy
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import Database, utcnow
from hoa.core.settings import Settings
from hoa.models import Reservation
from tests.factories import World, local, make_reservation
from tests.notifications.conftest import notifications, variant
from tests.reservations.test_reservations import booking


def code(r: Any) -> str:
    return str(r.json()["error"]["code"])


async def test_moving_a_booking_updates_it_and_the_calendar_file(
    as_user: Any,
    world: World,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
) -> None:
    resident = await as_user("resident")
    created = await resident.post("/reservations", booking(world, "court", local(2, 10)))
    rid = created.json()["id"]
    # half an hour later: the new time overlaps the old one, which must not count against it
    later = local(2, 10, 30)
    r = await resident.patch(
        f"/reservations/{rid}",
        {"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=1)).isoformat()},
    )
    assert r.status_code == 200, r.text
    assert datetime.fromisoformat(r.json()["starts_at"]) == later
    fetched = (await resident.get(f"/reservations/{rid}")).json()
    assert fetched["status"] == "confirmed" and fetched["headcount"] == 1
    assert fetched["starts_at"] == r.json()["starts_at"]

    # a title alone is no change to tell anyone about
    assert (await resident.patch(f"/reservations/{rid}", {"title": "Doubles"})).status_code == 200
    kinds = [n.kind for n in await notifications(db)]
    assert kinds == ["reservation_confirmed", "reservation_changed"]

    changed = (await notifications(db))[1]
    deliverer = deliverer_for(variant(settings, tmp_path))
    assert deliverer.deliver(changed.id) == "sent"
    [eml] = (tmp_path / "outbox").glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert msg["Subject"].startswith("Changed: Tennis Court 1, now")
    [ics] = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    cal = icalendar.Calendar.from_ical(ics.get_content())
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == f"{rid}@hoa" and cal["METHOD"] == "REQUEST"
    assert event["SEQUENCE"] == 1 and event.decoded("DTSTART") == later

    # cancelling afterwards outranks the change
    assert (await resident.post(f"/reservations/{rid}/cancel", {})).status_code == 200
    cancelled = (await notifications(db))[-1]
    assert cancelled.kind == "reservation_cancelled" and cancelled.payload["sequence"] == 2
    again = await resident.patch(f"/reservations/{rid}", {"title": "Too late"})
    assert again.status_code == 409 and code(again) == "reservation.not_active"


async def test_a_change_keeps_every_booking_rule(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    resident, neighbor, admin = (
        await as_user("resident"),
        await as_user("neighbor"),
        await as_user("admin"),
    )
    mine = (await resident.post("/reservations", booking(world, "court", local(3, 10)))).json()
    await neighbor.post("/reservations", booking(world, "court", local(3, 14)))
    url = f"/reservations/{mine['id']}"

    taken = await resident.patch(
        url, {"starts_at": local(3, 14).isoformat(), "ends_at": local(3, 15).isoformat()}
    )
    assert taken.status_code == 409 and code(taken) == "reservation.slot_taken"
    backwards = await resident.patch(url, {"ends_at": local(3, 9).isoformat()})
    assert backwards.status_code == 422 and code(backwards) == "validation_error"
    unknown = await resident.patch(url, {"amenity_id": str(world.amenities["pool"].id)})
    assert unknown.status_code == 422
    past = await resident.patch(
        url, {"starts_at": local(-1, 10).isoformat(), "ends_at": local(-1, 11).isoformat()}
    )
    assert past.status_code in (409, 422) and code(past).startswith("reservation.")
    assert (await resident.get(url)).json()["starts_at"] == mine["starts_at"]  # all refused

    # other households cannot touch it; admins can
    assert (await neighbor.patch(url, {"title": "Mine"})).status_code == 404
    assert (await admin.patch(url, {"title": "Lesson"})).json()["title"] == "Lesson"

    # capacity: the booking's own headcount does not count against its new headcount
    pool = world.amenities["pool"]
    swim = await resident.post("/reservations", booking(world, "pool", local(3, 10), headcount=6))
    assert swim.status_code == 201
    await make_reservation(
        session, pool, world.members["neighbor"], local(3, 10), headcount=15, guests=0
    )
    await session.commit()
    url = f"/reservations/{swim.json()['id']}"
    assert (await resident.patch(url, {"headcount": 5})).status_code == 200  # 15 + 5 = 20
    full = await resident.patch(url, {"headcount": 6})
    assert full.status_code == 409 and code(full) == "reservation.capacity_full"


async def test_a_changed_request_waits_for_approval_again_and_the_cutoff_holds(
    as_user: Any, world: World, db: Database
) -> None:
    resident, admin = await as_user("resident"), await as_user("admin")
    body = booking(world, "clubhouse", local(10, 14), 3, accepted_rules_version=1)
    rid = (await resident.post("/reservations", body)).json()["id"]
    assert (await admin.post(f"/reservations/{rid}/approve", {})).status_code == 200
    url = f"/reservations/{rid}"

    moved = await resident.patch(
        url, {"starts_at": local(10, 15).isoformat(), "ends_at": local(10, 18).isoformat()}
    )
    assert moved.status_code == 200 and moved.json()["status"] == "pending"
    assert moved.json()["decided_by_id"] is None
    [changed] = [n for n in await notifications(db) if n.kind == "reservation_changed"]
    assert changed.payload["pending"] is True
    # an admin's change keeps the decision
    by_admin = await admin.patch(url, {"headcount": 2})
    assert by_admin.json()["status"] == "pending"

    # inside the clubhouse's 48-hour cutoff a resident can no longer change it; an admin can
    for_resident = str(world.members["resident"].id)
    soon = booking(world, "clubhouse", local(1, 14), 3, on_behalf_of_member_id=for_resident)
    soon_id = (await admin.post("/reservations", soon)).json()["id"]
    assert (await resident.patch(f"/reservations/{soon_id}", {"title": "Pa"})).status_code == 200
    async with db.writer() as s, s.begin():  # its grace period ends
        await s.execute(
            sa.update(Reservation)
            .where(Reservation.id == uuid.UUID(soon_id))
            .values(decided_at=utcnow() - timedelta(hours=1))
        )
    late = await resident.patch(f"/reservations/{soon_id}", {"title": "Party"})
    assert late.status_code == 409 and code(late) == "reservation.cutoff_passed"
    assert (await admin.patch(f"/reservations/{soon_id}", {"title": "Party"})).status_code == 200


async def test_two_changes_racing_for_one_slot_leave_one_booking_there(
    as_user: Any, world: World
) -> None:
    resident, neighbor = await as_user("resident"), await as_user("neighbor")
    ids = []
    for who, hour in ((resident, 9), (neighbor, 11)):
        r = await who.post("/reservations", booking(world, "court", local(4, hour)))
        ids.append(r.json()["id"])
    target = {"starts_at": local(4, 15).isoformat(), "ends_at": local(4, 16).isoformat()}
    results = await asyncio.gather(
        resident.patch(f"/reservations/{ids[0]}", target),
        neighbor.patch(f"/reservations/{ids[1]}", target),
    )
    assert sorted(r.status_code for r in results) == [200, 409]
    [lost] = [r for r in results if r.status_code == 409]
    assert code(lost) == "reservation.slot_taken"
    params = {"start": local(4, 15).isoformat(), "end": local(4, 16).isoformat()}
    entries = (await resident.get("/calendar", params=params)).json()["entries"]
    assert len(entries) == 1


async def test_party_times_guests_and_notes_change_under_the_rules_without_a_new_review(
    as_user: Any, world: World, db: Database, session: AsyncSession
) -> None:
    resident, admin = await as_user("resident"), await as_user("admin")
    world.amenities["clubhouse"].max_guests = 4
    await session.commit()
    start = local(10, 14)
    at = lambda hours: (start + timedelta(hours=hours)).isoformat()  # noqa: E731
    body = booking(
        world,
        "clubhouse",
        start,
        3,
        headcount=6,
        guests=1,
        party_starts_at=at(1),
        party_ends_at=at(2),
        accepted_rules_version=1,
    )
    rid = (await resident.post("/reservations", body)).json()["id"]
    assert (await admin.post(f"/reservations/{rid}/approve", {})).status_code == 200
    url = f"/reservations/{rid}"

    change = {"party_starts_at": at(0.5), "party_ends_at": at(2.5), "guests": 3, "notes": "Ramp"}
    r = await resident.patch(url, change)
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["status"] == "confirmed"  # the board approved this time and headcount
    assert (changed["guests"], changed["notes"], changed["headcount"]) == (3, "Ramp", 6)
    assert datetime.fromisoformat(changed["party_starts_at"]) == start + timedelta(hours=0.5)
    assert datetime.fromisoformat(changed["party_ends_at"]) == start + timedelta(hours=2.5)

    # the rules of booking it still hold
    too_many = await resident.patch(url, {"guests": 5})
    assert too_many.status_code == 422 and code(too_many) == "reservation.too_many_guests"
    outside = await resident.patch(url, {"party_ends_at": at(4)})
    assert outside.status_code == 422 and code(outside) == "validation_error"
    half = await resident.patch(url, {"party_starts_at": None})
    assert half.status_code == 422 and code(half) == "validation_error"

    # audited with what changed, and the person it is for hears of it
    events = (await admin.get("/audit-events", params={"entity_id": rid})).json()["items"]
    latest = events[0]
    assert latest["action"] == "reservation.changed"
    assert (latest["before"]["guests"], latest["after"]["guests"]) == (1, 3)
    assert (latest["before"]["notes"], latest["after"]["notes"]) == ("", "Ramp")
    assert latest["after"]["party_starts_at"] != latest["before"]["party_starts_at"]
    [notice] = [n for n in await notifications(db) if n.kind == "reservation_changed"]
    assert notice.payload["guests"] == 3 and notice.payload["pending"] is False
    assert datetime.fromisoformat(notice.payload["party_starts_at"]) == start + timedelta(hours=0.5)

    # the party times can be dropped; a new headcount goes back to the board
    cleared = await resident.patch(url, {"party_starts_at": None, "party_ends_at": None})
    assert cleared.json()["party_starts_at"] is None and cleared.json()["status"] == "confirmed"
    assert (await resident.patch(url, {"headcount": 7})).json()["status"] == "pending"


async def test_availability_leaves_out_a_booking_its_household_may_change(
    as_user: Any, world: World
) -> None:
    resident, housemate, neighbor, admin = [
        await as_user(who) for who in ("resident", "housemate", "neighbor", "admin")
    ]
    start = local(3, 10)
    court = (await resident.post("/reservations", booking(world, "court", start))).json()
    swim = await resident.post("/reservations", booking(world, "pool", start, headcount=6))
    day = {"date": start.date().isoformat()}

    def taken(r: Any) -> list[str]:
        assert r.status_code == 200, r.text
        return [s["starts_at"] for s in r.json()["slots"] if not s["available"]]

    court_url = f"/amenities/{world.amenities['court'].id}/availability"
    assert len(taken(await resident.get(court_url, params=day))) == 2
    for who in (resident, housemate, admin):
        assert taken(await who.get(court_url, params={**day, "exclude": court["id"]})) == []

    pool_url = f"/amenities/{world.amenities['pool'].id}/availability"
    at_ten = {"date": day["date"], "exclude": swim.json()["id"]}

    def remaining(r: Any) -> int:
        [slot] = [s for s in r.json()["slots"] if datetime.fromisoformat(s["starts_at"]) == start]
        return int(slot["remaining"])

    assert remaining(await resident.get(pool_url, params=day)) == 14
    assert remaining(await resident.get(pool_url, params=at_ten)) == 20

    # only a booking the caller may change: another household's, or none, is not found
    for who, rid in ((neighbor, court["id"]), (resident, str(uuid.uuid4()))):
        r = await who.get(court_url, params={**day, "exclude": rid})
        assert r.status_code == 404 and code(r) == "not_found"
    bad = await resident.get(court_url, params={**day, "exclude": "nope"})
    assert bad.status_code == 422 and code(bad) == "validation_error"
