"""Backups and restores of the database, each with a manifest that proves the round trip.

PostgreSQL: ``pg_dump`` in custom format, taken in the same snapshot as the manifest's row counts
and checksums, and ``pg_restore`` with parallel jobs. SQLite: the online backup API, the manifest
computed from the copy itself. Optionally encrypted to age public keys (Debian's ``age``), so the
machine that writes backups cannot read them. Synchronous: the CLI and the job queue run it.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hoa.core.database import create_sync_engine
from hoa.core.folders import ensure_folder, sqlite_file
from hoa.core.settings import Settings

FORMAT = "hoa-backup/1"
MANIFEST = ".manifest.json"
# An order-free digest of a table's rows: XOR of the first 64 bits of each row text's md5.
_ROW_DIGEST = "coalesce(bit_xor(('x' || left(md5(t::text), 16))::bit(64)::bigint), 0)"
# (what, done, total): the CLI draws a progress bar from it.
Progress = Callable[[str, int, int], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in one line."""


@dataclass(frozen=True)
class Table:
    rows: int
    checksum: str


def backup(settings: Settings, progress: Progress | None = None) -> Path:
    """Write a backup and its manifest into ``HOA_BACKUP__DIR``, then keep only the newest
    ``HOA_BACKUP__KEEP``. Returns the manifest's path."""
    report = progress or _quiet
    folder = ensure_folder(settings.backup.dir, "backups")
    name = f"hoa-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
    direct = _direct(settings)
    if direct.is_sqlite:
        dump = folder / f"{name}.sqlite3"
        tables, revision = _backup_sqlite(_sqlite_path(direct), dump, report)
    else:
        dump = folder / f"{name}.dump"
        tables, revision = _backup_postgres(direct, dump, report)
    if settings.backup.age_recipients:
        dump = _encrypt(dump, settings.backup.age_recipients)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "database": "sqlite" if direct.is_sqlite else "postgresql",
        "schema_revision": revision,
        "file": dump.name,
        "bytes": dump.stat().st_size,
        "sha256": _sha256(dump),
        "encrypted_to": settings.backup.age_recipients,
        "tables": {name: {"rows": t.rows, "checksum": t.checksum} for name, t in tables.items()},
    }
    path = folder / f"{name}{MANIFEST}"
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    prune(folder, settings.backup.keep)
    return path


