"""Races one household can start on its own: identical retries with one Idempotency-Key, and
many different bookings (or moves) at once against a household quota. Each fires its requests
together through the app and counts the answers, on both backends."""

import asyncio
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from hoa.core.database import Database
from hoa.models import ACTIVE_STATUSES, Reservation
from tests.factories import NEW_YORK, World


def _at(day: date, minutes: int) -> datetime:
    return datetime(day.year, day.month, day.day, 6, tzinfo=NEW_YORK) + timedelta(minutes=minutes)


def _times(starts_at: datetime) -> dict[str, str]:
    end = starts_at + timedelta(minutes=15)
    return {"starts_at": starts_at.isoformat(), "ends_at": end.isoformat()}


def _slot(amenity_id: object, starts_at: datetime) -> dict[str, str]:
    return {"amenity_id": str(amenity_id), **_times(starts_at)}


def _days(period: str) -> list[date]:
    """Future days that share one period of the quota: one day, the days of next week, the
    first four weeks of next month, or the next three weeks (upcoming)."""
    today = datetime.now(NEW_YORK).date()
    if period == "day":
        return [today + timedelta(days=3)]
    if period == "week":
        monday = today + timedelta(days=7 - today.weekday())
        return [monday + timedelta(days=i) for i in range(7)]
    if period == "month":
        first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        return [first + timedelta(days=i) for i in range(28)]
    return [today + timedelta(days=2 + i) for i in range(21)]


def _distinct_slots(days: list[date], n: int) -> list[datetime]:
    """n different quarter-hour slots spread over ``days`` (06:00 onwards, 64 a day)."""
    return [_at(days[i % len(days)], 15 * (i // len(days))) for i in range(n)]


async def _active(db: Database, amenity_id: object) -> int:
    async with db.reader() as fresh:
        count = await fresh.scalar(
            sa.select(sa.func.count())
            .select_from(Reservation)
            .where(Reservation.amenity_id == amenity_id, Reservation.status.in_(ACTIVE_STATUSES))
        )
    return int(count or 0)


async def test_fifty_identical_retries_with_one_key_book_once_and_replay(
    world: World, as_user: Any, db: Database
) -> None:
    resident = await as_user("resident")
    court = world.amenities["court"]
    start = _at(_days("day")[0], 120)
    body = {**_slot(court.id, start), "ends_at": (start + timedelta(hours=1)).isoformat()}
    key = {"Idempotency-Key": "one-tap-many-retries"}
    responses = await asyncio.gather(
        *(resident.post("/reservations", body, headers=key) for _ in range(50))
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 200: 49}, (statuses, {r.text for r in responses})
    assert {r.json()["id"] for r in responses} == {responses[0].json()["id"]}
    assert all(
        r.headers["Idempotent-Replayed"] == "true" for r in responses if r.status_code == 200
    )
    assert await _active(db, court.id) == 1
