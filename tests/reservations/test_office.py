"""The office's bookings console: the filtered list, one booking's history, the office changing
and cancelling a booking past the resident's rules (never past overlap and capacity), and the
CSV export."""

import asyncio
import csv
import email
import email.policy
import io
import uuid
from collections.abc import MutableMapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.database import Database, utcnow
from hoa.core.settings import Settings
from hoa.models import AdminAlerts, Amenity, Reservation, ReservationStatus, User
from hoa.reservations.office import EXPORT_BATCH
from tests.factories import World, local, make_reservation
from tests.notifications.conftest import notifications, variant

LIST = "/admin/reservations"


def code(r: Any) -> str:
    return str(r.json()["error"]["code"])


async def _bookings(session: AsyncSession, world: World) -> dict[str, Reservation]:
    m, a = world.members, world.amenities
    made = {
        "resident_court": await make_reservation(session, a["court"], m["resident"], local(2, 10)),
        "neighbor_court": await make_reservation(session, a["court"], m["neighbor"], local(3, 10)),
        "neighbor_pool": await make_reservation(
            session, a["pool"], m["neighbor"], local(4, 10), headcount=3
        ),
        "resident_cancelled": await make_reservation(
            session,
            a["pool"],
            m["resident"],
            local(5, 10),
            status=ReservationStatus.CANCELLED,
            title="=HYPERLINK(evil)",
        ),
    }
    other = await make_reservation(session, a["other_gym"], m["outsider"], local(2, 10))
    await session.commit()
    made["other"] = other
    return made


async def ids(admin: Any, **params: Any) -> list[str]:
    r = await admin.get(LIST, params=params)
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


