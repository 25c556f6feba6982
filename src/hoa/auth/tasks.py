"""The accounts' periodic work."""

from datetime import datetime

import sqlalchemy as sa

from hoa.models import RefreshToken


def delete_expired_refresh_tokens(conn: sa.Connection, now: datetime) -> int:
    return conn.execute(sa.delete(RefreshToken).where(RefreshToken.expires_at < now)).rowcount
