"""Stays: check-in and check-out times of overnight amenities, offered and booked alike."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import World, local, make_amenity

SUITE: dict[str, Any] = {
    "name": "Guest Suite",
    "hours": {
        day: [["07:00", "11:00"], ["15:00", "22:00"]]
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    },
    "slot_minutes": 60,
    "min_duration_minutes": 16 * 60,
    "max_duration_minutes": 7 * 24 * 60,
    "overnight_allowed": True,
    "check_in_time": "15:00",
    "check_out_time": "11:00",
}


def code(r: Any) -> str:
    return str(r.json()["error"]["code"])


async def test_stay_times_are_validated(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    for bad in ("3pm", "24:00", "15:60", "", 1500):
        r = await admin.post("/amenities", {**SUITE, "check_in_time": bad})
        assert r.status_code == 422 and code(r) == "validation_error", bad
    for contradiction in (
        {"overnight_allowed": False},
        {"check_out_time": None},
    ):
        r = await admin.post("/amenities", {**SUITE, **contradiction})
        assert r.status_code == 422 and code(r) == "amenity.invalid_rules", contradiction
        assert r.json()["error"]["details"]["problems"]
    r = await admin.post("/amenities", SUITE)
    assert r.status_code == 201, r.text
    suite = r.json()
    assert (suite["check_in_time"], suite["check_out_time"]) == ("15:00", "11:00")
    r = await admin.patch(f"/amenities/{suite['id']}", {"overnight_allowed": False})
    assert r.status_code == 422 and code(r) == "amenity.invalid_rules"
    r = await admin.patch(
        f"/amenities/{suite['id']}", {"check_in_time": None, "check_out_time": None}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["check_in_time"], r.json()["check_out_time"]) == (None, None)


async def test_a_stay_is_offered_and_booked_from_check_in_to_check_out(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    suite = await make_amenity(session, world.community, **SUITE)
    await session.commit()
    resident = await as_user("resident")
    r = await resident.get(
        f"/amenities/{suite.id}/availability", params={"date": local(3, 0).date().isoformat()}
    )
    assert r.status_code == 200, r.text
    [slot] = r.json()["slots"]
    assert slot["available"] is True
    assert [datetime.fromisoformat(slot[k]) for k in ("starts_at", "ends_at")] == [
        local(3, 15),
        local(4, 11),
    ]

    def stay(start: Any, end: Any) -> dict[str, Any]:
        return {
            "amenity_id": str(suite.id),
            "starts_at": start.isoformat(),
            "ends_at": end.isoformat(),
        }

    for start, end in ((local(3, 16), local(4, 11)), (local(3, 15), local(4, 12))):
        r = await resident.post("/reservations/check", stay(start, end))
        assert r.json()["violation"]["code"] == "reservation.stay_times"
        r = await resident.post("/reservations", stay(start, end))
        assert r.status_code == 422 and code(r) == "reservation.stay_times"
        details = r.json()["error"]["details"]
        assert (details["check_in"], details["check_out"]) == ("15:00", "11:00")
        # the nearest stay as long, from check-in to check-out
        assert details["suggestion"]["starts_at"] == slot["starts_at"]
        assert details["suggestion"]["ends_at"] == slot["ends_at"]
    r = await resident.post("/reservations", stay(local(3, 15), local(5, 11)))
    assert r.status_code == 201, r.text
    # the next day's check-in is taken by the two nights now
    r = await resident.get(
        f"/amenities/{suite.id}/availability", params={"date": local(4, 0).date().isoformat()}
    )
    assert [s["reason"] for s in r.json()["slots"]] == ["reservation.slot_taken"]
