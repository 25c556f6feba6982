"""Calendar files every client accepts: one UID per booking in emails, the download and the
feed; charset on every text part; ORGANIZER and ATTENDEE on REQUEST and CANCEL; TENTATIVE while
pending; DESCRIPTION, LOCATION and URL; times in the community's clock. Each file is read by
``icalendar`` and by ``ical``, an independent and strict parser."""

import email
import email.policy
import re
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import icalendar
from ical.calendar_stream import IcsCalendarStream

from hoa.core.database import Database
from hoa.core.settings import Settings
from tests.factories import World, local
from tests.notifications.conftest import notifications, variant
from tests.reservations.test_reservations import booking


def both_parsers(ics: bytes) -> icalendar.Calendar:
    """The file as icalendar reads it, after ical (strict) has read the same event."""
    cal = icalendar.Calendar.from_ical(ics)
    [event] = cal.walk("VEVENT")
    strict = IcsCalendarStream.calendar_from_ics(ics.decode("utf-8"))
    [other] = strict.events
    assert other.uid == str(event["UID"])
    assert other.dtstart == event.decoded("DTSTART")
    assert other.summary == str(event["SUMMARY"])
    assert other.location == str(event["LOCATION"])
    assert other.description == str(event["DESCRIPTION"])
    assert str(other.url) == str(event["URL"])
    assert other.status is not None and other.status.value == str(event["STATUS"])
    return cal


def sent(deliverer: Any, nid: Any, outbox: Path, now: datetime | None = None) -> EmailMessage:
    assert deliverer.deliver(nid, now=now) == "sent"
    eml = outbox / f"{nid}.eml"
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def calendar_part(msg: EmailMessage) -> tuple[bytes, EmailMessage]:
    for part in msg.walk():
        assert part.get_content_maintype() != "text" or part.get_content_charset() == ("utf-8"), (
            part.get_content_type()
        )
    [part] = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert isinstance(part, EmailMessage)
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload, part


async def test_book_change_cancel_files_agree_everywhere(
    as_user: Any,
    world: World,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
) -> None:
    resident = await as_user("resident")
    email_of = world.emails["resident"]
    created = await resident.post(
        "/reservations", booking(world, "court", local(3, 10), headcount=3, guests=1)
    )
    rid = created.json()["id"]
    start = local(3, 11)
    moved = await resident.patch(
        f"/reservations/{rid}",
        {"starts_at": start.isoformat(), "ends_at": local(3, 12).isoformat()},
    )
    assert moved.status_code == 200
    assert (await resident.post(f"/reservations/{rid}/cancel", {})).status_code == 200
    deliverer = deliverer_for(variant(settings, tmp_path))
    outbox = tmp_path / "outbox"
    rows = await notifications(db)
    kinds = [n.kind for n in rows]
    assert kinds == ["reservation_confirmed", "reservation_changed", "reservation_cancelled"]

    url = f"{settings.public_url.rstrip('/')}/c/{world.community.id}/reservations/{rid}"
    expected = [
        ("REQUEST", 0, "CONFIRMED"),
        ("REQUEST", 1, "CONFIRMED"),
        ("CANCEL", 2, "CANCELLED"),
    ]
    for row, (method, sequence, status) in zip(rows, expected, strict=True):
        ics, part = calendar_part(sent(deliverer, row.id, outbox))
        assert part.get_param("method") == method
        cal = both_parsers(ics)
        [event] = cal.walk("VEVENT")
        assert cal["METHOD"] == method
        assert str(event["UID"]) == f"{rid}@hoa"
        assert event["SEQUENCE"] == sequence and str(event["STATUS"]) == status
        assert str(event["ORGANIZER"]) == "mailto:no-reply@localhost"
        assert event["ORGANIZER"].params["CN"] == "Maple Grove HOA"
        assert str(event["ATTENDEE"]) == f"mailto:{email_of}"
        assert str(event["LOCATION"]) == "Tennis Court 1, Maple Grove HOA"
        assert str(event["URL"]) == url
        description = str(event["DESCRIPTION"])
        assert "Tennis Court 1 at Maple Grove HOA" in description
        assert "3 people (1 guest)" in description and f"Booking: {url}" in description
        # UTF-8 survives a strict decode: the en dash of the summary
        assert str(event["SUMMARY"]) == "Tennis Court 1 – Maple Grove HOA"
        if method == "REQUEST" and sequence == 1:
            assert event.decoded("DTSTART") == start

    # the download and the feed carry the same event
    download = await resident.get(f"/reservations/{rid}/calendar.ics")
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/calendar; charset=utf-8"
    cal = both_parsers(download.content)
    [event] = cal.walk("VEVENT")
    assert cal["METHOD"] == "PUBLISH" and str(event["UID"]) == f"{rid}@hoa"
    assert str(event["STATUS"]) == "CANCELLED" and str(event["URL"]) == url


