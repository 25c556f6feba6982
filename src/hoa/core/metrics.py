"""Every Prometheus metric of the app, in one place, and what ``/metrics`` answers.

Under ``hoa serve`` and ``hoa worker`` the command line points prometheus-client's
multiprocess mode at ``HOA_METRICS__DIR`` before anything imports this module, so each process
writes its values to files there and ``/metrics`` adds up every process on the host (the app's
workers and the job workers). Elsewhere (tests, scripts) values live in the process.

Labels are bounded by construction: route templates (never raw paths), status classes, error
codes, task names and fixed outcome sets; never a community, user or other id.
"""

import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Seconds: from a fast API read to a slow write on a busy machine.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# ---- HTTP: one histogram observe and two counter increments per request ----
HTTP_DURATION = Histogram(
    "hoa_http_request_duration_seconds",
    "Time to answer a request, by route template, method and status class (its _count is "
    "the request count)",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
HTTP_IN_PROGRESS = Gauge(
    "hoa_http_requests_in_progress",
    "Requests being answered now",
    multiprocess_mode="livesum",
)
HTTP_REQUEST_BYTES = Counter(
    "hoa_http_request_bytes", "Declared request body bytes received, by route", ["route"]
)
HTTP_RESPONSE_BYTES = Counter(
    "hoa_http_response_bytes", "Response body bytes sent, by route", ["route"]
)
ERRORS = Counter(
    "hoa_errors",
    "Error envelopes answered, by error code (rule refusals, slot taken, rate limited, ...)",
    ["code"],
)

# ---- Database ----
POOLS = ("primary", "replica", "jobs")
POOL_SIZE = Gauge("hoa_db_pool_size", "Configured pool size", ["pool"], multiprocess_mode="livesum")
POOL_LIMIT = Gauge(
    "hoa_db_pool_limit",
    "Most connections the pool may hold (size + overflow)",
    ["pool"],
    multiprocess_mode="livesum",
)
POOL_OPEN = Gauge(
    "hoa_db_pool_open_connections",
    "Connections open (above the size: overflow)",
    ["pool"],
    multiprocess_mode="livesum",
)
POOL_CHECKED_OUT = Gauge(
    "hoa_db_pool_checked_out",
    "Connections in use",
    ["pool"],
    multiprocess_mode="livesum",
)
POOL_WAIT = Histogram(
    "hoa_db_pool_wait_seconds",
    "Time to get a connection from the pool (opening one included)",
    ["pool"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0),
)
DB_REFUSALS = Counter(
    "hoa_db_refusals",
    "Database failures answered as errors, by reason and backend",
    ["reason", "backend"],
)
DB_REFUSAL_REASONS = (
    "statement_timeout",
    "lock_timeout",
    "deadlock",
    "busy",
    "pool_timeout",
    "too_many_connections",
    "unavailable",
    "constraint",
    "invalid_value",
)
SLOW_STATEMENTS = Counter(
    "hoa_db_slow_statements", "Statements slower than HOA_DB__SLOW_STATEMENT_MS"
)

# ---- Rate limits, Redis and sign-ins ----
RATE_LIMITED = Counter(
    "hoa_rate_limit_refusals", "Requests refused by a rate limit, by limit", ["limit"]
)
RATE_LIMIT_STORAGE_ERRORS = Counter(
    "hoa_rate_limit_storage_errors",
    "Rate-limit checks skipped because the storage (Redis) failed",
)
REDIS_BREAKER_OPEN = Gauge(
    "hoa_redis_breaker_open",
    "1 while Redis is skipped after failed calls (rate limits count on the host, deliveries "
    "wait for the sweep), in any live process",
    multiprocess_mode="livemax",
)
REDIS_SKIPPED = Counter(
    "hoa_redis_skipped",
    "Redis calls skipped while the breaker is open, by caller",
    ["caller"],
)
REDIS_CALLERS = ("rate_limit", "cache", "enqueue", "queue_state")

# ---- The read cache ----
CACHE_READS = Counter(
    "hoa_cache_reads",
    "Read-cache lookups by what is read and outcome (hit, miss)",
    ["kind", "outcome"],
)
CACHE_KINDS = ("calendar", "amenities", "availability", "membership")
CACHE_INVALIDATIONS = Counter(
    "hoa_cache_invalidations", "Community and user versions bumped after a commit changed them"
)
CACHE_BYPASSES = Counter(
    "hoa_cache_bypasses", "Reads answered from the database because the cache (Redis) failed"
)
SIGN_INS = Counter("hoa_auth_sign_ins", "Sign-in attempts by outcome", ["outcome"])
SIGN_IN_OUTCOMES = ("ok", "failed")
LOCKOUTS = Counter("hoa_auth_lockouts", "Accounts locked after failed sign-ins")

# ---- Jobs and email ----
JOB_RUNS = Counter("hoa_job_runs", "Task runs by task and outcome", ["task", "outcome"])
JOB_DURATION = Histogram(
    "hoa_job_duration_seconds",
    "Task run time",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
)
JOB_LAST_SUCCESS = Gauge(
    "hoa_job_last_success_timestamp_seconds",
    "When a periodic task last finished without error (Unix time)",
    ["task"],
    multiprocess_mode="max",
)
JOB_INTERVAL = Gauge(
    "hoa_job_interval_seconds",
    "How often a periodic task is scheduled",
    ["task"],
    multiprocess_mode="max",
)
EMAIL_DELIVERIES = Counter(
    "hoa_email_deliveries",
    "Delivery attempts by outcome: sent, retry (temporary failure), failed (dead letter), "
    "skipped (not due, done, or leased elsewhere)",
    ["outcome"],
)
EMAIL_OUTCOMES = ("sent", "retry", "failed", "skipped")
EMAIL_LATENCY = Histogram(
    "hoa_email_delivery_latency_seconds",
    "From the notification's commit to its email being accepted by the provider",
    buckets=(0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0),
)

# ---- Bookings ----
RESERVATIONS = Counter(
    "hoa_reservations",
    "Reservation changes by action and outcome (refusals are hoa_errors_total by code)",
    ["action", "outcome"],
)
RESERVATION_EVENTS = (
    ("create", "confirmed"),
    ("create", "pending"),
    ("cancel", "cancelled"),
    ("approve", "confirmed"),
    ("reject", "rejected"),
)

# ---- Real-user monitoring (browsers' reports to /api/v1/rum) ----
RUM_LCP = Histogram(
    "hoa_rum_lcp_seconds",
    "Largest Contentful Paint reported by browsers, by web app route",
    ["route"],
    buckets=(0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 10.0),
)
RUM_INP = Histogram(
    "hoa_rum_inp_seconds",
    "Interaction to Next Paint reported by browsers, by web app route",
    ["route"],
    buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0),
)
RUM_CLS = Histogram(
    "hoa_rum_cls",
    "Cumulative Layout Shift reported by browsers, by web app route",
    ["route"],
    buckets=(0.01, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0),
)
RUM_API = Histogram(
    "hoa_rum_api_seconds",
    "API call durations seen by browsers (network included), by route template",
    ["route"],
    buckets=LATENCY_BUCKETS,
)


