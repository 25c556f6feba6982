"""The free-time finder: the next bookable slots across the booking window, judged as booking."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hoa.models import AmenityStatus, Blackout
from tests.factories import NEW_YORK, World, make_amenity, make_reservation

DAILY = {d: [["09:00", "12:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def today() -> Any:
    return datetime.now(NEW_YORK).date()


async def test_the_next_slots_honour_notice_closures_and_bookings(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    court = await make_amenity(
        session,
        world.community,
        hours=DAILY,
        slot_minutes=60,
        min_duration_minutes=60,
        min_notice_minutes=3 * 24 * 60,
    )
    fifth = datetime.combine(today() + timedelta(days=5), datetime.min.time(), NEW_YORK)
    session.add(
        Blackout(
            community_id=world.community.id,
            amenity_id=court.id,
            starts_at=fifth + timedelta(hours=9),
            ends_at=fifth + timedelta(hours=10),
            reason="Resurfacing",
        )
    )
    await make_reservation(session, court, world.members["neighbor"], fifth + timedelta(hours=10))
    await session.commit()
    earliest = datetime.now(NEW_YORK) + timedelta(days=3)
    expected = [
        start
        for day in range(10)
        for hour in (9, 10, 11)
        if (start := fifth + timedelta(days=day - 5, hours=hour)) >= earliest
        and start not in (fifth + timedelta(hours=9), fifth + timedelta(hours=10))
    ][:10]
    resident = await as_user("resident")
    r = await resident.get("/availability/next", params={"amenity_id": str(court.id)})
    assert r.status_code == 200, r.text
    [found] = r.json()["amenities"]
    assert [datetime.fromisoformat(s["starts_at"]) for s in found["slots"]] == expected
    first_day = expected[0].date()
    assert found["first_day"] == first_day.isoformat()
    blocked = found["blocked_days"]
    assert [b["date"] for b in blocked] == [
        (today() + timedelta(days=n)).isoformat() for n in range((first_day - today()).days)
    ]
    assert blocked[1]["reason"] == "reservation.too_little_notice"
    # every slot found books, through the same dry run as booking
    for slot in found["slots"]:
        body = {"amenity_id": str(court.id), **{k: slot[k] for k in ("starts_at", "ends_at")}}
        assert (await resident.post("/reservations/check", body)).json()["allowed"] is True


async def test_quotas_and_several_amenities(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    one = await make_amenity(
        session,
        world.community,
        hours=DAILY,
        slot_minutes=60,
        min_duration_minutes=60,
        max_upcoming=1,
    )
    two = await make_amenity(
        session, world.community, hours=DAILY, slot_minutes=60, min_duration_minutes=60
    )
    at = datetime.combine(today() + timedelta(days=1), datetime.min.time(), NEW_YORK)
    await make_reservation(session, one, world.members["resident"], at + timedelta(hours=9))
    await session.commit()
    resident = await as_user("resident")
    r = await resident.get(
        "/availability/next", params={"amenity_id": [str(one.id), str(two.id)], "limit": 2}
    )
    assert r.status_code == 200, r.text
    first, second = r.json()["amenities"]
    # the household holds its one upcoming booking of the first: nothing is bookable there
    assert (first["amenity_id"], first["slots"], first["first_day"]) == (str(one.id), [], None)
    assert {b["reason"] for b in first["blocked_days"][1:]} == {"reservation.quota_exceeded"}
    assert second["amenity_id"] == str(two.id) and len(second["slots"]) == 2
    # at most one a day: the first free time of two days running
    r = await resident.get(
        "/availability/next", params={"amenity_id": str(two.id), "limit": 2, "per_day": 1}
    )
    [spread] = r.json()["amenities"]
    starts = [datetime.fromisoformat(s["starts_at"]).astimezone(NEW_YORK) for s in spread["slots"]]
    assert [(s.date() - starts[0].date()).days for s in starts] == [0, 1]


async def test_bad_requests(as_user: Any, world: World, session: AsyncSession) -> None:
    admin = await as_user("admin")
    court = world.amenities["court"]
    for params in (
        {"amenity_id": "x"},
        {"amenity_id": str(court.id), "limit": 0},
        {"kind": "x" * 61},
        {"amenity_id": [str(uuid.uuid4()) for _ in range(11)]},
    ):
        r = await admin.get("/availability/next", params=params)
        assert r.status_code == 422, params
        assert r.json()["error"]["code"] == "validation_error"
    # amenities or a kind: one of the two
    for params in ({}, {"amenity_id": str(court.id), "kind": "Tennis court"}):
        r = await admin.get("/availability/next", params=params)
        assert r.status_code == 422, params
        assert r.json()["error"]["code"] == "availability.amenity_or_kind"
    for amenity_id in (uuid.uuid4(), world.amenities["other_gym"].id):
        r = await admin.get("/availability/next", params={"amenity_id": str(amenity_id)})
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert (await admin.post(f"/amenities/{court.id}/archive")).status_code == 200
    r = await admin.get("/availability/next", params={"amenity_id": str(court.id)})
    assert r.status_code == 409 and r.json()["error"]["code"] == "amenity.archived"


async def test_any_amenity_of_a_kind(as_user: Any, world: World, session: AsyncSession) -> None:
    """A kind answers for each bookable amenity of it, by name, each judged by its own rules:
    exactly what asking for those amenities by id answers."""
    one = await make_amenity(
        session,
        world.community,
        name="Court A",
        kind="Tennis court",
        hours=DAILY,
        slot_minutes=60,
        min_duration_minutes=60,
        min_notice_minutes=2 * 24 * 60,
    )
    two = await make_amenity(
        session,
        world.community,
        name="Court B",
        kind="tennis  court",
        hours=DAILY,
        slot_minutes=60,
        min_duration_minutes=60,
    )
    await make_amenity(session, world.community, name="Court C", kind="Tennis court",
                       hours=DAILY, status=AmenityStatus.ARCHIVED)  # fmt: skip
    await make_amenity(session, world.community, name="Pickleball", kind="Pickleball court")
    tomorrow = datetime.combine(today() + timedelta(days=1), datetime.min.time(), NEW_YORK)
    await make_reservation(session, two, world.members["neighbor"], tomorrow + timedelta(hours=9))
    await session.commit()
    resident = await as_user("resident")
    params = {"limit": 6, "per_day": 3}
    r = await resident.get("/availability/next", params={**params, "kind": " TENNIS court"})
    assert r.status_code == 200, r.text
    first, second = r.json()["amenities"]
    assert (first["amenity_id"], second["amenity_id"]) == (str(one.id), str(two.id))
    by_id = await resident.get(
        "/availability/next", params={**params, "amenity_id": [str(one.id), str(two.id)]}
    )
    assert r.json() == by_id.json()
    # the notice of the first court, the booking on the second
    earliest = datetime.now(NEW_YORK) + timedelta(days=2)
    assert all(datetime.fromisoformat(s["starts_at"]) >= earliest for s in first["slots"])
    assert first["first_day"] >= (today() + timedelta(days=2)).isoformat()
    assert first["blocked_days"][-1]["reason"] == "reservation.too_little_notice"
    starts = [datetime.fromisoformat(s["starts_at"]) for s in second["slots"]]
    assert tomorrow + timedelta(hours=10) in starts
    assert tomorrow + timedelta(hours=9) not in starts
    for amenity_id, slots in ((one.id, first["slots"]), (two.id, second["slots"])):
        for slot in slots:
            body = {"amenity_id": str(amenity_id), **{k: slot[k] for k in ("starts_at", "ends_at")}}
            assert (await resident.post("/reservations/check", body)).json()["allowed"] is True


async def test_kinds_are_capped_and_stay_in_their_community(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    # made out of name order: the answer is by name
    cabanas = [
        await make_amenity(session, world.community, name=f"Cabana {n:02}", kind="Cabana")
        for n in reversed(range(12))
    ]
    await make_amenity(session, world.other, name="Squash 1", kind="Squash court")
    await make_amenity(session, world.community, name="Old squash", kind="Squash court",
                       status=AmenityStatus.ARCHIVED)  # fmt: skip
    await session.commit()
    resident = await as_user("resident")
    r = await resident.get("/availability/next", params={"kind": "Cabana", "limit": 1})
    assert r.status_code == 200, r.text
    found = [a["amenity_id"] for a in r.json()["amenities"]]
    assert found == [str(c.id) for c in sorted(cabanas, key=lambda c: c.name)][:10]
    # another community's kind, an archived one's, and one nobody uses answer alike
    answers = []
    for kind in ("Squash court", "Bowling lane"):
        r = await resident.get("/availability/next", params={"kind": kind})
        assert r.status_code == 404, r.text
        answers.append({k: v for k, v in r.json()["error"].items() if k != "request_id"})
    assert answers[0] == answers[1] and answers[0]["code"] == "amenity.unknown_kind"
    assert "Squash" not in str(answers)
