from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import utcnow
from hoa.models import Blackout, BookingMode
from tests.factories import ALL_WEEK, World, local, make_amenity, make_reservation


def next_slot(after: datetime) -> datetime:
    """The first half-hour boundary at or after ``after`` (the slot grid is local, and New York
    is a whole-hour offset from UTC)."""
    base = after.astimezone(UTC).replace(second=0, microsecond=0)
    return base + timedelta(minutes=-base.minute % 30)


def booking(
    world: World, amenity: str, start: Any, hours: float = 1, **extra: Any
) -> dict[str, Any]:
    return {
        "amenity_id": str(world.amenities[amenity].id),
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=hours)).isoformat(),
        **extra,
    }


async def test_resident_books_a_court_and_sees_it(as_user: Any, world: World) -> None:
    resident = await as_user("resident")
    r = await resident.post("/reservations", booking(world, "court", local(2, 10), title="Doubles"))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "confirmed"
    assert created["household_id"] == str(world.households["a"].id)

    mine = (await resident.get("/reservations")).json()
    assert [item["id"] for item in mine["items"]] == [created["id"]]
    housemate = await as_user("housemate")
    assert (await housemate.get(f"/reservations/{created['id']}")).status_code == 200
    neighbor = await as_user("neighbor")
    assert (await neighbor.get(f"/reservations/{created['id']}")).status_code == 404


async def test_overlap_is_refused_with_slot_taken_and_a_suggestion(
    as_user: Any, world: World
) -> None:
    resident, neighbor = await as_user("resident"), await as_user("neighbor")
    assert (
        await resident.post("/reservations", booking(world, "court", local(3, 10)))
    ).status_code == 201
    r = await neighbor.post("/reservations", booking(world, "court", local(3, 10, 30)))
    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "reservation.slot_taken"
    suggestion = error["details"]["suggestion"]
    assert suggestion is not None and suggestion["available"] is True
    # adjacent bookings are fine
    assert (
        await neighbor.post("/reservations", booking(world, "court", local(3, 11)))
    ).status_code == 201


async def test_rule_violations_have_codes(as_user: Any, world: World) -> None:
    resident = await as_user("resident")
    cases = {
        "reservation.outside_hours": booking(world, "court", local(4, 21, 30), hours=1),
        "reservation.too_far_ahead": booking(world, "court", local(90, 10)),
        "reservation.too_long": booking(world, "court", local(4, 8), hours=5),
        "reservation.misaligned": booking(world, "court", local(4, 10, 10)),
        "reservation.in_past": booking(world, "court", local(-1, 10)),
    }
    for code, body in cases.items():
        r = await resident.post("/reservations", body)
        assert r.status_code == 422, (code, r.text)
        assert r.json()["error"]["code"] == code


async def test_clubhouse_request_needs_rules_acceptance_then_approval(
    as_user: Any, world: World
) -> None:
    resident, admin = await as_user("resident"), await as_user("admin")
    body = booking(world, "clubhouse", local(10, 14), hours=3)
    refused = await resident.post("/reservations", body)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "reservation.rules_not_accepted"

    r = await resident.post("/reservations", {**body, "accepted_rules_version": 1})
    assert r.status_code == 201 and r.json()["status"] == "pending"
    rid = r.json()["id"]
    assert (await resident.post(f"/reservations/{rid}/approve", {})).status_code == 403

    queue = (await admin.get("/reservations", params={"status": "pending"})).json()["items"]
    assert [item["id"] for item in queue] == [rid]
    approved = await admin.post(f"/reservations/{rid}/approve", {"reason": "Enjoy"})
    assert approved.status_code == 200
    assert approved.json()["status"] == "confirmed" and approved.json()["decided_at"]
    assert (await resident.get(f"/reservations/{rid}")).json()["status"] == "confirmed"
    again = await admin.post(f"/reservations/{rid}/approve", {})
    assert again.status_code == 409 and again.json()["error"]["code"] == "reservation.not_pending"


async def test_reject_needs_a_reason(as_user: Any, world: World) -> None:
    resident, admin = await as_user("resident"), await as_user("admin")
    body = booking(world, "clubhouse", local(11, 14), hours=3, accepted_rules_version=1)
    rid = (await resident.post("/reservations", body)).json()["id"]
    assert (await admin.post(f"/reservations/{rid}/reject", {"reason": ""})).status_code == 422
    r = await admin.post(f"/reservations/{rid}/reject", {"reason": "Board meeting that night"})
    assert (
        r.json()["status"] == "rejected"
        and r.json()["decision_reason"] == "Board meeting that night"
    )
    # the slot is free again
    assert (await resident.post("/reservations", body)).status_code == 201


