"""The ``hoa`` command line."""

import asyncio
import os
import re
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
import uvicorn
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from hoa.core import migrate as migrations
from hoa.core.folders import FolderError, ensure_folder, ensure_sqlite_folder
from hoa.core.settings import EmailBackend, Env, InvalidSettings, Settings, get_settings

# Nothing imported above loads prometheus-client: it picks its multiprocess mode when first
# imported, so `serve` and `worker` set that up (prepare_folders) before the app is loaded.

app = typer.Typer(
    help="hoa: amenity reservations for homeowners associations", no_args_is_help=True
)
migrate_app = typer.Typer(help="Database schema migrations (upgrade to head by default)")
app.add_typer(migrate_app, name="migrate")


@app.callback()
def prepare_folders(ctx: typer.Context) -> None:
    """Create the local folders every command may write to (a fresh checkout has none), and
    for the long-running commands the metrics folder their processes share."""
    try:
        settings = get_settings()
    except InvalidSettings as exc:
        typer.echo(f"hoa: {exc}", err=True)
        raise typer.Exit(1) from None
    try:
        ensure_sqlite_folder(settings.database_url)
        if ctx.invoked_subcommand in ("serve", "worker") and settings.metrics.enabled:
            _share_metrics_folder(settings.metrics.dir)
        if not settings.redis_url:
            ensure_folder(_queue_path(settings).parent, "the job queue")
        ensure_folder(_rate_limit_path(settings).parent, "the rate-limit counters")
        if settings.email.backend is EmailBackend.OUTBOX:
            ensure_folder(settings.email.outbox_dir, "the email outbox")
    except FolderError as exc:
        typer.echo(f"hoa: {exc}", err=True)
        raise typer.Exit(1) from exc


def _queue_path(settings: Settings) -> Path:
    from hoa.worker import queue_path

    return queue_path(settings)


def _rate_limit_path(settings: Settings) -> Path:
    from hoa.core.ratelimit import local_path

    return local_path(settings)


_PROCESS_FILE = re.compile(r"_(\d+)\.db$")


def _share_metrics_folder(folder: Path) -> None:
    """Point prometheus-client's multiprocess mode at ``folder`` (for this process and the
    worker processes it starts), cleaned of what no running process needs: the live gauges of
    processes that are gone, and everything once no process of the last run is left (counters
    start again from zero, which Prometheus reads as a restart)."""
    ensure_folder(folder, "the metrics")
    files = list(folder.glob("*.db"))
    running = {path for path in files if _running(path)}
    for path in files:
        if path not in running and (path.name.startswith("gauge_live") or not running):
            path.unlink(missing_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder.resolve())


def _running(path: Path) -> bool:
    match = _PROCESS_FILE.search(path.name)
    if match is None:
        return False
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    # Ignored from here on: `uv run` forwards a Ctrl-C to its child once more, and a signal
    # arriving while the interpreter finalizes would otherwise kill it with the default action.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, signal.SIG_IGN)
    raise SystemExit(0)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Run the web server. SIGTERM drains it: /readyz answers 503, requests in flight finish
    (within HOA_SERVER__DRAIN_SECONDS), then it exits 0."""
    settings = get_settings()
    _refuse_older_schema(settings.direct_database_url)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal with the
    # handlers it found; these make that last step a clean exit (status 0), not a death by
    # signal that service managers and `make` report as a failure.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, _exit_cleanly)
    uvicorn.run(
        "hoa.server:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        server_header=False,  # no product name to look up vulnerabilities by
        access_log=False,
        timeout_graceful_shutdown=settings.server.drain_seconds,
        # A worker answers the supervisor's pings only once it has imported the app; on a busy
        # host that takes longer than uvicorn's 5 s, and the supervisor killed every new worker.
        timeout_worker_healthcheck=30,
    )


@migrate_app.callback(invoke_without_command=True)
def migrate(
    ctx: typer.Context,
    check: Annotated[
        bool,
        typer.Option("--check", help="Change nothing; exit 1 when this code needs a newer schema"),
    ] = False,
) -> None:
    """Upgrade the database to the latest schema."""
    if ctx.invoked_subcommand is not None:
        return
    url = get_settings().direct_database_url
    if check:
        _refuse_older_schema(url)
        typer.echo("The database schema fits this code.")
        return
    migrations.upgrade(url)


def _refuse_older_schema(url: str) -> None:
    if problem := migrations.schema_problem(url):
        typer.echo(f"hoa: {problem}", err=True)
        raise typer.Exit(1)


@migrate_app.command("downgrade")
def migrate_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base")],
) -> None:
    """Roll the schema back to a revision."""
    migrations.downgrade(get_settings().direct_database_url, revision)


@migrate_app.command("current")
def migrate_current() -> None:
    """Print the database's current revision."""
    migrations.current(get_settings().direct_database_url)


