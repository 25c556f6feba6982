"""The office's households screen: members and upcoming bookings per home, rename, merge, and
what happens to a member's upcoming bookings when they move out or leave."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import Database
from hoa.models import AuditEvent, Notification, Reservation, ReservationStatus
from hoa.notifications.kinds import NotificationKind
from tests.factories import World, local, make_reservation
from tests.members.test_members import error_code


async def _statuses(db: Database, *reservations: Reservation) -> list[ReservationStatus]:
    async with db.reader() as s:
        rows = await s.execute(
            sa.select(Reservation.id, Reservation.status, Reservation.household_id).where(
                Reservation.id.in_([r.id for r in reservations])
            )
        )
        found = {id_: status for id_, status, _ in rows}
    return [found[r.id] for r in reservations]


async def _households(admin: Any) -> dict[str, dict[str, Any]]:
    r = await admin.get("/households")
    assert r.status_code == 200, r.text
    return {h["label"]: h for h in r.json()}


async def test_households_list_their_members_and_upcoming_bookings(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    court = world.amenities["court"]
    await make_reservation(session, court, world.members["resident"], local(2, 10))
    await make_reservation(session, court, world.members["housemate"], local(3, 10))
    await make_reservation(
        session, court, world.members["resident"], local(4, 10), status=ReservationStatus.CANCELLED
    )
    await make_reservation(session, court, world.members["resident"], local(-2, 10))
    await session.commit()

    households = await _households(await as_user("admin"))
    assert list(households) == ["Lot 1", "Lot 2"]
    lot1, lot2 = households["Lot 1"], households["Lot 2"]
    assert [m["name"] for m in lot1["members"]] == ["Housemate", "Resident"]
    assert lot1["upcoming_bookings"] == 2  # not the cancelled one, not the past one
    assert [m["name"] for m in lot2["members"]] == ["Neighbor"]
    assert lot2["upcoming_bookings"] == 0
    resident = await as_user("resident")
    assert (await resident.get("/households")).status_code == 403


async def test_a_household_is_renamed_without_clashing(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    lot1 = world.households["a"].id
    r = await admin.patch(f"/households/{lot1}", {"label": " 12 Maple Ct "})
    assert r.status_code == 200, r.text
    assert r.json()["label"] == "12 Maple Ct"
    clash = await admin.patch(f"/households/{lot1}", {"label": "lot 2"})
    assert clash.status_code == 409 and error_code(clash) == "household.exists"
    # its own label in another case is no clash
    assert (await admin.patch(f"/households/{lot1}", {"label": "12 MAPLE CT"})).status_code == 200
    assert (await admin.patch(f"/households/{lot1}", {"label": ""})).status_code == 422
    other = await admin.patch(f"/households/{world.households['other'].id}", {"label": "X"})
    assert other.status_code == 404
    assert list(await _households(admin)) == ["12 MAPLE CT", "Lot 2"]


async def test_merging_moves_members_and_bookings_then_deletes_the_household(
    as_user: Any, world: World, session: AsyncSession, db: Database
) -> None:
    booking = await make_reservation(
        session, world.amenities["court"], world.members["neighbor"], local(2, 10)
    )
    await session.commit()
    admin = await as_user("admin")
    lot1, lot2 = world.households["a"].id, world.households["b"].id

    into_itself = await admin.post(f"/households/{lot2}/merge", {"into_household_id": str(lot2)})
    assert into_itself.status_code == 422 and error_code(into_itself) == "household.merge_self"
    elsewhere = str(world.households["other"].id)
    r = await admin.post(f"/households/{lot2}/merge", {"into_household_id": elsewhere})
    assert r.status_code == 404

    r = await admin.post(f"/households/{lot2}/merge", {"into_household_id": str(lot1)})
    assert r.status_code == 200, r.text
    assert r.json()["label"] == "Lot 1"
    households = await _households(admin)
    assert list(households) == ["Lot 1"]
    assert [m["name"] for m in households["Lot 1"]["members"]] == [
        "Housemate",
        "Neighbor",
        "Resident",
    ]
    assert households["Lot 1"]["upcoming_bookings"] == 1
    async with db.reader() as s:
        assert await s.scalar(sa.select(Reservation.household_id).filter_by(id=booking.id)) == lot1
        event = await s.scalar(sa.select(AuditEvent).filter_by(action="household.merged"))
    assert event is not None and event.after is not None
    assert event.after["merged_into"] == "Lot 1" and event.after["reservations"] == 1


async def test_moving_a_member_out_asks_what_happens_to_their_upcoming_bookings(
    as_user: Any, world: World, session: AsyncSession, db: Database
) -> None:
    court = world.amenities["court"]
    resident = world.members["resident"]
    kept = await make_reservation(session, court, resident, local(2, 10))
    cancelled = await make_reservation(session, court, resident, local(3, 10))
    await session.commit()
    admin = await as_user("admin")
    move = {"household_id": str(world.households["b"].id)}

    unasked = await admin.patch(f"/members/{resident.id}", move)
    assert unasked.status_code == 409, unasked.text
    assert error_code(unasked) == "member.future_bookings"
    assert unasked.json()["error"]["details"]["count"] == 2
    bad = await admin.patch(f"/members/{resident.id}", {**move, "future_bookings": "drop"})
    assert bad.status_code == 422
    assert (await _households(admin))["Lot 1"]["upcoming_bookings"] == 2  # nothing changed

    r = await admin.patch(f"/members/{resident.id}", {**move, "future_bookings": "keep"})
    assert r.status_code == 200, r.text
    assert r.json()["household_label"] == "Lot 2"
    assert await _statuses(db, kept, cancelled) == [ReservationStatus.CONFIRMED] * 2
    households = await _households(admin)
    assert households["Lot 1"]["upcoming_bookings"] == 2  # they stay with the household

    # back in Lot 1, then out of any household, cancelling: the person is emailed
    lot1 = str(world.households["a"].id)
    r = await admin.patch(f"/members/{resident.id}", {"household_id": lot1})
    assert r.status_code == 200, r.text
    r = await admin.patch(
        f"/members/{resident.id}", {"household_id": None, "future_bookings": "cancel"}
    )
    assert r.status_code == 200, r.text
    assert await _statuses(db, kept, cancelled) == [ReservationStatus.CANCELLED] * 2
    async with db.reader() as s:
        emails = (
            await s.scalars(
                sa.select(Notification.recipient_email).filter_by(
                    kind=NotificationKind.RESERVATION_CANCELLED
                )
            )
        ).all()
    assert emails == [world.emails["resident"]] * 2


async def test_removing_a_member_with_upcoming_bookings_needs_a_choice(
    as_user: Any, world: World, session: AsyncSession, db: Database
) -> None:
    neighbor = world.members["neighbor"]
    booking = await make_reservation(session, world.amenities["court"], neighbor, local(2, 10))
    await session.commit()
    admin = await as_user("admin")
    unasked = await admin.delete(f"/members/{neighbor.id}")
    assert unasked.status_code == 409 and error_code(unasked) == "member.future_bookings"
    r = await admin.delete(f"/members/{neighbor.id}?future_bookings=cancel")
    assert r.status_code == 204, r.text
    assert await _statuses(db, booking) == [ReservationStatus.CANCELLED]
    # an empty household with no bookings left can now be deleted
    assert (await admin.delete(f"/households/{world.households['b'].id}")).status_code == 204


async def test_a_household_with_upcoming_bookings_is_not_deleted(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    neighbor = world.members["neighbor"]
    await make_reservation(session, world.amenities["court"], neighbor, local(2, 10))
    await session.commit()
    admin = await as_user("admin")
    r = await admin.delete(f"/members/{neighbor.id}?future_bookings=keep")
    assert r.status_code == 204, r.text
    in_use = await admin.delete(f"/households/{world.households['b'].id}")
    assert in_use.status_code == 409 and error_code(in_use) == "household.in_use"
