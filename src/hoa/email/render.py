"""Build an email: plain text and HTML from a kind's two Jinja2 templates, and optionally a
calendar file. What goes into them is the notification kind's business (notifications.kinds)."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

import icalendar
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hoa.rules.wording import Wording, plural

_env = Environment(
    loader=PackageLoader("hoa.email", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
YEAR = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class BookingEvent:
    """What a calendar file says about one booking; the same in emails, downloads and feeds."""

    reservation_id: uuid.UUID
    sequence: int
    stamp: datetime
    starts: datetime  # local: carries the community's zone
    ends: datetime
    summary: str
    location: str
    description: str
    status: str  # RFC 5545 STATUS: TENTATIVE, CONFIRMED or CANCELLED
    url: str | None = None


STATUS_LABELS = {
    "pending": "Awaiting approval",
    "confirmed": "Confirmed",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "rejected": "Declined",
}


def ical_status(status: str) -> str:
    """The RFC 5545 STATUS of a booking's status."""
    if status == "pending":
        return "TENTATIVE"
    return "CANCELLED" if status in ("cancelled", "rejected") else "CONFIRMED"


def describe_booking(
    w: Wording,
    *,
    amenity_name: str,
    community_name: str,
    starts: datetime,
    ends: datetime,
    status: str,
    party: tuple[datetime, datetime] | None = None,
    headcount: int | None = None,
    guests: int = 0,
    title: str | None = None,
    url: str | None = None,
) -> str:
    """A calendar event's DESCRIPTION: what, when, who comes, its status, where to see it."""
    lines = [f"{amenity_name} at {community_name}", w.span(starts, ends)]
    if party is not None:
        lines.append(f"Party: {w.span(*party)}")
    if headcount is not None:
        people = plural(headcount, "person", "people")
        lines.append(f"{people} ({plural(guests, 'guest')})" if guests else people)
    lines.append(f"Status: {STATUS_LABELS.get(status, status)}")
    if title:
        lines.append(title)
    if url:
        lines.append(f"Booking: {url}")
    return "\n".join(lines)


def booking_event(booking: BookingEvent) -> icalendar.Event:
    """One VEVENT, UID ``{reservation id}@hoa`` wherever it is sent, so calendars that get it
    from an email, a download and a feed keep one event."""
    event = icalendar.Event()
    event.add("uid", f"{booking.reservation_id}@hoa")
    event.add("sequence", booking.sequence)
    event.add("dtstamp", booking.stamp)
    event.add("dtstart", booking.starts)
    event.add("dtend", booking.ends)
    event.add("summary", booking.summary)
    event.add("location", booking.location)
    event.add("description", booking.description)
    event.add("status", booking.status)
    if booking.url:
        event.add("url", booking.url, parameters={"VALUE": "URI"})
    return event


def calendar_file(
    booking: BookingEvent,
    method: str,
    organizer: tuple[str, str] | None = None,
    attendee: str | None = None,
) -> bytes:
    """RFC 5545 with one booking's VEVENT and the VTIMEZONE of its local times. A REQUEST or
    CANCEL (RFC 5546) names its organizer, (name, address), and the attendee's address: the
    person it is for, who needs not answer (the booking is theirs already)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//hoa//reservations//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = booking_event(booking)
    if organizer is not None:
        name, address = organizer
        event.add("organizer", f"mailto:{address}", parameters={"CN": name})
    if attendee is not None:
        event.add(
            "attendee",
            f"mailto:{attendee}",
            parameters={
                "ROLE": "REQ-PARTICIPANT",
                "PARTSTAT": "ACCEPTED",
                "RSVP": "FALSE",
            },
        )
    cal.add_component(event)
    # A year either side covers the event: the default span (1970-2038) costs ~30 ms a mail.
    day = booking.starts.date()
    cal.add_missing_timezones(first_date=day - YEAR, last_date=day + YEAR)
    ical: bytes = cal.to_ical()
    return ical


def build_message(
    notification_id: uuid.UUID,
    template: str,
    subject: str,
    variables: dict[str, Any],
    attachment: tuple[bytes, str] | None,
    to: str,
    sender: str,
) -> EmailMessage:
    """``subject`` is formatted with ``variables``; ``attachment`` is a calendar file and its
    METHOD."""
    ctx = {**variables, "subject": subject.format(**variables)}
    msg = EmailMessage()
    msg["Subject"] = ctx["subject"]
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = formatdate(localtime=False)
    # The same on every attempt: a copy sent again after a crash is recognisably the same mail.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "hoa"
    msg["Message-ID"] = f"<{notification_id.hex}@{domain}>"
    msg["X-HOA-Notification"] = str(notification_id)
    msg.set_content(_env.get_template(f"{template}.txt").render(ctx))
    msg.add_alternative(_env.get_template(f"{template}.html").render(ctx), subtype="html")
    if attachment is not None:
        ics, method = attachment
        # The charset too: a strict reader takes text without one for US-ASCII.
        msg.add_attachment(
            ics,
            maintype="text",
            subtype="calendar",
            filename="reservation.ics",
            params={"method": method, "charset": "utf-8"},
        )
    return msg
