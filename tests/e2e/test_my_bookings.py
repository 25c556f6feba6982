"""A resident's own bookings: the past ones have their own list, each opening its own page, and a
booking opened from the calendar has its own page with what can be done to it (change, cancel,
calendar file) and its history, at desktop and phone widths.

Keeps clear of the other end-to-end tests' data: the neighbor's household on the BBQ area, three
to four weeks ahead; the past bookings are the demo's.
"""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import AXE, DESKTOP, PHONE, check_a11y, screenshot, sign_in, watch
from tests.e2e.test_booking import NEIGHBOR, NY, RESIDENT, book, bookable_slot
from tests.e2e.test_calendar_formats import _show_week_of

WIDTHS = [("desktop", DESKTOP), ("phone", PHONE)]


@pytest.mark.parametrize(("width", "viewport"), WIDTHS)
def test_past_bookings_have_their_own_list(
    browser: Browser,
    browser_context_args: dict[str, Any],
    api: Any,
    width: str,
    viewport: dict[str, int],
) -> None:
    resident = api(RESIDENT)
    now = datetime.now(UTC)
    mine = resident.get(
        "/reservations",
        mine=True,
        start=(now - timedelta(days=30)).isoformat(),
        end=now.isoformat(),
    )["items"]
    past = [
        r
        for r in mine
        if datetime.fromisoformat(r["ends_at"]) < now
        and r["status"] not in ("cancelled", "rejected")
    ]
    assert past, "the demo gives every login bookings of the past week"
    last = past[-1]
    context = browser.new_context(**{**browser_context_args, "viewport": viewport})
    context.add_init_script(path=AXE)
    page = context.new_page()
    errors = watch(page)
    try:
        sign_in(page, RESIDENT)
        page.goto(f"/c/{resident.community_id}/reservations")
        expect(page.get_by_role("tab", name="Upcoming")).to_have_attribute("aria-selected", "true")
        expect(page.locator(".res").first).to_be_visible()
        item = page.locator(f'[data-reservation-id="{last["id"]}"]')
        expect(item).to_have_count(0)  # not among the upcoming ones
        page.get_by_role("tab", name="Past").click()
        expect(item).to_be_visible()
        expect(page.locator(".res")).to_have_count(len(past))
        # Over: nothing left to change or cancel, but it still opens its own page.
        expect(item.get_by_role("button", name=re.compile(r"^(Cancel|Change) "))).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        check_a11y(page, f"past bookings ({width})")
        screenshot(page, f"{width}-past-list")
        item.get_by_role("link", name=re.compile(r"open this booking$")).click()
        expect(page).to_have_url(re.compile(f"/reservations/{last['id']}$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(" booking")
        expect(page.locator(f'[data-reservation-id="{last["id"]}"]')).to_be_visible()
        # the demo's bookings have no trail: the page says so rather than show an empty list
        history = page.get_by_role("region", name="History")
        expect(history).to_contain_text("Nothing recorded about this booking yet.")
        assert not errors.messages, errors.messages
    finally:
        context.close()


@pytest.mark.parametrize(
    ("width", "viewport", "days"),
    [
        ("desktop", DESKTOP, range(21, 25)),
        ("phone", PHONE, range(25, 30)),
    ],
)
def test_a_booking_opened_from_the_calendar_has_its_own_page(
    browser: Browser,
    browser_context_args: dict[str, Any],
    api: Any,
    width: str,
    viewport: dict[str, int],
    days: range,
) -> None:
    neighbor = api(NEIGHBOR)
    bbq = neighbor.amenity("BBQ Area")
    _, slot = bookable_slot(neighbor, bbq, days, minutes=60)
    title = f"Own page from the calendar ({width})"
    rid = book(neighbor, bbq, slot, title=title)["id"]
    start = datetime.fromisoformat(slot["starts_at"]).astimezone(NY)
    phone = viewport is PHONE
    extra = {"is_mobile": True, "has_touch": True} if phone else {}
    context = browser.new_context(**{**browser_context_args, "viewport": viewport, **extra})
    context.add_init_script(path=AXE)
    page = context.new_page()
    errors = watch(page)
    try:
        base = sign_in(page, NEIGHBOR)
        page.goto(f"{base}/calendar")
        page.get_by_label("Show").select_option(label="BBQ Area")
        view = "Agenda view" if phone else "Week view"
        page.get_by_role("tab", name=view).click()
        _show_week_of(page, start, title).click()

        expect(page).to_have_url(re.compile(f"{base}/reservations/{rid}$"))
        expect(page.get_by_role("heading", name="BBQ Area booking")).to_be_visible()
        item = page.locator(f'[data-reservation-id="{rid}"]')
        expect(item).to_contain_text(title)
        expect(item).to_contain_text("Confirmed")
        history = page.get_by_role("list", name="What happened")
        expect(history).to_contain_text("Booked")
        expect(item.get_by_role("button", name=re.compile(r"^Change BBQ Area"))).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        check_a11y(page, f"booking page ({width})")
        screenshot(page, f"{width}-booking-page-from-calendar")

        with page.expect_download() as info:
            item.get_by_role("link", name=re.compile(r"^Add to calendar \(\.ics\)")).click()
        ics = Path(info.value.path()).read_bytes()
        [event] = icalendar.Calendar.from_ical(ics).walk("VEVENT")
        [strict] = IcsCalendarStream.calendar_from_ics(ics.decode("utf-8")).events
        assert str(event["UID"]) == strict.uid == f"{rid}@hoa"
        assert strict.url == page.url  # the file leads back to this page

        item.get_by_role("button", name=re.compile(r"^Cancel BBQ Area")).click()
        item.get_by_role("button", name="Yes, cancel this BBQ Area booking").click()
        expect(item).to_contain_text("Cancelled")
        expect(history).to_contain_text("Cancelled")
        expect(item.get_by_role("button", name=re.compile(r"^Change "))).to_have_count(0)
        assert not errors.messages, errors.messages
    finally:
        context.close()
    assert neighbor.get(f"/reservations/{rid}")["status"] == "cancelled"
