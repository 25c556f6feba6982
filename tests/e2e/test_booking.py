"""A resident books, an admin decides, closures and cutoffs: the app as people use it."""

import re
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from ical.calendar_stream import IcsCalendarStream
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from hoa.models import Reservation
from tests.e2e.conftest import (
    AXE,
    DESKTOP,
    PHONE,
    TIMEZONE,
    Api,
    check_a11y,
    screenshot,
    sign_in,
    watch,
)

RESIDENT = "resident@maple-grove.example"
NEIGHBOR = "neighbor@maple-grove.example"
ADMIN = "admin@maple-grove.example"
NY = ZoneInfo(TIMEZONE)


def local_day(days: int) -> str:
    return (datetime.now(NY).date() + timedelta(days=days)).isoformat()


def bookable_slot(
    api: Api,
    amenity: dict[str, Any],
    days: Iterable[int],
    *,
    minutes: int | None = None,
    headcount: int = 1,
    before: datetime | None = None,
    after: datetime | None = None,
) -> tuple[str, dict[str, Any]]:
    """A local day and a slot of its availability, starting before ``before`` and not before
    ``after`` when given, that the dry run accepts for this user."""
    minutes = minutes or max(amenity["slot_minutes"], amenity["min_duration_minutes"])
    for offset in days:
        day = local_day(offset)
        slots = api.get(f"/amenities/{amenity['id']}/availability", date=day)["slots"]
        for slot in slots:
            if not slot["available"]:
                continue
            start = datetime.fromisoformat(slot["starts_at"])
            if (before is not None and start >= before) or (after is not None and start < after):
                continue
            body = {
                "amenity_id": amenity["id"],
                "starts_at": slot["starts_at"],
                "ends_at": (start + timedelta(minutes=minutes)).isoformat(),
                "headcount": headcount,
            }
            r = api.post("/reservations/check", body)
            if r.status_code == 200 and r.json()["allowed"]:
                return day, slot
    raise AssertionError(f"no bookable {amenity['name']} slot in the demo data")


def book(api: Api, amenity: dict[str, Any], slot: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """Books an hour from ``slot`` through the API, with ``fields`` (title, ...) as given: find
    the slot with ``bookable_slot(..., minutes=60)``, or a free first half may hide a taken
    second one."""
    start = datetime.fromisoformat(slot["starts_at"])
    r = api.post(
        "/reservations",
        {
            "amenity_id": amenity["id"],
            "starts_at": slot["starts_at"],
            "ends_at": (start + timedelta(hours=1)).isoformat(),
            **fields,
        },
    )
    assert r.status_code == 201, r.text
    booking: dict[str, Any] = r.json()
    return booking


def open_booking(page: Page, amenity: str, day: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Book", exact=True).click()
    page.get_by_role("button", name=f"Book {amenity}").click()
    expect(page.get_by_role("heading", name=f"Book {amenity}")).to_be_visible()
    page.get_by_label("Day", exact=True).fill(day)


def pick_slot(page: Page, slot: dict[str, Any]) -> None:
    button = page.locator(f'.slot[data-start="{slot["starts_at"]}"]')
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")


def test_resident_books_a_pool_slot(page: Page, api: Any) -> None:
    resident = api(RESIDENT)
    pool = resident.amenity("Pool")
    day, slot = bookable_slot(resident, pool, range(2, 7), headcount=3)
    sign_in(page, RESIDENT)
    open_booking(page, "Pool", day)
    pick_slot(page, slot)
    page.get_by_label("People, guests included").fill("3")
    page.get_by_label("Of them, guests").fill("1")
    expect(page.get_by_text("This time is free for you.")).to_be_visible()
    page.get_by_label("I have read and accept the rules of the Pool").check()
    screenshot(page, "desktop-book-pool")
    check_a11y(page, "booking form")
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_role("heading", name="You're booked!")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="My reservations").click()
    mine = resident.get("/reservations", amenity_id=pool["id"], start=slot["starts_at"])["items"]
    booked = next(r for r in mine if r["starts_at"] == slot["starts_at"])
    assert (booked["headcount"], booked["guests"], booked["status"]) == (3, 1, "confirmed")
    item = page.locator(f'[data-reservation-id="{booked["id"]}"]')
    expect(item).to_contain_text("Pool")
    expect(item).to_contain_text("Confirmed")
    screenshot(page, "desktop-my-reservations")


def test_phone_sized_booking(
    browser: Browser, browser_context_args: dict[str, Any], api: Any
) -> None:
    resident = api(RESIDENT)
    bbq = resident.amenity("BBQ Area")
    day, slot = bookable_slot(resident, bbq, range(8, 20), headcount=6)
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}
    )
    context.add_init_script(path=AXE)
    page = context.new_page()
    errors = watch(page)
    try:
        sign_in(page, RESIDENT)
        screenshot(page, "phone-home")
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Bookings")).to_be_visible()
        open_booking(page, "BBQ Area", day)
        pick_slot(page, slot)
        page.get_by_label("Until").select_option(index=1)
        page.get_by_label("People, guests included").fill("6")
        page.get_by_label("Occasion (optional)").fill("Phone cookout")
        expect(page.get_by_text("This time is free for you.")).to_be_visible()
        # Nothing sticks out sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "phone-book-bbq")
        check_a11y(page, "booking form on a phone")
        page.get_by_role("button", name="Confirm booking").tap()
        expect(page.get_by_role("heading", name="You're booked!")).to_be_visible()
        screenshot(page, "phone-booked")
        nav.get_by_role("link", name="Bookings").tap()
        expect(page.get_by_text("Phone cookout")).to_be_visible()
        screenshot(page, "phone-my-reservations")
        assert not errors.messages, errors.messages
    finally:
        context.close()


