"""The booking page opens on the first bookable day and offers the next free times, one click to
pick: a grid of days on a desktop, a list on a phone."""

from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import AXE, DESKTOP, PHONE, check_a11y, screenshot, sign_in, watch
from tests.e2e.test_booking import NEIGHBOR, RESIDENT

CLUBHOUSE = "Clubhouse"  # 3 days' notice


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
    screenshot(page, "finder")
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
