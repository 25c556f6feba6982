"""The job queue and everything that runs on it: the delivery of notifications and each domain's
periodic work (its ``tasks.py``), on one schedule. Huey: SqliteHuey consumed in-process by
default, RedisHuey with ``hoa worker``.

The notification row is the source of truth; a task only carries its id, so a lost task costs
nothing but a delay until the sweep re-enqueues the row. Importing this module loads no web
framework (the worker process has no routes).
"""

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab  # type: ignore[import-untyped]
from huey.consumer import Consumer  # type: ignore[import-untyped]
from opentelemetry.sdk.trace import TracerProvider
from redis import ConnectionPool

from hoa.audit import tasks as audit
from hoa.auth import tasks as auth
from hoa.core import metrics
from hoa.core.backup import backup
from hoa.core.breaker import client_options, redis_breaker
from hoa.core.database import create_sync_engine, forget_pool, utcnow
from hoa.core.folders import ensure_folder
from hoa.core.settings import Settings
from hoa.core.tracing import Carrier, carrier, task_span, trace_engine
from hoa.core.versions import versions_for
from hoa.email.backends import get_backend
from hoa.members import tasks as members
from hoa.notifications import tasks as notifications
from hoa.notifications.delivery import Deliverer
from hoa.reservations import tasks as reservations

MINUTE, HOUR, DAY = 60, 3600, 86400
READ_TIMEOUT = 1  # seconds a consumer blocks on an empty Redis queue per call