def test_clubhouse_request_approved_by_the_admin(
    page: Page, browser: Browser, browser_context_args: dict[str, Any], api: Any
) -> None:
    resident = api(RESIDENT)
    clubhouse = resident.amenity("Clubhouse")
    day, slot = bookable_slot(resident, clubhouse, range(4, 40), minutes=240, headcount=20)
    sign_in(page, RESIDENT)
    open_booking(page, "Clubhouse", day)
    pick_slot(page, slot)
    until = page.get_by_label("Until")
    until.select_option(index=2)  # 2 h, 3 h, 4 h, ...
    expect(until.locator("option:checked")).to_contain_text("(4 h)")
    page.get_by_label("My booking includes setup and cleanup time around the party").check()
    page.get_by_label("Party starts").select_option(index=1)
    page.get_by_label("People, guests included").fill("20")
    page.get_by_label("Of them, guests").fill("15")
    page.get_by_label("Occasion (optional)").fill("E2E graduation party")
    page.get_by_label("I have read and accept the rules of the Clubhouse").check()
    expect(page.get_by_text("This time is free for you.")).to_be_visible()
    page.get_by_role("button", name="Send booking request").click()
    expect(page.get_by_role("heading", name="Request sent")).to_be_visible()
    expect(page.get_by_text("Waiting for approval").first).to_be_visible()
    request = next(
        r
        for r in resident.get("/reservations", status="pending", start=slot["starts_at"])["items"]
        if r["title"] == "E2E graduation party"
    )
    assert request["party_starts_at"] is not None

    admin_context = browser.new_context(**browser_context_args)
    admin_context.add_init_script(path=AXE)
    admin = admin_context.new_page()
    errors = watch(admin)
    try:
        sign_in(admin, ADMIN)
        admin_link = admin.get_by_role("navigation", name="Main").get_by_role(
            "link", name=re.compile(r"^Admin\s*\d+ requests waiting$")
        )
        expect(admin_link).to_be_visible()
        admin_link.click()
        expect(admin.get_by_role("heading", name="Approval queue")).to_be_visible()
        card = admin.locator(f'[data-reservation-id="{request["id"]}"]')
        expect(card).to_contain_text("Requested by Jordan Rivera, 12 Maple Ct")
        screenshot(admin, "desktop-admin-approvals")
        card.get_by_role("button", name='Approve Clubhouse request "E2E graduation party"').click()
        expect(card).to_contain_text("Approved")
        assert not errors.messages, errors.messages
    finally:
        admin_context.close()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My reservations").click()
    page.wait_for_url("**/reservations")
    page.reload()
    item = page.locator(f'[data-reservation-id="{request["id"]}"]')
    expect(item).to_contain_text("Confirmed")
    expect(item).to_contain_text("E2E graduation party")


