"""Booking emails people can act on: a link to the booking and to the app, the amenity, the
times (party times too) and the people in the community's format, the status, and what to pay
and how; the text and HTML parts say the same."""

import email
import email.policy
import re
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from hoa.core.database import Database
from hoa.core.settings import Settings
from tests.factories import World, local
from tests.notifications.conftest import notifications, variant
from tests.reservations.test_reservations import booking

NNBSP = "\u202f"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.links: list[str] = []

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.extend(v for k, v in attrs if k == "href" and v)


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def parts(msg: EmailMessage) -> tuple[str, _Text]:
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    parsed = _Text()
    parsed.feed(html.get_content())
    return text.get_content(), parsed


async def test_an_approved_event_booking_email_says_what_how_much_and_where_to_see_it(
    as_user: Any,
    world: World,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
) -> None:
    admin, resident = await as_user("admin"), await as_user("resident")
    hall = world.amenities["clubhouse"]
    fees = {"fee_cents": 15000, "deposit_cents": 25000}
    assert (await admin.patch(f"/amenities/{hall.id}", fees)).status_code == 200
    how = "Pay at the office, or by check to Maple Grove HOA, a week ahead."
    assert (await admin.patch("", {"payment_instructions": how})).json()["payment_instructions"]
    body = booking(
        world,
        "clubhouse",
        local(10, 14),
        4,
        headcount=30,
        guests=25,
        title="Birthday",
        accepted_rules_version=1,
        party_starts_at=local(10, 15).isoformat(),
        party_ends_at=local(10, 17).isoformat(),
    )
    made = await resident.post("/reservations", body)
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    assert (await admin.post(f"/reservations/{rid}/approve", {})).status_code == 200
    [approved] = [n for n in await notifications(db) if n.kind == "reservation_approved"]
    deliverer = deliverer_for(variant(settings, tmp_path))
    assert deliverer.deliver(approved.id, now=approved.next_attempt_at) == "sent"
    eml = tmp_path / "outbox" / f"{approved.id}.eml"
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    text, html = parts(msg)

    base = settings.public_url.rstrip("/")
    booking_url = f"{base}/c/{world.community.id}/reservations/{rid}"
    app_url = f"{base}/c/{world.community.id}"
    day = local(10, 14)
    facts = [
        "Amenity: Clubhouse",
        f"When: {day:%a}, {day:%b} {day.day}, 2:00{NNBSP}PM – 6:00{NNBSP}PM",
        f"Party: {day:%a}, {day:%b} {day.day}, 3:00{NNBSP}PM – 5:00{NNBSP}PM",
        "People: 30 people (25 guests)",
        "What: Birthday",
        "Status: Confirmed",
        "To pay: $150.00 fee + $250.00 refundable deposit",
        f"How to pay: {how}",
        f"View your booking: {booking_url}",
        f"Open Maple Grove HOA in the app: {app_url}",
    ]
    html_words = words(" ".join(html.chunks))
    for fact in facts:
        assert fact in text, fact
        label, _, value = fact.partition(": ")
        if label.startswith(("View", "Open")):
            assert value in html.links, fact
        else:
            assert words(f"{label} {value}") in html_words or words(f"{label}: {value}") in (
                html_words
            ), fact
    assert msg["Subject"] == (
        f"Approved: Clubhouse, {day:%a}, {day:%b} {day.day}, 2:00{NNBSP}PM – 6:00{NNBSP}PM"
    )
