"""Calendar feeds: managing them under /api/v1/me and reading them at /ical/{secret}.ics."""

import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import icalendar
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.core.settings import RateLimitSettings, Settings
from hoa.main import create_app
from hoa.models import AuditEvent, CalendarFeed, ReservationStatus, Role, User
from tests.conftest import Api, sign_in
from tests.factories import (
    NEW_YORK,
    PASSWORD,
    World,
    local,
    make_member,
    make_reservation,
    make_user,
)
from tests.hardening.support import running, with_settings

FEEDS = "/api/v1/me/calendar-feeds"


async def _create(api: Api, amenity_id: uuid.UUID | None = None) -> httpx.Response:
    return await api.post(FEEDS, {"amenity_id": str(amenity_id) if amenity_id else None})


def _path(url: str) -> str:
    """The feed address as the test client reaches it."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


async def _events(client: httpx.AsyncClient, url: str) -> dict[str, icalendar.Component]:
    r = await client.get(_path(url))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/calendar")
    assert r.headers["cache-control"] == "private, max-age=300"
    cal = icalendar.Calendar.from_ical(r.content)
    return {str(event["uid"]): event for event in cal.walk("VEVENT")}


def _uid(reservation: Any) -> str:
    return f"{reservation.id}@hoa"


def _dst_change() -> date:
    """The first day, from a week ahead, on which New York's UTC offset differs from the
    day before's."""
    day = datetime.now(NEW_YORK).date() + timedelta(days=7)
    while True:
        before = datetime(day.year, day.month, day.day, 12, tzinfo=NEW_YORK).utcoffset()
        following = day + timedelta(days=1)
        after = datetime(
            following.year, following.month, following.day, 12, tzinfo=NEW_YORK
        ).utcoffset()
        if before != after:
            return following
        day = following


async def test_personal_feed_holds_the_households_bookings_in_local_time(
    client: httpx.AsyncClient, world: World, session: AsyncSession, as_user: Any
) -> None:
    court, clubhouse = world.amenities["court"], world.amenities["clubhouse"]
    resident, housemate = world.members["resident"], world.members["housemate"]
    change = _dst_change()
    day_before, day_after = change - timedelta(days=1), change + timedelta(days=1)
    before = datetime(day_before.year, day_before.month, day_before.day, 10, tzinfo=NEW_YORK)
    after = datetime(day_after.year, day_after.month, day_after.day, 10, tzinfo=NEW_YORK)
    mine_before = await make_reservation(session, court, resident, before, title="Doubles")
    mine_after = await make_reservation(session, court, resident, after)
    pending = await make_reservation(
        session, clubhouse, housemate, local(5, 18), status=ReservationStatus.PENDING
    )
    hidden = [
        await make_reservation(session, court, world.members["neighbor"], local(4, 9)),
        await make_reservation(
            session, court, resident, local(6, 9), status=ReservationStatus.CANCELLED
        ),
        await make_reservation(
            session, court, resident, local(7, 9), status=ReservationStatus.REJECTED
        ),
        await make_reservation(session, court, resident, local(-90, 9)),  # past the window
        await make_reservation(session, court, resident, local(400, 9)),
    ]
    await session.commit()

    api = await as_user("resident")
    r = await _create(api)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "personal" and body["amenity_id"] is None
    assert body["url"].startswith("http://localhost:8000/ical/") and body["url"].endswith(".ics")
    assert body["webcal_url"] == "webcal://" + body["url"].removeprefix("http://")

    r = await client.get(_path(body["url"]))
    cal = icalendar.Calendar.from_ical(r.content)
    [vtimezone] = cal.walk("VTIMEZONE")
    assert isinstance(vtimezone, icalendar.Timezone)
    assert vtimezone["tzid"] == "America/New_York"
    assert vtimezone.walk("STANDARD") and vtimezone.walk("DAYLIGHT")
    # The VTIMEZONE's own rules (what calendar apps use) put both bookings at 10:00.
    zone = vtimezone.to_tz()
    assert [r.starts_at.astimezone(zone).hour for r in (mine_before, mine_after)] == [10, 10]
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {_uid(mine_before), _uid(mine_after), _uid(pending)}
    assert not {_uid(r) for r in hidden} & set(events)

    for reservation, event in (
        (mine_before, events[_uid(mine_before)]),
        (mine_after, events[_uid(mine_after)]),
    ):
        start = event.decoded("dtstart")
        assert (start.hour, start.minute) == (10, 0)  # wall-clock time on both sides of DST
        assert event["dtstart"].params["TZID"] == "America/New_York"
        assert start == reservation.starts_at
        assert event.decoded("dtend") == reservation.ends_at
        assert str(event["status"]) == "CONFIRMED"
        assert str(event["summary"]) == "Tennis Court 1 – Maple Grove HOA"
        assert "dtstamp" in event and "last-modified" in event
    assert (
        events[_uid(mine_before)].decoded("dtstart").utcoffset()
        != events[_uid(mine_after)].decoded("dtstart").utcoffset()
    )
    assert str(events[_uid(pending)]["status"]) == "TENTATIVE"
    assert str(events[_uid(pending)]["summary"]) == "Clubhouse – Maple Grove HOA"
    # Own name and title shown; the housemate's name is not (the community hides names).
    assert "Booked for Resident" in str(events[_uid(mine_before)]["description"])
    assert "Doubles" in str(events[_uid(mine_before)]["description"])
    assert "Housemate" not in r.text and "Neighbor" not in r.text