def test_a_slot_taken_meanwhile_is_explained(page: Page, api: Any) -> None:
    resident, admin = api(RESIDENT), api(ADMIN)
    court = resident.amenity("Tennis Court 1")
    day, slot = bookable_slot(resident, court, range(5, 12))
    sign_in(page, RESIDENT)
    open_booking(page, "Tennis Court 1", day)
    pick_slot(page, slot)
    expect(page.get_by_text("This time is free for you.")).to_be_visible()

    start = datetime.fromisoformat(slot["starts_at"])
    taken = admin.post(
        "/reservations",
        {
            "amenity_id": court["id"],
            "starts_at": slot["starts_at"],
            "ends_at": (start + timedelta(minutes=court["min_duration_minutes"])).isoformat(),
            "accepted_rules_version": court["rules_version"],
        },
    )
    assert taken.status_code == 201, taken.text

    page.get_by_role("button", name="Confirm booking").click()
    alert = page.get_by_role("alert").filter(has_text="That time is already taken.").first
    expect(alert).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Try .* instead$")).first).to_be_visible()
    screenshot(page, "desktop-slot-taken")
    page.get_by_role("button", name=re.compile(r"^Try .* instead$")).first.click()
    expect(page.get_by_text("This time is free for you.")).to_be_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_same_day_booking_is_cancellable_during_its_grace_period(
    browser: Browser,
    browser_context_args: dict[str, Any],
    api: Any,
    db: sa.Engine,
    viewport: dict[str, int],
) -> None:
    """The BBQ area takes same-day bookings but has a day's cancellation cutoff: a booking made
    now can be cancelled for its grace period, the button says until when, and after the grace
    period the button is gone and the page says why."""
    resident = api(RESIDENT)
    bbq = resident.amenity("BBQ Area")
    assert bbq["cancellation_cutoff_hours"] == 24 and bbq["cancellation_grace_minutes"] == 15
    now = datetime.now(UTC)
    # inside the cutoff, and starting after the grace period (which a booking's start cuts short)
    soon, later = now + timedelta(hours=23), now + timedelta(minutes=30)
    made = []
    for _ in range(2):
        _, slot = bookable_slot(resident, bbq, range(2), before=soon, after=later)
        made.append(book(resident, bbq, slot))
    fresh, old = made
    until = datetime.fromisoformat(fresh["cancellable_until"])
    assert until == datetime.fromisoformat(fresh["decided_at"]) + timedelta(minutes=15)
    with Session(db) as session, session.begin():  # the other one's grace period is over
        session.execute(
            sa.update(Reservation)
            .where(Reservation.id == uuid.UUID(old["id"]))
            .values(decided_at=datetime.now(UTC) - timedelta(minutes=20))
        )

    context = browser.new_context(**{**browser_context_args, "viewport": viewport})
    page = context.new_page()
    try:
        sign_in(page, RESIDENT)
        page.goto(f"/c/{resident.community_id}/reservations")
        closed = page.locator(f'[data-reservation-id="{old["id"]}"]')
        expect(closed).to_contain_text("Online changes and cancellations closed")
        expect(closed.get_by_role("button", name=re.compile(r"^Cancel"))).to_have_count(0)
        item = page.locator(f'[data-reservation-id="{fresh["id"]}"]')
        clock = until.astimezone(NY).strftime("%-I:%M")  # then a locale-dependent space and PM
        button = item.get_by_role("button", name=re.compile(r"^Cancel BBQ Area"))
        expect(button).to_contain_text(f"until {datetime.now(NY):%a}")
        expect(button).to_contain_text(clock)
        screenshot(page, f"{'phone' if viewport is PHONE else 'desktop'}-cancel-grace")
        button.click()
        item.get_by_role("button", name="Yes, cancel this BBQ Area booking").click()
        expect(item).to_have_count(0)  # it moves to the cancelled ones
        page.get_by_role("tab", name="Cancelled & declined").click()
        expect(item).to_contain_text("Cancelled")
    finally:
        context.close()
    assert resident.get(f"/reservations/{fresh['id']}")["status"] == "cancelled"


