"""The audit trail: one row per state change, written in the same transaction as the change."""

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.audit.schemas import AuditEventRead, PlatformAuditEventRead
from hoa.core.database import acting_as_operator
from hoa.core.errors import request_id_var
from hoa.core.pagination import Cursor, page_query
from hoa.models import AuditEvent, Community, User


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


async def list_events(
    session: AsyncSession,
    community_id: uuid.UUID,
    *,
    entity_type: str | None,
    entity_id: uuid.UUID | None,
    cursor: Cursor | None,
    limit: int,
) -> tuple[list[AuditEvent], Cursor | None]:
    query = sa.select(AuditEvent).where(AuditEvent.community_id == community_id)
    if entity_type is not None:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    rows, next_cursor = await page_query(
        session, query, AuditEvent.created_at, AuditEvent.id, cursor, limit, descending=True
    )
    return [row[0] for row in rows], next_cursor


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
