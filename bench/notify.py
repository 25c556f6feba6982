"""Notifications delivered per second by one ``hoa worker`` to a local SMTP sink.

Writes N pending confirmation notifications (each renders plain text, HTML and an .ics
attachment), enqueues them, starts one ``hoa worker`` process and times the deliveries from the
rows' ``sent_at``. Embedded shape by default (SQLite database and queue file); ``--scaled`` uses
PostgreSQL and Redis. Prints numbers, asserts nothing.

    uv run python -m bench.notify [--count 2000] [--threads 1] [--scaled]
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from hoa.core import migrate
from hoa.core.database import create_sync_engine, utcnow
from hoa.core.settings import EmailBackend, EmailSettings, Env, JobSettings, Settings
from hoa.models import Notification, NotificationStatus
from hoa.worker import Jobs

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql+asyncpg://postgres@127.0.0.1:5432/hoa_bench_notify"
REDIS = "redis://127.0.0.1:6379/15"


class Sink:
    """An SMTP server that accepts and counts."""

    def __init__(self) -> None:
        self.received = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.received += 1
        return "250 OK"


def fresh_postgres() -> None:
    engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS hoa_bench_notify WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE hoa_bench_notify"))
    engine.dispose()


def payload(i: int) -> dict[str, Any]:
    start = utcnow() + timedelta(days=2, hours=i % 48)
    return {
        "community_name": "Bench Community",
        "timezone": "America/New_York",
        "amenity_name": f"Court {i % 4 + 1}",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "title": "Doubles",
        "reason": None,
        "cancelled_by": None,
        "stamp": utcnow().isoformat(),
        "sequence": 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1, help="worker threads of the one worker")
    parser.add_argument("--scaled", action="store_true", help="PostgreSQL + Redis")
    args = parser.parse_args()

    sink = Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    tmp = Path(tempfile.mkdtemp(prefix="hoa-bench-notify-"))
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    if args.scaled:
        fresh_postgres()
        url, redis = PG_BENCH, REDIS
    else:
        url, redis = f"sqlite+aiosqlite:///{tmp / 'bench.db'}", None
    settings = Settings(
        env=Env.DEVELOPMENT,
        database_url=url,
        redis_url=redis,
        email=EmailSettings(
            backend=EmailBackend.SMTP,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_starttls=False,
        ),
        jobs=JobSettings(embedded_worker=False, queue_path=tmp / "jobs.db", queue_name=queue),
    )
    migrate.upgrade(url)
    engine = create_sync_engine(settings)
    ids = [uuid.uuid4() for _ in range(args.count)]
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Notification),
            [
                {
                    "id": nid,
                    "recipient_email": f"resident{i}@bench.example.com",
                    "kind": "reservation_confirmed",
                    "entity_type": "reservation",
                    "entity_id": uuid.uuid4(),
                    "payload": payload(i),
                    "status": NotificationStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": utcnow(),
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                }
                for i, nid in enumerate(ids)
            ],
        )
    jobs = Jobs(settings)
    for nid in ids:
        jobs.enqueue(nid)
    env = {
        **os.environ,
        "HOA_DATABASE_URL": url,
        "HOA_JOBS__QUEUE_NAME": queue,
        "HOA_JOBS__QUEUE_PATH": str(tmp / "jobs.db"),
        "HOA_EMAIL__BACKEND": "smtp",
        "HOA_EMAIL__SMTP_HOST": "127.0.0.1",
        "HOA_EMAIL__SMTP_PORT": str(settings.email.smtp_port),
        "HOA_EMAIL__SMTP_STARTTLS": "false",
        **({"HOA_REDIS_URL": redis} if redis else {}),
    }
    print(
        f"{args.count} notifications, one worker with {args.threads} thread(s), "
        f"{'PostgreSQL + Redis' if args.scaled else 'SQLite + queue file'}"
    )
    worker = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "hoa", "worker", "--workers", str(args.threads), "--no-periodic"],
        env=env,
    )
    sent = 0
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                sent = (
                    conn.scalar(
                        sa.select(sa.func.count()).where(
                            Notification.status == NotificationStatus.SENT
                        )
                    )
                    or 0
                )
            if sent == args.count:
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(10)
        controller.stop()
        if redis:
            jobs.huey.storage.flush_all()
        jobs.close()
    with engine.connect() as conn:
        first, last = conn.execute(
            sa.select(sa.func.min(Notification.sent_at), sa.func.max(Notification.sent_at))
        ).one()
    engine.dispose()
    if first is None or last is None or last <= first:
        print(f"only {sent} of {args.count} sent")
        return
    seconds = (last - first).total_seconds()
    print(f"sent {sent}, received by the sink {sink.received}")
    print(f"{seconds:.1f} s from first to last delivery: {(sent - 1) / seconds:.0f} deliveries/s")


if __name__ == "__main__":
    main()
