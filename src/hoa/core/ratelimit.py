"""Rate limits: `limits` moving windows, in process memory by default or on Redis shared by
every app process when HOA_REDIS_URL is set."""

import math
import time
from collections.abc import Iterable
from ipaddress import ip_address

import structlog
from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

from hoa.core import metrics
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
        if settings.redis_url:
            storage = storage_from_string(
                f"async+{settings.redis_url}",
                implementation="redispy",
                key_prefix="hoa:ratelimit",
                wrap_exceptions=True,
            )
        else:
            storage = storage_from_string("async+memory://", wrap_exceptions=True)
        self._windows = MovingWindowRateLimiter(storage)
        config = settings.rate_limit
        self.api = parse(config.api)
        self.auth_per_ip = parse(config.auth_per_ip)
        self.auth_per_account = parse(config.auth_per_account)
        self.rum = parse(config.rum)
        self._trusted_proxies = config.trusted_proxies

    async def hit(self, limit: RateLimitItem, *key: str) -> None:
        """Count one request for ``key`` (its last part is the client: an address or an
        account; the rest names the limit); past the limit raise RateLimited."""
        try:
            if await self._windows.hit(limit, *key):
                return
            stats = await self._windows.get_window_stats(limit, *key)
        except StorageError:
            # Fail open: an unreachable Redis must not take every API request down with it.
            log.warning("rate_limit_storage_unavailable", exc_info=True)
            metrics.RATE_LIMIT_STORAGE_ERRORS.inc()
            return
        metrics.RATE_LIMITED.labels(":".join(key[:-1])).inc()
        wait = str(max(1, math.ceil(stats.reset_time - time.time())))
        raise RateLimited(
            headers={
                "Retry-After": wait,
                "RateLimit-Limit": str(limit.amount),
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": wait,
            }
        )

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