async def test_names_follow_the_community_setting(
    client: httpx.AsyncClient, world: World, session: AsyncSession, as_user: Any
) -> None:
    await make_reservation(
        session, world.amenities["court"], world.members["housemate"], local(3, 10)
    )
    await session.commit()
    api = await as_user("resident")
    url = (await _create(api)).json()["url"]
    assert "Housemate" not in (await client.get(_path(url))).text

    world.community.show_booker_names = True
    session.add(world.community)
    await session.commit()
    assert "Booked for Housemate" in (await client.get(_path(url))).text


async def test_feed_spans_every_active_community(
    client: httpx.AsyncClient, world: World, session: AsyncSession, as_user: Any
) -> None:
    # The resident also lives in Oak Ridge: its bookings join the feed, in its own zone,
    # until that membership is suspended.
    resident = world.members["resident"]
    user = await session.get(User, resident.user_id)
    assert user is not None
    world.other.timezone = "Europe/Paris"
    session.add(world.other)
    there = await make_member(session, world.other, user, household=world.households["other"])
    here = await make_reservation(session, world.amenities["court"], resident, local(2, 10))
    away = await make_reservation(session, world.amenities["other_gym"], there, local(3, 10))
    await session.commit()
    url = (await _create(await as_user("resident"))).json()["url"]
    r = await client.get(_path(url))
    cal = icalendar.Calendar.from_ical(r.content)
    assert {str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")} == {
        "America/New_York",
        "Europe/Paris",
    }
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {_uid(here), _uid(away)}
    assert events[_uid(away)]["dtstart"].params["TZID"] == "Europe/Paris"
    assert str(events[_uid(away)]["summary"]) == "Gym – Oak Ridge HOA"

    there.status = there.status.SUSPENDED
    session.add(there)
    await session.commit()
    assert set(await _events(client, url)) == {_uid(here)}


async def test_unchanged_feed_answers_304_to_its_etag(
    client: httpx.AsyncClient, world: World, session: AsyncSession, as_user: Any
) -> None:
    url = _path((await _create(await as_user("resident"))).json()["url"])
    first = await client.get(url)
    etag = first.headers["etag"]
    again = await client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["cache-control"] == "private, max-age=300"
    await make_reservation(
        session, world.amenities["court"], world.members["resident"], local(2, 10)
    )
    await session.commit()
    changed = await client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


async def test_rotation_and_revocation(
    client: httpx.AsyncClient, world: World, session: AsyncSession, as_user: Any
) -> None:
    api = await as_user("resident")
    first = (await _create(api)).json()
    again = await _create(api)
    assert again.status_code == 200  # the same feed, a new secret
    second = again.json()
    assert second["id"] == first["id"] and second["url"] != first["url"]
    old = await client.get(_path(first["url"]))
    assert old.status_code == 404 and old.json()["error"]["code"] == "not_found"
    assert (await client.get(_path(second["url"]))).status_code == 200

    listed = (await api.get(FEEDS)).json()
    assert listed == [
        {
            "id": first["id"],
            "kind": "personal",
            "amenity_id": None,
            "amenity_name": None,
            "community_id": None,
            "created_at": second["created_at"],
        }
    ]
    # Only the hash is stored, never the secret.
    secret = second["url"].rsplit("/", 1)[1].removesuffix(".ics")
    stored = (await session.scalars(sa.select(CalendarFeed.token_hash))).all()
    assert len(stored) == 1 and secret not in stored[0] and len(stored[0]) == 64
    actions = (
        await session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.created_at))
    ).all()
    assert [a for a in actions if a.startswith("calendar_feed")] == [
        "calendar_feed.created",
        "calendar_feed.rotated",
    ]
    await session.commit()  # end the read: SQLite lets one writer in at a time

    # Another user cannot revoke it.
    neighbor = await as_user("neighbor")
    assert (await neighbor.delete(f"{FEEDS}/{first['id']}")).status_code == 404
    r = await api.delete(f"{FEEDS}/{first['id']}")
    assert r.status_code == 204
    gone = await client.get(_path(second["url"]))
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    assert (await api.get(FEEDS)).json() == []
    assert (await api.delete(f"{FEEDS}/{first['id']}")).status_code == 404


