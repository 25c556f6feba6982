"""kill -9 of a worker in the middle of a send: Huey loses the dequeued task, the lease on the
notification row brings it back, and it is delivered again only when the worker could not know
the provider had it (then with the same Message-ID)."""

import asyncio
import email
import email.message
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
from hoa.core.settings import EmailBackend, Settings
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


def _worker_env(settings: Settings, tmp_path: Path, smtp_port: int) -> dict[str, str]:
    """`hoa worker` on the test's database and local queue, a 2 s lease, mail to the sink."""
    env = {
        **os.environ,
        "HOA_ENV": "test",
        "HOA_DATABASE_URL": settings.database_url,
        "HOA_JOBS__QUEUE_PATH": str(tmp_path / "jobs.db"),
        "HOA_JOBS__LEASE_SECONDS": "2",
        "HOA_EMAIL__BACKEND": "smtp",
        "HOA_EMAIL__SMTP_HOST": "127.0.0.1",
        "HOA_EMAIL__SMTP_PORT": str(smtp_port),
        "HOA_EMAIL__SMTP_STARTTLS": "false",
    }
    env.pop("HOA_REDIS_URL", None)
    return env


def _worker(env: dict[str, str], threads: int = 1) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "hoa", "worker", "--workers", str(threads), "--no-periodic"],
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
    env = _worker_env(settings, tmp_path, port)
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


class SlowGoodbyeInbox:
    """Takes every message. On the first attempt of each notification it stalls long enough
    for the test to kill the worker: at ``data`` after storing the message but before answering
    250 (the provider has it, the worker cannot know), or at ``quit`` after the 250."""

    def __init__(self, where: str, in_flight: int) -> None:
        self.where, self.in_flight = where, in_flight
        self.messages: list[email.message.Message] = []
        self.stalls = 0
        self.all_stalled = threading.Event()
        self._seen: set[str] = set()

    async def _stall(self) -> None:
        self.stalls += 1
        if self.stalls == self.in_flight:
            self.all_stalled.set()
        await asyncio.sleep(15)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        self.messages.append(message)
        notification = str(message["X-HOA-Notification"])
        first = notification not in self._seen
        self._seen.add(notification)
        session.stall_goodbye = first and self.where == "quit"
        if first and self.where == "data":
            await self._stall()
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if getattr(session, "stall_goodbye", False):
            await self._stall()
        return "221 Bye"


@pytest.mark.parametrize(("where", "copies"), [("data", 2), ("quit", 1)])
async def test_kill_9_after_the_provider_took_the_message(
    app: Any,
    as_user: Any,
    world: World,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    where: str,
    copies: int,
) -> None:
    """Two messages in flight when the worker dies. Killed before it heard the 250, the worker
    cannot know the provider has the message: it is sent again after the lease, with the same
    Message-ID so receivers drop the copy. Killed after the 250, the row is already sent."""
    handler, port = SlowGoodbyeInbox(where, in_flight=2), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    ours = variant(settings, tmp_path)
    jobs = Jobs(ours)
    env = _worker_env(settings, tmp_path, port)
    saved, app.state.jobs = app.state.jobs, jobs
    first = second = None
    try:
        resident = await as_user("resident")
        for day in (2, 3):
            r = await resident.post("/reservations", booking(world, "court", local(day, 10)))
            assert r.status_code == 201
        first = await asyncio.to_thread(_worker, env, 2)
        assert await asyncio.to_thread(handler.all_stalled.wait, 30)
        first.send_signal(signal.SIGKILL)
        await asyncio.to_thread(first.wait, 10)

        await asyncio.sleep(2.2)  # the leases of rows still sending run out
        jobs.sweep()
        second = await asyncio.to_thread(_worker, env)

        async def all_sent() -> bool:
            rows = await notifications(db)
            return all(row.status is NotificationStatus.SENT for row in rows)

        await _until(all_sent, 20)
        rows = await notifications(db)
        assert all(row.status is NotificationStatus.SENT for row in rows)
    finally:
        app.state.jobs = saved
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 10)
        jobs.close()
        controller.stop()
    received: dict[str, list[str]] = {}
    for message in handler.messages:
        received.setdefault(str(message["X-HOA-Notification"]), []).append(
            str(message["Message-ID"]).strip()
        )
    assert sorted(received) == sorted(str(row.id) for row in rows)
    for ids in received.values():
        assert len(ids) == copies  # at most one copy per message in flight at the kill
        assert len(set(ids)) == 1  # and a copy says it is one


class SlowInbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.receiving = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.receiving.set()
        await asyncio.sleep(2.5)  # longer than the lease
        self.messages.append(envelope.content)
        return "250 OK"


async def test_a_slow_send_keeps_its_lease(
    as_user: Any, world: World, db: Database, settings: Settings, tmp_path: Path, deliverer_for: Any
) -> None:
    handler, port = SlowInbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    smtp = variant(
        settings,
        tmp_path,
        backend=EmailBackend.SMTP,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
    )
    smtp.jobs.lease_seconds = 1
    first, second = deliverer_for(smtp), deliverer_for(smtp)
    try:
        resident = await as_user("resident")
        r = await resident.post("/reservations", booking(world, "court", local(2, 10)))
        assert r.status_code == 201
        [row] = await notifications(db)
        sending = asyncio.create_task(asyncio.to_thread(first.deliver, row.id))
        assert await asyncio.to_thread(handler.receiving.wait, 10)
        await asyncio.sleep(1.5)  # past the first lease
        assert await asyncio.to_thread(second.deliver, row.id) == "skipped"
        assert await sending == "sent"
    finally:
        controller.stop()
    assert len(handler.messages) == 1
