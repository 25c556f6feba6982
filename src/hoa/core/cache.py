"""The cache layer: process memory (cachetools), plus Redis shared by every app process with
HOA_REDIS_URL. Redis is called behind the process's breaker with its short timeouts; a Redis
that fails or is skipped reads as a miss, never as an error, and what this process wrote is
still found in its own memory."""

import structlog
from cachetools import TLRUCache
from redis import RedisError
from redis.asyncio import Redis

from hoa.core.breaker import client_options, redis_breaker
from hoa.core.settings import Settings

log = structlog.get_logger()
LOCAL_ENTRIES = 100_000  # the oldest go first beyond this


def _expires(_key: str, entry: tuple[str, float], now: float) -> float:
    return now + entry[1]


class SharedCache:
    def __init__(self, settings: Settings) -> None:
        self._local: TLRUCache[str, tuple[str, float]] = TLRUCache(LOCAL_ENTRIES, _expires)
        self._breaker = redis_breaker(settings)
        self._shared: Redis | None = None
        if settings.redis_url:
            options = client_options(settings, asyncio=True)
            self._shared = Redis.from_url(settings.redis_url, **options)

    async def set(self, key: str, value: str, expire: int) -> None:
        self._local[key] = (value, expire)
        if self._shared is not None and self._breaker.allow("cache"):
            try:
                with self._breaker.watch():
                    await self._shared.set(key, value, ex=expire)
            except RedisError:
                log.warning("cache_unavailable", exc_info=True)

    async def get(self, key: str) -> str | None:
        entry = self._local.get(key)
        value = entry[0] if entry is not None else None
        if value is not None or self._shared is None or not self._breaker.allow("cache"):
            return value
        try:
            with self._breaker.watch():
                shared = await self._shared.get(key)
        except RedisError:
            log.warning("cache_unavailable", exc_info=True)
            return None
        return shared.decode() if isinstance(shared, bytes) else shared

    async def close(self) -> None:
        if self._shared is not None:
            await self._shared.aclose()