async def test_unknown_secret_is_a_json_404_even_with_the_web_app_built(
    settings: Settings, tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>spa</title>")
    app = create_app(settings.model_copy(update={"web_dist": dist}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            r = await c.get("/ical/not-a-real-secret.ics")
            assert r.status_code == 404
            assert r.json()["error"]["code"] == "not_found"
            assert (await c.get("/account")).text.startswith("<!doctype html>")


async def test_disabled_account_kills_its_feeds(
    client: httpx.AsyncClient, world: World, session: AsyncSession, as_user: Any
) -> None:
    url = (await _create(await as_user("resident"))).json()["url"]
    assert (await client.get(_path(url))).status_code == 200
    await session.execute(
        sa.update(User).where(User.id == world.members["resident"].user_id).values(is_active=False)
    )
    await session.commit()
    assert (await client.get(_path(url))).status_code == 404


async def test_admin_amenity_feed_lives_while_its_owner_is_an_active_admin(
    client: httpx.AsyncClient, world: World, session: AsyncSession, as_user: Any
) -> None:
    court = world.amenities["court"]
    user = await make_user(session, name="Second Admin")
    deputy = await make_member(session, world.community, user, Role.ADMIN)
    theirs = await make_reservation(session, court, world.members["neighbor"], local(2, 10))
    other_amenity = await make_reservation(
        session, world.amenities["pool"], world.members["neighbor"], local(2, 10)
    )
    cancelled = await make_reservation(
        session, court, world.members["neighbor"], local(3, 10), status=ReservationStatus.CANCELLED
    )
    await session.commit()

    api = Api(client, await sign_in(client, user.email), world.community.id)
    r = await _create(api, court.id)
    assert r.status_code == 201, r.text
    feed = r.json()
    assert feed["kind"] == "amenity" and feed["amenity_name"] == "Tennis Court 1"
    assert feed["community_id"] == str(world.community.id)
    r = await client.get(_path(feed["url"]))
    cal = icalendar.Calendar.from_ical(r.content)
    assert str(cal["x-wr-calname"]) == "Tennis Court 1 – Maple Grove HOA"
    uids = {str(e["uid"]) for e in cal.walk("VEVENT")}
    assert uids == {_uid(theirs)}
    assert _uid(other_amenity) not in uids and _uid(cancelled) not in uids
    assert "Neighbor" not in r.text  # names hidden for admins' feeds too

    admin = await as_user("admin")
    assert (await admin.patch(f"/members/{deputy.id}", {"role": "resident"})).status_code == 200
    dead = await client.get(_path(feed["url"]))
    assert dead.status_code == 404 and dead.json()["error"]["code"] == "not_found"
    # ... and a resident cannot make a new one.
    r = await _create(api, court.id)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"

    await admin.patch(f"/members/{deputy.id}", {"role": "admin"})
    assert (await client.get(_path(feed["url"]))).status_code == 200
    await admin.patch(f"/members/{deputy.id}", {"status": "suspended"})
    assert (await client.get(_path(feed["url"]))).status_code == 404


async def test_outsider_cannot_follow_another_communitys_amenity(
    world: World, session: AsyncSession, as_user: Any
) -> None:
    outsider = await as_user("outsider", world.other.id)  # an admin, of Oak Ridge
    for amenity_id in (world.amenities["court"].id, uuid.uuid4()):
        r = await _create(outsider, amenity_id)
        assert r.status_code == 404, r.text
        assert r.json()["error"]["code"] == "not_found"
        assert "Tennis" not in r.text
    assert (await outsider.get(FEEDS)).json() == []
    # Their own community's amenity is fine.
    assert (await _create(outsider, world.amenities["other_gym"].id)).status_code == 201


async def test_feed_management_needs_a_session_and_csrf(
    client: httpx.AsyncClient, world: World
) -> None:
    assert (await client.get(FEEDS)).status_code == 401
    await client.post(
        "/api/v1/auth/login", json={"email": world.emails["resident"], "password": PASSWORD}
    )
    assert (await client.get(FEEDS)).status_code == 200
    r = await client.post(FEEDS, json={"amenity_id": None})  # cookie, no CSRF header
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.csrf_failed"


@pytest.mark.parametrize("path", ["/ical/x.ics", "/ical/" + "a" * 500 + ".ics"])
async def test_unknown_secrets(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_feeds_count_against_the_api_rate_limit(settings: Settings) -> None:
    limits = RateLimitSettings(api="2/minute", local_path=settings.rate_limit.local_path)
    limited = with_settings(settings, rate_limit=limits)
    async with running(create_app(limited)) as c:
        statuses = [(await c.get("/ical/unknown.ics")).status_code for _ in range(3)]
        assert statuses == [404, 404, 429]
