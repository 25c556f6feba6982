"""Alembic, driven from code (the CLI and the tests) with an explicit database URL."""

import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def alembic_config(url: str) -> Config:
    # Alembic captures sys.stdout at import time; pass the current one so `migrate current`
    # prints where the caller (a CLI runner, a redirected shell) is listening.
    config = Config(str(PROJECT_ROOT / "alembic.ini"), stdout=sys.stdout)
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current(url: str) -> None:
    command.current(alembic_config(url), verbose=False)


def check(url: str) -> None:
    """Raise if the models and the migrations disagree."""
    command.check(alembic_config(url))


def schema_problem(url: str) -> str | None:
    """Why this code cannot run on the database's schema, or None when it can.

    The code runs on its own head revision and on any newer one it does not know: migrations
    follow expand/contract (docs/operations.md), so during a rolling deploy the previous
    release keeps running on the next schema. An older schema (or none) is refused: the code
    would query columns or tables that are not there yet.
    """
    script = ScriptDirectory.from_config(alembic_config(url))
    parsed = sa.make_url(url)
    driver = "sqlite+pysqlite" if parsed.get_backend_name() == "sqlite" else "postgresql+psycopg"
    engine = sa.create_engine(parsed.set(drivername=driver))
    try:
        with engine.connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    heads = script.get_heads()
    if revision is None:
        return "the database has no schema: run `hoa migrate`"
    if revision in heads:
        return None
    try:
        known = script.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        return None  # a newer schema, written by the next release
    return (
        f"the database schema ({revision}) is older than this code ({', '.join(heads)}): "
        "run `hoa migrate`"
    )
