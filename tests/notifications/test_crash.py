"""kill -9 of a worker in the middle of a send: Huey loses the dequeued task, the lease on the
notification row brings it back, and it is delivered exactly once."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from hoa.core.database import Database
from hoa.core.settings import Settings
from hoa.models import NotificationStatus
from hoa.worker import Jobs
from tests.factories import World, local
from tests.notifications.conftest import free_port, notifications, variant
from tests.reservations.test_reservations import booking


class StallingInbox:
    """Holds the first delivery at RCPT (so the killed client never sends DATA)."""

    def __init__(self) -> None:
        self.stalled = threading.Event()
        self.messages: list[bytes] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if not self.stalled.is_set():
            self.stalled.set()
            await asyncio.sleep(5)
            return "451 try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[StallingInbox, int]]:
    handler, port = StallingInbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "hoa", "worker", "--workers", "1", "--no-periodic"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _until(predicate: Any, seconds: float) -> None:
    for _ in range(int(seconds * 10)):
        if await predicate():
            return
        await asyncio.sleep(0.1)


async def test_kill_9_mid_send_is_redelivered_once(
    app: Any,
    as_user: Any,
    world: World,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    inbox: tuple[StallingInbox, int],
) -> None:
    handler, port = inbox
    ours = variant(settings, tmp_path)
    ours.jobs.lease_seconds = 2
    jobs = Jobs(ours)
    env = {
        **os.environ,
        "HOA_ENV": "test",
        "HOA_DATABASE_URL": settings.database_url,
        "HOA_JOBS__QUEUE_PATH": str(tmp_path / "jobs.db"),
        "HOA_JOBS__LEASE_SECONDS": "2",
        "HOA_EMAIL__BACKEND": "smtp",
        "HOA_EMAIL__SMTP_HOST": "127.0.0.1",
        "HOA_EMAIL__SMTP_PORT": str(port),
        "HOA_EMAIL__SMTP_STARTTLS": "false",
    }
    env.pop("HOA_REDIS_URL", None)
    saved, app.state.jobs = app.state.jobs, jobs
    first = second = None
    try:
        resident = await as_user("resident")
        r = await resident.post("/reservations", booking(world, "court", local(2, 10)))
        assert r.status_code == 201
        first = await asyncio.to_thread(_worker, env)

        async def stalled() -> bool:
            return handler.stalled.is_set()

        await _until(stalled, 20)
        assert handler.stalled.is_set()
        first.send_signal(signal.SIGKILL)
        await asyncio.to_thread(first.wait, 10)
        [row] = await notifications(db)
        assert row.status is NotificationStatus.SENDING and row.attempts == 1
        assert jobs.huey.pending_count() == 0  # the task died with the worker

        await asyncio.sleep(2.2)  # the lease runs out; the sweep brings the row back
        assert jobs.sweep() == 1
        second = await asyncio.to_thread(_worker, env)

        async def sent() -> bool:
            [row] = await notifications(db)
            return row.status is NotificationStatus.SENT

        await _until(sent, 20)
        [row] = await notifications(db)
        assert row.status is NotificationStatus.SENT and row.attempts == 2
        assert len(handler.messages) == 1
    finally:
        app.state.jobs = saved
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 10)
        jobs.close()
