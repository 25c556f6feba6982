"""Delivering one notification: claim with a lease, render, send, record. Sync and idempotent."""

import logging
import random
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoa.core import metrics
from hoa.core.database import create_sync_engine, utcnow
from hoa.core.links import Page, invitation_link, link
from hoa.core.settings import Settings
from hoa.core.tokens import reset_token
from hoa.email.backends import Backend, PermanentError, check_address, get_backend
from hoa.email.render import build_message
from hoa.models import Notification, NotificationStatus, User
from hoa.notifications.kinds import PAYLOADS, Invitation, NotificationKind, PasswordReset, Payload

log = logging.getLogger("hoa.jobs")

Outcome = Literal["sent", "retry", "failed", "skipped"]
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
                sa.update(Notification)
                .where(
                    Notification.id == notification_id,
                    (Notification.status == PENDING)
                    | ((Notification.status == SENDING) & (Notification.lease_until < now)),
                    Notification.next_attempt_at <= now,
                )
                .values(
                    status=SENDING,
                    lease_until=lease,
                    attempts=Notification.attempts + 1,
                    updated_at=now,
                )
            )
            return result.rowcount == 1

    def _finish(self, notification_id: uuid.UUID, attempts: int, **values: object) -> None:
        """Record the outcome, only if this attempt still holds the row."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(Notification)
                .where(
                    Notification.id == notification_id,
                    Notification.status == SENDING,
                    Notification.attempts == attempts,
                )
                .values(lease_until=None, updated_at=utcnow(), **values)
            )

    def deliver(self, notification_id: uuid.UUID, now: datetime | None = None) -> Outcome:
        """Claim, send and record one notification; the outcome is counted
        (hoa_email_deliveries_total)."""
        outcome = self._deliver(notification_id, now)
        metrics.EMAIL_DELIVERIES.labels(outcome).inc()
        return outcome

    def _deliver(self, notification_id: uuid.UUID, now: datetime | None) -> Outcome:
        if not self.claim(notification_id, now):
            return "skipped"  # sent, failed, not due, or leased by another worker
        with Session(self.engine) as session:
            row = session.get_one(Notification, notification_id)
            attempts, created_at = row.attempts, row.created_at
            try:
                check_address(row.recipient_email)
                message = self._message(session, row)
            except (PermanentError, KeyError, ValueError) as exc:
                self._finish(
                    notification_id, attempts, status=NotificationStatus.FAILED, last_error=str(exc)
                )
                return "failed"
        outcome = self._send(notification_id, attempts, message)
        if outcome == "sent":
            metrics.EMAIL_LATENCY.observe((utcnow() - created_at).total_seconds())
        return outcome

    def _send(self, notification_id: uuid.UUID, attempts: int, message: EmailMessage) -> Outcome:
        def accepted(provider_id: str) -> None:
            # At once, in its own transaction: a crash from here on sends no second copy.
            self._finish(
                notification_id,
                attempts,
                status=NotificationStatus.SENT,
                provider_message_id=provider_id[:200],
                sent_at=utcnow(),
                last_error=None,
            )

        try:
            with self._lease_kept(notification_id, attempts):
                self.backend.send(message, accepted)
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
        return "sent"

    @contextmanager
    def _lease_kept(self, notification_id: uuid.UUID, attempts: int) -> Iterator[None]:
        """Renew this attempt's lease while the provider takes its time, so no other worker
        re-claims (and sends again) a message still in flight. The renewals die with the
        process: a crashed worker's row comes back one lease later."""
        lease = self.settings.jobs.lease_seconds
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(lease / 3):
                try:
                    with self.engine.begin() as conn:
                        conn.execute(
                            sa.update(Notification)
                            .where(
                                Notification.id == notification_id,
                                Notification.status == SENDING,
                                Notification.attempts == attempts,
                            )
                            .values(lease_until=utcnow() + timedelta(seconds=lease))
                        )
                except sa.exc.SQLAlchemyError:
                    log.warning("lease_renewal_failed", exc_info=True)

        renewer = threading.Thread(target=renew, name="hoa-lease", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()

    def _message(self, session: Session, row: Notification) -> EmailMessage:
        """The email of the row's kind from its stored payload. ValueError for a payload that
        does not fit its kind."""
        payload = PAYLOADS[NotificationKind(row.kind)].model_validate(row.payload)
        return build_message(
            row.id,
            payload.kind,
            payload.subject,
            payload.variables()
            | payload.links(self.settings, row.entity_id)
            | self._links_at_send(session, row, payload),
            payload.attachment(row.entity_id, self.settings, row.recipient_email),
            row.recipient_email,
            self.settings.email.from_address,
        )

    def _links_at_send(
        self, session: Session, row: Notification, payload: Payload
    ) -> dict[str, str]:
        """The links no row may hold, made now: an invitation's accept link (its token derived
        again from the invitation id) and a password reset link (signed from the account's
        password hash of now). PermanentError when it cannot be sent."""
        if isinstance(payload, Invitation):
            return {"accept_url": invitation_link(self.settings, payload.invitation_id)}
        if not isinstance(payload, PasswordReset):
            return {}
        user = session.get(User, row.recipient_id) if row.recipient_id else None
        if user is None or not user.is_active:
            raise PermanentError("the account is gone or disabled")
        if payload.expires_at <= utcnow():
            raise PermanentError("the reset link expired before it could be sent")
        token = reset_token(self.settings, user.id, user.password_hash, payload.expires_at)
        return {"link": link(self.settings, Page.RESET_PASSWORD, token=token)}

    def next_attempt_delay(self, notification_id: uuid.UUID) -> float | None:
        with self.engine.connect() as conn:
            due = conn.execute(
                sa.select(Notification.next_attempt_at).where(
                    Notification.id == notification_id, Notification.status == PENDING
                )
            ).scalar()
        return None if due is None else max((due - utcnow()).total_seconds(), 0)
