import socket
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import Database
from hoa.core.settings import EmailSettings, JobSettings, Settings
from hoa.email.backends import get_backend
from hoa.models import Notification


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def variant(settings: Settings, tmp: Path, **email: object) -> Settings:
    """The test settings with an email backend and a queue file of this test's own."""
    return settings.model_copy(
        update={
            "email": EmailSettings(outbox_dir=tmp / "outbox", **email),  # type: ignore[arg-type]
            "jobs": JobSettings(
                embedded_worker=False,
                queue_path=tmp / "jobs.db",
                backoff_seconds=10,
                max_attempts=3,
                sweep_grace_seconds=0,
            ),
        }
    )


async def notifications(db: Database, entity_id: uuid.UUID | None = None) -> list[Notification]:
    async with db.reader() as s:
        query = sa.select(Notification).order_by(Notification.created_at)
        if entity_id is not None:
            query = query.where(Notification.entity_id == entity_id)
        return list((await s.execute(query)).scalars())


async def one(session: AsyncSession, nid: uuid.UUID) -> Notification:
    session.expire_all()
    return await session.get_one(Notification, nid)


__all__ = ["free_port", "get_backend", "notifications", "one", "variant"]
