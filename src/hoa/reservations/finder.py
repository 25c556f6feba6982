"""The free-time finder: the next bookable slots of amenities across their booking windows, for
the caller's household, judged by the booking rules themselves."""

import uuid
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from hoa import rules
from hoa.amenities import service as amenities
from hoa.core.context import CommunityCtx
from hoa.core.database import utcnow
from hoa.models import Amenity, AmenityStatus
from hoa.reservations import reads
from hoa.reservations.errors import AmenityOrKind

# The most amenities one answer covers: each is a read of its booking window.
MAX_AMENITIES = 10


async def resolve(
    session: AsyncSession,
    ctx: CommunityCtx,
    amenity_ids: list[uuid.UUID] | None,
    kind: str | None,
) -> list[Amenity]:
    """The amenities asked for: by id (in that order; 404 for one of another community, 409
    amenity.archived for an archived one), or the bookable ones of a kind, by name (404
    amenity.unknown_kind for none). Exactly one of the two, else 422."""
    if (amenity_ids is None) == (kind is None):
        raise AmenityOrKind
    if kind is not None:
        return await amenities.of_kind(session, ctx.community_id, kind, MAX_AMENITIES)
    found = []
    for amenity_id in dict.fromkeys(amenity_ids or ()):
        amenity = await amenities.get(session, ctx.community_id, amenity_id)
        if amenity.status is AmenityStatus.ARCHIVED:
            raise amenities.Archived
        found.append(amenity)
    return found


async def next_available(
    session: AsyncSession,
    ctx: CommunityCtx,
    targets: list[Amenity],
    limit: int,
    per_day: int | None,
) -> list[dict[str, Any]]:
    """Per amenity, in the order given: its first `limit` slots the caller's household can book
    (at most `per_day` a day), the first of their days, and why the days before it are
    blocked."""
    tz, now = ZoneInfo(ctx.timezone), utcnow()
    today = now.astimezone(tz).date()
    # Quotas count from the start of the month (and of its first week) the window opens in.
    since = datetime.combine(today.replace(day=1) - timedelta(days=7), time(), tz)
    found = []
    for amenity in targets:
        amenity_rules = amenities.to_rules(amenity)
        last_day = today + timedelta(days=amenity_rules.max_days_ahead + 1)
        # A slot starting on the last day runs on by its minimum length, a stay to its check-out.
        until = datetime.combine(last_day, time(), tz) + timedelta(
            minutes=amenity_rules.min_duration_minutes + amenity_rules.slot_minutes, days=1
        )
        busy = await reads.load_busy(
            session,
            amenity,
            (now, until),
            (now - timedelta(days=1), until),
            reads.quota_household(amenity_rules, ctx.household_id, since),
        )
        slots, blocked = rules.next_free_slots(
            ctx.household_id,
            amenity_rules,
            tz,
            now,
            booked=busy.booked,
            household_booked=busy.household_booked,
            blackouts=busy.blackouts,
            limit=limit,
            per_day=per_day,
        )
        found.append(
            {
                "amenity_id": amenity.id,
                "first_day": slots[0].starts_at.astimezone(tz).date() if slots else None,
                "blocked_days": [{"date": b.day, "reason": b.reason} for b in blocked],
                "slots": [
                    {
                        "starts_at": s.starts_at,
                        "ends_at": s.ends_at,
                        "available": True,
                        "remaining": s.remaining,
                        "reason": None,
                    }
                    for s in slots
                ],
            }
        )
    return found