def restore(
    settings: Settings,
    manifest_path: Path,
    *,
    identity: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, tuple[Table, Table | None]]:
    """Restore a backup into the configured database, which must be empty (a fresh PostgreSQL
    database, or a SQLite file that does not exist yet), then compare every table with the
    manifest. Returns the tables that differ: {name: (expected, found or None)}."""
    report = progress or _quiet
    manifest = read_manifest(manifest_path)
    dump = manifest_path.with_name(manifest["file"])
    if not dump.is_file():
        raise BackupError(f"the backup file {dump} is missing")
    if _sha256(dump) != manifest["sha256"]:
        raise BackupError(f"{dump} does not match its manifest's checksum: it is damaged")
    direct = _direct(settings)
    if manifest["database"] != ("sqlite" if direct.is_sqlite else "postgresql"):
        raise BackupError(f"this is a {manifest['database']} backup; the database is not")
    with _plain(dump, manifest, identity) as plain:
        if direct.is_sqlite:
            found = _restore_sqlite(plain, _sqlite_path(direct), report)
        else:
            found = _restore_postgres(direct, plain, settings.backup.jobs, report)
    expected = {name: Table(**t) for name, t in manifest["tables"].items()}
    return {
        name: (table, found.get(name))
        for name, table in expected.items()
        if found.get(name) != table
    }


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read the manifest {path}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a hoa backup manifest")
    return manifest


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups (manifest and file); returns what went."""
    manifests = sorted(folder.glob(f"hoa-*{MANIFEST}"), reverse=True)  # names sort by time
    gone: list[Path] = []
    for manifest in manifests[keep:]:
        try:
            files = [manifest.with_name(read_manifest(manifest)["file"]), manifest]
        except BackupError:
            files = [manifest]
        for file in files:
            file.unlink(missing_ok=True)
            gone.append(file)
    return gone


# ---- PostgreSQL ----


def _backup_postgres(
    settings: Settings, dump: Path, report: Progress
) -> tuple[dict[str, Table], str]:
    engine = create_sync_engine(settings)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            conn.execute(sa.text("SET TRANSACTION READ ONLY"))
            # pg_dump joins this transaction's snapshot, so the dump holds exactly what the
            # manifest counted; the transaction stays open until pg_dump is done.
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            tables = _pg_tables(conn, report)
            revision = _revision(conn)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--verbose",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    f"--dbname={_libpq(settings)}",
                ],
                settings,
                report,
                "dumping",
                len(tables),
                marker="dumping contents of table",
            )
    finally:
        engine.dispose()
    return tables, revision


def _restore_postgres(
    settings: Settings, dump: Path, jobs: int, report: Progress
) -> dict[str, Table]:
    engine = create_sync_engine(settings)
    try:
        with engine.connect() as conn:
            present = sa.inspect(conn).get_table_names()
        if present:
            raise BackupError(
                f"the database already has tables ({', '.join(sorted(present)[:3])}, ...): "
                "restore into a fresh, empty database"
            )
        listing = subprocess.run(  # noqa: S603 - fixed program, our own arguments
            ["pg_restore", "--list", str(dump)],  # noqa: S607 - found on PATH like psql
            capture_output=True,
            text=True,
            check=False,
        )
        if listing.returncode:
            raise BackupError(f"pg_restore cannot read {dump}: {listing.stderr.strip()}")
        items = sum(1 for line in listing.stdout.splitlines() if line and line[0].isdigit())
        _run(
            [
                "pg_restore",
                "--verbose",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                f"--jobs={jobs}",
                f"--dbname={_libpq(settings)}",
                str(dump),
            ],
            settings,
            report,
            "restoring",
            items,
            marker="processing item" if jobs == 1 else "finished item",
        )
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            return _pg_tables(conn, report)
    finally:
        engine.dispose()


def _pg_tables(conn: sa.Connection, report: Progress) -> dict[str, Table]:
    conn.execute(sa.text("SET LOCAL timezone = 'UTC'"))  # row text must not depend on it
    names = sorted(sa.inspect(conn).get_table_names())
    tables = {}
    for done, name in enumerate(names):
        report("checksums", done, len(names))
        quoted = conn.dialect.identifier_preparer.quote(name)
        rows, digest = conn.execute(
            sa.text(f"SELECT count(*), {_ROW_DIGEST} FROM {quoted} AS t")  # noqa: S608
        ).one()
        tables[name] = Table(rows=rows, checksum=f"{digest & (2**64 - 1):016x}")
    report("checksums", len(names), len(names))
    return tables


def _libpq(settings: Settings) -> str:
    """A libpq URI for the pg_ tools; the password goes through PGPASSWORD, not argv."""
    url = sa.make_url(settings.database_url)
    return url.set(drivername="postgresql", password=None, query={}).render_as_string(
        hide_password=False
    )


def _run(
    command: list[str],
    settings: Settings,
    report: Progress,
    what: str,
    total: int,
    *,
    marker: str,
) -> None:
    """Run a pg_ tool, counting its verbose lines that contain ``marker`` as progress."""
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)")
    env = dict(os.environ)
    if password := sa.make_url(settings.database_url).password:
        env["PGPASSWORD"] = str(password)
    done = 0
    report(what, done, total)
    errors: list[str] = []
    with subprocess.Popen(  # noqa: S603 - fixed program, our own arguments
        command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    ) as process:
        for line in process.stderr or ():
            if marker in line:
                done += 1
                report(what, min(done, total), total)
            elif "error" in line.lower():
                errors.append(line.strip())
    if process.returncode:
        raise BackupError(f"{command[0]} failed: {'; '.join(errors[-3:]) or process.returncode}")
    report(what, total, total)


# ---- SQLite ----


def _backup_sqlite(source: Path, dump: Path, report: Progress) -> tuple[dict[str, Table], str]:
    if not source.is_file():
        raise BackupError(f"the database file {source} does not exist")
    _sqlite_copy(source, dump, report, "copying")
    return _sqlite_tables(dump, report), _sqlite_revision(dump)


def _restore_sqlite(dump: Path, target: Path, report: Progress) -> dict[str, Table]:
    if target.exists() and target.stat().st_size > 0:
        raise BackupError(f"{target} exists: restore into a new database file")
    ensure_folder(target.parent, "the SQLite database")
    _sqlite_copy(dump, target, report, "restoring")
    return _sqlite_tables(target, report)


def _sqlite_copy(source: Path, target: Path, report: Progress, what: str) -> None:
    def step(_status: int, remaining: int, total: int) -> None:
        report(what, total - remaining, total)

    with (
        _sqlite(source) as src,
        _sqlite(target) as dst,
    ):
        src.backup(dst, pages=1024, progress=step)


def _sqlite_tables(path: Path, report: Progress) -> dict[str, Table]:
    with _sqlite(path) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        tables = {}
        for done, name in enumerate(names):
            report("checksums", done, len(names))
            rows = digest = 0
            quoted = '"' + name.replace('"', '""') + '"'
            for row in conn.execute(f"SELECT * FROM {quoted}"):  # noqa: S608
                rows += 1
                digest ^= int.from_bytes(hashlib.md5(repr(row).encode()).digest()[:8])  # noqa: S324 - a checksum, not security
            tables[name] = Table(rows=rows, checksum=f"{digest:016x}")
        report("checksums", len(names), len(names))
    return tables


def _sqlite_revision(path: Path) -> str:
    with _sqlite(path) as conn:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else ""


@contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path)
    try:
        yield conn
    finally:
        conn.close()


# ---- shared ----


def _direct(settings: Settings) -> Settings:
    """The settings with PostgreSQL itself in place of pgbouncer: pg_dump and the snapshot
    export need a session of their own."""
    return settings.model_copy(
        update={
            "database_url": settings.direct_database_url,
            "db": settings.db.model_copy(update={"pgbouncer": False}),
        }
    )


def _sqlite_path(settings: Settings) -> Path:
    path = sqlite_file(settings.database_url)
    if path is None:
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return path


def _revision(conn: sa.Connection) -> str:
    return str(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one())


def _encrypt(dump: Path, recipients: list[str]) -> Path:
    encrypted = dump.with_name(dump.name + ".age")
    command = ["age", "--encrypt", *(f"--recipient={key}" for key in recipients)]
    _age([*command, f"--output={encrypted}", str(dump)])
    dump.unlink()
    return encrypted


@contextmanager
def _plain(dump: Path, manifest: dict[str, Any], identity: Path | None) -> Iterator[Path]:
    """The backup's unencrypted file (decrypted into a temporary folder when needed)."""
    if not manifest["encrypted_to"]:
        yield dump
        return
    if identity is None:
        raise BackupError("this backup is encrypted: give the age identity file (--identity)")
    with tempfile.TemporaryDirectory(dir=dump.parent) as tmp:
        plain = Path(tmp) / dump.name.removesuffix(".age")
        _age(["age", "--decrypt", f"--identity={identity}", f"--output={plain}", str(dump)])
        yield plain


def _age(command: list[str]) -> None:
    if shutil.which("age") is None:
        raise BackupError("age is not installed (Debian: age)")
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        raise BackupError(f"age failed: {done.stderr.strip()}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _quiet(_what: str, _done: int, _total: int) -> None:
    pass
