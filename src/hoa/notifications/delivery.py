"""Delivering one notification: claim with a lease, render, send, record. Sync and idempotent."""

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hoa.core.database import create_sync_engine, utcnow
from hoa.core.settings import Settings
from hoa.core.tokens import reset_token
from hoa.email.backends import Backend, PermanentError, check_address, get_backend
from hoa.email.render import build_message, context, invitation_url
from hoa.models import (
    MAX_REMINDER_HOURS,
    AdminAlerts,
    Amenity,
    AuditEvent,
    Community,
    Invitation,
    Membership,
    MemberStatus,
    Notification,
    NotificationStatus,
    RefreshToken,
    Reservation,
    ReservationStatus,
    Role,
    User,
)
from hoa.notifications.service import approvals_link, reservation_payload
from hoa.reservations.links import cancel_link

Outcome = Literal["sent", "retry", "failed", "skipped"]
N = Notification
PENDING, SENDING = NotificationStatus.PENDING, NotificationStatus.SENDING


@dataclass
class Deliverer:
    settings: Settings
    engine: sa.Engine
    backend: Backend

    @classmethod
    def from_settings(cls, settings: Settings) -> "Deliverer":
        return cls(settings, create_sync_engine(settings), get_backend(settings.email))

    def backoff(self, attempts: int) -> float:
        """Exponential backoff with full jitter on the upper half."""
        base = self.settings.jobs.backoff_seconds * 2.0 ** max(attempts - 1, 0)
        return base / 2 + random.uniform(0, base / 2)  # noqa: S311 - not security

    def claim(self, notification_id: uuid.UUID, now: datetime | None = None) -> bool:
        now = now or utcnow()
        lease = now + timedelta(seconds=self.settings.jobs.lease_seconds)
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(N)
                .where(
                    N.id == notification_id,
                    (N.status == PENDING) | ((N.status == SENDING) & (N.lease_until < now)),
                    N.next_attempt_at <= now,
                )
                .values(status=SENDING, lease_until=lease, attempts=N.attempts + 1, updated_at=now)
            )
            return result.rowcount == 1

    def _finish(self, notification_id: uuid.UUID, attempts: int, **values: object) -> None:
        """Record the outcome, only if this attempt still holds the row."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(N)
                .where(N.id == notification_id, N.status == SENDING, N.attempts == attempts)
                .values(lease_until=None, updated_at=utcnow(), **values)
            )

    def deliver(self, notification_id: uuid.UUID, now: datetime | None = None) -> Outcome:
        if not self.claim(notification_id, now):
            return "skipped"  # sent, failed, not due, or leased by another worker
        with Session(self.engine) as session:
            row = session.get_one(N, notification_id)
            attempts = row.attempts
            try:
                check_address(row.recipient_email)
                message = build_message(
                    row.id,
                    row.kind,
                    row.entity_id,
                    self._links_at_send(session, row),
                    row.recipient_email,
                    self.settings.email.from_address,
                )
            except (PermanentError, KeyError, ValueError) as exc:
                self._finish(
                    notification_id, attempts, status=NotificationStatus.FAILED, last_error=str(exc)
                )
                return "failed"
        try:
            provider_id = self.backend.send(message)
        except PermanentError as exc:
            self._finish(
                notification_id, attempts, status=NotificationStatus.FAILED, last_error=str(exc)
            )
            return "failed"
        except Exception as exc:  # temporary: a provider error or an outage
            error = f"{type(exc).__name__}: {exc}"[:1000]
            if attempts >= self.settings.jobs.max_attempts:
                self._finish(
                    notification_id, attempts, status=NotificationStatus.FAILED, last_error=error
                )
                return "failed"
            self._finish(
                notification_id,
                attempts,
                status=PENDING,
                last_error=error,
                next_attempt_at=utcnow() + timedelta(seconds=self.backoff(attempts)),
            )
            return "retry"
        self._finish(
            notification_id,
            attempts,
            status=NotificationStatus.SENT,
            provider_message_id=provider_id[:200],
            sent_at=utcnow(),
            last_error=None,
        )
        return "sent"

    def _links_at_send(self, session: Session, row: Notification) -> dict[str, Any]:
        """The payload plus the links no row may hold, made now: an invitation's accept link
        (its token derived again from the invitation id) and a password reset link (signed
        from the account's password hash of now). PermanentError when it cannot be sent."""
        if row.kind == "invitation":
            url = invitation_url(self.settings, uuid.UUID(row.payload["invitation_id"]))
            return {**row.payload, "accept_url": url}
        if row.kind != "password_reset":
            return row.payload
        user = session.get(User, row.recipient_id) if row.recipient_id else None
        if user is None or not user.is_active:
            raise PermanentError("the account is gone or disabled")
        expires_at = datetime.fromisoformat(row.payload["expires_at"])
        if expires_at <= utcnow():
            raise PermanentError("the reset link expired before it could be sent")
        token = reset_token(self.settings, user.id, user.password_hash, expires_at)
        link = f"{self.settings.public_url.rstrip('/')}/reset-password?token={token}"
        return {**row.payload, "link": link}

    def queue_reminders(self, now: datetime | None = None) -> list[uuid.UUID]:
        """Reminder rows for confirmed reservations starting within their community's
        ``reminder_hours`` that were booked before that window opened, for people who keep
        reminders on. Idempotent: one reminder per reservation and start, guarded by the unique
        ``dedupe_key`` (two workers running this at once insert one)."""
        now = now or utcnow()
        created: list[uuid.UUID] = []
        with Session(self.engine) as session:
            rows = session.execute(
                sa.select(Reservation, Community, Amenity, User)
                .join(Community, Community.id == Reservation.community_id)
                .join(Amenity, Amenity.id == Reservation.amenity_id)
                .join(User, User.id == Reservation.booked_for_id)
                .where(
                    Reservation.status == ReservationStatus.CONFIRMED,
                    Reservation.starts_at > now,
                    Reservation.starts_at <= now + timedelta(hours=MAX_REMINDER_HOURS),
                    Community.reminder_hours > 0,
                    User.reminders_enabled,
                    User.is_active,
                )
            ).all()
        for reservation, community, amenity, user in rows:
            lead = timedelta(hours=community.reminder_hours)
            if reservation.starts_at > now + lead:
                continue  # not yet
            if reservation.created_at > reservation.starts_at - lead:
                continue  # booked inside the window: the confirmation is recent enough
            key = f"reminder:{reservation.id}:{reservation.starts_at.isoformat()}"
            payload = reservation_payload(
                community.name, community.timezone, amenity, reservation, "reservation_reminder"
            )
            payload["cancel_link"] = cancel_link(
                self.settings, reservation, amenity.cancellation_cutoff_hours, now
            )
            row = N(
                id=uuid.uuid4(),
                community_id=community.id,
                recipient_id=user.id,
                recipient_email=user.email,
                kind="reservation_reminder",
                entity_type="reservation",
                entity_id=reservation.id,
                dedupe_key=key,
                payload=payload,
                next_attempt_at=now,
            )
            if self._add_once(row):  # else already reminded
                created.append(row.id)
        return created

    def queue_digests(self, now: datetime | None = None) -> list[uuid.UUID]:
        """Hourly: each admin who chose the digest gets one email per community listing the
        booking requests waiting for approval, when any arrived since their previous digest
        (or in the last day, before the first). One per admin and hour (``dedupe_key``), so a
        second run in the same hour adds nothing; a missed hour is caught up by the next."""
        now = now or utcnow()
        pending_now = (Reservation.status == ReservationStatus.PENDING) & (
            Reservation.starts_at > now
        )
        last_digest = (
            sa.select(sa.func.max(N.created_at))
            .where(
                N.kind == "pending_digest",
                N.community_id == Membership.community_id,
                N.recipient_id == User.id,
            )
            .scalar_subquery()
        )
        since = sa.func.coalesce(last_digest, now - timedelta(days=1))
        plans = []
        with Session(self.engine) as session:
            admins = session.execute(
                sa.select(Community, User.id, User.email)
                .join(Membership, Membership.community_id == Community.id)
                .join(User, User.id == Membership.user_id)
                .where(
                    Membership.role == Role.ADMIN,
                    Membership.status == MemberStatus.ACTIVE,
                    User.is_active,
                    User.admin_alerts == AdminAlerts.DIGEST,
                    sa.exists().where(
                        Reservation.community_id == Community.id,
                        pending_now,
                        Reservation.created_at > since,
                    ),
                )
                .order_by(Community.id)
            ).all()
            payloads: dict[uuid.UUID, dict[str, Any]] = {}
            for community, admin_id, admin_email in admins:
                if community.id not in payloads:
                    payloads[community.id] = self._digest_payload(session, community, now)
                key = f"digest:{community.id}:{admin_id}:{now:%Y-%m-%dT%H}"
                plans.append((community.id, admin_id, admin_email, key, payloads[community.id]))
        created: list[uuid.UUID] = []
        for community_id, admin_id, admin_email, key, payload in plans:
            row = N(
                id=uuid.uuid4(),
                community_id=community_id,
                recipient_id=admin_id,
                recipient_email=admin_email,
                kind="pending_digest",
                entity_type="community",
                entity_id=community_id,
                dedupe_key=key,
                payload=payload,
                next_attempt_at=now,
                created_at=now,  # the next digest lists what came after it
            )
            if self._add_once(row):  # else already sent this hour
                created.append(row.id)
        return created

    def _add_once(self, row: Notification) -> bool:
        """Insert a row guarded by its unique ``dedupe_key``: False when a job run (this one
        before, or another worker's at the same time) already inserted it."""
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                session.add(row)
        except IntegrityError:
            return False
        return True

    def _digest_payload(
        self, session: Session, community: Community, now: datetime
    ) -> dict[str, Any]:
        pending = session.execute(
            sa.select(Reservation, Amenity.name, User.name)
            .join(Amenity, Amenity.id == Reservation.amenity_id)
            .join(User, User.id == Reservation.booked_for_id)
            .where(
                Reservation.community_id == community.id,
                Reservation.status == ReservationStatus.PENDING,
                Reservation.starts_at > now,
            )
            .order_by(Reservation.starts_at)
        ).all()
        items = [
            {
                "amenity_name": amenity_name,
                "booked_for": booked_for,
                "when": context(
                    {
                        "timezone": community.timezone,
                        "starts_at": r.starts_at.isoformat(),
                        "ends_at": r.ends_at.isoformat(),
                    }
                )["when"],
            }
            for r, amenity_name, booked_for in pending[:20]
        ]
        return {
            "community_name": community.name,
            "timezone": community.timezone,
            "pending": len(pending),
            "items": items,
            "link": approvals_link(self.settings, community.id),
        }

    def complete_past(self, now: datetime | None = None) -> int:
        """Mark confirmed bookings that have ended ``completed`` (the partial index on ends_at
        finds them); they keep holding their time for overlaps, quotas and calendars."""
        now = now or utcnow()
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(Reservation)
                .where(
                    Reservation.status == ReservationStatus.CONFIRMED, Reservation.ends_at <= now
                )
                .values(status=ReservationStatus.COMPLETED, updated_at=now)
            )
            return result.rowcount

    def cleanup(self, now: datetime | None = None) -> dict[str, int]:
        """Nightly: drop what has served its purpose. Refresh tokens past expiry; invitations
        expired for a month (admins see them as expired until then); sent and failed
        notifications and audit events older than ``retention_days``."""
        now = now or utcnow()
        keep = now - timedelta(days=self.settings.jobs.retention_days)
        deletes = {
            "refresh_tokens": sa.delete(RefreshToken).where(RefreshToken.expires_at < now),
            "invitations": sa.delete(Invitation).where(
                Invitation.accepted_at.is_(None),
                Invitation.expires_at < now - timedelta(days=30),
            ),
            "notifications": sa.delete(N).where(
                N.status.in_([NotificationStatus.SENT, NotificationStatus.FAILED]),
                N.created_at < keep,
            ),
            "audit_events": sa.delete(AuditEvent).where(AuditEvent.created_at < keep),
        }
        with self.engine.begin() as conn:
            return {name: conn.execute(stmt).rowcount for name, stmt in deletes.items()}

    def next_attempt_delay(self, notification_id: uuid.UUID) -> float | None:
        with self.engine.connect() as conn:
            due = conn.execute(
                sa.select(N.next_attempt_at).where(N.id == notification_id, N.status == PENDING)
            ).scalar()
        return None if due is None else max((due - utcnow()).total_seconds(), 0)

    def due(self, now: datetime | None = None, limit: int = 500) -> list[uuid.UUID]:
        """Rows the sweep re-enqueues: pending and due for a while, or leased past the lease."""
        now = now or utcnow()
        grace = now - timedelta(seconds=self.settings.jobs.sweep_grace_seconds)
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(N.id)
                    .where(
                        ((N.status == PENDING) & (N.next_attempt_at <= grace))
                        | ((N.status == SENDING) & (N.lease_until < now))
                    )
                    .order_by(N.next_attempt_at)
                    .limit(limit)
                ).scalars()
            )
