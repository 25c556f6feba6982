"""The memberships' periodic work."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from hoa.models import Invitation

# Admins see an expired invitation as expired for this long before it goes.
EXPIRED_INVITATIONS_KEPT = timedelta(days=30)


def delete_expired_invitations(conn: sa.Connection, now: datetime) -> int:
    return conn.execute(
        sa.delete(Invitation).where(
            Invitation.accepted_at.is_(None),
            Invitation.expires_at < now - EXPIRED_INVITATIONS_KEPT,
        )
    ).rowcount
