"""Pending-approval alerts to admins: each admin chooses one email per request, an hourly
digest of new requests, or nothing."""

import email
import email.policy
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import Database, utcnow
from hoa.core.settings import Settings
from hoa.models import AdminAlerts, User
from hoa.reservations.tasks import queue_digests
from tests.factories import World, local
from tests.notifications.conftest import notifications, variant
from tests.reservations.test_reservations import booking


async def alerts(db: Database, kind: str) -> list[Any]:
    return [n for n in await notifications(db) if n.kind == kind]


async def test_admins_get_requests_at_once_hourly_or_not_at_all(
    as_user: Any,
    world: World,
    db: Database,
    session: AsyncSession,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
) -> None:
    resident = await as_user("resident")
    admin_id = world.members["admin"].user_id
    deliverer = deliverer_for(variant(settings, tmp_path))
    digest = partial(queue_digests, deliverer.engine, deliverer.settings)

    async def prefer(choice: AdminAlerts) -> None:
        await session.execute(
            sa.update(User).where(User.id == admin_id).values(admin_alerts=choice)
        )
        await session.commit()

    async def request(days: int) -> None:
        body = booking(world, "clubhouse", local(days, 14), 2, accepted_rules_version=1)
        r = await resident.post("/reservations", body)
        assert r.status_code == 201 and r.json()["status"] == "pending"

    # the default is the digest: no email per request, one digest for the hour
    await request(3)
    assert await alerts(db, "approval_requested") == []
    t0 = utcnow()
    [nid] = digest(now=t0)
    assert digest(now=t0 + timedelta(minutes=20)) == []  # once an hour
    assert digest(now=t0 + timedelta(hours=1)) == []  # nothing new since
    [row] = await alerts(db, "pending_digest")
    assert row.id == nid and row.recipient_id == admin_id and row.payload["pending"] == 1
    assert deliverer.deliver(nid, now=t0) == "sent"
    [eml] = (tmp_path / "outbox").glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert msg["Subject"] == "Maple Grove HOA: 1 booking request(s) to review"
    assert "Clubhouse" in text and f"/c/{world.community.id}/admin" in text

    # immediate: one email per request, and no digest
    await prefer(AdminAlerts.IMMEDIATE)
    await request(4)
    [alert] = await alerts(db, "approval_requested")
    assert alert.recipient_id == admin_id and alert.payload["booked_for"]
    assert deliverer.deliver(alert.id) == "sent"
    assert digest(now=t0 + timedelta(hours=2)) == []

    # off: nothing at all
    await prefer(AdminAlerts.OFF)
    await request(5)
    assert len(await alerts(db, "approval_requested")) == 1
    assert digest(now=t0 + timedelta(hours=3)) == []

    # back on the digest: the next one catches up with what came since the previous digest
    await prefer(AdminAlerts.DIGEST)
    [later] = digest(now=t0 + timedelta(hours=4))
    [_, row] = await alerts(db, "pending_digest")
    assert row.id == later and row.payload["pending"] == 3 and len(row.payload["items"]) == 3
