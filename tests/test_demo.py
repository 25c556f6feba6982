"""The demo seed: idempotent, its logins work through the API, and its bookings obey the rules."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from hoa import rules
from hoa.amenities.service import to_rules
from hoa.core.database import Base, Database, utcnow
from hoa.core.settings import Settings
from hoa.demo.builder import seed
from hoa.models import (
    ACTIVE_STATUSES,
    Amenity,
    BookingMode,
    Community,
    Membership,
    MemberStatus,
    Reservation,
    ReservationStatus,
    User,
)
from tests.conftest import sign_in

RESIDENT, NEIGHBOR = "resident@maple-grove.example", "neighbor@maple-grove.example"
# email -> (community slug, role); None for the platform operator, who belongs to no community.
EXPECTED: dict[str, tuple[str, str] | None] = {
    "operator@demo.example": None,
    "admin@maple-grove.example": ("maple-grove", "admin"),
    RESIDENT: ("maple-grove", "resident"),
    NEIGHBOR: ("maple-grove", "resident"),
    "admin@oak-ridge.example": ("oak-ridge", "admin"),
    "resident@oak-ridge.example": ("oak-ridge", "resident"),
}

# Besides today, months that span the US clock changes (March 8 and November 1, 2026).
MOMENTS = pytest.mark.parametrize(
    "now",
    [None, datetime(2026, 3, 6, 15, tzinfo=UTC), datetime(2026, 10, 20, 12, tzinfo=UTC)],
    ids=["today", "spring-forward", "fall-back"],
)


async def _snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table."""
    async with db.reader() as session:
        return {
            table.name: [
                tuple(row)
                for row in await session.execute(sa.select(table).order_by(*table.primary_key))
            ]
            for table in Base.metadata.sorted_tables
        }


async def _all(db: Database) -> tuple[dict[Any, Amenity], list[Reservation], dict[Any, str]]:
    """Amenities by id, reservations, and each community's timezone by id."""
    async with db.reader() as session:
        amenities = {a.id: a for a in await session.scalars(sa.select(Amenity))}
        reservations = list(await session.scalars(sa.select(Reservation)))
        zones = dict((await session.execute(sa.select(Community.id, Community.timezone))).all())
    return amenities, reservations, zones


async def _user_id(db: Database, email: str) -> Any:
    async with db.reader() as session:
        return (await session.execute(sa.select(User.id).where(User.email == email))).scalar_one()


async def test_seeding_again_changes_nothing(settings: Settings, db: Database) -> None:
    logins = await seed(settings)
    before = await _snapshot(db)
    assert await seed(settings) == logins
    assert await _snapshot(db) == before
    assert len(before["communities"]) == 2 and len(before["households"]) == 45
    assert 150 <= len(before["reservations"]) <= 300


async def test_seeding_again_repairs_the_demo_logins(
    settings: Settings, db: Database, client: httpx.AsyncClient
) -> None:
    await seed(settings)
    resident, neighbor = await _user_id(db, RESIDENT), await _user_id(db, NEIGHBOR)
    async with db.writer() as session:
        await session.execute(
            sa.update(Membership)
            .where(Membership.user_id == resident)
            .values(status=MemberStatus.SUSPENDED)
        )
        await session.execute(sa.delete(Membership).where(Membership.user_id == neighbor))
        await session.commit()
    reservations = len((await _snapshot(db))["reservations"])

    changed = settings.model_copy(update={"demo_password": SecretStr("a-new-demo-password")})
    await seed(changed)

    async with db.reader() as session:
        rows = await session.execute(
            sa.select(Membership.user_id, Membership.status).where(
                Membership.user_id.in_((resident, neighbor))
            )
        )
        assert dict(rows.all()) == {
            resident: MemberStatus.ACTIVE,
            neighbor: MemberStatus.ACTIVE,
        }
    assert len((await _snapshot(db))["reservations"]) == reservations
    await sign_in(client, NEIGHBOR, "a-new-demo-password")
    r = await client.post(
        "/api/v1/auth/login",
        json={"email": NEIGHBOR, "password": settings.demo_password.get_secret_value()},
    )
    assert r.status_code == 401


async def test_every_demo_login_signs_in_with_its_community_and_role(
    settings: Settings, db: Database, client: httpx.AsyncClient
) -> None:
    logins = await seed(settings)
    assert [email for email, _ in logins] == list(EXPECTED)
    households = {}
    for email, expected in EXPECTED.items():
        token = await sign_in(client, email, settings.demo_password.get_secret_value())
        r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        me = r.json()
        if expected is None:
            assert me["is_operator"] is True and me["memberships"] == []
            continue
        [membership] = me["memberships"]
        assert (membership["community_slug"], membership["role"]) == expected
        assert membership["status"] == "active" and membership["household"] is not None
        households[email] = membership["household"]["id"]
    assert households[RESIDENT] != households[NEIGHBOR]


