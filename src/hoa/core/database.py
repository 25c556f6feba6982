"""Declarative base, engine and session factories for SQLite and PostgreSQL."""

import hashlib
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import sqlalchemy as sa
import structlog
from sqlalchemy import event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute, Session
from sqlalchemy.pool import AsyncAdaptedQueuePool, Pool

from hoa.core import metrics
from hoa.core.folders import ensure_sqlite_folder
from hoa.core.settings import Settings
from hoa.core.versions import track_changes, versions_for

_ZERO = timedelta(0)
# After a failure the replica rests this long: its reads go to the primary meanwhile.
REPLICA_REST_SECONDS = 5.0
log = structlog.get_logger()

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes on both dialects.

    SQLite has no time zone type and compares datetimes as text, so values are stored as naive UTC
    in one format; PostgreSQL gets timestamptz.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        # PostgreSQL sessions run in UTC (see create_engine), so aware values already are.
        return value if value.utcoffset() == _ZERO else value.astimezone(UTC)


class _UuidText(sa.TypeDecorator[str]):
    """A uuid read as the text the API answers with, with no ``uuid.UUID`` made per value:
    PostgreSQL casts to the dashed form; SQLite holds 32 hex digits, dashed here."""

    impl = sa.String
    cache_ok = True

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or len(value) != 32:
            return value
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def uuid_text(column: QueryableAttribute[Any]) -> sa.ColumnElement[str]:
    """``column`` (a uuid) selected as text, for hot reads of many rows that only serialize
    their ids."""
    return sa.cast(column, _UuidText()).label(column.key)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class TimedPool(AsyncAdaptedQueuePool):
    """The async engines' pool, timing each wait for a connection (hoa_db_pool_wait_seconds)."""

    wait = metrics.POOL_WAIT.labels("primary")
    # SQLAlchemy's pool loggers (quiet unless configured), not one named after this module.
    _sqla_logger_namespace = "sqlalchemy.pool.impl.AsyncAdaptedQueuePool"

    def _do_get(self) -> Any:
        start = time.perf_counter()
        try:
            return super()._do_get()
        finally:
            self.wait.observe(time.perf_counter() - start)

    def recreate(self) -> "TimedPool":
        pool: TimedPool = super().recreate()  # type: ignore[assignment]
        pool.wait = self.wait
        return pool


def create_engine(
    settings: Settings, url: str | None = None, *, pool: str = "primary"
) -> AsyncEngine:
    """The engine of ``url`` (default: the primary, ``HOA_DATABASE_URL``); ``pool`` names it
    in the metrics."""
    url = url or settings.database_url
    if settings.is_sqlite:
        ensure_sqlite_folder(url)
        engine = create_async_engine(
            url, echo=settings.db.echo, hide_parameters=True, poolclass=TimedPool
        )
        _configure_sqlite(engine.sync_engine, settings.db.sqlite_busy_timeout_ms)
        _observe(engine.sync_engine, settings, pool)
        return engine
    server_settings = {"timezone": "UTC"}
    connect_args: dict[str, Any] = {"server_settings": server_settings}
    if settings.db.pgbouncer:
        # A transaction pooler hands each transaction to any server connection, so a statement
        # prepared on one is unknown on the next (names must be unique, caches off), and it
        # refuses startup parameters it does not track: the timeouts come from the role's
        # settings instead (ALTER ROLE ... SET, see docs/operations.md).
        connect_args |= {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": _unique_statement_name,
        }
    else:
        server_settings |= {
            "statement_timeout": str(settings.db.statement_timeout_ms),
            "lock_timeout": str(settings.db.lock_timeout_ms),
        }
    engine = create_async_engine(
        url,
        echo=settings.db.echo,
        hide_parameters=True,  # bound values (emails, tokens) stay out of error texts and logs
        pool_size=settings.db.pool_size,
        max_overflow=settings.db.max_overflow,
        pool_timeout=settings.db.pool_timeout_seconds,
        # No ping per checkout (a round trip per request): old connections are replaced, and a
        # read on one found dropped runs again (ReadSession).
        pool_recycle=settings.db.pool_recycle_seconds,
        connect_args=connect_args,
        poolclass=TimedPool,
    )
    _observe(engine.sync_engine, settings, pool)
    return engine


def _observe(engine: sa.Engine, settings: Settings, name: str) -> None:
    """Pool gauges and slow statement logging on ``engine``."""
    pool = engine.pool
    if isinstance(pool, TimedPool):
        pool.wait = metrics.POOL_WAIT.labels(name)
    _count_connections(pool, name)
    if settings.db.slow_statement_ms:
        _log_slow_statements(engine, settings.db.slow_statement_ms / 1000)


def _capacity(pool: Pool) -> tuple[int, int]:
    """The pool's size and the most connections it may hold."""
    if isinstance(pool, sa.QueuePool):
        return pool.size(), pool.size() + max(pool._max_overflow, 0)
    return 1, 1