def _initialize() -> None:
    """Children of the fixed label sets exist from the start, so rate() sees their zeros."""
    for reason in DB_REFUSAL_REASONS:
        for backend in ("postgresql", "sqlite"):
            DB_REFUSALS.labels(reason, backend)
    for caller in REDIS_CALLERS:
        REDIS_SKIPPED.labels(caller)
    for outcome in SIGN_IN_OUTCOMES:
        SIGN_INS.labels(outcome)
    for kind in CACHE_KINDS:
        for outcome in ("hit", "miss"):
            CACHE_READS.labels(kind, outcome)
    for outcome in EMAIL_OUTCOMES:
        EMAIL_DELIVERIES.labels(outcome)
    for action, outcome in RESERVATION_EVENTS:
        RESERVATIONS.labels(action, outcome)


_initialize()


@contextmanager
def job_run(task: str, *, periodic: bool = False) -> Iterator[None]:
    """Count one run of ``task`` and time it; a periodic task's success is timestamped (the
    'no successful run' alert compares it with the task's interval)."""
    start = time.perf_counter()
    try:
        yield
    except BaseException:
        JOB_RUNS.labels(task, "error").inc()
        raise
    finally:
        JOB_DURATION.labels(task).observe(time.perf_counter() - start)
    JOB_RUNS.labels(task, "ok").inc()
    if periodic:
        JOB_LAST_SUCCESS.labels(task).set(time.time())


def multiprocess_dir() -> str | None:
    """The folder of multiprocess mode when this process writes its values there (the command
    line set prometheus-client's variable before the library was loaded), else None."""
    if values.ValueClass is values.MutexValue:
        return None
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def process_exited() -> None:
    """Drop this process's live gauges (in flight, pool) from the multiprocess folder."""
    if (folder := multiprocess_dir()) is not None:
        multiprocess.mark_process_dead(os.getpid(), folder)  # type: ignore[no-untyped-call]


class Snapshot(Collector):
    """Gauges read at scrape time: facts about shared state (the queue, the outbox, the
    backups) rather than about one process, so they are measured, not summed."""

    def __init__(self, values: dict[str, tuple[str, float | dict[str, float]]]) -> None:
        self.values = values

    def collect(self) -> Iterable[GaugeMetricFamily]:
        for name, (documentation, value) in self.values.items():
            if isinstance(value, dict):
                family = GaugeMetricFamily(name, documentation, labels=["status"])
                for status, number in value.items():
                    family.add_metric([status], number)
            else:
                family = GaugeMetricFamily(name, documentation, value=value)
            yield family


def exposition(snapshot: dict[str, tuple[str, float | dict[str, float]]]) -> bytes:
    """The text ``/metrics`` answers: every process's metrics plus the scrape-time gauges."""
    if (folder := multiprocess_dir()) is not None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    extra = CollectorRegistry()
    extra.register(Snapshot(snapshot))
    return counted + generate_latest(extra)
