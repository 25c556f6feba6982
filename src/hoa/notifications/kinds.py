"""Every kind of email, typed: the kind, the payload its templates get (frozen when the change
happens, stored as the notification's JSON), its subject, and whether it carries a calendar
file. A kind's templates are ``email/templates/<kind>.{txt,html}``; the web app labels kinds
by the enum, which the OpenAPI document exports."""

import uuid
from datetime import datetime
from email.utils import parseaddr
from enum import StrEnum
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from hoa.core.links import Page, link
from hoa.core.settings import Settings
from hoa.email.render import (
    STATUS_LABELS,
    BookingEvent,
    calendar_file,
    describe_booking,
    ical_status,
)
from hoa.rules.wording import DEFAULT_LOCALE, Wording, plural


class NotificationKind(StrEnum):
    RESERVATION_CONFIRMED = "reservation_confirmed"
    RESERVATION_REQUESTED = "reservation_requested"
    RESERVATION_APPROVED = "reservation_approved"
    RESERVATION_CHANGED = "reservation_changed"
    RESERVATION_REJECTED = "reservation_rejected"
    RESERVATION_CANCELLED = "reservation_cancelled"
    RESERVATION_REMINDER = "reservation_reminder"
    APPROVAL_REQUESTED = "approval_requested"
    PENDING_DIGEST = "pending_digest"
    ACCOUNT_LOCKED = "account_locked"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a kind, not a secret
    EMAIL_VERIFICATION = "email_verification"
    INVITATION = "invitation"
    JOIN_REQUESTED = "join_requested"
    JOIN_APPROVED = "join_approved"


class EmailChoice(StrEnum):
    """What a person may turn off in their email preferences, by what the emails are about."""

    CONFIRMATIONS = "confirmations"  # of their own bookings, changes and cancellations
    REMINDERS = "reminders"
    OFFICE_CHANGES = "office_changes"  # what the office books, changes, decides or cancels
    ADMIN_ALERTS = "admin_alerts"  # booking requests waiting for an admin