def _count_connections(pool: Pool, name: str) -> None:
    size, limit = _capacity(pool)
    metrics.POOL_SIZE.labels(name).inc(size)
    metrics.POOL_LIMIT.labels(name).inc(limit)
    opened, checked_out = metrics.POOL_OPEN.labels(name), metrics.POOL_CHECKED_OUT.labels(name)
    event.listen(pool, "connect", lambda *_: opened.inc())
    event.listen(pool, "close", lambda *_: opened.dec())
    event.listen(pool, "close_detached", lambda *_: opened.dec())
    event.listen(pool, "checkout", lambda *_: checked_out.inc())
    event.listen(pool, "checkin", lambda *_: checked_out.dec())


def forget_pool(engine: sa.Engine, name: str) -> None:
    """Take a disposed engine's configured size out of the gauges."""
    size, limit = _capacity(engine.pool)
    metrics.POOL_SIZE.labels(name).dec(size)
    metrics.POOL_LIMIT.labels(name).dec(limit)


_LITERAL = re.compile(r"'(?:[^']|'')*'|\$\d+|\b\d+(?:\.\d+)?\b|\?")
_LIST = re.compile(r"\(\?(?:\s*,\s*\?)+\)")
_SPACE = re.compile(r"\s+")


def normalize_statement(statement: str) -> str:
    """The statement's shape: literals and parameters as ``?``, lists of them as ``(...)``,
    whitespace collapsed, at most 2000 characters. No value survives."""
    shape = _LIST.sub("(...)", _LITERAL.sub("?", statement))
    return _SPACE.sub(" ", shape).strip()[:2000]


