"""The read cache of the hot reads: process memory (cashews), or Redis with ``HOA_REDIS_URL``.

A value is stored under the versions of what it depends on (``hoa.core.versions``: its
community, or the community's members or amenities, the caller for memberships, and ``ALL``),
read first; a commit that changes them bumps them, so the next read of any process misses and
loads the new state. Only safe reads use it: a cached value never decides a write.

In process memory a value is kept as the Python object itself (cashews' LRU, under a key
carrying the versions). In Redis it is bytes, written by the caller's ``Codec`` (pickle unless
the value has a cheaper form) after a stamp of the versions it was read at; one MGET fetches the
versions and the value together, and a stamp other than the current versions is a miss (a slow
load stamped with older versions may overwrite a newer value: it is then missed once more,
never read). Redis is called directly, not through cashews: its serializer unpickles and then
``repr()``s every value (a month calendar's thousands of UUIDs cost more than reading the
database again) and the versions would need a round trip of their own.

Redis is called behind the process's breaker: when it fails or is skipped, the read goes to the
database (counted in ``hoa_cache_bypasses``, logged at most once a minute), never to an error.
Concurrent misses of one key in a process wait for one load (no stampede on a hot key). After
a commit invalidates a community, what its members likely read next is loaded again in the
background (``warm_with``).
"""

import asyncio
import pickle
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar, cast

import structlog
from cashews import Cache
from redis import RedisError
from redis.asyncio import Redis

from hoa.core import metrics
from hoa.core.breaker import client_options, redis_breaker
from hoa.core.settings import Settings
from hoa.core.versions import ALL, Versions, community_of

T = TypeVar("T")
V = TypeVar("V")
Warm = Callable[[uuid.UUID], Awaitable[None]]
log = structlog.get_logger()
MEMORY_ENTRIES = 20_000
BYPASS_LOG_SECONDS = 60.0
WARM_DELAY_SECONDS = 0.2  # the writes to one community within this are followed by one warming


class Skipped(Exception):
    """Redis is skipped while the breaker is open."""


@dataclass(frozen=True, slots=True)
class Codec(Generic[T]):
    """How a value is written to Redis and read back (process memory keeps the object)."""

    encode: Callable[[T], bytes]
    decode: Callable[[bytes], T]


PICKLE: Codec[Any] = Codec(pickle.dumps, pickle.loads)


