"""Settings refuse unsafe production setups and read nested env vars; the ``hoa`` command line
migrates, creates operators and seeds demo data on its own SQLite file."""

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from pydantic import ValidationError
from typer.testing import CliRunner, Result

from hoa.cli import app as cli
from hoa.core import migrate
from hoa.core.settings import Env, Settings, get_settings
from hoa.main import create_app

GOOD_SECRET = "a-long-random-production-secret-0123456789"
PG = "postgresql+asyncpg://hoa@db.internal/hoa"


@pytest.fixture(autouse=True)
def _no_hoa_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test sees only the HOA_* variables it sets, and a fresh get_settings()."""
    for name in list(os.environ):
        if name.startswith("HOA_"):
            monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


# Settings


def production(**overrides: object) -> Settings:
    return Settings(env=Env.PRODUCTION, _env_file=None, **overrides)  # type: ignore[arg-type]


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValidationError, match="HOA_SECRET_KEY"):
        production(database_url=PG)
    with pytest.raises(ValidationError, match="HOA_SECRET_KEY"):
        production(database_url=PG, secret_key="short-secret")
    assert production(database_url=PG, secret_key=GOOD_SECRET).env is Env.PRODUCTION
    # outside production the default is fine
    assert Settings(_env_file=None).secret_key.get_secret_value()


def test_production_refuses_sqlite_unless_allowed() -> None:
    with pytest.raises(ValidationError, match="HOA_DATABASE_URL is SQLite") as refused:
        production(secret_key=GOOD_SECRET)
    assert "HOA_SECRET_KEY" not in str(refused.value)
    allowed = production(secret_key=GOOD_SECRET, allow_sqlite_in_production=True)
    assert allowed.is_sqlite


def test_production_refuses_a_wildcard_cors_origin() -> None:
    with pytest.raises(ValidationError, match="HOA_CORS_ORIGINS"):
        production(database_url=PG, secret_key=GOOD_SECRET, cors_origins=["*"])
    ok = production(database_url=PG, secret_key=GOOD_SECRET, cors_origins=["https://hoa.example"])
    assert ok.cors_origins == ["https://hoa.example"]
    assert Settings(_env_file=None, cors_origins=["*"]).cors_origins == ["*"]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as refused:
        production(cors_origins=["*"])
    message = str(refused.value)
    assert all(name in message for name in ("HOA_SECRET_KEY", "HOA_DATABASE_URL", "HOA_CORS"))


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOA_DB__POOL_SIZE", "5")
    monkeypatch.setenv("HOA_DB__ECHO", "true")
    monkeypatch.setenv("HOA_ENV", "production")
    monkeypatch.setenv("HOA_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("HOA_DATABASE_URL", PG)
    monkeypatch.setenv("HOA_CORS_ORIGINS", '["https://a.example", "https://b.example"]')
    settings = Settings(_env_file=None)
    assert settings.db.pool_size == 5 and settings.db.echo is True
    assert settings.db.max_overflow == 10  # untouched nested defaults stay
    assert settings.env is Env.PRODUCTION and settings.database_url == PG
    assert settings.secret_key.get_secret_value() == GOOD_SECRET
    assert GOOD_SECRET not in repr(settings)
    assert settings.cors_origins == ["https://a.example", "https://b.example"]

    monkeypatch.setenv("HOA_DB__POOL_SIZE", "0")
    with pytest.raises(ValidationError, match="pool_size"):
        Settings(_env_file=None)


# Command line


def run(env: dict[str, str], *args: str) -> Result:
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, list(args), env=env)
    finally:
        get_settings.cache_clear()


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


@pytest.fixture
def cli_env(db_file: Path) -> dict[str, str]:
    return {"HOA_ENV": "development", "HOA_DATABASE_URL": f"sqlite+aiosqlite:///{db_file}"}


def tables(db_file: Path) -> set[str]:
    with sqlite3.connect(db_file) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


def revision(db_file: Path) -> str | None:
    with sqlite3.connect(db_file) as conn:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def test_migrate_upgrades_reports_and_downgrades(db_file: Path, cli_env: dict[str, str]) -> None:
    url = cli_env["HOA_DATABASE_URL"]
    head = ScriptDirectory.from_config(migrate.alembic_config(url)).get_current_head()
    assert head is not None
    r = run(cli_env, "migrate")
    assert r.exit_code == 0, r.output
    assert {"users", "communities", "memberships", "amenities", "reservations"} <= tables(db_file)
    assert revision(db_file) == head

    # Alembic prints through the sys.stdout it saw when imported, which CliRunner cannot
    # capture, so the printed revision is read from the real command.
    current = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(Path(sys.executable).with_name("hoa")), "migrate", "current"],
        env={**os.environ, **cli_env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert current.returncode == 0, current.stderr
    assert f"{head} (head)" in current.stdout

    r = run(cli_env, "migrate", "downgrade", "base")
    assert r.exit_code == 0, r.output
    assert tables(db_file) <= {"alembic_version"}
    assert revision(db_file) is None
    assert run(cli_env, "migrate").exit_code == 0
    assert revision(db_file) == head


async def _sign_in(database_url: str, email: str, password: str) -> httpx.Response:
    settings = Settings(
        env=Env.TEST,
        database_url=database_url,
        secret_key=GOOD_SECRET,
        _env_file=None,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cli") as client:
            r = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
            if r.status_code != 200:
                return r
            token = r.json()["access_token"]
            client.cookies.clear()
            return await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_create_admin_makes_an_operator_who_can_sign_in(cli_env: dict[str, str]) -> None:
    assert run(cli_env, "migrate").exit_code == 0
    r = run(
        cli_env,
        "create-admin",
        " Ops@Example.com ",
        "--name",
        "Ops",
        "--password",
        "long enough pass",
    )
    assert r.exit_code == 0, r.output
    assert "Created platform operator ops@example.com" in r.output

    url = cli_env["HOA_DATABASE_URL"]
    me = asyncio.run(_sign_in(url, "ops@example.com", "long enough pass"))
    assert me.status_code == 200, me.text
    assert me.json()["is_operator"] is True and me.json()["name"] == "Ops"
    assert me.json()["memberships"] == []

    # again: the account is updated (new password), not duplicated
    r = run(cli_env, "create-admin", "ops@example.com", "--password", "another long passphrase")
    assert r.exit_code == 0 and "Updated platform operator ops@example.com" in r.output
    assert asyncio.run(_sign_in(url, "ops@example.com", "long enough pass")).status_code == 401
    assert asyncio.run(_sign_in(url, "ops@example.com", "another long passphrase")).is_success


def test_seed_demo_refuses_production_without_force(db_file: Path) -> None:
    env = {
        "HOA_ENV": "production",
        "HOA_SECRET_KEY": GOOD_SECRET,
        "HOA_ALLOW_SQLITE_IN_PRODUCTION": "true",
        "HOA_DATABASE_URL": f"sqlite+aiosqlite:///{db_file}",
    }
    assert run(env, "migrate").exit_code == 0
    refused = run(env, "seed-demo")
    assert refused.exit_code == 1
    assert "Refusing to seed demo data in production" in refused.output
    with sqlite3.connect(db_file) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)

    forced = run(env, "seed-demo", "--force")
    assert forced.exit_code == 0, forced.output
    assert "Demo data ready" in forced.output
    with sqlite3.connect(db_file) as conn:
        slugs = {slug for (slug,) in conn.execute("SELECT slug FROM communities")}
    assert {"maple-grove", "oak-ridge"} <= slugs


def test_commands_create_the_local_folders_they_need(tmp_path: Path) -> None:
    """A fresh checkout has no var/: the database's, the queue's and the outbox's folders are
    made by whichever command runs first."""
    db = tmp_path / "fresh" / "var" / "hoa.core.database"
    env = {
        "HOA_ENV": "development",
        "HOA_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "HOA_EMAIL__OUTBOX_DIR": str(tmp_path / "mail" / "outbox"),
    }
    r = run(env, "migrate")
    assert r.exit_code == 0, r.output
    assert "reservations" in tables(db)
    assert (tmp_path / "mail" / "outbox").is_dir()
    assert (db.parent / "jobs.db").parent.is_dir()


def test_a_folder_that_cannot_be_made_fails_with_one_line() -> None:
    # /proc refuses new folders even to root, unlike a chmod'ed one.
    env = {"HOA_ENV": "development", "HOA_DATABASE_URL": "sqlite+aiosqlite:////proc/nowhere/h.db"}
    for command in (["migrate"], ["seed-demo"], ["serve"], ["worker"]):
        r = run(env, *command)
        assert r.exit_code == 1, command
        assert r.output.strip().splitlines() == [
            "hoa: cannot create the folder /proc/nowhere for the SQLite database: "
            "No such file or directory"
        ]
