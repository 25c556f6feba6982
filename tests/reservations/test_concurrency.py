"""Races one household can start on its own: identical retries with one Idempotency-Key, and
many different bookings (or moves) at once against a household quota. Each fires its requests
together through the app and counts the answers, on both backends."""

import asyncio
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import Database
from hoa.models import ACTIVE_STATUSES, Reservation
from tests.factories import NEW_YORK, World, make_amenity, make_reservation


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


QUOTAS = [("max_per_day", 1, "day"), ("max_per_week", 1, "week"), ("max_per_month", 1, "month")]
QUOTAS += [("max_upcoming", 2, "upcoming")]


@pytest.mark.parametrize(("quota", "limit", "period"), QUOTAS)
async def test_simultaneous_bookings_of_different_slots_stop_at_the_quota(
    world: World,
    session: AsyncSession,
    as_user: Any,
    db: Database,
    quota: str,
    limit: int,
    period: str,
) -> None:
    amenity = await make_amenity(
        session,
        world.community,
        name=f"Quota {quota}",
        slot_minutes=15,
        min_duration_minutes=15,
        max_days_ahead=90,
        **{quota: limit},
    )
    await session.commit()
    resident = await as_user("resident")
    slots = _distinct_slots(_days(period), 40)
    responses = await asyncio.gather(
        *(resident.post("/reservations", _slot(amenity.id, s)) for s in slots)
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: limit, 409: 40 - limit}, statuses
    refusals = {r.json()["error"]["code"] for r in responses if r.status_code == 409}
    assert refusals == {"reservation.quota_exceeded"}
    assert await _active(db, amenity.id) == limit


async def test_simultaneous_moves_into_one_day_stop_at_the_daily_quota(
    world: World, session: AsyncSession, as_user: Any, db: Database
) -> None:
    """Twenty bookings on twenty different days, all moved at once to different slots of one
    day that allows one: one move succeeds."""
    amenity = await make_amenity(
        session,
        world.community,
        name="Sauna",
        slot_minutes=15,
        min_duration_minutes=15,
        max_per_day=1,
    )
    member = world.members["resident"]
    today = datetime.now(NEW_YORK).date()
    held = [
        await make_reservation(session, amenity, member, _at(today + timedelta(days=3 + i), 0))
        for i in range(20)
    ]
    await session.commit()
    resident = await as_user("resident")
    target = today + timedelta(days=30)
    responses = await asyncio.gather(
        *(
            resident.patch(f"/reservations/{r.id}", _times(_at(target, 15 * i)))
            for i, r in enumerate(held)
        )
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 409: 19}, statuses
    async with db.reader() as fresh:
        on_target = await fresh.scalar(
            sa.select(sa.func.count())
            .select_from(Reservation)
            .where(
                Reservation.amenity_id == amenity.id,
                Reservation.starts_at >= _at(target, -360),
                Reservation.starts_at < _at(target + timedelta(days=1), -360),
            )
        )
    assert on_target == 1
