"""SMTP (a real aiosmtpd server) and SendGrid (an HTTP server speaking the v3 shape)."""

import asyncio
import base64
import email
import email.policy
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import icalendar
import pytest
from aiosmtpd.controller import Controller

from hoa.core.database import Database, utcnow
from hoa.core.settings import EmailBackend, Settings
from hoa.main import create_app
from hoa.models import NotificationStatus
from tests.conftest import Api, sign_in
from tests.factories import NEW_YORK, World, local
from tests.notifications.conftest import free_port, notifications, variant
from tests.reservations.test_reservations import booking


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_smtp_delivers_both_parts_and_a_dst_correct_ics(
    as_user: Any,
    world: World,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    resident = await as_user("resident")
    start = local(3, 19, 30)
    r = await resident.post("/reservations", booking(world, "court", start, title="League"))
    await resident.post(f"/reservations/{r.json()['id']}/cancel", {"reason": "Rain"})
    confirmed, cancelled = await notifications(db)
    smtp_settings = variant(
        settings,
        tmp_path,
        backend=EmailBackend.SMTP,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        from_address="Maple Grove <board@example.org>",
    )
    deliverer = deliverer_for(smtp_settings)
    assert deliverer.deliver(confirmed.id) == "sent"
    assert deliverer.deliver(cancelled.id) == "sent"

    calendars = []
    for mail_from, rcpt, raw in inbox.messages:
        assert mail_from == "board@example.org" and rcpt == [world.emails["resident"]]
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert msg["From"] == "Maple Grove <board@example.org>"
        assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None
        [ics] = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
        calendars.append(icalendar.Calendar.from_ical(ics.get_content()))
    request, cancel = calendars
    assert (request["METHOD"], cancel["METHOD"]) == ("REQUEST", "CANCEL")
    [ev1], [ev2] = request.walk("VEVENT"), cancel.walk("VEVENT")
    assert ev1["UID"] == ev2["UID"] == f"{r.json()['id']}@hoa"
    assert int(ev2["SEQUENCE"]) > int(ev1["SEQUENCE"])
    begins = ev1.decoded("DTSTART")
    assert (begins.hour, begins.minute) == (19, 30) and begins == start
    assert begins.utcoffset() == start.astimezone(NEW_YORK).utcoffset()
    rows = await notifications(db)
    assert all(n.status is NotificationStatus.SENT for n in rows)


class SendGrid(BaseHTTPRequestHandler):
    answers: ClassVar[list[int]] = []
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert self.path == "/v3/mail/send"
        assert self.headers["Authorization"] == "Bearer SG.test"
        type(self).received.append(body)
        status = type(self).answers.pop(0)
        self.send_response(status)
        if status == 202:
            self.send_header("X-Message-Id", f"sg-{len(type(self).received)}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def sendgrid() -> Iterator[str]:
    SendGrid.answers, SendGrid.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SendGrid)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_sendgrid_retries_a_500_and_fails_a_400_for_good(
    as_user: Any,
    world: World,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
    sendgrid: str,
) -> None:
    resident = await as_user("resident")
    await resident.post("/reservations", booking(world, "court", local(2, 10)))
    await resident.post("/reservations", booking(world, "court", local(2, 12)))
    first, second = await notifications(db)
    sg = variant(
        settings,
        tmp_path,
        backend=EmailBackend.SENDGRID,
        sendgrid_url=sendgrid,
        sendgrid_api_key="SG.test",
    )
    deliverer = deliverer_for(sg)

    SendGrid.answers = [500, 202]
    assert deliverer.deliver(first.id) == "retry"
    [row, _] = await notifications(db)
    assert row.status is NotificationStatus.PENDING and row.attempts == 1
    assert row.last_error and "500" in row.last_error
    wait = (row.next_attempt_at - utcnow()).total_seconds()
    assert 5 - 1 <= wait <= 10  # backoff 10 s with jitter on the upper half
    assert deliverer.deliver(first.id) == "skipped"  # not due yet
    later = utcnow() + timedelta(seconds=11)
    assert deliverer.deliver(first.id, now=later) == "sent"
    [row, _] = await notifications(db)
    assert row.status is NotificationStatus.SENT and row.provider_message_id == "sg-2"
    body = SendGrid.received[-1]
    assert body["personalizations"] == [{"to": [{"email": world.emails["resident"]}]}]
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    [attachment] = body["attachments"]
    assert attachment["type"] == "text/calendar"
    assert b"BEGIN:VCALENDAR" in base64.b64decode(attachment["content"])

    SendGrid.answers = [400]
    assert deliverer.deliver(second.id) == "failed"
    assert deliverer.deliver(second.id) == "skipped"
    [_, row] = await notifications(db)
    assert row.status is NotificationStatus.FAILED and row.attempts == 1
    assert "400" in (row.last_error or "")


async def test_the_last_temporary_failure_is_a_dead_letter(
    as_user: Any,
    world: World,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
    sendgrid: str,
) -> None:
    resident = await as_user("resident")
    await resident.post("/reservations", booking(world, "court", local(2, 10)))
    [row] = await notifications(db)
    sg = variant(
        settings,
        tmp_path,
        backend=EmailBackend.SENDGRID,
        sendgrid_url=sendgrid,
        sendgrid_api_key="SG.test",
    )
    deliverer = deliverer_for(sg)
    SendGrid.answers = [503, 503, 503]
    outcomes = [deliverer.deliver(row.id, now=utcnow() + timedelta(hours=i)) for i in range(3)]
    assert outcomes == ["retry", "retry", "failed"]
    [row] = await notifications(db)
    assert row.status is NotificationStatus.FAILED and row.attempts == 3


async def test_the_app_consumes_its_queue_in_process(
    app: Any, world: World, db: Database, settings: Settings, tmp_path: Path
) -> None:
    """The embedded default: the app's lifespan runs a Huey consumer on the local queue file."""
    embedded = variant(settings, tmp_path)
    embedded.jobs.embedded_worker = True
    own = create_app(embedded)
    async with own.router.lifespan_context(own):
        transport = httpx.ASGITransport(app=own)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            token = await sign_in(client, world.emails["resident"])
            resident = Api(client, token, world.community.id)
            r = await resident.post("/reservations", booking(world, "court", local(2, 10)))
            assert r.status_code == 201
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                [row] = await notifications(db)
                if row.status is NotificationStatus.SENT:
                    break
                await asyncio.sleep(0.1)
    assert row.status is NotificationStatus.SENT
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
