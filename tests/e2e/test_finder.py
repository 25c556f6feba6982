"""The booking page opens on the first bookable day and offers the next free times, one click to
pick: a grid of days on a desktop, a list on a phone; on a tennis court, the times of any court.
The amenities to book are grouped by kind."""

import re
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import AXE, DESKTOP, PHONE, check_a11y, screenshot, sign_in, watch
from tests.e2e.test_booking import ADMIN, NEIGHBOR, NY, RESIDENT

CLUBHOUSE = "Clubhouse"  # 3 days' notice
COURTS = ("Tennis Court 1", "Tennis Court 2")  # of one kind


def open_finder(page: Page, api: Any) -> dict[str, Any]:
    """Opens the Clubhouse's booking page with no day asked for; returns what the finder says."""
    clubhouse = api.amenity(CLUBHOUSE)
    # as the page asks: 20 times, at most 4 a day
    [found] = api.get("/availability/next", amenity_id=clubhouse["id"], limit=20, per_day=4)[
        "amenities"
    ]
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Book", exact=True).click()
    page.get_by_role("button", name=f"Book {CLUBHOUSE}").click()
    expect(page.get_by_role("heading", name="Next available")).to_be_visible()
    # the page opens on the first bookable day, and says why the days before are not
    expect(page.get_by_label("Day", exact=True)).to_have_value(found["first_day"])
    # (other tests may have used up this household's quota for the first weeks)
    why = {
        "reservation.too_little_notice": "Too soon: book 3 days ahead",
        "reservation.quota_exceeded": "Your household's booking limit is reached",
    }
    expect(page.locator("#next-why")).to_contain_text(why[found["blocked_days"][0]["reason"]])
    expect(page.locator("#next-why")).to_contain_text("First bookable day")
    times = page.locator("[data-next]")
    expect(times).to_have_count(len(found["slots"]))
    expect(page.locator(".next-days > li")).to_have_count(5)
    return found


