"""Rate limits: moving windows on Redis (`limits`) shared by every app process when
HOA_REDIS_URL is set, else in a SQLite file every app process of the host shares (also the
fallback while Redis is skipped, see breaker)."""

import asyncio
import math
import sqlite3
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from ipaddress import ip_address
from pathlib import Path

import structlog
from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from redis import RedisError

from hoa.core import metrics
from hoa.core.breaker import client_options, redis_breaker
from hoa.core.errors import AppError
from hoa.core.folders import FolderError, ensure_folder
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
        self._local = LocalWindows(local_path(settings))
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
        it answers; else (and while the breaker skips it) on the host's local store."""
        if self._shared is not None and self._breaker.allow("rate_limit"):
            try:
                with self._breaker.watch():
                    return await _window(self._shared, limit, key)
            except RedisError:
                log.warning("rate_limit_redis_unavailable", exc_info=True)
                metrics.RATE_LIMIT_STORAGE_ERRORS.inc()
        try:
            return await self._local.hit(limit, key)
        except (sqlite3.Error, FolderError):
            # Fail open: a broken local store must not take every API request down with it.
            log.warning("rate_limit_storage_unavailable", exc_info=True)
            metrics.RATE_LIMIT_STORAGE_ERRORS.inc()
            return None

    def close(self) -> None:
        self._local.close()

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


def local_path(settings: Settings) -> Path:
    if settings.rate_limit.local_path is not None:
        return settings.rate_limit.local_path
    db = settings.sqlite_path
    return (db.parent if db is not None else Path("var")) / "ratelimit.db"


class LocalWindows:
    """Moving windows in a SQLite file, one row per counted hit, shared by every process that
    opens it: ``hoa serve --workers N`` counts each client once, whichever process answers.
    Each process talks to the file from one thread of its own, so a writer waiting for the
    file's lock never blocks the event loop."""

    CLEANUP_SECONDS = 60  # how often expired hits of clients gone quiet are deleted

    def __init__(self, path: Path) -> None:
        self._path = path
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="hoa-ratelimit")
        self._db: sqlite3.Connection | None = None
        self._cleanup_at = 0.0

    async def hit(self, limit: RateLimitItem, key: tuple[str, ...]) -> float | None:
        """Like ``limits``' moving window: None when the hit is counted, else (nothing
        counted) when the oldest hit in the window expires."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._thread, self._hit, limit.key_for(*key), limit.amount, limit.get_expiry()
        )

    def _hit(self, key: str, amount: int, expiry: int) -> float | None:
        db = self._connect()
        now = time.time()
        db.execute("BEGIN IMMEDIATE")  # count and insert under the file's write lock
        try:
            count, oldest = db.execute(
                "SELECT count(*), min(expires) FROM hits WHERE key = ? AND expires > ?",
                (key, now),
            ).fetchone()
            if count < amount:
                db.execute("INSERT INTO hits (key, expires) VALUES (?, ?)", (key, now + expiry))
            if now >= self._cleanup_at:
                db.execute("DELETE FROM hits WHERE expires <= ?", (now,))
                self._cleanup_at = now + self.CLEANUP_SECONDS
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return None if count < amount else float(oldest)

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            ensure_folder(self._path.parent, "the rate-limit counters")
            db = sqlite3.connect(self._path, timeout=5, isolation_level=None)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = OFF")  # counters need not survive a power cut
            db.execute("CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, expires REAL NOT NULL)")
            db.execute("CREATE INDEX IF NOT EXISTS hits_key ON hits (key, expires)")
            self._db = db
        return self._db

    def close(self) -> None:
        def close_db() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        self._thread.submit(close_db)
        self._thread.shutdown(wait=True)
