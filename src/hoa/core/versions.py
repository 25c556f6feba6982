"""Version numbers of what the read cache holds, one per community and per user: a cached value
is stored under the versions it was read at, so bumping a version after a commit makes every
process miss it on its next read. Bumped in one place: sessions note the communities and users
of the rows they flush (``track_changes``) and bump them once the transaction commits.

Without Redis in a small file every process of the host maps into memory (the app processes of
``hoa serve --workers N``, ``hoa worker``, the CLI); in Redis with ``HOA_REDIS_URL``, so every
process of every host sees one number. This module loads no cache library: the worker imports
it to bump versions of what its jobs change.
"""

import fcntl
import hashlib
import mmap
import os
import struct
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import structlog
from redis import Redis, RedisError
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from hoa.core import metrics
from hoa.core.breaker import client_options, redis_breaker
from hoa.core.folders import ensure_folder
from hoa.core.settings import Settings

log = structlog.get_logger()

ALL = "all"  # a version every cached value also depends on: bumped by bulk statements
KEEP_SECONDS = 86_400  # a version outlives every value stored under it
_INFO = "changed_scopes"


def community(community_id: uuid.UUID) -> str:
    return f"c:{community_id}"


def user(user_id: uuid.UUID) -> str:
    return f"u:{user_id}"


def members(community_id: uuid.UUID) -> str:
    """The community's memberships and settings (what a member's request context holds), which
    its bookings and amenities do not change."""
    return f"m:{community_id}"


def amenities(community_id: uuid.UUID) -> str:
    """The community's amenities as listed (their own columns), which bookings do not change:
    a community's bookings come every few seconds, its amenity edits a few times a year."""
    return f"a:{community_id}"


def community_of(scope: str) -> uuid.UUID | None:
    """The community a ``community`` scope is of (None for other scopes)."""
    return uuid.UUID(scope[2:]) if scope.startswith("c:") else None


def local_path(settings: Settings) -> Path:
    if settings.cache.versions_path is not None:
        return settings.cache.versions_path
    db = settings.sqlite_path
    return (db.parent if db is not None else Path("var")) / "cache-versions"


class SharedCounters:
    """Counters in a file mapped into the memory of every process that opens it: a read is a
    memory read, a bump takes the file's lock. A scope hashes to one of ``SLOTS`` counters, so
    two scopes may share one: bumping either then invalidates both, which is only a miss."""

    SLOTS = 1 << 16
    _COUNTER = struct.Struct("<Q")

    def __init__(self, path: Path) -> None:
        ensure_folder(path.parent, "the cache versions")
        size = self.SLOTS * self._COUNTER.size
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._lock = threading.Lock()  # the file lock is the process's: threads queue here
        with self._locked():
            if os.fstat(self._fd).st_size < size:
                os.ftruncate(self._fd, size)
        self._map = mmap.mmap(self._fd, size)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _offset(self, scope: str) -> int:
        digest = hashlib.blake2b(scope.encode(), digest_size=8).digest()
        return int.from_bytes(digest) % self.SLOTS * self._COUNTER.size

    def read(self, scopes: list[str]) -> list[int]:
        return [self._COUNTER.unpack_from(self._map, self._offset(s))[0] for s in scopes]

    def bump(self, scopes: Iterable[str]) -> None:
        with self._locked():
            for offset in {self._offset(s) for s in scopes}:
                value = self._COUNTER.unpack_from(self._map, offset)[0]
                self._COUNTER.pack_into(self._map, offset, value + 1)


