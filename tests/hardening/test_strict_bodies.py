"""Request bodies take JSON's own types: a number as a string, a boolean for a number, a number
for a boolean or an epoch number for a time are refused (422), not converted."""

from typing import Any

from tests.factories import World, local
from tests.reservations.test_reservations import booking


def refused(r: Any, field: str) -> bool:
    if r.status_code != 422 or r.json()["error"]["code"] != "validation_error":
        return False
    return any(f["location"][-1] == field for f in r.json()["error"]["details"]["fields"])


async def test_bookings_take_numbers_and_times_as_json_types(as_user: Any, world: World) -> None:
    resident = await as_user("resident")
    start = local(3, 10)
    epoch = int(start.timestamp())
    for field, value in (("headcount", "3"), ("headcount", True), ("guests", "0")):
        r = await resident.post("/reservations", booking(world, "court", start, **{field: value}))
        assert refused(r, field), (field, value, r.text)
    for field in ("starts_at", "ends_at"):
        body = {**booking(world, "court", start), field: epoch}
        assert refused(await resident.post("/reservations", body), field), field
    made = await resident.post("/reservations", booking(world, "court", start, headcount=2))
    assert made.status_code == 201, made.text


async def test_settings_take_booleans_and_numbers_as_json_types(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    for field, value in (
        ("show_booker_names", "true"),
        ("show_booker_names", 1),
        ("reminder_hours", "24"),
    ):
        assert refused(await admin.patch("", {field: value}), field), (field, value)
    court = f"/amenities/{world.amenities['court'].id}"
    for field, value in (("capacity", "5"), ("requires_approval", "false"), ("slot_minutes", 30.5)):
        assert refused(await admin.patch(court, {field: value}), field), (field, value)
    assert (await admin.patch("", {"show_booker_names": True})).status_code == 200
