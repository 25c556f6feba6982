"""Writing notifications in the caller's transaction, and enqueueing them after its commit."""

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hoa.db import utcnow
from hoa.models import Amenity, Community, Notification, Reservation, User

log = logging.getLogger("hoa.jobs")

AFTER_COMMIT, JOBS = "after_commit", "jobs"


def after_commit(session: AsyncSession, hook: Callable[[], None]) -> None:
    """Run ``hook`` once the request's transaction has committed (see deps.get_session)."""
    session.info.setdefault(AFTER_COMMIT, []).append(hook)


async def run_after_commit(session: AsyncSession) -> None:
    """Run the hooks off the event loop: an enqueue is blocking I/O (SQLite file, Redis)."""
    hooks: list[Callable[[], None]] = session.info.pop(AFTER_COMMIT, [])
    if hooks:
        await asyncio.to_thread(_run, hooks)


def _run(hooks: list[Callable[[], None]]) -> None:
    for hook in hooks:
        try:
            hook()
        except Exception:  # the sweep re-enqueues what a lost enqueue missed
            log.exception("after_commit hook failed")


def discard_after_commit(session: AsyncSession) -> None:
    session.info.pop(AFTER_COMMIT, None)


def enqueue_after_commit(session: AsyncSession, notification_id: uuid.UUID) -> None:
    """Enqueue delivery on the app's queue (put in ``session.info["jobs"]`` by get_session) once
    the transaction commits. Without a queue (scripts) the sweep picks the row up."""
    jobs = session.info.get(JOBS)
    if jobs is not None:
        after_commit(session, lambda: jobs.enqueue(notification_id))


def reservation_payload(
    community: Community,
    amenity: Amenity,
    reservation: Reservation,
    kind: str,
    *,
    reason: str | None = None,
    cancelled_by: str | None = None,
) -> dict[str, Any]:
    """Everything the templates need, frozen when the change happens."""
    return {
        "community_name": community.name,
        "timezone": community.timezone,
        "amenity_name": amenity.name,
        "starts_at": reservation.starts_at.isoformat(),
        "ends_at": reservation.ends_at.isoformat(),
        "title": reservation.title,
        "reason": reason,
        "cancelled_by": cancelled_by,
        "stamp": utcnow().isoformat(),
        "sequence": 1 if kind == "reservation_cancelled" else 0,
    }


def notify(
    session: AsyncSession,
    *,
    recipient: User | str,
    kind: str,
    entity_type: str,
    entity_id: uuid.UUID,
    payload: dict[str, Any],
    community_id: uuid.UUID | None = None,
) -> Notification:
    """Add a notification in the current transaction; delivery is enqueued after its commit.
    Without ``community_id`` it is an account notice (lockout, password reset). A bare email
    address as ``recipient`` is someone without an account yet (an invitation)."""
    user = recipient if isinstance(recipient, User) else None
    notification = Notification(
        id=uuid.uuid4(),
        community_id=community_id,
        recipient_id=user.id if user else None,
        recipient_email=user.email if user else recipient,
        kind=kind,
        entity_type=entity_type,
        entity_id=entity_id,
        payload=payload,
        next_attempt_at=utcnow(),
    )
    session.add(notification)
    enqueue_after_commit(session, notification.id)
    return notification


async def notify_reservation(
    session: AsyncSession,
    community: Community,
    reservation: Reservation,
    kind: str,
    *,
    reason: str | None = None,
    cancelled_by: str | None = None,
) -> Notification:
    """Add a notification to the person the reservation is for, in the current transaction."""
    user = await session.get_one(User, reservation.booked_for_id)
    amenity = await session.get_one(Amenity, reservation.amenity_id)
    payload = reservation_payload(
        community, amenity, reservation, kind, reason=reason, cancelled_by=cancelled_by
    )
    return notify(
        session,
        recipient=user,
        kind=kind,
        entity_type="reservation",
        entity_id=reservation.id,
        payload=payload,
        community_id=community.id,
    )