def pick_the_first(page: Page, found: dict[str, Any]) -> None:
    first = found["slots"][0]
    page.locator(f'[data-next="{first["starts_at"]}"]').click()
    expect(page.locator(f'.slot[data-start="{first["starts_at"]}"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.get_by_label("Until")).to_be_visible()


def test_the_finder_on_a_desktop(page: Page, api: Any) -> None:
    page.set_viewport_size(DESKTOP)
    sign_in(page, RESIDENT)
    found = open_finder(page, api(RESIDENT))
    # a grid: the days side by side
    days = page.locator(".next-days > li")
    one, two = (days.nth(i).bounding_box() for i in (0, 1))
    assert one and two and one["y"] == two["y"] and one["x"] < two["x"]
    pick_the_first(page, found)
    screenshot(page, "desktop-finder")
    check_a11y(page, "finder")


def test_the_finder_on_a_phone(
    browser: Browser, browser_context_args: dict[str, Any], api: Any
) -> None:
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}
    )
    context.add_init_script(path=AXE)
    page = context.new_page()
    errors = watch(page)
    try:
        sign_in(page, NEIGHBOR)
        found = open_finder(page, api(NEIGHBOR))
        # a list: the days one under the other
        days = page.locator(".next-days > li")
        one, two = (days.nth(i).bounding_box() for i in (0, 1))
        assert one and two and one["y"] < two["y"] and one["x"] == two["x"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        pick_the_first(page, found)
        screenshot(page, "phone-finder")
        check_a11y(page, "finder on a phone")
        assert not errors.messages, errors.messages
    finally:
        context.close()


def shown(answer: list[dict[str, Any]], per_day: int = 4, limit: int = 20) -> set[str]:
    """The times the page shows for several amenities: one amenity a time, 4 a day, 20 in all."""
    times = sorted({s["starts_at"] for a in answer for s in a["slots"]})
    picked: list[str] = []
    days: dict[str, int] = {}
    for t in times:
        day = datetime.fromisoformat(t).astimezone(NY).date().isoformat()
        if days.get(day, 0) < per_day and len(picked) < limit:
            days[day] = days.get(day, 0) + 1
            picked.append(t)
    return set(picked)


def take_the_first_court(api: Any, email: str) -> tuple[dict[str, Any], str]:
    """A time shown for any court that only the second court can take for ``email``: the first
    court is not free for them then (other tests' bookings, their household's week), or it is and
    the office books it. Returns the second court and that time."""
    me, office = api(email), api(ADMIN)
    one, two = (me.amenity(name) for name in COURTS)
    answer = me.get("/availability/next", kind="Tennis court", limit=20, per_day=4)["amenities"]
    assert [a["amenity_id"] for a in answer] == [one["id"], two["id"]]
    free = [{s["starts_at"]: s for s in a["slots"]} for a in answer]
    for starts_at in sorted(shown(answer) & free[1].keys()):
        if starts_at not in free[0]:
            return two, starts_at
        body = {k: free[0][starts_at][k] for k in ("starts_at", "ends_at")}
        # (the office's household may have used up its week on the first court)
        if office.post("/reservations", {"amenity_id": one["id"], **body}).status_code == 201:
            return two, starts_at
    raise AssertionError("no time shown that only the second court can take")


def book_any_court(page: Page, two: dict[str, Any], starts_at: str, width: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Book", exact=True).click()
    page.get_by_role("button", name=f"Book {COURTS[0]}").click()
    expect(page.get_by_role("heading", name="Next available")).to_be_visible()
    expect(page.get_by_label(COURTS[0], exact=True)).to_be_checked()
    page.get_by_label("Any tennis court").check()
    # the first court is taken then: the second is offered, and says so
    offer = page.locator(f'[data-next="{starts_at}"]')
    expect(offer).to_have_attribute("data-amenity", two["id"])
    expect(offer).to_contain_text(COURTS[1])
    screenshot(page, f"{width}-finder-any-court")
    offer.click()
    # the second court's booking page, on that day, at that time
    expect(page.get_by_role("heading", name=f"Book {COURTS[1]}")).to_be_visible()
    day = datetime.fromisoformat(starts_at).astimezone(NY).date().isoformat()
    expect(page.get_by_label("Day", exact=True)).to_have_value(day)
    expect(page.locator(f'.slot[data-start="{starts_at}"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.get_by_label("Any tennis court")).to_be_checked()
    expect(page.get_by_text("This time is free for you.")).to_be_visible()


def assert_booked(api: Any, email: str, two: dict[str, Any], starts_at: str) -> None:
    mine = api(email).get("/reservations", amenity_id=two["id"], start=starts_at)["items"]
    assert any(r["starts_at"] == starts_at and r["status"] == "confirmed" for r in mine)


def test_any_court_on_a_desktop(page: Page, api: Any) -> None:
    two, starts_at = take_the_first_court(api, RESIDENT)
    sign_in(page, RESIDENT)
    book_any_court(page, two, starts_at, "desktop")
    screenshot(page, "desktop-book-another-court")
    check_a11y(page, "booking another court")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="You're booked!")).to_be_visible()
    assert_booked(api, RESIDENT, two, starts_at)


def test_any_court_on_a_phone(
    browser: Browser, browser_context_args: dict[str, Any], api: Any
) -> None:
    two, starts_at = take_the_first_court(api, NEIGHBOR)
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}
    )
    context.add_init_script(path=AXE)
    page = context.new_page()
    errors = watch(page)
    try:
        sign_in(page, NEIGHBOR)
        book_any_court(page, two, starts_at, "phone")
        screenshot(page, "phone-book-another-court")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        check_a11y(page, "booking another court on a phone")
        page.get_by_role("button", name="Confirm booking").tap()
        expect(page.get_by_role("heading", name="You're booked!")).to_be_visible()
        assert_booked(api, NEIGHBOR, two, starts_at)
        assert not errors.messages, errors.messages
    finally:
        context.close()


@pytest.mark.parametrize(("width", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_book_page_groups_amenities_of_a_kind(
    browser: Browser, browser_context_args: dict[str, Any], width: str, viewport: dict[str, int]
) -> None:
    """As on the Amenities page: the courts together under their kind, the rest on their own."""
    context = browser.new_context(**{**browser_context_args, "viewport": viewport})
    context.add_init_script(path=AXE)
    page = context.new_page()
    errors = watch(page)
    try:
        sign_in(page, RESIDENT)
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Book", exact=True
        ).click()
        expect(page.get_by_role("heading", name="Which amenity?")).to_be_visible()
        courts = page.get_by_role("region", name=re.compile(r"^Tennis court · 2$"))
        for court in COURTS:
            expect(courts.get_by_role("heading", level=4, name=court)).to_be_visible()
        expect(courts.get_by_role("button", name=re.compile(r"^Book "))).to_have_count(2)
        expect(page.get_by_role("heading", level=3, name="Pool", exact=True)).to_be_visible()
        expect(courts.get_by_role("button", name="Book Pool")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        check_a11y(page, f"amenities to book by kind ({width})")
        screenshot(page, f"{width}-book-by-kind")
        courts.get_by_role("button", name=f"Book {COURTS[1]}").click()
        expect(page.get_by_role("heading", name=f"Book {COURTS[1]}")).to_be_visible()
        assert not errors.messages, errors.messages
    finally:
        context.close()
