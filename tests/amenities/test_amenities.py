"""Amenities: listing, rules round-trip and validation, partial updates, rules versions and
archiving."""

from datetime import timedelta
from typing import Any

from tests.factories import World, local

EVERY_RULE: dict[str, Any] = {
    "name": "Party Room",
    "description": "Upstairs, with a kitchen.",
    "kind": "Party room",
    # given out of order: the API stores a day's ranges sorted by opening time
    "hours": {"mon": [["13:00", "22:00"], ["08:00", "12:00"]], "sat": [["00:00", "24:00"]]},
    "slot_minutes": 60,
    "min_duration_minutes": 120,
    "max_duration_minutes": 480,
    "max_days_ahead": 90,
    "min_notice_minutes": 1440,
    "buffer_before_minutes": 30,
    "buffer_after_minutes": 60,
    "mode": "capacity",
    "capacity": 40,
    "max_headcount_per_household": 12,
    "max_guests": 10,
    "requires_approval": True,
    "cancellation_cutoff_hours": 72,
    "cancellation_grace_minutes": 30,
    "max_per_day": 1,
    "max_per_week": 2,
    "max_per_month": 4,
    "max_upcoming": 3,
    "overnight_allowed": True,
    "rules_text": "Clean up after yourself.",
    "fee_cents": 5000,
    "deposit_cents": 20000,
}
OPEN_DAILY = {
    day: [["06:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


def booking(amenity_id: Any, start: Any, hours: float = 1, **extra: Any) -> dict[str, Any]:
    return {
        "amenity_id": str(amenity_id),
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=hours)).isoformat(),
        **extra,
    }


def error_code(r: Any) -> str:
    return str(r.json()["error"]["code"])


async def test_create_round_trips_every_rule_field(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    r = await admin.post("/amenities", EVERY_RULE)
    assert r.status_code == 201, r.text
    created = r.json()
    expected = {
        **EVERY_RULE,
        "hours": {"mon": [["08:00", "12:00"], ["13:00", "22:00"]], "sat": [["00:00", "24:00"]]},
    }
    for field, value in expected.items():
        assert created[field] == value, field
    assert created["rules_version"] == 1 and created["status"] == "active"

    fetched = await (await as_user("resident")).get(f"/amenities/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created


async def test_create_fills_defaults_for_omitted_rules(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    r = await admin.post("/amenities", {"name": "Bocce", "hours": OPEN_DAILY})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["slot_minutes"] == 30 and body["max_duration_minutes"] == 240
    assert body["mode"] == "exclusive" and body["capacity"] == 1
    assert body["max_per_day"] is None and body["rules_text"] == ""
    assert body["rules_version"] == 0 and body["requires_approval"] is False
    # an exclusive amenity is booked by one party at a time: capacity is kept canonical
    r = await admin.post("/amenities", {"name": "Sauna", "hours": OPEN_DAILY, "capacity": 5})
    assert r.status_code == 201 and r.json()["capacity"] == 1


async def test_bad_opening_hours_are_refused(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    cases = {
        "overlapping": {"mon": [["08:00", "12:00"], ["11:00", "14:00"]]},
        "open equals close": {"tue": [["10:00", "10:00"]]},
        "open after close": {"tue": [["18:00", "09:00"]]},
        "hour 25": {"wed": [["08:00", "25:00"]]},
        "not a clock": {"wed": [["8am", "5pm"]]},
        "unknown day": {"funday": [["08:00", "12:00"]]},
    }
    for case, hours in cases.items():
        r = await admin.post("/amenities", {"name": f"Court {case}", "hours": hours})
        assert r.status_code == 422, (case, r.text)
        error = r.json()["error"]
        assert error["code"] == "validation_error", case
        assert any(f["location"][:2] == ["body", "hours"] for f in error["details"]["fields"])
    # adjacent ranges are fine
    r = await admin.post(
        "/amenities",
        {"name": "Court ok", "hours": {"mon": [["08:00", "12:00"], ["12:00", "14:00"]]}},
    )
    assert r.status_code == 201, r.text
    names = [a["name"] for a in (await admin.get("/amenities")).json()]
    assert "Court ok" in names and not any(
        n.startswith("Court ") and n != "Court ok" for n in names
    )


async def test_contradictory_rules_are_refused(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    base = {"name": "Gym", "hours": OPEN_DAILY}
    cases: dict[str, dict[str, Any]] = {
        "min above max": {"min_duration_minutes": 120, "max_duration_minutes": 60},
        "min not a slot multiple": {"slot_minutes": 30, "min_duration_minutes": 45},
        "max not a slot multiple": {"slot_minutes": 60, "max_duration_minutes": 90},
        "household headcount above capacity": {
            "mode": "capacity",
            "capacity": 10,
            "max_headcount_per_household": 11,
        },
        "cutoff beyond the notice with no grace period": {
            "cancellation_cutoff_hours": 24,
            "min_notice_minutes": 60,
            "cancellation_grace_minutes": 0,
        },
    }
    for case, rules in cases.items():
        r = await admin.post("/amenities", {**base, **rules})
        assert r.status_code == 422, (case, r.text)
        assert error_code(r) == "amenity.invalid_rules", case
        assert r.json()["error"]["details"]["problems"], case
    assert [a["name"] for a in (await admin.get("/amenities")).json()] == [
        "Clubhouse",
        "Pool",
        "Tennis Court 1",
    ]

    # an update is checked against the rules it leaves in place, and changes nothing if refused
    court = world.amenities["court"]
    r = await admin.patch(f"/amenities/{court.id}", {"min_duration_minutes": 300})
    assert r.status_code == 422 and error_code(r) == "amenity.invalid_rules"
    r = await admin.patch(f"/amenities/{court.id}", {"slot_minutes": 45})
    assert r.status_code == 422 and error_code(r) == "amenity.invalid_rules"
    unchanged = (await admin.get(f"/amenities/{court.id}")).json()
    assert unchanged["min_duration_minutes"] == 30 and unchanged["slot_minutes"] == 30


async def test_a_cutoff_beyond_the_notice_needs_a_grace_period(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    bbq = {"name": "BBQ", "hours": OPEN_DAILY, "cancellation_cutoff_hours": 24}
    r = await admin.post("/amenities", bbq)
    assert r.status_code == 201, r.text
    assert r.json()["cancellation_grace_minutes"] == 15  # the default makes it consistent
    bbq_id = r.json()["id"]
    r = await admin.patch(f"/amenities/{bbq_id}", {"cancellation_grace_minutes": 0})
    assert r.status_code == 422 and error_code(r) == "amenity.invalid_rules"
    assert "grace period" in r.json()["error"]["message"]
    # enough notice to cancel before the cutoff: no grace period needed
    r = await admin.patch(
        f"/amenities/{bbq_id}", {"cancellation_grace_minutes": 0, "min_notice_minutes": 1440}
    )
    assert r.status_code == 200, r.text


async def test_update_changes_only_what_is_sent(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    pool = world.amenities["pool"]
    before = (await admin.get(f"/amenities/{pool.id}")).json()
    assert before["max_headcount_per_household"] == 6

    r = await admin.patch(f"/amenities/{pool.id}", {"max_per_week": 3, "description": "Heated"})
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["max_per_week"] == 3 and after["description"] == "Heated"
    untouched = {k: v for k, v in before.items() if k not in ("max_per_week", "description")}
    assert {k: after[k] for k in untouched if k != "updated_at"} == {
        k: v for k, v in untouched.items() if k != "updated_at"
    }

    # a nullable quota goes back to "no limit" with an explicit null
    r = await admin.patch(
        f"/amenities/{pool.id}", {"max_per_week": None, "max_headcount_per_household": None}
    )
    assert r.status_code == 200, r.text
    assert r.json()["max_per_week"] is None and r.json()["max_headcount_per_household"] is None
    # null for a required rule means "leave it"
    r = await admin.patch(f"/amenities/{pool.id}", {"capacity": None, "name": None})
    assert r.status_code == 200
    assert r.json()["capacity"] == 20 and r.json()["name"] == "Pool"
    fetched = (await admin.get(f"/amenities/{pool.id}")).json()
    assert fetched["max_per_week"] is None and fetched["max_headcount_per_household"] is None

    unknown = await admin.patch(f"/amenities/{pool.id}", {"colour": "blue"})
    assert unknown.status_code == 422 and error_code(unknown) == "validation_error"


async def test_a_kind_is_trimmed_bounded_and_clearable(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    r = await admin.post(
        "/amenities", {"name": "Court 7", "hours": OPEN_DAILY, "kind": "  Tennis   court "}
    )
    assert r.status_code == 201, r.text
    court = r.json()
    assert court["kind"] == "Tennis court"
    plain = await admin.post("/amenities", {"name": "Sauna", "hours": OPEN_DAILY})
    assert plain.json()["kind"] is None
    too_long = await admin.patch(f"/amenities/{court['id']}", {"kind": "x" * 61})
    assert too_long.status_code == 422 and error_code(too_long) == "validation_error"
    fields = too_long.json()["error"]["details"]["fields"]
    assert [f["location"][:2] for f in fields] == [["body", "kind"]]
    not_text = await admin.patch(f"/amenities/{court['id']}", {"kind": 7})
    assert not_text.status_code == 422
    # left alone when not sent; blank or null clears it
    r = await admin.patch(f"/amenities/{court['id']}", {"description": "Clay"})
    assert r.json()["kind"] == "Tennis court"
    for cleared in ("   ", None):
        assert (await admin.patch(f"/amenities/{court['id']}", {"kind": "Court"})).is_success
        r = await admin.patch(f"/amenities/{court['id']}", {"kind": cleared})
        assert r.status_code == 200 and r.json()["kind"] is None, cleared


async def test_new_rules_text_needs_a_new_acceptance(as_user: Any, world: World) -> None:
    admin, resident = await as_user("admin"), await as_user("resident")
    clubhouse = world.amenities["clubhouse"]
    same = await admin.patch(f"/amenities/{clubhouse.id}", {"rules_text": "No glitter."})
    assert same.status_code == 200 and same.json()["rules_version"] == 1

    r = await admin.patch(f"/amenities/{clubhouse.id}", {"rules_text": "No glitter. No confetti."})
    assert r.status_code == 200 and r.json()["rules_version"] == 2
    # unrelated changes keep the version
    r = await admin.patch(f"/amenities/{clubhouse.id}", {"description": "Main hall"})
    assert r.json()["rules_version"] == 2

    body = booking(clubhouse.id, local(10, 14), hours=3)
    stale = await resident.post("/reservations", {**body, "accepted_rules_version": 1})
    assert stale.status_code == 422
    assert error_code(stale) == "reservation.rules_not_accepted"
    current = await resident.post("/reservations", {**body, "accepted_rules_version": 2})
    assert current.status_code == 201, current.text

    # removing the text removes the need to accept anything
    r = await admin.patch(f"/amenities/{clubhouse.id}", {"rules_text": ""})
    assert r.json()["rules_version"] == 0 and r.json()["rules_text"] == ""
    later = booking(clubhouse.id, local(12, 14), hours=3)
    assert (await resident.post("/reservations", later)).status_code == 201

    events = (
        await admin.get(
            "/audit-events", params={"entity_type": "amenity", "entity_id": str(clubhouse.id)}
        )
    ).json()["items"]
    assert [e["action"] for e in events] == ["amenity.updated"] * 4
    assert events[-1]["before"]["rules_version"] == 1 and events[-1]["after"]["rules_version"] == 1
    assert events[0]["before"]["rules_version"] == 2 and events[0]["after"]["rules_version"] == 0


async def test_names_are_unique_in_a_community(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    r = await admin.post("/amenities", {"name": "Pool", "hours": OPEN_DAILY})
    assert r.status_code == 409 and error_code(r) == "amenity.name_taken"
    r = await admin.patch(f"/amenities/{world.amenities['court'].id}", {"name": "Clubhouse"})
    assert r.status_code == 409 and error_code(r) == "amenity.name_taken"
    assert (await admin.get(f"/amenities/{world.amenities['court'].id}")).json()[
        "name"
    ] == "Tennis Court 1"
    # another community's "Gym" does not clash
    r = await admin.post("/amenities", {"name": "Gym", "hours": OPEN_DAILY})
    assert r.status_code == 201, r.text


async def test_archived_amenities_are_hidden_and_cannot_be_booked(
    as_user: Any, world: World
) -> None:
    admin, resident = await as_user("admin"), await as_user("resident")
    court = world.amenities["court"]
    r = await admin.post(f"/amenities/{court.id}/archive")
    assert r.status_code == 200 and r.json()["status"] == "archived"

    def names(r: Any) -> list[str]:
        return [a["name"] for a in r.json()]

    assert names(await resident.get("/amenities")) == ["Clubhouse", "Pool"]
    assert names(await admin.get("/amenities")) == ["Clubhouse", "Pool"]
    assert names(await admin.get("/amenities", params={"include_archived": "true"})) == [
        "Clubhouse",
        "Pool",
        "Tennis Court 1",
    ]
    # residents asking for archived ones get the active list only
    assert names(await resident.get("/amenities", params={"include_archived": "true"})) == [
        "Clubhouse",
        "Pool",
    ]
    # an archived amenity can still be looked at (existing bookings point to it)
    assert (await resident.get(f"/amenities/{court.id}")).json()["status"] == "archived"

    refused = await resident.post("/reservations", booking(court.id, local(2, 10)))
    assert refused.status_code == 409 and error_code(refused) == "amenity.archived"

    r = await admin.patch(f"/amenities/{court.id}", {"status": "active"})
    assert r.status_code == 200 and r.json()["status"] == "active"
    assert (
        await resident.post("/reservations", booking(court.id, local(2, 10)))
    ).status_code == 201


async def test_get_and_writes_are_scoped_and_guarded(as_user: Any, world: World) -> None:
    resident = await as_user("resident")
    court = world.amenities["court"]
    assert (await resident.get(f"/amenities/{court.id}")).json()["name"] == "Tennis Court 1"
    missing = await resident.get(f"/amenities/{world.amenities['other_gym'].id}")
    assert missing.status_code == 404 and error_code(missing) == "not_found"

    r = await resident.post("/amenities", {"name": "Mine", "hours": OPEN_DAILY})
    assert r.status_code == 403 and error_code(r) == "forbidden"
    r = await resident.patch(f"/amenities/{court.id}", {"name": "Mine"})
    assert r.status_code == 403
    r = await resident.post(f"/amenities/{court.id}/archive")
    assert r.status_code == 403
    assert (await resident.get(f"/amenities/{court.id}")).json()["status"] == "active"

    admin = await as_user("admin")
    r = await admin.patch(f"/amenities/{world.amenities['other_gym'].id}", {"name": "Mine"})
    assert r.status_code == 404