class Versions:
    """The process's version store for one Redis URL (or, without one, the host's file)."""

    def __init__(self, settings: Settings) -> None:
        self.listeners: list[Callable[[set[str]], None]] = []  # told of every bump
        self._breaker = redis_breaker(settings)
        self._prefix = f"{settings.jobs.queue_name}:version:"
        self._sync: Redis | None = None
        self._file: SharedCounters | None = None
        if settings.redis_url:
            self._sync = Redis.from_url(
                settings.redis_url, **client_options(settings, asyncio=False)
            )
        else:
            self._file = SharedCounters(local_path(settings))

    def bump(self, scopes: Iterable[str]) -> None:
        """New versions for ``scopes`` (after the commit that changed them)."""
        scopes = set(scopes)
        if not scopes:
            return
        metrics.CACHE_INVALIDATIONS.inc(len(scopes))
        for listener in self.listeners:
            listener(scopes)
        if self._file is not None:
            self._file.bump(scopes)
        elif self._sync is not None and self._breaker.allow("cache"):
            try:
                with self._breaker.watch():
                    pipe = self._sync.pipeline(transaction=False)
                    for scope in scopes:
                        pipe.incr(self._prefix + scope)
                        pipe.expire(self._prefix + scope, KEEP_SECONDS)
                    pipe.execute()
            except RedisError:
                # Values read meanwhile live at most their TTL; reads bypass the cache while
                # the breaker is open.
                log.warning("cache_invalidation_failed", scopes=len(scopes))

    def key(self, scope: str) -> str:
        """The Redis key of ``scope``'s version (with HOA_REDIS_URL)."""
        return self._prefix + scope

    def local(self, scopes: list[str]) -> list[int]:
        """The versions of ``scopes`` in the host's file (without Redis)."""
        if self._file is None:
            raise RuntimeError("the versions are in Redis")
        return self._file.read(scopes)


_STORES: dict[tuple[str, str], Versions] = {}
_STORES_LOCK = threading.Lock()


def versions_for(settings: Settings) -> Versions:
    """The process's store for the settings' Redis or file (one per process)."""
    key = (settings.redis_url or str(local_path(settings)), settings.jobs.queue_name)
    with _STORES_LOCK:
        if key not in _STORES:
            _STORES[key] = Versions(settings)
        return _STORES[key]


def scopes_of(row: Any) -> Iterable[str]:
    """What a changed row invalidates: its community (and the community's members or amenities
    for theirs), or itself as a community or user."""
    table = getattr(row, "__tablename__", "")
    if table == "communities":
        yield community(row.id)
        yield members(row.id)
    elif table == "users":
        yield user(row.id)
    community_id = getattr(row, "community_id", None)
    if isinstance(community_id, uuid.UUID):
        yield community(community_id)
        if table == "memberships":
            yield members(community_id)
        elif table == "amenities":
            yield amenities(community_id)


def _noted(session: Session) -> set[str]:
    noted: set[str] = session.info.setdefault(_INFO, set())
    return noted


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    noted = _noted(session)
    for row in (*session.new, *session.dirty, *session.deleted):
        noted.update(scopes_of(row))


def _bulk_statement(state: ORMExecuteState) -> None:
    """INSERT/UPDATE/DELETE statements run through the session (not a flush) of a table the
    cache reads: which communities they touch is unknown, so everything is invalidated."""
    statement = state.statement
    if not isinstance(statement, sa.Insert | sa.Update | sa.Delete):
        return
    table = statement.table
    columns = getattr(table, "c", ())
    if "community_id" in columns or getattr(table, "name", "") in ("communities", "users"):
        _noted(state.session).add(ALL)


def _after_commit(session: Session) -> None:
    noted: set[str] = session.info.pop(_INFO, set())
    store: Versions | None = session.info.get("versions")
    if noted and store is not None:
        store.bump(noted)


def _after_rollback(session: Session) -> None:
    session.info.pop(_INFO, None)  # the outermost transaction rolled back: nothing changed


def track_changes(session_class: type[Session]) -> None:
    """Bump the versions of what sessions of ``session_class`` change, after they commit (a
    session finds its store in ``info["versions"]``)."""
    event.listen(session_class, "after_flush", _after_flush)
    event.listen(session_class, "do_orm_execute", _bulk_statement)
    event.listen(session_class, "after_commit", _after_commit)
    event.listen(session_class, "after_rollback", _after_rollback)