@MOMENTS
async def test_no_exclusive_overlap_and_no_pool_over_capacity(
    settings: Settings, db: Database, now: datetime | None
) -> None:
    await seed(settings, now=now)
    amenities, reservations, _ = await _all(db)
    active: dict[Any, list[Reservation]] = defaultdict(list)
    for r in reservations:
        if r.status in ACTIVE_STATUSES:
            active[r.amenity_id].append(r)
    shared_moments = 0
    for amenity_id, booked in active.items():
        amenity = amenities[amenity_id]
        for r in booked:
            assert r.exclusive is (amenity.mode is BookingMode.EXCLUSIVE)
            assert r.block_starts_at == r.starts_at - timedelta(
                minutes=amenity.buffer_before_minutes
            )
            assert r.block_ends_at == r.ends_at + timedelta(minutes=amenity.buffer_after_minutes)
        if amenity.mode is BookingMode.EXCLUSIVE:
            spans = sorted((r.block_starts_at, r.block_ends_at) for r in booked)
            for (_, end), (start, _) in pairwise(spans):
                assert end <= start, amenity.name
            continue
        # Occupancy only rises when someone arrives, so checking each arrival covers every moment.
        for r in booked:
            present = [o for o in booked if o.starts_at <= r.starts_at < o.ends_at]
            assert sum(o.headcount for o in present) <= amenity.capacity, amenity.name
            shared_moments += len(present) > 1
    assert shared_moments > 0  # the capacity check above is not vacuous


@MOMENTS
async def test_every_booking_was_allowed_when_it_was_made(
    settings: Settings, db: Database, now: datetime | None
) -> None:
    """Judged by the real booking rules at the booking's creation time, against every other
    active booking of the amenity (cancelled and rejected ones on their own)."""
    await seed(settings, now=now)
    amenities, reservations, zones = await _all(db)
    for r in reservations:
        amenity = amenities[r.amenity_id]
        others: Sequence[Reservation] = []
        if r.status in ACTIVE_STATUSES:
            others = [
                o
                for o in reservations
                if o.amenity_id == r.amenity_id and o.id != r.id and o.status in ACTIVE_STATUSES
            ]
        violation = rules.check_booking(
            rules.BookingRequest(
                r.starts_at,
                r.ends_at,
                r.headcount,
                r.guests,
                r.household_id,
                r.accepted_rules_version,
            ),
            to_rules(amenity),
            ZoneInfo(zones[amenity.community_id]),
            r.created_at,
            booked=[
                rules.Booked(o.starts_at, o.ends_at, o.headcount, o.household_id) for o in others
            ],
            household_booked=[
                rules.Interval(o.starts_at, o.ends_at)
                for o in others
                if o.household_id == r.household_id
            ],
            blackouts=[],
        )
        assert violation is None, (amenity.name, r.starts_at, r.status, violation)


async def test_the_demo_has_something_to_show_everyone(settings: Settings, db: Database) -> None:
    await seed(settings)
    amenities, reservations, _ = await _all(db)
    now = utcnow()
    clubhouse = next(a.id for a in amenities.values() if a.name == "Clubhouse")
    statuses = {r.status for r in reservations}
    assert {
        ReservationStatus.PENDING,
        ReservationStatus.CONFIRMED,
        ReservationStatus.CANCELLED,
    } <= statuses
    assert any(
        r.amenity_id == clubhouse and r.status is ReservationStatus.PENDING and r.starts_at > now
        for r in reservations
    )
    for email in (RESIDENT, NEIGHBOR):
        user_id = await _user_id(db, email)
        mine = [r for r in reservations if r.booked_for_id == user_id]
        assert any(r.starts_at > now and r.status in ACTIVE_STATUSES for r in mine), email
        assert any(r.ends_at < now and r.status is ReservationStatus.CONFIRMED for r in mine)
    for r in reservations:
        assert (r.decided_at is not None) is (r.decided_by_id is not None)
        if r.status is ReservationStatus.PENDING:
            assert r.decided_at is None
        if r.status in (ReservationStatus.CONFIRMED, ReservationStatus.REJECTED):
            assert r.decided_at is not None
        assert (r.status is ReservationStatus.CANCELLED) is (r.cancelled_at is not None)
        assert r.created_at <= now
