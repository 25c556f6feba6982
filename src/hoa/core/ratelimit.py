"""Rate limits: `limits` moving windows, in process memory by default or on Redis shared by
every app process when HOA_REDIS_URL is set (in memory while Redis is down: see breaker)."""

import math
import time
from collections.abc import Iterable
from ipaddress import ip_address

import structlog
from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string
from redis import RedisError

from hoa.core import metrics
from hoa.core.breaker import client_options, redis_breaker
from hoa.core.errors import AppError
from hoa.core.settings import Settings

log = structlog.get_logger()


class RateLimited(AppError):
    code, status_code, message = (
        "rate_limited",
        429,
        "Too many requests; wait a moment and try again.",
    )


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        # Redis errors surface as such (not wrapped), so the breaker counts them.
        self._shared = (
            MovingWindowRateLimiter(
                storage_from_string(
                    f"async+{settings.redis_url}",
                    implementation="redispy",
                    key_prefix="hoa:ratelimit",
                    **client_options(settings, asyncio=True),
                )
            )
            if settings.redis_url
            else None
        )
        self._breaker = redis_breaker(settings)
        self._local = MovingWindowRateLimiter(
            storage_from_string("async+memory://", wrap_exceptions=True)
        )
        config = settings.rate_limit
        self.api = parse(config.api)
        self.auth_per_ip = parse(config.auth_per_ip)
        self.auth_per_account = parse(config.auth_per_account)
        self.rum = parse(config.rum)
        self._trusted_proxies = config.trusted_proxies

    async def hit(self, limit: RateLimitItem, *key: str) -> None:
        """Count one request for ``key`` (its last part is the client: an address or an
        account; the rest names the limit); past the limit raise RateLimited."""
        reset_time = await self._count(limit, key)
        if reset_time is None:
            return
        metrics.RATE_LIMITED.labels(":".join(key[:-1])).inc()
        wait = str(max(1, math.ceil(reset_time - time.time())))
        raise RateLimited(
            headers={
                "Retry-After": wait,
                "RateLimit-Limit": str(limit.amount),
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": wait,
            }
        )

    async def _count(self, limit: RateLimitItem, key: tuple[str, ...]) -> float | None:
        """None when the hit is allowed, else when the window frees a place. On Redis while
        it answers; else (and while the breaker skips it) on the local counters."""
        if self._shared is not None and self._breaker.allow("rate_limit"):
            try:
                with self._breaker.watch():
                    return await _window(self._shared, limit, key)
            except RedisError:
                log.warning("rate_limit_redis_unavailable", exc_info=True)
                metrics.RATE_LIMIT_STORAGE_ERRORS.inc()
        try:
            return await _window(self._local, limit, key)
        except StorageError:
            # Fail open: a broken local store must not take every API request down with it.
            log.warning("rate_limit_storage_unavailable", exc_info=True)
            metrics.RATE_LIMIT_STORAGE_ERRORS.inc()
            return None

    def client_ip(self, peer: str, forwarded_for: Iterable[str]) -> str:
        """The peer's address; behind trusted proxies, the nearest address they did not add
        themselves (anything further left in X-Forwarded-For is the client's to forge)."""
        if not self._is_trusted(peer):
            return peer
        hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return hop
        return hops[0] if hops else peer

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._trusted_proxies)


async def _window(
    windows: MovingWindowRateLimiter, limit: RateLimitItem, key: tuple[str, ...]
) -> float | None:
    if await windows.hit(limit, *key):
        return None
    stats = await windows.get_window_stats(limit, *key)
    return stats.reset_time
