"""`hoa backup` / `hoa restore` on the run's backend: the restore drill, encryption, retention,
damaged files, and the daily backup job."""

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from hoa.core import migrate
from hoa.core.database import Base, sync_url
from hoa.core.settings import BackupSettings, Settings
from hoa.main import create_app
from hoa.worker import Jobs
from tests.conftest import scratch_pg_database, sign_in
from tests.factories import World, local


def _need(program: str) -> None:
    if shutil.which(program) is None:
        message = f"{program} is missing: run 'sudo apt-get install " + (
            "age'" if program.startswith("age") else "postgresql-client'"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def _fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Rows and a digest of their sorted text, per table: computed here, independently of
    hoa.backup's own checksums."""
    engine = sa.create_engine(sync_url(Settings(database_url=url)))
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            found = {}
            for name in names:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SET TIME ZONE 'UTC'"))
                    rows = [r[0] for r in conn.execute(sa.text(f'SELECT t::text FROM "{name}" t'))]  # noqa: S608
                else:
                    rows = [
                        repr(tuple(r))
                        for r in conn.execute(sa.text(f'SELECT * FROM "{name}"'))  # noqa: S608
                    ]
                digest = hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()
                found[name] = (len(rows), digest)
            return found
    finally:
        engine.dispose()


@contextlib.contextmanager
def _fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "postgres":
        with scratch_pg_database(f"test_hoa_restore_{os.getpid()}") as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"


def _hoa(*args: str, url: str, backups: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "hoa", *args],
        env={
            **os.environ,
            "HOA_DATABASE_URL": url,
            "HOA_BACKUP__DIR": str(backups),
            "HOA_JOBS__QUEUE_PATH": str(backups.parent / "jobs.db"),
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


async def test_restore_drill(
    settings: Settings, backend: str, world: World, as_user: Any, tmp_path: Path
) -> None:
    """Seed, back up, lose the data, restore into a fresh database, compare every table, and
    run the app on the restored database."""
    if backend == "postgres":
        _need("pg_dump")
    resident = await as_user("resident")
    for day in range(1, 6):
        start = local(day, 9)
        r = await resident.post(
            "/reservations",
            json={
                "amenity_id": str(world.amenities["court"].id),
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
            },
        )
        assert r.status_code == 201, r.text
    direct = settings.direct_database_url
    before = _fingerprint(direct)
    assert before["reservations"][0] == 5 and before["notifications"][0] == 5

    backups = tmp_path / "backups"
    made = _hoa("backup", url=direct, backups=backups)
    assert made.returncode == 0, made.stderr
    manifest_path = next(backups.glob("*.manifest.json"))
    manifest = json.loads(manifest_path.read_text())
    assert manifest["tables"]["reservations"]["rows"] == 5
    assert manifest["schema_revision"] and manifest["database"] in ("sqlite", "postgresql")

    engine = sa.create_engine(sync_url(Settings(database_url=direct)))
    with engine.begin() as conn:  # the loss
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()

    # (its PostgreSQL helper runs an event loop of its own: kept off this test's loop)
    fresh_database = contextlib.ExitStack()
    fresh = await asyncio.to_thread(
        fresh_database.enter_context, _fresh_database(backend, tmp_path)
    )
    try:
        restored = _hoa("restore", str(manifest_path), url=fresh, backups=backups)
        assert restored.returncode == 0, restored.stderr
        assert "every table matches the manifest" in restored.stdout
        assert _fingerprint(fresh) == before
        assert migrate.schema_problem(fresh) is None

        again = _hoa("restore", str(manifest_path), url=fresh, backups=backups)
        assert again.returncode == 1 and "restore into" in again.stderr  # never over data

        app = create_app(
            settings.model_copy(
                update={
                    "database_url": fresh,
                    "db": settings.db.model_copy(update={"pgbouncer": False}),
                }
            )
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://restored") as client:
                token = await sign_in(client, world.emails["resident"])
                headers = {"Authorization": f"Bearer {token}"}
                base = f"/api/v1/communities/{world.community.id}"
                window = {"start": local(0, 0).isoformat(), "end": local(10, 0).isoformat()}
                calendar = await client.get(f"{base}/calendar", params=window, headers=headers)
                assert calendar.status_code == 200
                assert len(calendar.json()["entries"]) == 5
                start = local(8, 9)
                booked = await client.post(
                    f"{base}/reservations",
                    headers=headers,
                    json={
                        "amenity_id": str(world.amenities["court"].id),
                        "starts_at": start.isoformat(),
                        "ends_at": (start + timedelta(hours=1)).isoformat(),
                    },
                )
                assert booked.status_code == 201, booked.text
    finally:
        await asyncio.to_thread(fresh_database.close)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hoa.core.database'}"
    migrate.upgrade(url)
    return url


def test_encrypted_backup_needs_the_identity(sqlite_db: str, tmp_path: Path) -> None:
    _need("age-keygen")
    identity = tmp_path / "identity.txt"
    keygen = subprocess.run(  # noqa: S603
        ["age-keygen", "-o", str(identity)],  # noqa: S607 - Debian's age
        capture_output=True,
        text=True,
        check=True,
    )
    recipient = keygen.stderr.split("Public key:")[1].strip()
    backups = tmp_path / "backups"
    made = _hoa(
        "backup", url=sqlite_db, backups=backups, HOA_BACKUP__AGE_RECIPIENTS=json.dumps([recipient])
    )
    assert made.returncode == 0, made.stderr
    manifest = next(backups.glob("*.manifest.json"))
    encrypted = next(backups.glob("*.sqlite3.age"))
    assert not list(backups.glob("*.sqlite3"))  # no plain copy left behind
    assert b"SQLite format 3" not in encrypted.read_bytes()
    target = f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
    refused = _hoa("restore", str(manifest), url=target, backups=backups)
    assert refused.returncode == 1 and "--identity" in refused.stderr
    restored = _hoa(
        "restore", str(manifest), "--identity", str(identity), url=target, backups=backups
    )
    assert restored.returncode == 0, restored.stderr
    assert _fingerprint(target) == _fingerprint(sqlite_db)


def test_retention_and_damaged_files(sqlite_db: str, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    for _ in range(3):
        made = _hoa("backup", url=sqlite_db, backups=backups, HOA_BACKUP__KEEP="2")
        assert made.returncode == 0, made.stderr
    manifests = sorted(backups.glob("*.manifest.json"))
    assert len(manifests) == 2 and len(list(backups.glob("*.sqlite3"))) == 2
    newest = manifests[-1]
    dump = backups / json.loads(newest.read_text())["file"]
    with dump.open("r+b") as file:
        file.seek(200)
        file.write(b"\x00garbage\x00")
    target = f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
    damaged = _hoa("restore", str(newest), url=target, backups=backups)
    assert damaged.returncode == 1 and "damaged" in damaged.stderr


def test_daily_backup_job(settings: Settings, sqlite_db: str, tmp_path: Path) -> None:
    scheduled = settings.model_copy(
        update={
            "database_url": sqlite_db,
            "backup": BackupSettings(dir=tmp_path / "daily", daily_at="02:30"),
        }
    )
    jobs, unscheduled = Jobs(scheduled), Jobs(settings)
    try:
        due = jobs.backup_task.task_class().validate_datetime
        assert due(datetime(2026, 3, 1, 2, 30, tzinfo=UTC))
        assert not due(datetime(2026, 3, 1, 2, 31, tzinfo=UTC))
        assert not hasattr(unscheduled, "backup_task")
        manifest = Path(jobs.backup())
        assert manifest.is_file() and json.loads(manifest.read_text())["database"] == "sqlite"
    finally:
        jobs.close()
        unscheduled.close()