def test_admin_closes_an_amenity_over_a_reservation(page: Page, api: Any) -> None:
    neighbor = api(NEIGHBOR)
    court = neighbor.amenity("Tennis Court 2")
    day, slot = bookable_slot(neighbor, court, range(6, 13), minutes=60)
    start = datetime.fromisoformat(slot["starts_at"])
    end = start + timedelta(minutes=60)
    r = neighbor.post(
        "/reservations",
        {
            "amenity_id": court["id"],
            "starts_at": slot["starts_at"],
            "ends_at": end.isoformat(),
            "title": "Doubles before the closure",
        },
    )
    assert r.status_code == 201, r.text
    booked = r.json()

    sign_in(page, ADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Closures").click()
    page.get_by_label("Amenity").select_option(label="Tennis Court 2")
    page.get_by_label("Reason (residents see it)").fill("Net replacement")
    page.get_by_label("From (day)").fill(day)
    page.get_by_label("From (time)").fill(start.astimezone(NY).strftime("%H:%M"))
    page.get_by_label("Until (day)").fill(end.astimezone(NY).date().isoformat())
    page.get_by_label("Until (time)").fill(end.astimezone(NY).strftime("%H:%M"))
    page.get_by_role("button", name="Close Tennis Court 2").click()

    warning = page.get_by_role("alert").filter(has_text="in this closure")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Priya Shah")
    screenshot(page, "desktop-closure-conflicts")
    warning.get_by_role("button", name=re.compile(r"^Close and cancel")).click()
    expect(page.get_by_text("Closure saved.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"reservations? (was|were) cancelled"))).to_be_visible()
    expect(page.get_by_role("cell", name="Net replacement", exact=True)).to_be_visible()

    after = neighbor.get(f"/reservations/{booked['id']}")
    assert after["status"] == "cancelled"
    screenshot(page, "desktop-closures")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_quota_refusal_names_the_booking_that_counts_and_blocks_the_button(
    browser: Browser, browser_context_args: dict[str, Any], api: Any, viewport: dict[str, int]
) -> None:
    resident = api(RESIDENT)
    pool = resident.amenity("Pool")
    assert pool["max_per_day"] == 1
    day, slot = bookable_slot(resident, pool, range(1, 7), minutes=60)
    start = datetime.fromisoformat(slot["starts_at"])
    booked_id = book(
        resident,
        pool,
        slot,
        title="Morning laps",
        accepted_rules_version=pool["rules_version"],
    )["id"]
    slots = resident.get(f"/amenities/{pool['id']}/availability", date=day)["slots"]
    other = next(
        s
        for s in slots
        if s["available"] and datetime.fromisoformat(s["starts_at"]) >= start + timedelta(hours=1)
    )

    context = browser.new_context(**{**browser_context_args, "viewport": viewport})
    page = context.new_page()
    try:
        sign_in(page, RESIDENT)
        open_booking(page, "Pool", day)
        pick_slot(page, other)
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Your household already has 1 booking here on")
        expect(alert).not_to_contain_text("1 bookings")
        expect(alert).to_contain_text("You can book again from")
        link = alert.get_by_role("link", name=re.compile(r"Morning laps"))
        expect(link).to_be_visible()
        expect(page.get_by_role("button", name="Confirm booking")).to_be_disabled()
        name = "phone" if viewport is PHONE else "desktop"
        screenshot(page, f"{name}-quota-refusal")
        next_day = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
        alert.get_by_role("button", name=re.compile(r"^Show ")).click()
        expect(page.get_by_label("Day", exact=True)).to_have_value(next_day)
        page.go_back()
        open_booking(page, "Pool", day)
        pick_slot(page, other)
        page.get_by_role("alert").get_by_role("link", name=re.compile(r"Morning laps")).click()
        expect(page.locator(f"#reservation-{booked_id}")).to_be_in_viewport()
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_downloaded_calendar_file_is_the_bookings_one_event(
    browser: Browser, browser_context_args: dict[str, Any], api: Any, viewport: dict[str, int]
) -> None:
    resident = api(RESIDENT)
    court = resident.amenity("Tennis Court 1")
    _, slot = bookable_slot(resident, court, range(3, 10), minutes=60)
    start = datetime.fromisoformat(slot["starts_at"])
    # not ASCII: the file is UTF-8 and says so
    rid = book(resident, court, slot, title="Café doubles")["id"]
    context = browser.new_context(**{**browser_context_args, "viewport": viewport})
    page = context.new_page()
    try:
        sign_in(page, RESIDENT)
        page.goto(f"/c/{resident.community_id}/reservations")
        item = page.locator(f'[data-reservation-id="{rid}"]')
        with page.expect_download() as info:
            item.get_by_role("link", name=re.compile(r"^Add to calendar \(\.ics\)")).click()
        ics = Path(info.value.path()).read_bytes()
    finally:
        context.close()
    cal = icalendar.Calendar.from_ical(ics)
    [event] = cal.walk("VEVENT")
    [strict] = IcsCalendarStream.calendar_from_ics(ics.decode("utf-8")).events
    assert str(event["UID"]) == strict.uid == f"{rid}@hoa"
    assert strict.dtstart == start
    assert "Café doubles" in str(event["DESCRIPTION"]) and strict.location == (
        "Tennis Court 1, Maple Grove HOA"
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_cancelled_bookings_have_their_own_list(
    browser: Browser, browser_context_args: dict[str, Any], api: Any, viewport: dict[str, int]
) -> None:
    resident = api(RESIDENT)
    court = resident.amenity("Tennis Court 2")
    _, slot = bookable_slot(resident, court, range(3, 12), minutes=60)
    rid = book(resident, court, slot, title="Rained out")["id"]
    assert resident.post(f"/reservations/{rid}/cancel", {"reason": "Rain"}).status_code == 200
    context = browser.new_context(**{**browser_context_args, "viewport": viewport})
    page = context.new_page()
    try:
        sign_in(page, RESIDENT)
        page.goto(f"/c/{resident.community_id}/reservations")
        expect(page.locator(".res").first).to_be_visible()
        item = page.locator(f'[data-reservation-id="{rid}"]')
        expect(item).to_have_count(0)  # not among the upcoming ones
        page.get_by_role("tab", name="Cancelled & declined").click()
        expect(item).to_contain_text("Rained out")
        expect(item).to_contain_text("Cancelled")
        screenshot(page, f"{'phone' if viewport is PHONE else 'desktop'}-cancelled-list")
    finally:
        context.close()
