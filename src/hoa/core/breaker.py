"""Redis behind a circuit breaker, one per server and process, shared by every caller (rate
limits, enqueueing deliveries, /readyz).

A hung Redis accepts connections and never answers, so each call would wait for its timeout.
Calls have a short one (``HOA_REDIS__TIMEOUT_MS``); once they have failed ``FAILURES`` times in
a row, for longer than one timeout, the breaker opens and callers skip Redis without waiting
(rate limits count locally, deliveries wait for the sweep, /readyz says the queue is down).
Every ``HOA_REDIS__RETRY_SECONDS`` one call goes through as a trial; its success closes it.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from redis import RedisError
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from hoa.core import metrics
from hoa.core.settings import Settings

FAILURES = 3  # in a row, and failing for longer than one timeout (see _failed)


class Breaker:
    def __init__(self, retry_seconds: float, timeout_seconds: float) -> None:
        self.retry_seconds = retry_seconds
        self.timeout_seconds = timeout_seconds
        self._lock = threading.Lock()  # enqueues run in threads, rate limits on the loop
        self._failures = 0
        self._failing_since = 0.0
        self._trial_at = 0.0
        self.open = False

    def allow(self, caller: str) -> bool:
        """Whether ``caller`` may call Redis now: while it answers, yes; while the breaker is
        open, only one caller per retry period (the trial)."""
        if not self.open:
            return True
        with self._lock:
            now = time.monotonic()
            if now >= self._trial_at:
                self._trial_at = now + self.retry_seconds
                return True
        metrics.REDIS_SKIPPED.labels(caller).inc()
        return False

    @contextmanager
    def watch(self) -> Iterator[None]:
        """Around one Redis call: a Redis error counts as a failure (and is re-raised), a
        return closes the breaker."""
        try:
            yield
        except RedisError:
            self._failed()
            raise
        if self._failures:
            with self._lock:
                self._failures = 0
                if self.open:
                    self.open = False
                    metrics.REDIS_BREAKER_OPEN.set(0)

    def _failed(self) -> None:
        """Open after FAILURES in a row spread over more than one timeout. A stalled event
        loop (a password hash, a loaded host) times out every call waiting on it in the same
        instant, while Redis is fine: the next call succeeds and ends the streak."""
        with self._lock:
            now = time.monotonic()
            if self._failures == 0:
                self._failing_since = now
            self._failures += 1
            if (
                not self.open
                and self._failures >= FAILURES
                and now - self._failing_since >= self.timeout_seconds
            ):
                self.open = True
                self._trial_at = now + self.retry_seconds
                metrics.REDIS_BREAKER_OPEN.set(1)


@cache
def _breaker(url: str | None, retry_seconds: float, timeout_seconds: float) -> Breaker:
    return Breaker(retry_seconds, timeout_seconds)


def redis_breaker(settings: Settings) -> Breaker:
    """The process's breaker for ``HOA_REDIS_URL`` (one that never opens without Redis)."""
    return _breaker(settings.redis_url, settings.redis.retry_seconds, _timeout(settings))


def _timeout(settings: Settings) -> float:
    return settings.redis.timeout_ms / 1000


def client_options(settings: Settings, *, asyncio: bool) -> dict[str, Any]:
    """Options of a Redis client on a request's path: short timeouts and no retry of its own
    (the breaker decides when Redis is tried again)."""
    timeout = _timeout(settings)
    retry = AsyncRetry(NoBackoff(), 0) if asyncio else Retry(NoBackoff(), 0)
    return {"socket_connect_timeout": timeout, "socket_timeout": timeout, "retry": retry}
