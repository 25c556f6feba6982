"""Alembic environment: async engine, one metadata, batch mode on SQLite.

The URL comes from ``config.attributes["url"]`` when the CLI or tests call Alembic, else from the
settings (``HOA_DATABASE_URL``).
"""

import asyncio

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import hoa.models  # noqa: F401 - registers every table on the metadata
from hoa.core.database import Base
from hoa.core.folders import ensure_sqlite_folder
from hoa.core.settings import get_settings

config = context.config
url: str = config.attributes.get("url") or get_settings().database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    ensure_sqlite_folder(url)  # a fresh checkout has no var/
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