async def test_approval_rechecks_blackouts(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    resident, admin = await as_user("resident"), await as_user("admin")
    start = local(12, 14)
    body = booking(world, "clubhouse", start, hours=3, accepted_rules_version=1)
    rid = (await resident.post("/reservations", body)).json()["id"]
    blackout = {
        "amenity_id": str(world.amenities["clubhouse"].id),
        "starts_at": (start - timedelta(hours=1)).isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "reason": "Floor repair",
    }
    # a pending request is a conflict for a new blackout: listed, nothing written
    conflict = await admin.post("/blackouts", blackout)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "blackout.conflicts"
    assert [r["id"] for r in conflict.json()["error"]["details"]["reservations"]] == [rid]
    assert (await admin.get("/blackouts")).json() == []
    # a closure that appeared anyway (e.g. written by another admin's tool) blocks approval
    session.add(
        Blackout(
            community_id=world.community.id,
            amenity_id=world.amenities["clubhouse"].id,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            reason="Floor repair",
        )
    )
    await session.commit()
    refused = await admin.post(f"/reservations/{rid}/approve", {})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "reservation.blackout"
    assert (await resident.get(f"/reservations/{rid}")).json()["status"] == "pending"


async def test_cancel_respects_the_cutoff_for_residents_only(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    soon = await make_reservation(
        session,
        world.amenities["clubhouse"],
        world.members["resident"],
        local(1, 12),
        decided_at=utcnow() - timedelta(hours=1),  # its grace period is over
    )
    later = await make_reservation(
        session, world.amenities["clubhouse"], world.members["resident"], local(5, 12)
    )
    await session.commit()
    resident, admin = await as_user("resident"), await as_user("admin")
    refused = await resident.post(f"/reservations/{soon.id}/cancel", {"reason": "Sick"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "reservation.cutoff_passed"
    ok = await resident.post(f"/reservations/{later.id}/cancel", {"reason": "Plans changed"})
    assert ok.status_code == 200 and ok.json()["status"] == "cancelled"
    assert ok.json()["cancel_reason"] == "Plans changed"
    by_admin = await admin.post(f"/reservations/{soon.id}/cancel", {"reason": "Resident called"})
    assert by_admin.status_code == 200
    twice = await admin.post(f"/reservations/{soon.id}/cancel", {})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "reservation.not_active"


async def test_a_same_day_booking_is_cancellable_for_the_grace_period(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    bbq = await make_amenity(
        session,
        world.community,
        name="BBQ Area",
        hours={day: [["00:00", "24:00"]] for day in ALL_WEEK},
        cancellation_cutoff_hours=24,
        cancellation_grace_minutes=15,
    )
    earlier = await make_reservation(
        session,
        bbq,
        world.members["resident"],
        utcnow() + timedelta(hours=5),
        decided_at=utcnow() - timedelta(minutes=20),
    )
    await session.commit()
    resident = await as_user("resident")
    start = next_slot(utcnow() + timedelta(hours=2))
    made = await resident.post(
        "/reservations",
        {
            "amenity_id": str(bbq.id),
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        },
    )
    assert made.status_code == 201, made.text
    until = datetime.fromisoformat(made.json()["cancellable_until"])
    assert until == datetime.fromisoformat(made.json()["decided_at"]) + timedelta(minutes=15)
    listed = (await resident.get("/reservations")).json()["items"]
    assert {r["id"]: r["cancellable_until"] for r in listed}[made.json()["id"]] == (
        made.json()["cancellable_until"]
    )
    # inside the cutoff and past its grace period: refused, saying until when it was allowed
    refused = await resident.post(f"/reservations/{earlier.id}/cancel", {})
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "reservation.cutoff_passed"
    assert datetime.fromisoformat(error["details"]["cancellable_until"]) == (
        earlier.decided_at + timedelta(minutes=15)  # type: ignore[operator]
    )
    ok = await resident.post(f"/reservations/{made.json()['id']}/cancel", {})
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "cancelled" and ok.json()["cancellable_until"] is None


async def test_a_quota_refusal_names_the_bookings_that_count_and_when_to_book_again(
    as_user: Any, world: World
) -> None:
    admin, resident = await as_user("admin"), await as_user("resident")
    court = world.amenities["court"]
    assert (await admin.patch(f"/amenities/{court.id}", {"max_per_week": 1})).status_code == 200
    first = await resident.post("/reservations", booking(world, "court", local(8, 10)))
    assert first.status_code == 201, first.text
    refused = await resident.post("/reservations", booking(world, "court", local(8, 12)))
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "reservation.quota_exceeded"
    day = local(8, 10).date()
    monday_after = day + timedelta(days=7 - day.weekday())
    assert error["details"]["counted"] == [first.json()["id"]]
    assert error["details"]["book_again_on"] == monday_after.isoformat()
    assert "already has 1 booking here in the week of" in error["message"]
    assert f"You can book again from {monday_after:%a}, {monday_after:%b} " in error["message"]
    # the dry run says the same
    check = await resident.post("/reservations/check", booking(world, "court", local(8, 12)))
    assert check.json()["violation"]["details"]["counted"] == [first.json()["id"]]


async def test_times_in_refusals_follow_the_community_locale(as_user: Any, world: World) -> None:
    admin, resident = await as_user("admin"), await as_user("resident")
    assert (await resident.post("/reservations", booking(world, "court", local(3, 15)))).is_success
    taken = booking(world, "court", local(3, 15))
    us = (await resident.post("/reservations", taken)).json()["error"]["message"]
    assert us.endswith("3:00\u202fPM – 4:00\u202fPM.") and "America/New_York" not in us
    r = await admin.patch("", {"locale": "en-GB"})
    assert r.status_code == 200 and r.json()["locale"] == "en-GB"
    me = (await resident.get("/api/v1/me")).json()
    assert [m["locale"] for m in me["memberships"]] == ["en-GB"]
    gb = (await resident.post("/reservations", taken)).json()["error"]["message"]
    assert gb.endswith("15:00 – 16:00.")
    bad = await admin.patch("", {"locale": "xx-nowhere"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"


async def test_idempotency_key_replays_the_original(as_user: Any, world: World) -> None:
    resident = await as_user("resident")
    body = booking(world, "court", local(6, 9))
    key = {"Idempotency-Key": "retry-abc-123"}
    first = await resident.post("/reservations", body, headers=key)
    second = await resident.post("/reservations", body, headers=key)
    assert first.status_code == 201 and second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == second.json()["id"]
    other = await resident.post("/reservations", booking(world, "court", local(6, 12)), headers=key)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency.key_reused"
    assert len((await resident.get("/reservations")).json()["items"]) == 1


async def test_pool_capacity_and_household_limit(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    pool = await make_amenity(
        session,
        world.community,
        name="Splash pad",
        mode=BookingMode.CAPACITY,
        capacity=10,
        max_headcount_per_household=6,
    )
    await session.commit()
    resident, neighbor = await as_user("resident"), await as_user("neighbor")
    start = local(2, 15)

    def swim(people: int) -> dict[str, Any]:
        return {**booking(world, "pool", start), "amenity_id": str(pool.id), "headcount": people}

    assert (await resident.post("/reservations", swim(6))).status_code == 201
    household_full = await resident.post("/reservations", swim(1))
    assert household_full.status_code == 422
    assert household_full.json()["error"]["code"] == "reservation.capacity_exceeded"
    assert (await neighbor.post("/reservations", swim(4))).status_code == 201
    full = await neighbor.post("/reservations", swim(1))
    assert full.status_code == 409 and full.json()["error"]["code"] == "reservation.capacity_full"
    assert full.json()["error"]["details"]["remaining"] == 0
    # an hour later the pool is empty again
    later = {
        **swim(6),
        "starts_at": (start + timedelta(hours=1)).isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
    }
    assert (await neighbor.post("/reservations", later)).status_code == 201


async def test_dry_run_explains_without_writing(as_user: Any, world: World) -> None:
    resident = await as_user("resident")
    good = await resident.post("/reservations/check", booking(world, "court", local(2, 8)))
    assert good.json() == {"allowed": True, "violation": None, "suggestion": None}
    bad = await resident.post("/reservations/check", booking(world, "court", local(2, 21, 30)))
    result = bad.json()
    assert result["allowed"] is False
    assert result["violation"]["code"] == "reservation.outside_hours"
    assert result["suggestion"]["available"] is True
    assert (await resident.get("/reservations")).json()["items"] == []


async def test_admin_books_on_behalf_of_a_resident(as_user: Any, world: World) -> None:
    admin, neighbor = await as_user("admin"), await as_user("neighbor")
    body = booking(world, "clubhouse", local(20, 12), hours=2)
    r = await admin.post(
        "/reservations", {**body, "on_behalf_of_member_id": str(world.members["neighbor"].id)}
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["status"] == "confirmed"  # an admin booking needs no approval
    assert made["booked_for_id"] == str(world.members["neighbor"].user_id)
    assert made["booked_by_id"] == str(world.members["admin"].user_id)
    assert made["household_id"] == str(world.households["b"].id)
    assert (await neighbor.get(f"/reservations/{made['id']}")).status_code == 200
    resident = await as_user("resident")
    forbidden = await resident.post(
        "/reservations", {**body, "on_behalf_of_member_id": str(world.members["neighbor"].id)}
    )
    assert forbidden.status_code == 403


async def test_calendar_hides_names_from_residents_unless_allowed(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    resident, neighbor, admin = (
        await as_user("resident"),
        await as_user("neighbor"),
        await as_user("admin"),
    )
    await resident.post("/reservations", booking(world, "court", local(2, 10), title="Lesson"))
    params = {"start": local(0, 0).isoformat(), "end": local(7, 0).isoformat()}

    [seen_by_neighbor] = (await neighbor.get("/calendar", params=params)).json()["entries"]
    assert seen_by_neighbor["mine"] is False
    assert seen_by_neighbor["title"] is None and seen_by_neighbor["booked_for_name"] is None
    [seen_by_owner] = (await resident.get("/calendar", params=params)).json()["entries"]
    assert seen_by_owner["mine"] is True and seen_by_owner["title"] == "Lesson"
    [seen_by_admin] = (await admin.get("/calendar", params=params)).json()["entries"]
    assert seen_by_admin["booked_for_name"] == "Resident"

    await admin.patch("", {"show_booker_names": True})
    [now_named] = (await neighbor.get("/calendar", params=params)).json()["entries"]
    assert now_named["booked_for_name"] == "Resident"

    too_long = await neighbor.get(
        "/calendar", params={"start": local(0, 0).isoformat(), "end": local(90, 0).isoformat()}
    )
    assert (
        too_long.status_code == 422
        and too_long.json()["error"]["code"] == "calendar.range_too_long"
    )


async def test_availability_marks_taken_slots(as_user: Any, world: World) -> None:
    resident = await as_user("resident")
    start = local(3, 10)
    await resident.post("/reservations", booking(world, "court", start))
    r = await resident.get(
        f"/amenities/{world.amenities['court'].id}/availability",
        params={"date": start.date().isoformat()},
    )
    assert r.status_code == 200
    slots = {s["starts_at"]: s for s in r.json()["slots"]}
    assert r.json()["timezone"] == "America/New_York"
    taken = [s for s in slots.values() if not s["available"]]
    assert {s["reason"] for s in taken} == {"reservation.slot_taken"}
    assert len(taken) == 2  # 10:00 and 10:30 half-hour slots
    assert len(slots) == 32  # 06:00-22:00 in 30-minute slots


async def test_list_paginates_with_a_cursor(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    for day in range(1, 6):
        await make_reservation(
            session, world.amenities["court"], world.members["resident"], local(day, 9)
        )
    await session.commit()
    resident = await as_user("resident")
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await resident.get("/reservations", params=params)).json()
        seen += [item["starts_at"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(seen)
    bad = await resident.get("/reservations", params={"cursor": "garbage!"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cursor"


async def test_validation_errors_use_the_envelope(as_user: Any, world: World) -> None:
    resident = await as_user("resident")
    r = await resident.post(
        "/reservations",
        {"amenity_id": "not-a-uuid", "starts_at": "2026-01-01T10:00:00", "surprise": 1},
    )
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "validation_error" and error["request_id"]
    locations = {tuple(f["location"]) for f in error["details"]["fields"]}
    assert ("body", "amenity_id") in locations and ("body", "surprise") in locations
    assert ("body", "starts_at") in locations  # no offset
    assert r.headers["x-request-id"] == error["request_id"]
