"""Admins list, count and retry their community's notifications."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hoa.models import Notification, NotificationStatus
from tests.factories import World, local
from tests.notifications.conftest import notifications
from tests.reservations.test_reservations import booking


async def test_admins_list_count_and_retry(
    as_user: Any, world: World, db: Any, session: AsyncSession
) -> None:
    resident, admin = await as_user("resident"), await as_user("admin")
    for hour in (8, 10, 12):
        r = await resident.post("/reservations", booking(world, "court", local(2, hour)))
        assert r.status_code == 201
    rows = await notifications(db)
    failed = await session.get_one(Notification, rows[0].id)
    failed.status, failed.attempts, failed.last_error = NotificationStatus.FAILED, 6, "SMTP 550"
    await session.commit()

    assert (await resident.get("/notifications")).status_code == 403
    counts = await admin.get("/notifications/counts")
    assert counts.json() == {"pending": 2, "sending": 0, "sent": 0, "failed": 1}

    page = await admin.get("/notifications", params={"limit": 2})
    assert page.status_code == 200
    first = page.json()
    assert [i["id"] for i in first["items"]] == [str(rows[2].id), str(rows[1].id)]
    rest = await admin.get("/notifications", params={"limit": 2, "cursor": first["next_cursor"]})
    assert [i["id"] for i in rest.json()["items"]] == [str(rows[0].id)]
    assert rest.json()["next_cursor"] is None
    only_failed = await admin.get("/notifications", params={"status": "failed"})
    assert [i["last_error"] for i in only_failed.json()["items"]] == ["SMTP 550"]

    pending = await admin.post(f"/notifications/{rows[1].id}/retry")
    assert pending.status_code == 409
    assert pending.json()["error"]["code"] == "notification.not_failed"
    retried = await admin.post(f"/notifications/{rows[0].id}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "pending" and retried.json()["attempts"] == 0
    counts = await admin.get("/notifications/counts")
    assert counts.json()["failed"] == 0 and counts.json()["pending"] == 3

    outsider = await as_user("outsider", world.other.id)
    assert (await outsider.get("/notifications")).json()["items"] == []
    assert (await outsider.post(f"/notifications/{rows[0].id}/retry")).status_code == 404
