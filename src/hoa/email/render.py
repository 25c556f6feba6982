"""Build an email (plain text + HTML, optional .ics) from a notification's kind and payload."""

import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hoa.core.settings import Settings
from hoa.core.tokens import derive_token

_env = Environment(
    loader=PackageLoader("hoa.email", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)

SUBJECTS = {
    "reservation_confirmed": "Confirmed: {amenity_name}, {when}",
    "reservation_requested": "Request received: {amenity_name}, {when}",
    "reservation_approved": "Approved: {amenity_name}, {when}",
    "reservation_changed": "Changed: {amenity_name}, now {when}",
    "reservation_rejected": "Declined: {amenity_name}, {when}",
    "reservation_cancelled": "Cancelled: {amenity_name}, {when}",
    "reservation_reminder": "Reminder: {amenity_name}, {when}",
    "pending_digest": "{community_name}: {pending} booking request(s) to review",
    "approval_requested": "Approval needed: {amenity_name}, {when}",
    "account_locked": "Your account is locked for {minutes} minute(s)",
    "password_reset": "Reset your password",
    "email_verification": "Confirm your email address",
    "invitation": "{inviter_name} invited you to {community_name}",
}
# Which kinds carry a calendar attachment, and its METHOD.
ICS_METHOD = {
    "reservation_confirmed": "REQUEST",
    "reservation_approved": "REQUEST",
    "reservation_changed": "REQUEST",
    "reservation_cancelled": "CANCEL",
}


def invitation_url(settings: Settings, invitation_id: uuid.UUID) -> str:
    """The accept link of an invitation. Its token is derived again from the id, so the raw
    token is stored nowhere (the invitation keeps its hash)."""
    token = derive_token(settings, "invitation", invitation_id)
    return f"{settings.public_url.rstrip('/')}/invitations/accept?token={token}"


YEAR = timedelta(days=366)


def _local(value: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(value).astimezone(tz)


def context(payload: dict[str, Any]) -> dict[str, Any]:
    """The template variables: the payload, with times in the community's zone."""
    if "invitation_id" in payload:
        expires = _local(payload["expires_at"], ZoneInfo(payload["timezone"]))
        return {**payload, "expires": f"{expires:%a %d %b %Y %H:%M} ({payload['timezone']})"}
    if "starts_at" not in payload:
        return {
            "community_name": None,
            "title": None,
            "reason": None,
            "cancelled_by": None,
            "when": None,
            **payload,
        }
    tz = ZoneInfo(payload["timezone"])
    starts, ends = _local(payload["starts_at"], tz), _local(payload["ends_at"], tz)
    when = f"{starts:%a %d %b %Y %H:%M}–{ends:%H:%M} ({payload['timezone']})"
    return {
        "title": None,
        "reason": None,
        "cancelled_by": None,
        "cancel_link": None,
        "changed_by": None,
        "pending": False,
        **payload,
        "when": when,
    }


def calendar(reservation_id: str, payload: dict[str, Any], method: str) -> bytes:
    """RFC 5545: one VEVENT with a UID stable per reservation, local times with the VTIMEZONE."""
    tz = ZoneInfo(payload["timezone"])
    cal = icalendar.Calendar()
    cal.add("prodid", "-//hoa//reservations//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = icalendar.Event()
    event.add("uid", f"{reservation_id}@hoa")
    event.add("sequence", int(payload.get("sequence", 0)))
    event.add("dtstamp", datetime.fromisoformat(payload["stamp"]))
    event.add("dtstart", _local(payload["starts_at"], tz))
    event.add("dtend", _local(payload["ends_at"], tz))
    event.add("summary", f"{payload['amenity_name']} – {payload['community_name']}")
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    cal.add_component(event)
    # A year either side covers the event: the default span (1970-2038) costs ~30 ms a mail.
    day = _local(payload["starts_at"], tz).date()
    cal.add_missing_timezones(first_date=day - YEAR, last_date=day + YEAR)
    ical: bytes = cal.to_ical()
    return ical


def build_message(
    notification_id: uuid.UUID,
    kind: str,
    entity_id: uuid.UUID,
    payload: dict[str, Any],
    to: str,
    sender: str,
) -> EmailMessage:
    ctx = context(payload)
    subject = SUBJECTS[kind].format(**ctx)
    ctx["subject"] = subject
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(idstring=notification_id.hex, domain="hoa")
    msg["X-HOA-Notification"] = str(notification_id)
    msg.set_content(_env.get_template(f"{kind}.txt").render(ctx))
    msg.add_alternative(_env.get_template(f"{kind}.html").render(ctx), subtype="html")
    if (method := ICS_METHOD.get(kind)) is not None:
        msg.add_attachment(
            calendar(str(entity_id), payload, method),
            maintype="text",
            subtype="calendar",
            filename="reservation.ics",
            params={"method": method},
        )
    return msg
