"""Email preferences: GET/PATCH /api/v1/me/notification-preferences."""

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.models import AdminAlerts, User
from tests.factories import World

PREFS = "/api/v1/me/notification-preferences"


async def test_defaults_and_partial_updates(
    world: World, session: AsyncSession, as_user: Any
) -> None:
    api = await as_user("admin")
    r = await api.get(PREFS)
    assert r.status_code == 200
    assert r.json() == {"reminders": True, "admin_alerts": "digest"}

    r = await api.patch(PREFS, {"reminders": False})
    assert r.status_code == 200
    assert r.json() == {"reminders": False, "admin_alerts": "digest"}
    r = await api.patch(PREFS, {"admin_alerts": "immediate"})
    assert r.json() == {"reminders": False, "admin_alerts": "immediate"}
    r = await api.patch(PREFS, {})
    assert r.json() == {"reminders": False, "admin_alerts": "immediate"}
    assert (await api.get(PREFS)).json() == {"reminders": False, "admin_alerts": "immediate"}

    user = await session.get(User, world.members["admin"].user_id)
    assert user is not None
    await session.refresh(user)
    assert user.reminders_enabled is False and user.admin_alerts is AdminAlerts.IMMEDIATE
    await session.commit()

    # Each user has their own.
    resident = await as_user("resident")
    assert (await resident.get(PREFS)).json() == {"reminders": True, "admin_alerts": "digest"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"admin_alerts": "weekly"}, "admin_alerts"),
        ({"admin_alerts": None}, "admin_alerts"),
        ({"reminders": "yes"}, "reminders"),
        ({"reminders": None}, "reminders"),
        ({"reminders": 1}, "reminders"),
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
    assert (await api.get(PREFS)).json() == {"reminders": True, "admin_alerts": "digest"}


async def test_needs_a_signed_in_user(client: httpx.AsyncClient) -> None:
    assert (await client.get(PREFS)).status_code == 401
    assert (await client.patch(PREFS, json={"reminders": False})).status_code == 401