class ReadCache:
    def __init__(self, settings: Settings, versions: Versions) -> None:
        self.settings = settings.cache
        self.enabled = settings.cache.enabled
        self._versions = versions
        self._breaker = redis_breaker(settings)
        self._store = Cache()  # process memory: set up and used only without Redis
        self._redis: Redis | None = None
        self._loading: dict[str, asyncio.Future[Any]] = {}
        self._bypass_logged_at = -BYPASS_LOG_SECONDS
        self._listener: Callable[[set[str]], None] | None = None
        self._warm_due: set[uuid.UUID] = set()
        self._warming: set[asyncio.Task[None]] = set()
        if settings.redis_url:
            options = client_options(settings, asyncio=True)
            self._redis = Redis.from_url(settings.redis_url, client_name="hoa-cache", **options)
        else:
            self._store.setup("mem://", size=MEMORY_ENTRIES)

    async def get_or_load(
        self,
        kind: str,
        scopes: list[str],
        key: str,
        ttl: int,
        load: Callable[[], Awaitable[T]],
        *,
        store: bool = True,
        codec: Codec[T] = PICKLE,
    ) -> T:
        """The value cached under ``key`` at the current versions of ``scopes``, else what
        ``load`` returns (stored for ``ttl`` seconds unless ``store`` is false: a value read on
        a lagging replica may predate the versions). What ``load`` raises is not cached."""
        (value,) = await self.get_or_load_all(
            kind, scopes, {key: load}, ttl, store=store, codec=codec
        )
        return value

    async def get_or_load_all(
        self,
        kind: str,
        scopes: list[str],
        loads: Mapping[str, Callable[[], Awaitable[T]]],
        ttl: int,
        *,
        store: bool = True,
        codec: Codec[T] = PICKLE,
    ) -> list[T]:
        """``get_or_load`` of each key of ``loads`` (in their order), all read from Redis in
        one round trip with the versions: a month calendar spanning two cached months reads
        both at once. Each value missing is loaded by its own function."""
        if not self.enabled:
            return [await load() for load in loads.values()]
        try:
            lookup = self._get([ALL, *scopes], list(loads), codec)  # typed by codec, not target
            stamp, found = await lookup
        except (RedisError, Skipped):
            self._bypassed()
            return [await load() for load in loads.values()]
        values: list[T] = []
        for (key, load), value in zip(loads.items(), found, strict=True):
            metrics.CACHE_READS.labels(kind, "miss" if value is None else "hit").inc()
            if value is None:
                value = await (self._load(key, stamp, ttl, load, codec) if store else load())
            values.append(value)
        return values

    async def _load(
        self, key: str, stamp: str, ttl: int, load: Callable[[], Awaitable[T]], codec: Codec[T]
    ) -> T:
        """A missed value loaded, once for every request of this process that misses it at
        these versions meanwhile, and stored."""
        at = key + stamp  # this value at these versions: what one load serves
        loading = self._loading.get(at)
        if loading is not None:
            try:
                shared: T = await asyncio.shield(loading)
                return shared
            except asyncio.CancelledError:
                if not loading.cancelled():
                    raise  # this request was cancelled
                return await load()  # the one loading it was
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._loading[at] = future
        try:
            value = await load()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no warning when nobody else waited
            raise
        else:
            future.set_result(value)
        finally:
            del self._loading[at]
        try:
            await self._set(key, stamp, value, ttl, codec)
        except (RedisError, Skipped):
            self._bypassed()
        return value

    async def _get(
        self, scopes: list[str], keys: list[str], codec: Codec[V]
    ) -> tuple[str, list[V | None]]:
        """The stamp of the current versions and the value stored at them under each key."""
        if self._redis is None:
            stamp = "@" + ".".join(map(str, self._versions.local(scopes)))
            return stamp, [await self._store.get(_stored(key) + stamp) for key in keys]
        names = [*(self._versions.key(s) for s in scopes), *map(_stored, keys)]
        answer = cast(list[bytes | None], await self._call(self._redis.mget(names)))
        versions, stored = answer[: len(scopes)], answer[len(scopes) :]
        stamp = ".".join(v.decode() if v else "0" for v in versions) + "|"
        return stamp, [_read(found, stamp.encode(), codec) for found in stored]

    async def _set(self, key: str, stamp: str, value: V, ttl: int, codec: Codec[V]) -> None:
        if self._redis is None:
            await self._store.set(_stored(key) + stamp, value, expire=ttl)
        else:
            value_bytes = stamp.encode() + codec.encode(value)
            await self._call(self._redis.set(_stored(key), value_bytes, ex=ttl))

    async def _call(self, call: Awaitable[T]) -> T:
        if not self._breaker.allow("cache"):
            if asyncio.iscoroutine(call):
                call.close()
            raise Skipped
        with self._breaker.watch():
            return await call

    def _bypassed(self) -> None:
        metrics.CACHE_BYPASSES.inc()
        now = time.monotonic()
        if now - self._bypass_logged_at >= BYPASS_LOG_SECONDS:
            self._bypass_logged_at = now
            log.warning("cache_bypassed", reason="redis unavailable", exc_info=True)

    def warm_with(self, warm: Warm) -> None:
        """After commits invalidate a community, ``warm(community_id)`` runs in the background
        of this process, once per burst of them, never in a request (not without a cache)."""
        if not self.enabled:
            return
        self._listener = partial(self._invalidated, asyncio.get_running_loop(), warm)
        self._versions.listeners.append(self._listener)

    def _invalidated(self, loop: asyncio.AbstractEventLoop, warm: Warm, scopes: set[str]) -> None:
        """Told of a bump, in whatever thread made it (the embedded worker's too)."""
        for scope in scopes:
            community_id = community_of(scope)
            if community_id is not None:
                loop.call_soon_threadsafe(self._schedule, warm, community_id)

    def _schedule(self, warm: Warm, community_id: uuid.UUID) -> None:
        if community_id in self._warm_due:
            return
        self._warm_due.add(community_id)
        task = asyncio.create_task(self._warm_soon(warm, community_id))
        self._warming.add(task)
        task.add_done_callback(self._warming.discard)

    async def _warm_soon(self, warm: Warm, community_id: uuid.UUID) -> None:
        await asyncio.sleep(WARM_DELAY_SECONDS)
        self._warm_due.discard(community_id)  # a write from now on warms once more
        try:
            await warm(community_id)
        except Exception:
            log.warning("cache_warming_failed", exc_info=True)

    async def warmed(self) -> None:
        """Once the warming scheduled so far has finished."""
        await asyncio.sleep(0)  # what bumps scheduled from other threads is scheduled first
        while self._warming:
            await asyncio.gather(*self._warming)

    async def close(self) -> None:
        if self._listener is not None:
            self._versions.listeners.remove(self._listener)
        for task in self._warming:
            task.cancel()
        if self._redis is None:
            await self._store.close()
        else:
            await self._redis.aclose()


def _stored(key: str) -> str:
    return f"hoa:cache:{key}"


def _read(found: bytes | None, stamp: bytes, codec: Codec[V]) -> V | None:
    """A value read from Redis, if it was stored at ``stamp`` (the current versions)."""
    if found is None or not found.startswith(stamp):
        return None
    try:
        return codec.decode(found[len(stamp) :])
    except Exception:  # another release's form of the value (a rolling deploy): reload it
        return None