async def test_the_office_filters_searches_sorts_and_pages(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    b = {k: str(v.id) for k, v in (await _bookings(session, world)).items()}
    admin = await as_user("admin")

    page = (await admin.get(LIST)).json()
    assert page["total"] == 4 and page["offset"] == 0
    assert [i["id"] for i in page["items"]] == [
        b["resident_court"],
        b["neighbor_court"],
        b["neighbor_pool"],
        b["resident_cancelled"],
    ]
    first = page["items"][0]
    assert first["amenity_name"] == "Tennis Court 1" and first["household_label"] == "Lot 1"
    assert first["booked_for_name"] == "Resident"
    assert first["booked_for_email"] == world.emails["resident"]

    assert await ids(admin, q="NEIGH") == [b["neighbor_court"], b["neighbor_pool"]]
    assert await ids(admin, q=world.emails["resident"].upper()) == [
        b["resident_court"],
        b["resident_cancelled"],
    ]
    assert await ids(admin, q="lot 2") == [b["neighbor_court"], b["neighbor_pool"]]
    assert await ids(admin, q="%") == []  # a wildcard typed is searched for
    assert await ids(admin, amenity_id=str(world.amenities["pool"].id)) == [
        b["neighbor_pool"],
        b["resident_cancelled"],
    ]
    assert await ids(admin, status=["cancelled", "pending"]) == [b["resident_cancelled"]]
    assert await ids(
        admin, start=local(3, 0).isoformat(), end=local(5, 0).isoformat(), sort="-starts_at"
    ) == [b["neighbor_pool"], b["neighbor_court"]]

    second = (await admin.get(LIST, params={"limit": 3, "offset": 3})).json()
    assert second["total"] == 4 and [i["id"] for i in second["items"]] == [b["resident_cancelled"]]


async def test_a_page_is_one_statement_however_many_rows(
    as_user: Any, world: World, session: AsyncSession, db: Database, app: FastAPI
) -> None:
    await _bookings(session, world)
    admin = await as_user("admin")
    await app.state.read_cache.warmed()  # the calendars reloaded after the writes above
    counts = []
    for limit in (1, 50):
        statements: list[str] = []

        def seen(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
            statements.append(statement)  # noqa: B023 - read before the next loop

        sa.event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
        try:
            assert (await admin.get(LIST, params={"limit": limit})).status_code == 200
        finally:
            sa.event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
        counts.append(sum("FROM reservations" in s for s in statements))
    assert counts == [2, 2]  # the page and its total, with 1 row or 4


async def test_bad_filters_answer_422_with_a_code(as_user: Any, world: World) -> None:
    admin = await as_user("admin")
    start = local(3, 0)
    bad = {
        "reservation.invalid_range": {"start": start.isoformat(), "end": start.isoformat()},
        "validation_error": {"status": "lost"},
    }
    for expected, params in bad.items():
        r = await admin.get(LIST, params=params)
        assert r.status_code == 422 and code(r) == expected, (params, r.text)
    invalid: list[dict[str, Any]] = [
        {"sort": "title"},
        {"offset": -1},
        {"q": "x" * 101},
        {"start": "tomorrow"},
    ]
    for params in invalid:
        r = await admin.get(LIST, params=params)
        assert r.status_code == 422 and code(r) == "validation_error", params
    resident = await as_user("resident")
    assert (await resident.get(LIST)).status_code == 403


async def _deliver_last(db: Database, settings: Settings, tmp: Path, deliverer_for: Any) -> str:
    last = (await notifications(db))[-1]
    out = tmp / uuid.uuid4().hex
    assert deliverer_for(variant(settings, out)).deliver(last.id) == "sent"
    [eml] = (out / "outbox").glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def test_the_office_moves_past_notice_and_cutoff_but_not_over_others(
    as_user: Any,
    world: World,
    session: AsyncSession,
    db: Database,
    settings: Settings,
    tmp_path: Path,
    deliverer_for: Any,
) -> None:
    court = world.amenities["court"]
    await session.execute(
        sa.update(Amenity)
        .where(Amenity.id == court.id)
        .values(min_notice_minutes=48 * 60, cancellation_cutoff_hours=48)
    )
    long_ago = utcnow() - timedelta(hours=1)  # past the grace period after booking
    mine = await make_reservation(
        session, court, world.members["resident"], local(1, 10), decided_at=long_ago
    )
    theirs = await make_reservation(session, court, world.members["neighbor"], local(1, 14))
    await session.commit()
    resident, admin = await as_user("resident"), await as_user("admin")
    soon = local(1, 12)
    move = {"starts_at": soon.isoformat(), "ends_at": (soon + timedelta(hours=1)).isoformat()}

    r = await resident.patch(f"/reservations/{mine.id}", move)
    assert r.status_code == 409 and code(r) == "reservation.cutoff_passed"
    r = await admin.patch(f"/reservations/{mine.id}", {**move, "headcount": 2})
    assert r.status_code == 200, r.text
    assert datetime.fromisoformat(r.json()["starts_at"]) == soon
    r = await resident.patch(f"/reservations/{mine.id}", {"headcount": 1})
    assert r.status_code == 409 and code(r) == "reservation.cutoff_passed"
    text = await _deliver_last(db, settings, tmp_path, deliverer_for)
    assert "was changed by the community office (Admin)" in text

    # the overlap guard holds for the office too
    onto = theirs.starts_at
    clash = {"starts_at": onto.isoformat(), "ends_at": (onto + timedelta(hours=1)).isoformat()}
    r = await admin.patch(f"/reservations/{mine.id}", clash)
    assert r.status_code == 409 and code(r) == "reservation.slot_taken"

    r = await admin.post(f"/reservations/{mine.id}/cancel", {"reason": "Court resurfacing"})
    assert r.status_code == 200 and r.json()["cancel_reason"] == "Court resurfacing"
    text = await _deliver_last(db, settings, tmp_path, deliverer_for)
    assert "was cancelled by the community office (Admin)" in text
    assert "Reason: Court resurfacing" in text


async def test_the_office_cannot_overfill_a_shared_amenity(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    pool = world.amenities["pool"]
    await make_reservation(session, pool, world.members["neighbor"], local(2, 10), headcount=6)
    mine = await make_reservation(session, pool, world.members["resident"], local(2, 10))
    await session.execute(sa.update(Amenity).where(Amenity.id == pool.id).values(capacity=8))
    await session.commit()
    admin = await as_user("admin")
    r = await admin.patch(f"/reservations/{mine.id}", {"headcount": 3})
    assert r.status_code == 409 and code(r) == "reservation.capacity_full", r.text
    assert (await admin.patch(f"/reservations/{mine.id}", {"headcount": 2})).status_code == 200


async def test_history_in_words_for_the_office_and_the_household(
    as_user: Any, world: World
) -> None:
    resident, housemate, neighbor, admin = [
        await as_user(who) for who in ("resident", "housemate", "neighbor", "admin")
    ]
    start = local(3, 10)
    created = await resident.post(
        "/reservations",
        {
            "amenity_id": str(world.amenities["court"].id),
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        },
    )
    rid = created.json()["id"]
    later = local(3, 15)
    moved = await admin.patch(
        f"/reservations/{rid}",
        {"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=1)).isoformat()},
    )
    assert moved.status_code == 200
    r = await admin.post(f"/reservations/{rid}/cancel", {"reason": "Tournament"})
    assert r.status_code == 200

    seen = (await admin.get(f"/reservations/{rid}/history")).json()
    assert [e["summary"] for e in seen["events"]] == ["Booked", "Changed", "Cancelled"]
    assert [e["actor"] for e in seen["events"]] == ["Resident", "Admin", "Admin"]
    assert [e["by_office"] for e in seen["events"]] == [False, True, True]
    changed = {c["field"]: c for c in seen["events"][1]["changes"]}
    assert set(changed) == {"time"}
    assert "10:00" in changed["time"]["before"] and "3:00" in changed["time"]["after"]
    cancelled = {c["field"]: c for c in seen["events"][2]["changes"]}
    assert cancelled["status"] == {"field": "status", "before": "confirmed", "after": "cancelled"}
    assert cancelled["reason"]["after"] == "Tournament"
    assert [m["kind"] for m in seen["emails"]] == [
        "reservation_confirmed",
        "reservation_changed",
        "reservation_cancelled",
    ]
    assert seen["emails"][0]["recipient"] == world.emails["resident"]

    for member in (resident, housemate):
        theirs = (await member.get(f"/reservations/{rid}/history")).json()
        assert [e["actor"] for e in theirs["events"]] == [
            "Resident",
            "Community office",
            "Community office",
        ]
        assert [m["recipient"] for m in theirs["emails"]] == [None, None, None]
        assert "Admin" not in str(theirs)
    r = await neighbor.get(f"/reservations/{rid}/history")
    assert r.status_code == 404 and code(r) == "not_found"


async def test_history_shows_residents_only_their_household_emails(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    """A request alerts the admins by email; the household does not see those."""
    await session.execute(
        sa.update(User)
        .where(User.id == world.members["admin"].user_id)
        .values(admin_alerts=AdminAlerts.IMMEDIATE)
    )
    await session.commit()
    resident, admin = await as_user("resident"), await as_user("admin")
    start = local(5, 10)
    created = await resident.post(
        "/reservations",
        {
            "amenity_id": str(world.amenities["clubhouse"].id),
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "accepted_rules_version": 1,
        },
    )
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    office = [m["kind"] for m in (await admin.get(f"/reservations/{rid}/history")).json()["emails"]]
    assert sorted(office) == ["approval_requested", "reservation_requested"]
    household = (await resident.get(f"/reservations/{rid}/history")).json()
    assert [m["kind"] for m in household["emails"]] == ["reservation_requested"]
    assert household["events"][0]["summary"] == "Requested"


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def test_csv_export_is_filtered_local_and_formula_safe(
    as_user: Any, world: World, session: AsyncSession
) -> None:
    b = await _bookings(session, world)
    admin = await as_user("admin")
    r = await admin.get(f"{LIST}.csv", params={"q": "resident"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    header, *rows = _rows(r.text)
    assert header[2] == "starts (America/New_York)"
    assert [row[0] for row in rows] == [
        str(b["resident_court"].id),
        str(b["resident_cancelled"].id),
    ]
    assert rows[0][2] == local(2, 10).strftime("%Y-%m-%d %H:%M")  # the community's wall clock
    assert rows[1][6] == "cancelled" and rows[1][12] == "'=HYPERLINK(evil)"
    r = await admin.get(f"{LIST}.csv", params={"status": "nope"})
    assert r.status_code == 422 and code(r) == "validation_error"
    assert (await (await as_user("resident")).get(f"{LIST}.csv")).status_code == 403


async def test_csv_export_streams_many_rows_in_batches(
    as_user: Any, world: World, session: AsyncSession, app: FastAPI
) -> None:
    court, member = world.amenities["court"], world.members["resident"]
    total = 20 * EXPORT_BATCH + 7
    base = utcnow().replace(microsecond=0) - timedelta(days=3000)
    rows = [
        {
            "id": uuid.uuid4(),
            "community_id": world.community.id,
            "amenity_id": court.id,
            "household_id": member.household_id,
            "booked_by_id": member.user_id,
            "booked_for_id": member.user_id,
            "starts_at": base + timedelta(hours=i),
            "ends_at": base + timedelta(hours=i, minutes=30),
            "block_starts_at": base + timedelta(hours=i),
            "block_ends_at": base + timedelta(hours=i, minutes=30),
            "exclusive": True,
            "status": ReservationStatus.CANCELLED,
            "created_at": base,
            "updated_at": base,
        }
        for i in range(total)
    ]
    await session.execute(sa.insert(Reservation), rows)
    await session.commit()
    admin = await as_user("admin")
    # Straight through the ASGI interface: httpx's test transport joins the body's parts.
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"{admin.base}{LIST}.csv",
        "raw_path": f"{admin.base}{LIST}.csv".encode(),
        "query_string": b"sort=-starts_at",
        "headers": [(b"authorization", admin.headers["Authorization"].encode())],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "root_path": "",
    }
    sent: list[MutableMapping[str, Any]] = []
    requested, done = False, asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # the client stays until the answer is complete
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    parts = [m["body"] for m in sent[1:] if m["body"]]
    assert len(parts) > total // EXPORT_BATCH  # one piece per batch, never the whole at once
    assert max(map(len, parts)) < 400 * EXPORT_BATCH
    _header, *got = _rows(b"".join(parts).decode())
    assert len(got) == total
    ids = [row[0] for row in got]
    assert len(set(ids)) == total and ids[0] == str(rows[-1]["id"])
