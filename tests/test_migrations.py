"""Alembic is the schema's only author: it round-trips on both backends and matches the models."""

import asyncio
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hoa.core import migrate
from hoa.models import Amenity, Community
from tests.conftest import scratch_pg_database

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


def _hoa(
    *args: str, url: str, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "hoa", *args],
        env={**os.environ, "HOA_DATABASE_URL": url, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_migrate_check_refuses_code_newer_than_the_schema(scratch_url: str) -> None:
    fresh = _hoa("migrate", "--check", url=scratch_url)
    assert fresh.returncode == 1 and "no schema" in fresh.stderr
    migrate.upgrade(scratch_url)
    migrate.downgrade(scratch_url, "-1")
    behind = _hoa("migrate", "--check", url=scratch_url)
    assert behind.returncode == 1 and "older than this code" in behind.stderr
    refused = _hoa("serve", "--port", "1", url=scratch_url)  # refused before it binds
    assert refused.returncode == 1 and "run `hoa migrate`" in refused.stderr
    migrate.upgrade(scratch_url)
    assert _hoa("migrate", "--check", url=scratch_url).returncode == 0
    # A schema the next release wrote (a revision this code does not know) is fine:
    # expand/contract keeps it compatible with this release.
    engine = sa.create_engine(sa.make_url(scratch_url).set(drivername=_sync_driver(scratch_url)))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dcafe0001'"))
    engine.dispose()
    assert _hoa("migrate", "--check", url=scratch_url).returncode == 0


def _sync_driver(url: str) -> str:
    return "sqlite+pysqlite" if url.startswith("sqlite") else "postgresql+psycopg"


def _previous_release(tmp_path: Path) -> Path:
    """The release as it was just before the latest migration was added."""
    git = shutil.which("git")
    latest = sorted((ROOT / "migrations" / "versions").glob("*.py"))[-1]
    # Along main's own line: a migration that came in with a merged branch was "added" by
    # that merge, and the release before it is the merge's first parent.
    added = subprocess.run(  # noqa: S603
        [git or "git", "log", "--first-parent", "--diff-merges=first-parent", "--diff-filter=A",
         "--no-patch", "--format=%H", "-n1", "--", str(latest)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    if not git or not added:
        message = "needs the git history of migrations/ (a full clone)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    archive = subprocess.run(  # noqa: S603
        # Its own alembic.ini and migrations/ too: its schema check reads its own history.
        [git, "archive", f"{added}^", "src", "alembic.ini", "migrations"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tmp_path / "previous", filter="data")
    return tmp_path / "previous" / "src"


def test_previous_release_runs_on_the_new_schema(scratch_url: str, tmp_path: Path) -> None:
    """A rolling deploy migrates first, while the previous release still serves: that release
    must work on the new schema (expand/contract, docs/operations.md)."""
    previous = _previous_release(tmp_path)
    migrate.upgrade(scratch_url)  # the new schema, by the new code
    old = {"PYTHONPATH": str(previous), "HOA_JOBS__QUEUE_PATH": str(tmp_path / "jobs.db"),
           "HOA_EMAIL__OUTBOX_DIR": str(tmp_path / "outbox")}  # fmt: skip
    seeded = _hoa("seed-demo", url=scratch_url, cwd=tmp_path, **old)
    assert seeded.returncode == 0, seeded.stderr
    port = _free_port()
    errors = tmp_path / "serve.stderr"
    with errors.open("wb") as stderr:
        server = subprocess.Popen(  # noqa: S603 - the previous release's CLI
            [sys.executable, "-m", "hoa", "serve", "--port", str(port)],
            # faulthandler: SIGABRT prints every thread's stack (see the end).
            env={**os.environ, "HOA_DATABASE_URL": scratch_url, "PYTHONFAULTHANDLER": "1", **old},
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "did not start"
            time.sleep(0.2)
        with httpx.Client(base_url=url, timeout=30) as client:
            login = client.post(
                "/api/v1/auth/login",
                json={"email": "resident@maple-grove.example", "password": "maple-grove-demo"},
            )
            assert login.status_code == 200, login.text
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            me = client.get("/api/v1/me", headers=headers).json()
            community = me["memberships"][0]["community_id"]
            base = f"/api/v1/communities/{community}"
            amenities = client.get(f"{base}/amenities", headers=headers)
            assert amenities.status_code == 200
            court = next(
                a
                for a in amenities.json()
                if not a["requires_approval"] and a["mode"] == "exclusive"
            )
            day = (datetime.now(UTC) + timedelta(days=3)).date()
            booked = None
            for hour in range(12, 22):
                start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
                booked = client.post(
                    f"{base}/reservations",
                    headers=headers,
                    json={
                        "amenity_id": court["id"],
                        "starts_at": start.isoformat(),
                        "ends_at": (
                            start + timedelta(minutes=court["min_duration_minutes"])
                        ).isoformat(),
                    },
                )
                if booked.status_code == 201:
                    break
            assert booked is not None and booked.status_code == 201, booked.text if booked else None
            window = {"start": start.isoformat(), "end": (start + timedelta(days=1)).isoformat()}
            calendar = client.get(f"{base}/calendar", headers=headers, params=window)
            assert booked.json()["id"] in {e["id"] for e in calendar.json()["entries"]}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # Seen once: the process stopped listening but never exited. Its stacks say where.
            server.send_signal(signal.SIGABRT)
            server.wait(timeout=10)
            pytest.fail(f"serve did not exit on SIGTERM:\n{errors.read_text()[-8000:]}")


def test_numbered_amenities_get_a_kind(scratch_url: str) -> None:
    """Amenities of one community named alike but for a trailing number get that name as their
    kind when kinds arrive; other amenities get none."""
    migrate.upgrade(scratch_url)
    engine = sa.create_engine(sa.make_url(scratch_url).set(drivername=_sync_driver(scratch_url)))
    names = {"maple": ("Tennis Court 1", "Tennis Court #2", "Studio 54", "Pool"),
             "oak": ("Tennis Court 3", "Gym")}  # fmt: skip
    try:
        with engine.begin() as conn:
            for slug, amenities in names.items():
                community = uuid.uuid4()
                conn.execute(
                    sa.insert(Community).values(
                        id=community, name=slug, slug=slug, timezone="America/New_York"
                    )
                )
                for name in amenities:
                    conn.execute(
                        sa.insert(Amenity).values(community_id=community, name=name, hours={})
                    )
        migrate.downgrade(scratch_url, "-1")
        migrate.upgrade(scratch_url)
        with engine.connect() as conn:
            rows = conn.execute(sa.select(Amenity.name, Amenity.kind))
            kinds = {row.name: row.kind for row in rows}
    finally:
        engine.dispose()
    assert kinds == {
        "Tennis Court 1": "Tennis Court",
        "Tennis Court #2": "Tennis Court",
        "Studio 54": None,
        "Pool": None,
        "Tennis Court 3": None,  # alone in its community
        "Gym": None,
    }
