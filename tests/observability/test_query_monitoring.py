"""Slow statements logged by route with their shape only, and `hoa db-top` over
pg_stat_statements."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import Request
from typer.testing import Result

from hoa.core.database import normalize_statement
from hoa.core.settings import Settings
from hoa.main import create_app
from tests.hardening.support import production, running
from tests.test_settings_and_cli import run

PROBE = "/api/v1/communities/{community_id}/slow-probe"
SECRET_VALUE = "resident@example.org"
# A few hundred thousand rows counted by a recursive query: slow enough on either backend.
SLOW = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 200000) "
    "SELECT count(*) FROM n WHERE x > 7 OR 'resident@example.org' = 'nobody'"
)


def test_statements_are_normalized_without_values() -> None:
    statement = (
        "SELECT * FROM users WHERE email = 'a@b.example' AND id IN ($1, $2, $3)\n"
        "  AND n > 42 AND ratio < 0.5 AND t = 'it''s' AND x = ?"
    )
    assert normalize_statement(statement) == (
        "SELECT * FROM users WHERE email = ? AND id IN (...) AND n > ? AND ratio < ? "
        "AND t = ? AND x = ?"
    )
    assert normalize_statement("SELECT anon_1.id FROM t AS anon_1") == (
        "SELECT anon_1.id FROM t AS anon_1"
    )


async def test_a_slow_statement_is_logged_with_its_route(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(production(settings, db={"slow_statement_ms": 1}))

    @app.get(PROBE)
    async def probe(community_id: str, request: Request) -> dict[str, int]:
        async with request.app.state.db.engine.connect() as conn:
            return {"count": int(await conn.scalar(sa.text(SLOW)) or 0)}

    async with running(app) as client:
        capsys.readouterr()
        r = await client.get(PROBE.format(community_id="c-1"))
    assert r.status_code == 200, r.text
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    slow = [line for line in lines if line["event"] == "slow_statement"]
    recursive = next(line for line in slow if "RECURSIVE" in line["statement"])
    assert recursive["route"] == PROBE and recursive["level"] == "warning"
    assert recursive["duration_ms"] >= 1 and recursive["request_id"]
    assert SECRET_VALUE not in recursive["statement"] and "x < ?" in recursive["statement"]


def _db_top(url: str) -> Result:
    return run({"HOA_DATABASE_URL": url, "HOA_ENV": "test"}, "db-top", "--limit", "5")


def test_db_top_says_what_is_missing_on_sqlite(tmp_path: Path) -> None:
    r = _db_top(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    assert r.exit_code == 1
    assert "pg_stat_statements" in r.output


def test_db_top_without_the_extension_says_how_to_add_it(backend: str, database_url: str) -> None:
    if backend != "postgres":
        pytest.skip("pg_stat_statements is PostgreSQL's")
    r = _db_top(database_url)
    assert r.exit_code == 1
    assert "shared_preload_libraries" in r.output


def test_db_top_lists_the_heaviest_statements(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("pg_stat_statements is PostgreSQL's")
    from tests.infra.support import Postgres, service_dir

    with service_dir() as folder:
        pg = Postgres(folder)
        try:
            pg.stop()
            with (pg.data / "postgresql.conf").open("a") as conf:
                conf.write("shared_preload_libraries = 'pg_stat_statements'\n")
            pg.start()
            pg.psql("CREATE EXTENSION pg_stat_statements")
            for _ in range(3):
                pg.psql("SELECT count(*) FROM generate_series(1, 300000) AS g WHERE g > 12")
            done = subprocess.run(
                [sys.executable, "-m", "hoa", "db-top", "--limit", "3"],
                env={**os.environ, "HOA_DATABASE_URL": pg.url, "HOA_ENV": "test"},
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            pg.stop()
    assert done.returncode == 0, done.stderr
    assert "generate_series($1, $2)" in done.stdout
    assert "calls" in done.stdout and "total ms" in done.stdout
