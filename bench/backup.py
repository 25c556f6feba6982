"""Backup and restore times of the bench database (`bench.seed`), through the real CLI.

Runs `hoa backup` of the bench database into a temporary folder, creates an empty database
`<name>_restore` beside it (dropped again at the end), runs `hoa restore` into it, and prints the
wall times, the dump's size and the rows restored. Prints numbers, asserts nothing.

    uv run python -m bench.backup [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/hoa_bench]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/hoa_bench"


def _hoa(*args: str, url: str, backups: Path) -> float:
    began = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "hoa", *args],
        env={**os.environ, "HOA_DATABASE_URL": url, "HOA_BACKUP__DIR": str(backups)},
        check=True,
    )
    return time.perf_counter() - began


def _admin(url: str, statement: str) -> None:
    admin = sa.make_url(url).set(drivername="postgresql+psycopg", database="postgres")
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    url = parser.parse_args().database_url
    source = sa.make_url(url)
    target_name = f"{source.database}_restore"
    target = source.set(database=target_name).render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory() as tmp:
        backups = Path(tmp)
        backup_seconds = _hoa("backup", url=url, backups=backups)
        manifest_path = next(backups.glob("*.manifest.json"))
        manifest = json.loads(manifest_path.read_text())
        _admin(url, f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
        _admin(url, f'CREATE DATABASE "{target_name}"')
        try:
            restore_seconds = _hoa("restore", str(manifest_path), url=target, backups=backups)
        finally:
            _admin(url, f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
    rows = manifest["tables"]
    print(f"reservations       {rows['reservations']['rows']:,}")
    print(f"rows, all tables   {sum(t['rows'] for t in rows.values()):,}")
    print(f"dump size          {manifest['bytes'] / 1e6:.1f} MB")
    print(f"hoa backup         {backup_seconds:.1f} s")
    print(f"hoa restore        {restore_seconds:.1f} s (verified against the manifest)")


if __name__ == "__main__":
    main()
