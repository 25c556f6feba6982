"""Email preferences: GET/PATCH /api/v1/me/notification-preferences, and the emails they turn
off (the account's own emails always go out)."""

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import Database
from hoa.core.settings import Settings
from hoa.models import AdminAlerts, User
from tests.factories import World, local
from tests.notifications.conftest import notifications, variant
from tests.reservations.test_reservations import booking

PREFS = "/api/v1/me/notification-preferences"
DEFAULTS = {
    "confirmations": True,
    "reminders": True,
    "office_changes": True,
    "admin_alerts": "digest",
}


def choices(r: httpx.Response) -> dict[str, Any]:
    """The preferences answered, less the list of emails always sent."""
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body.pop("always_sent") == [
        "account_locked",
        "password_reset",
        "email_verification",
        "invitation",
        "join_requested",
        "join_approved",
    ]
    return body


async def test_defaults_and_partial_updates(
    world: World, session: AsyncSession, as_user: Any
) -> None:
    api = await as_user("admin")
    assert choices(await api.get(PREFS)) == DEFAULTS

    r = await api.patch(PREFS, {"reminders": False})
    assert choices(r) == {**DEFAULTS, "reminders": False}
    r = await api.patch(PREFS, {"admin_alerts": "immediate", "confirmations": False})
    changed = {**DEFAULTS, "reminders": False, "admin_alerts": "immediate", "confirmations": False}
    assert choices(r) == changed
    assert choices(await api.patch(PREFS, {"office_changes": False})) == {
        **changed,
        "office_changes": False,
    }
    changed["office_changes"] = False
    assert choices(await api.patch(PREFS, {})) == changed
    assert choices(await api.get(PREFS)) == changed

    user = await session.get(User, world.members["admin"].user_id)
    assert user is not None
    await session.refresh(user)
    assert user.reminders_enabled is False and user.admin_alerts is AdminAlerts.IMMEDIATE
    assert user.confirmations_enabled is False and user.office_changes_enabled is False
    await session.commit()

    # Each user has their own.
    resident = await as_user("resident")
    assert choices(await resident.get(PREFS)) == DEFAULTS


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"admin_alerts": "weekly"}, "admin_alerts"),
        ({"admin_alerts": None}, "admin_alerts"),
        ({"reminders": "yes"}, "reminders"),
        ({"reminders": None}, "reminders"),
        ({"reminders": 1}, "reminders"),
        ({"confirmations": None}, "confirmations"),
        ({"office_changes": "no"}, "office_changes"),
        ({"sms": True}, "sms"),
    ],
)
async def test_bad_values_are_refused_with_the_field(
    world: World, as_user: Any, body: dict[str, Any], field: str
) -> None:
    api = await as_user("resident")
    r = await api.patch(PREFS, body)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert [f["location"] for f in error["details"]["fields"]] == [["body", field]]
    assert choices(await api.get(PREFS)) == DEFAULTS


async def test_needs_a_signed_in_user(client: httpx.AsyncClient) -> None:
    assert (await client.get(PREFS)).status_code == 401
    assert (await client.patch(PREFS, json={"reminders": False})).status_code == 401


async def test_turned_off_kinds_are_not_sent_and_account_emails_always_are(
    world: World,
    as_user: Any,
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
) -> None:
    resident, admin = await as_user("resident"), await as_user("admin")
    off = {"confirmations": False, "reminders": False, "office_changes": False}
    assert (await resident.patch(PREFS, off)).status_code == 200

    # Their own booking and change: confirmations are off.
    body = booking(world, "court", local(2, 10))
    rid = (await resident.post("/reservations", body)).json()["id"]
    moved = {"starts_at": local(2, 12).isoformat(), "ends_at": local(2, 13).isoformat()}
    assert (await resident.patch(f"/reservations/{rid}", moved)).status_code == 200
    # The office's change and booking for them: changes by the office are on again.
    assert (await resident.patch(PREFS, {"office_changes": True})).status_code == 200
    back = {"starts_at": local(2, 14).isoformat(), "ends_at": local(2, 15).isoformat()}
    assert (await admin.patch(f"/reservations/{rid}", back)).status_code == 200
    [by_office] = await notifications(db)
    assert by_office.kind == "reservation_changed"
    assert by_office.recipient_email == world.emails["resident"]
    assert by_office.payload["by_office"] is True and by_office.payload["changed_by"] == "Admin"

    # Off as well: the office cancelling it sends nothing.
    assert (await resident.patch(PREFS, {"office_changes": False})).status_code == 200
    assert (await admin.post(f"/reservations/{rid}/cancel", {})).status_code == 200
    assert len(await notifications(db)) == 1

    # The account's own emails go out whatever the preferences say.
    reset = await client.post(
        "/api/v1/auth/password-reset", json={"email": world.emails["resident"]}
    )
    assert reset.status_code == 202
    assert (await resident.post("/api/v1/me/verification-email")).status_code == 204
    _, reset_notice, verification = await notifications(db)
    assert (reset_notice.kind, verification.kind) == ("password_reset", "email_verification")
    deliverer = deliverer_for(variant(settings, tmp_path))
    assert deliverer.deliver(reset_notice.id) == "sent"
    assert deliverer.deliver(verification.id) == "sent"
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