async def test_pending_bookings_are_tentative_in_emails_downloads_and_feeds(
    as_user: Any,
    world: World,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
) -> None:
    resident, admin = await as_user("resident"), await as_user("admin")
    body = booking(world, "clubhouse", local(10, 14), 3, accepted_rules_version=1)
    rid = (await resident.post("/reservations", body)).json()["id"]
    assert (await admin.post(f"/reservations/{rid}/approve", {})).status_code == 200
    later = {"starts_at": local(10, 15).isoformat(), "ends_at": local(10, 18).isoformat()}
    moved = await resident.patch(f"/reservations/{rid}", later)
    assert moved.json()["status"] == "pending"

    [changed] = [n for n in await notifications(db) if n.kind == "reservation_changed"]
    deliverer = deliverer_for(variant(settings, tmp_path))
    ics, _ = calendar_part(sent(deliverer, changed.id, tmp_path / "outbox"))
    [event] = both_parsers(ics).walk("VEVENT")
    assert str(event["STATUS"]) == "TENTATIVE"
    assert "Status: Awaiting approval" in str(event["DESCRIPTION"])

    download = await resident.get(f"/reservations/{rid}/calendar.ics")
    [event] = both_parsers(download.content).walk("VEVENT")
    assert str(event["STATUS"]) == "TENTATIVE"

    feed = await resident.post("/api/v1/me/calendar-feeds", {})
    assert feed.status_code in (200, 201), feed.text
    path = "/ical/" + feed.json()["url"].rsplit("/ical/", 1)[1]
    got = await resident.client.get(path)
    cal = icalendar.Calendar.from_ical(got.content)
    strict = IcsCalendarStream.calendar_from_ics(got.text)
    [event] = [e for e in cal.walk("VEVENT") if str(e["UID"]) == f"{rid}@hoa"]
    [other] = [e for e in strict.events if e.uid == f"{rid}@hoa"]
    assert str(event["STATUS"]) == "TENTATIVE" and other.status is not None
    assert str(event["LOCATION"]) == "Clubhouse, Maple Grove HOA" == other.location
    assert str(event["URL"]).endswith(f"/reservations/{rid}")

    # declined: the tentative event is taken out of the calendar again
    assert (await admin.post(f"/reservations/{rid}/reject", {"reason": "Booked"})).is_success
    [declined] = [n for n in await notifications(db) if n.kind == "reservation_rejected"]
    outbox = tmp_path / "outbox"
    ics, part = calendar_part(sent(deliverer, declined.id, outbox, declined.next_attempt_at))
    cal = both_parsers(ics)
    assert cal["METHOD"] == "CANCEL" and part.get_param("method") == "CANCEL"
    [event] = cal.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED" and event["SEQUENCE"] == 2


async def test_a_24_hour_community_reads_24_hour_times_in_emails_files_and_feeds(
    as_user: Any,
    world: World,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
) -> None:
    """Where the community writes 14:00, so does every email, calendar file and feed about its
    bookings: subject, both email parts, and the events' descriptions."""
    admin, resident = await as_user("admin"), await as_user("resident")
    assert (await admin.patch("", {"locale": "en-GB"})).json()["locale"] == "en-GB"
    body = booking(
        world,
        "clubhouse",
        local(10, 14),
        4,
        headcount=30,
        guests=25,
        accepted_rules_version=1,
        party_starts_at=local(10, 15).isoformat(),
        party_ends_at=local(10, 17).isoformat(),
    )
    made = await resident.post("/reservations", body)
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    assert (await admin.post(f"/reservations/{rid}/approve", {})).status_code == 200
    [row] = [n for n in await notifications(db) if n.kind == "reservation_approved"]
    deliverer = deliverer_for(variant(settings, tmp_path))
    msg = sent(deliverer, row.id, tmp_path / "outbox", now=row.next_attempt_at)
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    ics, _ = calendar_part(msg)
    download = await resident.get(f"/reservations/{rid}/calendar.ics")
    feed = await resident.post("/api/v1/me/calendar-feeds", {})
    assert feed.status_code in (200, 201), feed.text
    got = await resident.client.get("/ical/" + feed.json()["url"].rsplit("/ical/", 1)[1])
    [in_feed] = [
        e
        for e in icalendar.Calendar.from_ical(got.content).walk("VEVENT")
        if str(e["UID"]) == f"{rid}@hoa"
    ]
    descriptions = {
        "email file": str(both_parsers(ics).walk("VEVENT")[0]["DESCRIPTION"]),
        "download": str(both_parsers(download.content).walk("VEVENT")[0]["DESCRIPTION"]),
        "feed": str(in_feed["DESCRIPTION"]),
    }
    for where, words in {
        "subject": str(msg["Subject"]),
        "text": text.get_content(),
        "html": html.get_content(),
        **descriptions,
    }.items():
        assert "14:00 – 18:00" in words, (where, words)
        assert not re.search(r"\d\s?[AP]M\b", words, re.IGNORECASE), (where, words)
        if where != "subject":
            assert "15:00 – 17:00" in words, (where, words)  # the party
