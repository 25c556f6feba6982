"""The calendar on a phone is an agenda, and every clock in the app follows the community's
locale: am/pm for en-US, 24 hours for en-GB."""

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from tests.e2e.conftest import AXE, DESKTOP, PHONE, check_a11y, screenshot, sign_in, watch
from tests.e2e.test_booking import NY, RESIDENT, book, bookable_slot

OAK_ADMIN = "admin@oak-ridge.example"
OAK_RESIDENT = "resident@oak-ridge.example"


def _show_week_of(page: Page, start: datetime, title: str) -> Locator:
    """Pages forward from this week (weeks start on Sunday in en-US) to the booking's event."""
    today = datetime.now(start.tzinfo).date()
    week_start = today - timedelta(days=(today.weekday() + 1) % 7)
    for _ in range((start.date() - week_start).days // 7):
        page.get_by_role("button", name=re.compile("^Next")).click()
    event = page.get_by_role("button", name=re.compile(re.escape(title))).first
    expect(event).to_be_visible()
    return event


def test_phone_calendar_opens_on_an_agenda_with_whole_titles(
    browser: Browser, browser_context_args: dict[str, Any], api: Any
) -> None:
    resident = api(RESIDENT)
    bbq = resident.amenity("BBQ Area")
    _, slot = bookable_slot(resident, bbq, range(0, 14), minutes=60)
    title = f"Family barbecue {slot['starts_at'][:10]}"
    booking = book(resident, bbq, slot, title=title)
    start = datetime.fromisoformat(booking["starts_at"]).astimezone(NY)

    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}
    )
    context.add_init_script(path=AXE)
    page = context.new_page()
    errors = watch(page)
    try:
        base = sign_in(page, RESIDENT)
        page.goto(base + "/calendar")
        expect(page.get_by_role("tab", name="Agenda view")).to_have_attribute(
            "aria-selected", "true"
        )
        row = _show_week_of(page, start, title)
        expect(row).to_contain_text(f"BBQ Area: {title}")  # the whole title, not "Clubh"
        # and all of it is seen: the title wraps rather than being clipped
        shown = row.locator(".agenda-title")
        assert shown.evaluate("e => e.scrollWidth <= e.clientWidth"), shown.inner_text()
        expect(row).to_contain_text(re.compile(rf"{start:%-I:%M}\s?{start:%p}"))
        check_a11y(page, "phone agenda")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the agenda scrolls sideways: {width}px"
        screenshot(page, "phone-calendar-agenda")
        assert not errors.messages, errors.messages
    finally:
        context.close()


@pytest.mark.parametrize(
    ("width", "viewport", "view"),
    [
        ("desktop", DESKTOP, "Week view"),
        ("phone", PHONE, "Agenda view"),
    ],
)
def test_calendar_and_opening_hours_follow_the_community_locale(
    page: Page, api: Any, width: str, viewport: ViewportSize, view: str
) -> None:
    page.set_viewport_size(viewport)  # before the calendar opens: it picks its views by width
    office, resident = api(OAK_ADMIN), api(OAK_RESIDENT)
    assert office.patch("", {"locale": "en-GB"}).status_code == 200
    try:
        amenity = resident.get("/amenities")[0]
        _, slot = bookable_slot(resident, amenity, range(0, 14), minutes=60)
        title = f"Locale check ({width}) {slot['starts_at'][:16]}"
        booking = book(resident, amenity, slot, title=title)
        zone = ZoneInfo(resident.get("")["timezone"])
        start = datetime.fromisoformat(booking["starts_at"]).astimezone(zone)

        base = sign_in(page, OAK_RESIDENT)
        page.goto(base + "/amenities")
        hours = page.locator(".card", has_text=amenity["name"]).first
        expect(hours).to_contain_text(re.compile(r"\d\d:\d\d–\d\d:\d\d"))
        expect(hours).not_to_contain_text(re.compile(r"\b[AP]M\b"))

        page.goto(base + "/calendar")
        page.get_by_role("tab", name=view).click()
        event = _show_week_of(page, start, title)
        expect(event).to_contain_text(f"{start:%H:%M}")
        expect(event).not_to_contain_text(re.compile(r"\b[AP]M\b", re.IGNORECASE))
        screenshot(page, f"{width}-calendar-{view.split()[0].lower()}-24h")

        assert office.patch("", {"locale": "en-US"}).status_code == 200
        page.reload()
        page.get_by_role("tab", name=view).click()
        event = _show_week_of(page, start, title)
        expect(event).to_contain_text(re.compile(rf"{start:%-I:%M}\s?{start:%p}"))
    finally:
        office.patch("", {"locale": "en-US"})
