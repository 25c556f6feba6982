"""Alembic, driven from code (the CLI and the tests) with an explicit database URL."""

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parents[2]


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
