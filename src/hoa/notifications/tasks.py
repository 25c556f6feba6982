"""The outbox's periodic work: which rows the sweep re-enqueues, rows that jobs add at most once,
and dropping delivered rows after the retention period."""

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hoa.core.database import utcnow
from hoa.core.errors import AppError
from hoa.core.integrity import database_error
from hoa.core.settings import Settings
from hoa.models import Notification, NotificationStatus

PENDING, SENDING = NotificationStatus.PENDING, NotificationStatus.SENDING


class AlreadyAdded(AppError):
    """A job's notification that an earlier run (or another worker) added already."""

    code, status_code, message = "notification.already_added", 409, "Added already."
    constraint = "uq_notifications_dedupe_key"
    sqlite_columns = "notifications.dedupe_key"


def due(
    engine: sa.Engine, settings: Settings, now: datetime | None = None, limit: int = 500
) -> list[uuid.UUID]:
    """Rows the sweep re-enqueues: pending and due for a while, or leased past the lease."""
    now = now or utcnow()
    grace = now - timedelta(seconds=settings.jobs.sweep_grace_seconds)
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(Notification.id)
                .where(
                    ((Notification.status == PENDING) & (Notification.next_attempt_at <= grace))
                    | ((Notification.status == SENDING) & (Notification.lease_until < now))
                )
                .order_by(Notification.next_attempt_at)
                .limit(limit)
            ).scalars()
        )


def add_once(engine: sa.Engine, row: Notification) -> bool:
    """Insert a row guarded by its unique ``dedupe_key``: False when a job run (this one
    before, or another worker's at the same time) already inserted it."""
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            session.add(row)
    except IntegrityError as exc:
        if isinstance(database_error(exc), AlreadyAdded):
            return False
        raise
    return True


def delete_delivered(conn: sa.Connection, settings: Settings, now: datetime) -> int:
    """Sent and failed notifications older than ``retention_days`` (pending ones stay)."""
    keep = now - timedelta(days=settings.jobs.retention_days)
    return conn.execute(
        sa.delete(Notification).where(
            Notification.status.in_([NotificationStatus.SENT, NotificationStatus.FAILED]),
            Notification.created_at < keep,
        )
    ).rowcount
