"""Alembic is the schema's only author: it round-trips on both backends and matches the models."""

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hoa import migrate
from tests.conftest import PG_URL

PG_ADMIN_DSN = PG_URL.replace("postgresql+asyncpg", "postgresql")
SCRATCH_DB = "hoa_migration_test"


@pytest.fixture
def scratch_url(backend: str, database_url: str) -> Iterator[str]:
    """An empty database of the run's backend, separate from the one the other tests use."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite+aiosqlite:///{Path(tmp) / 'scratch.db'}"
        return

    async def recreate() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{SCRATCH_DB}"')
        await conn.close()

    asyncio.run(recreate())
    yield PG_URL.rsplit("/", 1)[0] + f"/{SCRATCH_DB}"


async def _guard_names(url: str) -> set[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            query = "SELECT conname FROM pg_constraint WHERE contype = 'x'"
        names = set((await conn.execute(sa.text(query))).scalars())
    await engine.dispose()
    return names


def test_upgrade_downgrade_upgrade_and_check(scratch_url: str) -> None:
    migrate.upgrade(scratch_url)
    migrate.downgrade(scratch_url, "base")
    assert asyncio.run(_guard_names(scratch_url)) == set()
    migrate.upgrade(scratch_url)
    migrate.check(scratch_url)  # raises if the models and migrations disagree
    guards = asyncio.run(_guard_names(scratch_url))
    assert guards & {"ex_reservations_no_overlap", "trg_reservations_no_overlap_insert"}
