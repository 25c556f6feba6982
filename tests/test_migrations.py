"""Alembic is the schema's only author: it round-trips on both backends and matches the models."""

import asyncio
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hoa import migrate
from tests.conftest import scratch_pg_database


@pytest.fixture
def scratch_url(backend: str, database_url: str) -> Iterator[str]:
    """An empty database of the run's backend, separate from the one the other tests use."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite+aiosqlite:///{Path(tmp) / 'scratch.db'}"
        return
    with scratch_pg_database(f"test_hoa_migrations_{os.getpid()}") as url:
        yield url


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
