"""Build an email: plain text and HTML from a kind's two Jinja2 templates, and optionally a
calendar file. What goes into them is the notification kind's business (notifications.kinds)."""

import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

import icalendar
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_env = Environment(
    loader=PackageLoader("hoa.email", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
YEAR = timedelta(days=366)


def calendar_file(
    uid: str,
    sequence: int,
    stamp: datetime,
    starts: datetime,
    ends: datetime,
    summary: str,
    method: str,
) -> bytes:
    """RFC 5545: one VEVENT with a UID stable per reservation, local times (``starts`` and
    ``ends`` carry the zone) with the VTIMEZONE."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//hoa//reservations//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", starts)
    event.add("dtend", ends)
    event.add("summary", summary)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    cal.add_component(event)
    # A year either side covers the event: the default span (1970-2038) costs ~30 ms a mail.
    day = starts.date()
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
        msg.add_attachment(
            ics,
            maintype="text",
            subtype="calendar",
            filename="reservation.ics",
            params={"method": method},
        )
    return msg