def _log_slow_statements(engine: sa.Engine, threshold: float) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn: sa.Connection, *_: Any) -> None:
        conn.info.setdefault("statement_started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _finish(conn: sa.Connection, _cursor: Any, statement: str, *_: Any) -> None:
        seconds = time.perf_counter() - conn.info["statement_started"].pop()
        if seconds >= threshold:
            metrics.SLOW_STATEMENTS.inc()
            log.warning(
                "slow_statement",
                duration_ms=round(seconds * 1000, 1),
                statement=normalize_statement(statement),
            )


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


def sync_url(settings: Settings) -> str:
    """The database URL with a synchronous driver (pysqlite / psycopg), for job handlers."""
    url = sa.make_url(settings.database_url)
    driver = "sqlite+pysqlite" if settings.is_sqlite else "postgresql+psycopg"
    return url.set(drivername=driver).render_as_string(hide_password=False)


def create_sync_engine(settings: Settings) -> sa.Engine:
    """A synchronous engine on the same database (Huey handlers are sync)."""
    if settings.is_sqlite:
        engine = sa.create_engine(sync_url(settings), hide_parameters=True)
        _configure_sqlite(engine, settings.db.sqlite_busy_timeout_ms)
        _observe(engine, settings, "jobs")
        return engine
    connect_args: dict[str, Any]
    if settings.db.pgbouncer:
        # Same reasons as create_engine: no server-side prepared statements, no `options`.
        connect_args = {"prepare_threshold": None}
    else:
        connect_args = {
            "options": f"-c statement_timeout={int(settings.db.statement_timeout_ms)}"
            f" -c lock_timeout={int(settings.db.lock_timeout_ms)} -c timezone=UTC"
        }
    engine = sa.create_engine(
        sync_url(settings),
        hide_parameters=True,
        pool_size=2,
        max_overflow=8,
        pool_pre_ping=True,
        connect_args=connect_args,
    )
    _observe(engine, settings, "jobs")
    if settings.db.pgbouncer:

        @event.listens_for(engine, "connect")
        def _utc(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute("SET timezone TO 'UTC'")  # pgbouncer keeps it per client
            dbapi_conn.commit()

    return engine


def _configure_sqlite(engine: sa.Engine, busy_timeout_ms: int) -> None:
    """WAL, busy timeout, foreign keys, and explicit BEGIN so writers can take the lock up front.

    pysqlite's own transaction handling runs SELECTs outside the transaction, which lets a
    check-then-insert double-book; writers therefore open their transaction with BEGIN IMMEDIATE
    (execution option ``sqlite_begin``) and queue on the busy timeout instead of failing with
    "database is locked" half-way.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        for pragma in (
            "journal_mode=WAL",
            f"busy_timeout={int(busy_timeout_ms)}",
            "foreign_keys=ON",
            "synchronous=NORMAL",
        ):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode is not None:  # None: readers, each statement on its own
            conn.exec_driver_sql(f"BEGIN {mode}")


# Every session bumps the cache versions of what it changed once it commits (with a store in
# its info: the app's sessions).
track_changes(Session)


class ReadSession(Session):
    """A read-only session: no transaction (each statement commits on its own, so nothing is
    sent to begin or end one), and a statement on a connection found dropped (a restarted
    server, a killed backend) runs once more on a new one: reads are safe to repeat."""

    def _execute_internal(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super()._execute_internal(*args, **kwargs)
        except sa.exc.DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            self.rollback()  # lets the dropped connection go
            return super()._execute_internal(*args, **kwargs)


def read_only(engine: AsyncEngine, pgbouncer: bool) -> AsyncEngine:
    """``engine`` sending no BEGIN/COMMIT around the statements of its connections. Not behind
    a transaction pooler: outside a transaction it may hand asyncpg's prepare and the execute
    that follows to two different server connections."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin=None)
    if pgbouncer:
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


class ReplicaSession(Session):
    """A read-only session on the replica. A statement the replica fails (it went away, or
    cancelled the query for a conflict with recovery) runs again on the primary, where the
    rest of the request stays: reads are safe to repeat."""

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        primary: sa.Engine = self.info["primary"]
        if self.bind is primary:
            return super().execute(*args, **kwargs)
        try:
            return super().execute(*args, **kwargs)
        except (sa.exc.DBAPIError, OSError):
            self.info["replica_failed"]()
            self.rollback()
            self.bind = primary
            return super().execute(*args, **kwargs)

    def commit(self) -> None:
        """Ending a read on the replica cannot lose anything: a replica gone by then only
        rests it (statements retried on the primary commit there as usual)."""
        if self.bind is self.info["primary"]:
            super().commit()
            return
        try:
            super().commit()
        except (sa.exc.DBAPIError, OSError):
            self.info["replica_failed"]()
            self.rollback()


class Database:
    """The engines and session factories: a reader and a writer (they differ only on SQLite),
    and with ``HOA_DATABASE_REPLICA_URL`` a replica reader for lag-tolerant reads."""

    def __init__(self, settings: Settings) -> None:
        self.engine = create_engine(settings)
        self.is_sqlite = settings.is_sqlite
        self.versions = versions_for(settings)
        info = {"versions": self.versions}
        reading = read_only(self.engine, settings.db.pgbouncer)
        self.reader = async_sessionmaker(
            reading,
            expire_on_commit=False,
            sync_session_class=ReadSession,
            info=info,
        )
        writer_engine = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        self.writer = async_sessionmaker(writer_engine, expire_on_commit=False, info=info)
        self.replica: AsyncEngine | None = None
        self.replica_reader: async_sessionmaker[AsyncSession] | None = None
        self._replica_rests_until = 0.0
        if settings.database_replica_url:
            self.replica = create_engine(settings, settings.database_replica_url, pool="replica")
            self.replica_reader = async_sessionmaker(
                read_only(self.replica, settings.db.pgbouncer),
                expire_on_commit=False,
                sync_session_class=ReplicaSession,
                info={
                    "primary": reading.sync_engine,
                    "replica_failed": self._rest_replica,
                    **info,
                },
            )

    def session_factory(
        self, *, write: bool, lag_tolerant: bool = False
    ) -> Callable[[], AsyncSession]:
        """Writes (and everything in a write transaction) on the primary; lag-tolerant reads
        on the replica while it is configured and has not failed in the last few seconds."""
        if write:
            return self.writer
        if (
            lag_tolerant
            and self.replica_reader is not None
            and time.monotonic() >= self._replica_rests_until
        ):
            return self.replica_reader
        return self.reader

    def _rest_replica(self) -> None:
        self._replica_rests_until = time.monotonic() + REPLICA_REST_SECONDS
        log.warning("replica_unavailable", rest_seconds=REPLICA_REST_SECONDS, exc_info=True)

    async def dispose(self) -> None:
        await self.engine.dispose()
        forget_pool(self.engine.sync_engine, "primary")
        if self.replica is not None:
            await self.replica.dispose()
            forget_pool(self.replica.sync_engine, "replica")


def on_replica(session: AsyncSession) -> bool:
    """Whether the session reads on the replica (it may lag behind the primary's commits)."""
    primary = session.info.get("primary")
    return primary is not None and session.sync_session.bind is not primary


def keep_loaded(session: AsyncSession, *objects: object) -> None:
    """Hold ``objects`` for the session's lifetime. Its identity map references them weakly, and
    services find them there (``session.get`` of the caller's community or user) instead of
    loading them again."""
    session.info.setdefault("kept", []).extend(objects)


def act_as_operator(session: AsyncSession) -> None:
    """Mark the session's writes as a platform operator's (an operator acting in a community
    without being its admin, or on the platform itself): the audit trail records them so."""
    session.info["as_operator"] = True


def acting_as_operator(session: AsyncSession) -> bool:
    return bool(session.info.get("as_operator"))


async def lock(session: AsyncSession, *key: object) -> None:
    """Queue the transaction behind any other that holds ``key`` until it ends, for
    check-then-write steps no constraint covers. PostgreSQL: a transaction-scoped advisory lock
    (waiting at most ``lock_timeout``; it works through pgbouncer's transaction mode). SQLite:
    nothing to do, as a writer session (``BEGIN IMMEDIATE``) holds the database's write lock
    from its first statement."""
    connection = await session.connection()
    if connection.dialect.name == "sqlite":
        return
    digest = hashlib.blake2b("\x00".join(map(str, key)).encode(), digest_size=8).digest()
    await connection.execute(
        sa.select(sa.func.pg_advisory_xact_lock(int.from_bytes(digest, signed=True)))
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
