"""The audit trail: one row per state change, written in the same transaction as the change."""

import csv
import io
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.audit import wording
from hoa.audit.schemas import AuditEntryRead, AuditEventRead, PlatformAuditEventRead
from hoa.core.context import CommunityCtx
from hoa.core.database import acting_as_operator
from hoa.core.errors import AppError, request_id_var
from hoa.core.pagination import AnyRow, AnySelect, Cursor, page_query
from hoa.core.spreadsheet import cell
from hoa.models import (
    Amenity,
    AuditEvent,
    Community,
    Household,
    Membership,
    Reservation,
    User,
)
from hoa.rules.wording import Wording

EXPORT_BATCH = 1000
OPERATOR = "Platform operator"


def snapshot(obj: object, fields: Sequence[str]) -> dict[str, Any]:
    """A JSON-safe summary of the named attributes, for the before/after columns."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, uuid.UUID | datetime):
            value = value.isoformat() if isinstance(value, datetime) else str(value)
        out[name] = value
    return out


def record(
    session: AsyncSession,
    *,
    community_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        community_id=community_id,
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
        request_id=request_id_var.get(),
        by_operator=acting_as_operator(session),
    )
    session.add(event)
    return event


class InvalidRange(AppError):
    code, status_code, message = (
        "audit.invalid_range",
        422,
        "The range's end must be after its start.",
    )


@dataclass(frozen=True, slots=True)
class Filters:
    """Events by one person, of one kind (an action or its prefix, e.g. "reservation."),
    about one thing (e.g. a booking), recorded in [start, end)."""

    actor_id: uuid.UUID | None = None
    action: str | None = None
    entity_type: str | None = None
    entity_id: uuid.UUID | None = None
    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise InvalidRange


def _filtered(community_id: uuid.UUID, f: Filters) -> AnySelect:
    """The community's events matching ``f`` with who did them and the booking they concern."""
    query = (
        sa.select(AuditEvent, User.name, Amenity.name, Reservation.starts_at, Reservation.ends_at)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(
            Reservation,
            (AuditEvent.entity_type == "reservation") & (Reservation.id == AuditEvent.entity_id),
        )
        .outerjoin(Amenity, Amenity.id == Reservation.amenity_id)
        .where(AuditEvent.community_id == community_id)
    )
    if f.actor_id is not None:
        query = query.where(AuditEvent.actor_id == f.actor_id)
    if f.action:
        query = query.where(AuditEvent.action.startswith(f.action, autoescape=True))
    if f.entity_type is not None:
        query = query.where(AuditEvent.entity_type == f.entity_type)
    if f.entity_id is not None:
        query = query.where(AuditEvent.entity_id == f.entity_id)
    if f.start is not None:
        query = query.where(AuditEvent.created_at >= f.start)
    if f.end is not None:
        query = query.where(AuditEvent.created_at < f.end)
    return query


async def _names(
    session: AsyncSession, community_id: uuid.UUID, events: Sequence[AuditEvent]
) -> dict[str, str]:
    """The names of the amenities, households, people and memberships the events name."""
    ids: set[uuid.UUID] = set()
    for event in events:
        ids.add(event.entity_id)
        for snap in (event.before or {}, event.after or {}):
            for key, value in snap.items():
                if key.endswith("_id") and isinstance(value, str):
                    with suppress(ValueError):
                        ids.add(uuid.UUID(value))
    if not ids:
        return {}
    queries = (
        sa.select(Amenity.id, Amenity.name).where(
            Amenity.community_id == community_id, Amenity.id.in_(ids)
        ),
        sa.select(Household.id, Household.label).where(
            Household.community_id == community_id, Household.id.in_(ids)
        ),
        sa.select(User.id, User.name).where(User.id.in_(ids)),
        sa.select(Membership.id, User.name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.community_id == community_id, Membership.id.in_(ids)),
    )
    names: dict[str, str] = {}
    for query in queries:
        names.update((str(id_), name) for id_, name in await session.execute(query))
    return names


async def _entries(
    session: AsyncSession, ctx: CommunityCtx, rows: Sequence[AnyRow]
) -> list[AuditEntryRead]:
    w = Wording(ZoneInfo(ctx.timezone), ctx.locale)
    names = await _names(session, ctx.community_id, [row[0] for row in rows])
    out = []
    for event, actor, amenity, starts_at, ends_at in rows:
        before, after = event.before or {}, event.after or {}
        is_booking = event.entity_type == "reservation"
        summary = wording.summary(event.action)
        if not is_booking and str(event.entity_id) in names:
            summary = f"{summary}: {names[str(event.entity_id)]}"
        out.append(
            AuditEntryRead.model_validate(
                {
                    **AuditEventRead.model_validate(event).model_dump(),
                    "actor_name": OPERATOR if event.by_operator else actor,
                    "summary": summary,
                    "changes": wording.booking_changes(w, before, after)
                    if is_booking
                    else wording.changes(w, before, after, names),
                    "booking_id": event.entity_id if is_booking else None,
                    "booking_label": f"{amenity} · {w.span(starts_at, ends_at)}"
                    if amenity is not None
                    else None,
                }
            )
        )
    return out


async def list_events(
    session: AsyncSession, ctx: CommunityCtx, f: Filters, *, cursor: Cursor | None, limit: int
) -> tuple[list[AuditEntryRead], Cursor | None]:
    """One page of the matching events, newest first, in words."""
    rows, next_cursor = await page_query(
        session,
        _filtered(ctx.community_id, f),
        AuditEvent.created_at,
        AuditEvent.id,
        cursor,
        limit,
        descending=True,
    )
    return await _entries(session, ctx, rows), next_cursor


async def export_csv(
    sessions: Callable[[], AsyncSession], ctx: CommunityCtx, f: Filters
) -> AsyncIterator[str]:
    """The matching events as CSV, newest first, in batches of EXPORT_BATCH read by keyset
    each in a short read of its own (constant memory, no transaction open while the client
    downloads). Times in the community's zone."""
    tz = ZoneInfo(ctx.timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [f"when ({ctx.timezone})", "who", "what", "booking_id", "booking", "changes", "action"]
    )
    cursor: Cursor | None = None
    while True:
        async with sessions() as session:
            entries, cursor = await list_events(session, ctx, f, cursor=cursor, limit=EXPORT_BATCH)
        for e in entries:
            changed = "; ".join(
                f"{c.field}: {c.before or '—'} → {c.after or '—'}" for c in e.changes
            )
            writer.writerow(
                cell(v)
                for v in (
                    e.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                    e.actor_name,
                    e.summary,
                    e.booking_id,
                    e.booking_label,
                    changed,
                    e.action,
                )
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if cursor is None:
            return


async def list_operator_events(
    session: AsyncSession, *, cursor: Cursor | None, limit: int
) -> tuple[list[PlatformAuditEventRead], Cursor | None]:
    """Events done by platform operators as such, newest first, with community and actor."""
    query = (
        sa.select(AuditEvent, Community.name, User.email)
        .outerjoin(Community, Community.id == AuditEvent.community_id)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.by_operator)
    )
    rows, next_cursor = await page_query(
        session, query, AuditEvent.created_at, AuditEvent.id, cursor, limit, descending=True
    )
    events = [
        PlatformAuditEventRead.model_validate(
            {
                **AuditEventRead.model_validate(event).model_dump(),
                "community_id": event.community_id,
                "community_name": name,
                "actor_email": email,
            }
        )
        for event, name, email in rows
    ]
    return events, next_cursor