@app.command("seed-demo")
def seed_demo(
    force: Annotated[bool, typer.Option(help="Allow in production")] = False,
) -> None:
    """Create (or refresh) the demo communities and print their logins. Idempotent."""
    from hoa.demo.builder import seed

    settings = get_settings()
    if settings.env is Env.PRODUCTION and not force:
        typer.echo("Refusing to seed demo data in production (use --force).", err=True)
        raise typer.Exit(1)
    logins = asyncio.run(seed(settings))
    typer.echo("Demo data ready. Sign in at http://localhost:8000 with:")
    for email, what in logins:
        typer.echo(f"  {email:32} {what}")
    typer.echo("Password for all of them: the value of HOA_DEMO_PASSWORD (see README).")


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Argument(help="Email of the account")],
    name: Annotated[str, typer.Option(help="Display name")] = "Platform operator",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Password")
    ] = "",
) -> None:
    """Create a platform operator account (or make an existing account one)."""
    from hoa.auth.passwords import WeakPassword
    from hoa.auth.service import upsert_operator
    from hoa.core.database import Database

    async def run() -> bool:
        settings = get_settings()
        db = Database(settings)
        try:
            async with db.writer() as session, session.begin():
                return await upsert_operator(
                    session, settings, email.strip().lower(), name, password
                )
        finally:
            await db.dispose()

    try:
        created = asyncio.run(run())
    except WeakPassword as exc:
        typer.echo(exc.detail_message, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{'Created' if created else 'Updated'} platform operator {email.strip().lower()}")


@app.command("backup")
def backup_command() -> None:
    """Back up the database into HOA_BACKUP__DIR (file + manifest), keeping the newest
    HOA_BACKUP__KEEP."""
    from hoa.core.backup import BackupError, backup

    with _progress() as progress:
        try:
            manifest = backup(get_settings(), progress)
        except BackupError as exc:
            typer.echo(f"hoa: {exc}", err=True)
            raise typer.Exit(1) from exc
    typer.echo(f"Backup written: {manifest}")


@app.command("restore")
def restore_command(
    manifest: Annotated[Path, typer.Argument(help="The backup's .manifest.json")],
    identity: Annotated[
        Path | None, typer.Option(help="age identity file (for an encrypted backup)")
    ] = None,
) -> None:
    """Restore a backup into the configured (empty) database and check every table against
    the manifest's row counts and checksums; exit 1 when one differs."""
    from hoa.core.backup import BackupError, restore

    with _progress() as progress:
        try:
            differ = restore(get_settings(), manifest, identity=identity, progress=progress)
        except BackupError as exc:
            typer.echo(f"hoa: {exc}", err=True)
            raise typer.Exit(1) from exc
    for name, (expected, found) in sorted(differ.items()):
        typer.echo(f"hoa: table {name}: expected {expected}, found {found}", err=True)
    if differ:
        raise typer.Exit(1)
    typer.echo("Restored; every table matches the manifest.")


@app.command("db-top")
def db_top(
    limit: Annotated[int, typer.Option(help="How many statements", min=1, max=100)] = 10,
) -> None:
    """The statements with the most total time in PostgreSQL (pg_stat_statements): calls, total
    and mean time, rows, and the normalized statement."""
    from rich.console import Console
    from rich.table import Table

    from hoa.core.querystats import QueryStatsUnavailable, top_statements

    try:
        statements = top_statements(get_settings().direct_database_url, limit)
    except QueryStatsUnavailable as exc:
        typer.echo(f"hoa: {exc}", err=True)
        raise typer.Exit(1) from exc
    table = Table("calls", "total ms", "mean ms", "rows", "statement")
    for s in statements:
        table.add_row(
            str(s.calls), f"{s.total_ms:.1f}", f"{s.mean_ms:.2f}", str(s.rows), s.statement
        )
    Console(width=200).print(table)


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback drawing one rich bar per phase (dumping, checksums, ...)."""
    with Progress(
        TextColumn("{task.description:12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    ) as bars:
        tasks: dict[str, TaskID] = {}

        def update(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bars.add_task(what, total=total)
            bars.update(tasks[what], completed=done, total=total)

        yield update


@app.command()
def worker(
    workers: Annotated[int | None, typer.Option(help="Worker threads")] = None,
    periodic: Annotated[
        bool, typer.Option(help="Schedule the periodic jobs here too (each runs once per tick)")
    ] = True,
) -> None:
    """Consume the job queue (Redis with HOA_REDIS_URL, else the local queue file). SIGTERM
    lets the tasks under way finish (within HOA_SERVER__DRAIN_SECONDS) before it exits; a task
    cut off then is re-claimed by another worker once its lease expires."""
    from hoa.core.metrics import process_exited
    from hoa.core.tracing import tracer_provider
    from hoa.worker import Jobs

    settings = get_settings()
    tracing = tracer_provider(settings)
    jobs = Jobs(settings, tracing, consuming=True)
    try:
        jobs.consumer(workers, periodic=periodic).run()
    finally:
        jobs.close()
        if tracing is not None:
            tracing.shutdown()
        process_exited()