class Jobs:
    def __init__(
        self,
        settings: Settings,
        tracer_provider: TracerProvider | None = None,
        *,
        consuming: bool = False,
    ) -> None:
        self.settings = settings
        self.tracer_provider = tracer_provider
        self.periodic_names: list[str] = []
        self.huey = make_huey(settings, consuming=consuming)
        self.breaker = redis_breaker(settings)
        self.engine = create_sync_engine(settings)
        trace_engine(self.engine, tracer_provider)
        self.deliverer = Deliverer(settings, self.engine, get_backend(settings.email))
        self.deliver_task = self.huey.task(name="deliver")(self._deliver)
        self.sweep_task = self.periodic(crontab(minute="*"), MINUTE, "sweep", self.sweep)
        self.reminder_task = self.periodic(
            crontab(minute="*/5"), 5 * MINUTE, "reminders", self.remind
        )
        self.digest_task = self.periodic(crontab(minute="7"), HOUR, "digest", self.digest)
        self.complete_task = self.periodic(
            crontab(minute="*/15"), 15 * MINUTE, "complete", self.complete
        )
        self.cleanup_task = self.periodic(
            crontab(hour="3", minute="17"), DAY, "cleanup", self.cleanup
        )
        if settings.backup.daily_at:
            hour, minute = (str(int(part)) for part in settings.backup.daily_at.split(":"))
            self.backup_task = self.periodic(
                crontab(hour=hour, minute=minute), DAY, "backup", self.backup
            )

    def periodic(self, schedule: Any, every: int, name: str, job: Callable[[], object]) -> Any:
        """A periodic task that runs once per tick however many consumers schedule it (every
        app process of ``hoa serve --workers N`` and every ``hoa worker`` has a scheduler):
        the first to claim the tick's key in the queue's storage runs it. Its runs are
        counted and timed; ``every`` (seconds) is exported for the missed-run alert."""
        metrics.JOB_INTERVAL.labels(name).set(every)
        self.periodic_names.append(name)

        def once() -> object:
            tick = f"tick:{name}:{utcnow():%Y%m%d%H%M}"
            if not self.huey.storage.put_if_empty(tick, b"1"):
                return None
            with task_span(self.tracer_provider, name), metrics.job_run(name, periodic=True):
                return job()

        return self.huey.periodic_task(schedule, name=name)(once)

    def _deliver(self, notification_id: str, trace: Carrier | None = None) -> str:
        """One delivery; ``trace`` continues the trace of the request that enqueued it."""
        with task_span(self.tracer_provider, "deliver", trace), metrics.job_run("deliver"):
            nid = uuid.UUID(notification_id)
            outcome = self.deliverer.deliver(nid)
            # A retry, or a row not due yet (an email held back for a while): come back then.
            if (
                outcome in ("retry", "skipped")
                and (delay := self.deliverer.next_attempt_delay(nid)) is not None
            ):
                self.enqueue(nid, delay=delay)
            return outcome

    def enqueue(self, notification_id: uuid.UUID, delay: float | None = None) -> None:
        """Queue a delivery; while Redis is skipped, leave it to the sweep (the row is due)."""
        if not self.breaker.allow("enqueue"):
            return
        trace = carrier(self.tracer_provider)
        args = (str(notification_id),) if trace is None else (str(notification_id), trace)
        with self.breaker.watch():
            if delay:
                self.deliver_task.schedule(args=args, delay=delay)
            else:
                self.deliver_task(*args)

    def _enqueue_all(self, notification_ids: list[uuid.UUID]) -> int:
        for nid in notification_ids:
            self.enqueue(nid)
        return len(notification_ids)

    def sweep(self) -> int:
        return self._enqueue_all(notifications.due(self.engine, self.settings))

    def remind(self) -> int:
        return self._enqueue_all(reservations.queue_reminders(self.engine, self.settings))

    def digest(self) -> int:
        return self._enqueue_all(reservations.queue_digests(self.engine, self.settings))

    def complete(self) -> int:
        return reservations.complete_past(self.engine, versions=versions_for(self.settings))

    def backup(self) -> str:
        """The daily backup (HOA_BACKUP__DAILY_AT), with the retention of ``hoa backup``."""
        return str(backup(self.settings))

    def cleanup(self) -> dict[str, int]:
        """Nightly, in one transaction: what has served its purpose goes (see each domain's
        tasks), and the periodic jobs' tick claims of earlier days."""
        now = utcnow()
        with self.engine.begin() as conn:
            counts = {
                "refresh_tokens": auth.delete_expired_refresh_tokens(conn, now),
                "invitations": members.delete_expired_invitations(conn, now),
                "notifications": notifications.delete_delivered(conn, self.settings, now),
                "audit_events": audit.delete_old_events(conn, self.settings, now),
            }
        today = f"{utcnow():%Y%m%d}"
        stale = [
            key
            for key in self.huey.storage.result_items()
            if str(key).startswith("tick:") and str(key).rsplit(":", 1)[-1][:8] < today
        ]
        for key in stale:
            self.huey.storage.delete_data(key)
        return {**counts, "ticks": len(stale)}

    def state(self) -> dict[str, object]:
        """Whether the queue answers, and how many tasks wait in it (for /readyz)."""
        if not self.breaker.allow("queue_state"):
            return {"status": "down"}
        try:
            with self.breaker.watch():
                return {"status": "ok", "queued": self.huey.pending_count()}
        except Exception:  # Redis down or the queue file unreadable: reported, not raised
            return {"status": "down"}

    def consumer(
        self, workers: int | None = None, *, embedded: bool = False, periodic: bool = True
    ) -> Consumer:
        cls = EmbeddedConsumer if embedded else Consumer
        if periodic:
            # The missed-run alert counts from the scheduler's start until the first run.
            for name in self.periodic_names:
                metrics.JOB_LAST_SUCCESS.labels(name).set(time.time())
        return cls(
            self.huey,
            workers=workers or self.settings.jobs.workers,
            worker_type="thread",
            periodic=periodic,
            max_delay=1.0,  # an idle worker polls at least every second
            graceful_signal="TERM",  # service managers stop with SIGTERM: finish the task
            shutdown_timeout=self.settings.server.drain_seconds,
        )

    def close(self) -> None:
        self.engine.dispose()
        forget_pool(self.engine, "jobs")


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer inside the app process: the web server owns the signal handlers."""

    def _set_signal_handlers(self) -> None:
        pass


def queue_path(settings: Settings) -> Path:
    if settings.jobs.queue_path is not None:
        return settings.jobs.queue_path
    db = settings.sqlite_path
    return (db.parent if db is not None else Path("var")) / "jobs.db"


def make_huey(settings: Settings, *, consuming: bool = False) -> Huey:
    """The queue. On Redis, an app process only enqueues, on the request's path: short
    timeouts; a consumer (``hoa worker``) waits up to READ_TIMEOUT for a task in one call."""
    if settings.redis_url:
        options = (
            {"socket_connect_timeout": 2, "socket_timeout": READ_TIMEOUT + 5}
            if consuming
            else client_options(settings, asyncio=False)
        )
        pool = ConnectionPool.from_url(settings.redis_url, **options)
        return RedisHuey(
            settings.jobs.queue_name,
            connection_pool=pool,
            read_timeout=READ_TIMEOUT,
            utc=True,
            results=False,
        )
    path = queue_path(settings)
    ensure_folder(path.parent, "the job queue")
    return SqliteHuey(settings.jobs.queue_name, filename=str(path), utc=True, results=False)


def start_embedded(
    settings: Settings, tracer_provider: TracerProvider | None = None
) -> tuple[Jobs, Any]:
    jobs = Jobs(settings, tracer_provider)
    consumer = None
    if settings.jobs.embedded_worker and not settings.redis_url:
        consumer = jobs.consumer(embedded=True)
        consumer.start()
    return jobs, consumer


def stop_embedded(jobs: Jobs, consumer: Any) -> None:
    if consumer is not None:
        consumer.stop(graceful=True)
    jobs.close()
