"""The reservations' periodic work: reminders before confirmed bookings, the hourly digest of
requests waiting for approval, and completing bookings that have ended. Sync (the queue's
handlers are), each on the job's own short transactions."""

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoa.core import versions as cache_versions
from hoa.core.database import utcnow
from hoa.core.settings import Settings
from hoa.models import (
    MAX_REMINDER_HOURS,
    AdminAlerts,
    Amenity,
    Community,
    Membership,
    MemberStatus,
    Notification,
    Reservation,
    ReservationStatus,
    Role,
    User,
)
from hoa.notifications.kinds import (
    DigestItem,
    NotificationKind,
    PendingDigest,
    ReservationReminder,
    when,
)
from hoa.notifications.service import new_notification
from hoa.notifications.tasks import add_once
from hoa.reservations.links import cancel_link
from hoa.reservations.notices import approvals_link, notice
from hoa.reservations.reads import cancellable_until


def queue_reminders(
    engine: sa.Engine, settings: Settings, now: datetime | None = None
) -> list[uuid.UUID]:
    """Reminder rows for confirmed reservations starting within their community's
    ``reminder_hours`` that were booked before that window opened, for people who keep
    reminders on. Idempotent: one reminder per reservation and start, guarded by the unique
    ``dedupe_key`` (two workers running this at once insert one)."""
    now = now or utcnow()
    created: list[uuid.UUID] = []
    with Session(engine) as session:
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
        deadline = cancellable_until(reservation, amenity)
        link = deadline and cancel_link(settings, reservation, deadline, now)
        row = new_notification(
            recipient=user,
            payload=notice(ReservationReminder, community, amenity, reservation, cancel_link=link),
            entity_type="reservation",
            entity_id=reservation.id,
            community_id=community.id,
            dedupe_key=key,
            now=now,
        )
        if add_once(engine, row):  # else already reminded
            created.append(row.id)
    return created


def queue_digests(
    engine: sa.Engine, settings: Settings, now: datetime | None = None
) -> list[uuid.UUID]:
    """Hourly: each admin who chose the digest gets one email per community listing the
    booking requests waiting for approval, when any arrived since their previous digest
    (or in the last day, before the first). One per admin and hour (``dedupe_key``), so a
    second run in the same hour adds nothing; a missed hour is caught up by the next."""
    now = now or utcnow()
    pending_now = (Reservation.status == ReservationStatus.PENDING) & (Reservation.starts_at > now)
    last_digest = (
        sa.select(sa.func.max(Notification.created_at))
        .where(
            Notification.kind == NotificationKind.PENDING_DIGEST,
            Notification.community_id == Membership.community_id,
            Notification.recipient_id == User.id,
        )
        .scalar_subquery()
    )
    since = sa.func.coalesce(last_digest, now - timedelta(days=1))
    plans: list[tuple[Community, uuid.UUID, str, str, PendingDigest]] = []
    with Session(engine, expire_on_commit=False) as session:
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
        payloads: dict[uuid.UUID, PendingDigest] = {}
        for community, admin_id, admin_email in admins:
            if community.id not in payloads:
                payloads[community.id] = _digest_payload(settings, session, community, now)
            key = f"digest:{community.id}:{admin_id}:{now:%Y-%m-%dT%H}"
            plans.append((community, admin_id, admin_email, key, payloads[community.id]))
    created: list[uuid.UUID] = []
    for community, admin_id, admin_email, key, payload in plans:
        row = new_notification(
            recipient=admin_email,
            payload=payload,
            entity_type="community",
            entity_id=community.id,
            community_id=community.id,
            dedupe_key=key,
            now=now,
        )
        row.recipient_id = admin_id
        row.created_at = now  # the next digest lists what came after it
        if add_once(engine, row):  # else already sent this hour
            created.append(row.id)
    return created


def _digest_payload(
    settings: Settings, session: Session, community: Community, now: datetime
) -> PendingDigest:
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
        DigestItem(
            amenity_name=amenity_name,
            booked_for=booked_for,
            when=when(r.starts_at, r.ends_at, community.timezone),
        )
        for r, amenity_name, booked_for in pending[:20]
    ]
    return PendingDigest(
        community_name=community.name,
        timezone=community.timezone,
        pending=len(pending),
        items=items,
        link=approvals_link(settings, community),
    )


def complete_past(
    engine: sa.Engine, now: datetime | None = None, versions: cache_versions.Versions | None = None
) -> int:
    """Mark confirmed bookings that have ended ``completed`` (the partial index on ends_at
    finds them); they keep holding their time for overlaps, quotas and calendars. Their
    communities' cached reads are invalidated (``versions``) once it commits."""
    now = now or utcnow()
    with engine.begin() as conn:
        communities = (
            conn.execute(
                sa.update(Reservation)
                .where(
                    Reservation.status == ReservationStatus.CONFIRMED, Reservation.ends_at <= now
                )
                .values(status=ReservationStatus.COMPLETED, updated_at=now)
                .returning(Reservation.community_id)
            )
            .scalars()
            .all()
        )
    if versions is not None:
        versions.bump(cache_versions.community(c) for c in communities)
    return len(communities)
