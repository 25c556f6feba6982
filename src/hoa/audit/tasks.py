"""The audit trail's periodic work."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from hoa.core.settings import Settings
from hoa.models import AuditEvent


def delete_old_events(conn: sa.Connection, settings: Settings, now: datetime) -> int:
    """Audit events older than ``retention_days``."""
    keep = now - timedelta(days=settings.jobs.retention_days)
    return conn.execute(sa.delete(AuditEvent).where(AuditEvent.created_at < keep)).rowcount
