"""Availability against the dry run, through the API: one read serves the amenity and its bookings
when the buffers are short, and a second, wider one when they are long."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hoa.models import Blackout, ReservationStatus
from tests.factories import World, local, make_amenity, make_reservation


async def test_availability_agrees_with_the_dry_run_for_short_and_long_buffers(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    short = await make_amenity(
        session, world.community, buffer_before_minutes=30, buffer_after_minutes=30
    )
    long = await make_amenity(
        session, world.community, buffer_before_minutes=180, buffer_after_minutes=120
    )
    neighbor = world.members["neighbor"]
    for amenity in (short, long):
        # Night bookings the hours would refuse, so that buffers reach into the day from both
        # sides: the long buffers block the first and the last slots.
        await make_reservation(session, amenity, neighbor, local(3, 1))
        await make_reservation(session, amenity, neighbor, local(3, 12))
        await make_reservation(session, amenity, neighbor, local(4, 1))
    session.add(
        Blackout(
            community_id=world.community.id,
            amenity_id=None,
            starts_at=local(3, 17),
            ends_at=local(3, 18),
            reason="Fireworks",
        )
    )
    await session.commit()
    resident = await as_user("resident")
    day = {"date": local(3, 0).date().isoformat()}

    reasons = {}
    for amenity in (short, long):
        r = await resident.get(f"/amenities/{amenity.id}/availability", params=day)
        assert r.status_code == 200, r.text
        slots = r.json()["slots"]
        assert len(slots) == 32
        for slot in slots:
            check = await resident.post(
                "/reservations/check",
                {
                    "amenity_id": str(amenity.id),
                    "starts_at": slot["starts_at"],
                    "ends_at": slot["ends_at"],
                },
            )
            verdict = check.json()
            assert slot["available"] is verdict["allowed"]
            assert slot["reason"] == (verdict["violation"] and verdict["violation"]["code"])
        reasons[amenity.name] = [slot["reason"] for slot in slots]
    # Slots block [start - before, end + after): 11:00-13:30 short, and long 06:00-06:30,
    # 07:00-14:30 and 21:00-21:30; the blackout comes first in 16:30-18:00 short, 15:00-20:30 long.
    count = {
        n: (r.count("reservation.slot_taken"), r.count("reservation.blackout"))
        for n, r in reasons.items()
    }
    assert count == {short.name: (6, 4), long.name: (20, 12)}


async def test_availability_of_an_unknown_foreign_or_archived_amenity(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    elsewhere = await make_amenity(session, world.other)
    await session.commit()
    resident, admin = await as_user("resident"), await as_user("admin")
    day = {"date": local(3, 0).date().isoformat()}
    for amenity_id in (uuid.uuid4(), elsewhere.id):
        r = await resident.get(f"/amenities/{amenity_id}/availability", params=day)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    court = world.amenities["court"]
    assert (await admin.post(f"/amenities/{court.id}/archive")).status_code == 200
    r = await resident.get(f"/amenities/{court.id}/availability", params=day)
    assert r.status_code == 409 and r.json()["error"]["code"] == "amenity.archived"


async def test_availability_sees_bookings_that_long_slots_reach(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    """A stay of at least 40 hours starting on the day reaches two days on: bookings there
    decide its slots too."""
    suite = await make_amenity(
        session,
        world.community,
        overnight_allowed=True,
        slot_minutes=60,
        min_duration_minutes=40 * 60,
        max_duration_minutes=7 * 24 * 60,
    )
    await make_reservation(session, suite, world.members["neighbor"], local(5, 6), hours=2)
    await session.commit()
    resident = await as_user("resident")
    r = await resident.get(
        f"/amenities/{suite.id}/availability", params={"date": local(3, 0).date().isoformat()}
    )
    assert r.status_code == 200, r.text
    slots = r.json()["slots"]
    taken = [s for s in slots if s["reason"] == "reservation.slot_taken"]
    assert taken  # the afternoon starts run into the neighbor's booking two days later
    for slot in slots:
        check = await resident.post(
            "/reservations/check",
            {
                "amenity_id": str(suite.id),
                "starts_at": slot["starts_at"],
                "ends_at": slot["ends_at"],
            },
        )
        assert slot["available"] is check.json()["allowed"], slot


async def test_a_shared_amenity_counts_places_left_per_slot_for_the_calendar_too(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    """The pool (20 places) per slot: every household's people count, requests too; the
    calendar gives each booking's headcount, others' without names, so it can say the same."""
    pool, neighbor = world.amenities["pool"], world.members["neighbor"]
    await make_reservation(session, pool, neighbor, local(3, 10), hours=2, headcount=5)
    await make_reservation(
        session, pool, neighbor, local(3, 11), headcount=4, status=ReservationStatus.PENDING
    )
    await session.commit()
    resident = await as_user("resident")
    body = {
        "amenity_id": str(pool.id),
        "starts_at": local(3, 10).isoformat(),
        "ends_at": local(3, 11).isoformat(),
        "headcount": 3,
    }
    assert (await resident.post("/reservations", body)).status_code == 201

    r = await resident.get(
        f"/amenities/{pool.id}/availability", params={"date": local(3, 0).date().isoformat()}
    )
    left = {datetime.fromisoformat(s["starts_at"]): s["remaining"] for s in r.json()["slots"]}
    assert [left[local(3, h, m)] for h, m in ((9, 30), (10, 0), (10, 30), (11, 0), (12, 0))] == [
        20,
        12,
        12,
        11,
        20,
    ]

    params = {"start": local(3, 0).isoformat(), "end": local(4, 0).isoformat()}
    entries = (await resident.get("/calendar", params=params)).json()["entries"]
    others = [e for e in entries if not e["mine"]]
    assert sorted(e["headcount"] for e in others) == [4, 5]
    assert all(e["title"] is None and e["booked_for_name"] is None for e in others)
    at_ten = sum(
        e["headcount"]
        for e in entries
        if datetime.fromisoformat(e["starts_at"]) <= local(3, 10)
        and datetime.fromisoformat(e["ends_at"]) > local(3, 10)
    )
    assert pool.capacity - at_ten == left[local(3, 10)]