def local_time(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def when(
    starts_at: datetime, ends_at: datetime, timezone: str, locale: str = DEFAULT_LOCALE
) -> str:
    """ "Sun, Dec 20, 2:00 PM – 6:00 PM" in the community's zone and locale."""
    return Wording(ZoneInfo(timezone), locale).span(starts_at, ends_at)


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ClassVar[NotificationKind]
    # str.format over the template variables; it goes in a header, so one line.
    subject: ClassVar[str]
    # The preference that turns this kind off; None: the account's own emails, always sent.
    choice: ClassVar[EmailChoice | None] = None

    def chosen_by(self) -> EmailChoice | None:
        """The preference that decides whether this email goes out."""
        return self.choice

    def variables(self) -> dict[str, Any]:
        """What the templates get: the payload, plus what is derived from it for people. An
        account notice has no community (the base template says so)."""
        return {"community_name": None, **self.model_dump()}

    def links(self, settings: Settings, entity_id: uuid.UUID) -> dict[str, str]:
        """Links into the app made when the email is sent (the public URL is a setting)."""
        return {}

    def attachment(
        self, entity_id: uuid.UUID, settings: Settings, recipient: str
    ) -> tuple[bytes, str] | None:
        """A calendar file and its METHOD, for kinds that carry one."""
        return None


class ReservationNotice(Payload):
    community_name: str
    timezone: str
    amenity_name: str
    starts_at: datetime
    ends_at: datetime
    # Absent from notices stored before they were added; the defaults keep those sendable.
    community_id: uuid.UUID | None = None
    locale: str = DEFAULT_LOCALE
    status: str = "confirmed"
    party_starts_at: datetime | None = None
    party_ends_at: datetime | None = None
    headcount: int | None = None
    guests: int = 0
    fee_cents: int = 0
    deposit_cents: int = 0
    payment_instructions: str = ""
    title: str | None = None
    reason: str | None = None
    cancelled_by: str | None = None
    stamp: datetime
    # Calendar apps apply the file with the highest SEQUENCE: changes bump it, a cancellation
    # outranks the last change.
    sequence: int = 0
    # An admin did it to someone else's booking.
    by_office: bool = False

    ics_method: ClassVar[str | None] = None
    choice = EmailChoice.CONFIRMATIONS

    def chosen_by(self) -> EmailChoice | None:
        return EmailChoice.OFFICE_CHANGES if self.by_office else self.choice

    def variables(self) -> dict[str, Any]:
        w = Wording(ZoneInfo(self.timezone), self.locale)
        party = None
        if self.party_starts_at is not None and self.party_ends_at is not None:
            party = w.span(self.party_starts_at, self.party_ends_at)
        people = None
        if self.headcount is not None:
            people = plural(self.headcount, "person", "people")
            if self.guests:
                people += f" ({plural(self.guests, 'guest')})"
        return {
            **super().variables(),
            "when": when(self.starts_at, self.ends_at, self.timezone, self.locale),
            "party": party,
            "people": people,
            "status_label": STATUS_LABELS.get(self.status, self.status),
            "fee": w.money(self.fee_cents) if self.fee_cents else None,
            "deposit": w.money(self.deposit_cents) if self.deposit_cents else None,
            "booking_url": None,
            "app_url": None,
        }

    def links(self, settings: Settings, entity_id: uuid.UUID) -> dict[str, str]:
        if self.community_id is None:
            return {}
        return {
            "booking_url": link(
                settings,
                Page.RESERVATION,
                community_id=self.community_id,
                reservation_id=entity_id,
            ),
            "app_url": link(settings, Page.COMMUNITY, community_id=self.community_id),
        }

    def booking_url(self, settings: Settings, reservation_id: uuid.UUID) -> str | None:
        if self.community_id is None:
            return None
        return link(
            settings,
            Page.RESERVATION,
            community_id=self.community_id,
            reservation_id=reservation_id,
        )

    def event(self, reservation_id: uuid.UUID, url: str | None) -> BookingEvent:
        """The booking as a calendar event, as of this notice."""
        party = None
        if self.party_starts_at is not None and self.party_ends_at is not None:
            party = (self.party_starts_at, self.party_ends_at)
        status = "cancelled" if self.ics_method == "CANCEL" else self.status
        return BookingEvent(
            reservation_id=reservation_id,
            sequence=self.sequence,
            stamp=self.stamp,
            starts=local_time(self.starts_at, self.timezone),
            ends=local_time(self.ends_at, self.timezone),
            summary=f"{self.amenity_name} – {self.community_name}",
            location=f"{self.amenity_name}, {self.community_name}",
            description=describe_booking(
                Wording(ZoneInfo(self.timezone), self.locale),
                amenity_name=self.amenity_name,
                community_name=self.community_name,
                starts=self.starts_at,
                ends=self.ends_at,
                status=status,
                party=party,
                headcount=self.headcount,
                guests=self.guests,
                title=self.title,
                url=url,
            ),
            status=ical_status(status),
            url=url,
        )

    def attachment(
        self, entity_id: uuid.UUID, settings: Settings, recipient: str
    ) -> tuple[bytes, str] | None:
        if self.ics_method is None:
            return None
        _, address = parseaddr(settings.email.from_address)
        ics = calendar_file(
            self.event(entity_id, self.booking_url(settings, entity_id)),
            self.ics_method,
            organizer=(self.community_name, address),
            attendee=recipient,
        )
        return ics, self.ics_method


class ReservationConfirmed(ReservationNotice):
    kind, subject = NotificationKind.RESERVATION_CONFIRMED, "Confirmed: {amenity_name}, {when}"
    ics_method = "REQUEST"


class ReservationRequested(ReservationNotice):
    kind = NotificationKind.RESERVATION_REQUESTED
    subject = "Request received: {amenity_name}, {when}"


class ReservationApproved(ReservationNotice):
    kind, subject = NotificationKind.RESERVATION_APPROVED, "Approved: {amenity_name}, {when}"
    ics_method = "REQUEST"
    choice = EmailChoice.OFFICE_CHANGES


class ReservationChanged(ReservationNotice):
    kind, subject = NotificationKind.RESERVATION_CHANGED, "Changed: {amenity_name}, now {when}"
    ics_method = "REQUEST"
    changed_by: str | None = None  # None when the person it is for changed it
    pending: bool = False  # waits for approval again


class ReservationRejected(ReservationNotice):
    kind, subject = NotificationKind.RESERVATION_REJECTED, "Declined: {amenity_name}, {when}"
    # A request changed back to pending may sit in a calendar as tentative: take it out.
    ics_method = "CANCEL"
    choice = EmailChoice.OFFICE_CHANGES


class ReservationCancelled(ReservationNotice):
    kind, subject = NotificationKind.RESERVATION_CANCELLED, "Cancelled: {amenity_name}, {when}"
    ics_method = "CANCEL"


class ReservationReminder(ReservationNotice):
    kind, subject = NotificationKind.RESERVATION_REMINDER, "Reminder: {amenity_name}, {when}"
    choice = EmailChoice.REMINDERS
    cancel_link: str | None = None  # None once the cutoff has passed


class ApprovalRequested(ReservationNotice):
    kind = NotificationKind.APPROVAL_REQUESTED
    subject = "Approval needed: {amenity_name}, {when}"
    choice = EmailChoice.ADMIN_ALERTS
    booked_for: str
    link: str


class DigestItem(BaseModel):
    amenity_name: str
    booked_for: str
    when: str


class PendingDigest(Payload):
    kind = NotificationKind.PENDING_DIGEST
    subject = "{community_name}: {pending} booking request(s) to review"
    choice = EmailChoice.ADMIN_ALERTS
    community_name: str
    timezone: str
    pending: int
    items: list[DigestItem]  # the first few
    link: str


class AccountLocked(Payload):
    kind = NotificationKind.ACCOUNT_LOCKED
    subject = "Your account is locked for {minutes} minute(s)"
    minutes: int
    failed_sign_ins: int
    reset_link: str


class PasswordReset(Payload):
    """The link is signed when the email is sent (see delivery), so no usable link is stored."""

    kind, subject = NotificationKind.PASSWORD_RESET, "Reset your password"
    minutes: int
    expires_at: datetime


class EmailVerification(Payload):
    kind, subject = NotificationKind.EMAIL_VERIFICATION, "Confirm your email address"
    name: str
    email: str
    hours: int
    link: str


class Invitation(Payload):
    """The accept link is derived again from the invitation id when the email is sent."""

    kind = NotificationKind.INVITATION
    subject = "{inviter_name} invited you to {community_name}"
    invitation_id: uuid.UUID
    community_name: str
    timezone: str
    inviter_name: str
    role: str
    role_label: str
    expires_at: datetime

    def variables(self) -> dict[str, Any]:
        expires = local_time(self.expires_at, self.timezone)
        return {**super().variables(), "expires": f"{expires:%a %d %b %Y %H:%M} ({self.timezone})"}


class JoinRequested(Payload):
    """To those who may approve a request to join with the code: the admins and, where the
    community allows it, the members of the household asked for."""

    kind = NotificationKind.JOIN_REQUESTED
    subject = "{requester_name} asks to join {community_name}"
    community_name: str
    requester_name: str
    requester_email: str
    household_label: str | None
    link: str


class JoinApproved(Payload):
    kind, subject = NotificationKind.JOIN_APPROVED, "Welcome to {community_name}"
    community_name: str
    household_label: str | None
    link: str


PAYLOADS: dict[NotificationKind, type[Payload]] = {
    payload.kind: payload
    for payload in (
        ReservationConfirmed,
        ReservationRequested,
        ReservationApproved,
        ReservationChanged,
        ReservationRejected,
        ReservationCancelled,
        ReservationReminder,
        ApprovalRequested,
        PendingDigest,
        AccountLocked,
        PasswordReset,
        EmailVerification,
        Invitation,
        JoinRequested,
        JoinApproved,
    )
}

# The kinds no preference turns off: the account's own emails.
ALWAYS_SENT = [kind for kind, payload in PAYLOADS.items() if payload.choice is None]
