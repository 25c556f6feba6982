"""Stays in the Guest Suite: check-in at 3:00 PM and a number of nights, desktop and phone."""

from datetime import datetime, time, timedelta
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import AXE, PHONE, check_a11y, screenshot, sign_in, watch
from tests.e2e.test_booking import NEIGHBOR, NY, RESIDENT, local_day, open_booking, pick_slot

SUITE = "Guest Suite"


def free_stay(api: Any, suite: dict[str, Any], nights: int) -> tuple[str, dict[str, Any], str]:
    """A local day whose check-in the dry run accepts for `nights` nights: the day, its slot and
    the check-out instant."""
    for offset in range(4, suite["max_days_ahead"]):
        day = local_day(offset)
        for slot in api.get(f"/amenities/{suite['id']}/availability", date=day)["slots"]:
            check_out = datetime.combine(
                datetime.fromisoformat(day).date() + timedelta(days=nights), time(11), NY
            ).isoformat()
            body = {"amenity_id": suite["id"], "starts_at": slot["starts_at"], "ends_at": check_out}
            if slot["available"] and api.post("/reservations/check", body).json()["allowed"]:
                return day, slot, check_out
    raise AssertionError("no free stay in the demo data")


def fill_stay(page: Page, api: Any, nights: int) -> tuple[str, str]:
    """Opens the suite's booking page on a free day, picks its check-in and `nights` nights, and
    fills the rest up to the confirmation; returns the stay's start and check-out."""
    suite = api.amenity(SUITE)
    day, slot, check_out = free_stay(api, suite, nights)
    open_booking(page, SUITE, day)
    expect(page.locator(f'.slot[data-start="{slot["starts_at"]}"]')).to_contain_text(
        "Check-in 3:00"
    )
    pick_slot(page, slot)
    expect(page.locator(".stay-check-in")).to_contain_text("3:00")
    expect(page.get_by_label("Until")).to_have_count(0)
    picker = page.get_by_label("Nights")
    options = picker.locator("option").all_inner_texts()
    assert options[0].startswith("1 night (check-out") and "11:00" in options[0], options
    assert len(options) == 7, options  # a week at most
    picker.select_option(label=options[nights - 1])
    page.get_by_label("People, guests included").fill("2")
    page.get_by_label("Of them, guests").fill("1")
    page.get_by_label(f"I have read and accept the rules of the {SUITE}").check()
    expect(page.get_by_text("This time is free for you.")).to_be_visible()
    return slot["starts_at"], check_out


def assert_booked(api: Any, starts_at: str, check_out: str) -> None:
    suite = api.amenity(SUITE)
    mine = api.get("/reservations", amenity_id=suite["id"], start=starts_at)["items"]
    stay = next(r for r in mine if r["starts_at"] == starts_at)
    assert datetime.fromisoformat(stay["ends_at"]) == datetime.fromisoformat(check_out)


def test_a_resident_books_a_stay_of_nights(page: Page, api: Any) -> None:
    resident = api(RESIDENT)
    sign_in(page, RESIDENT)
    starts_at, check_out = fill_stay(page, resident, nights=3)
    screenshot(page, "desktop-stay-booking")
    check_a11y(page, "stay booking")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="You're booked!")).to_be_visible()
    assert_booked(resident, starts_at, check_out)


def test_a_stay_on_a_phone(
    browser: Browser, browser_context_args: dict[str, Any], api: Any
) -> None:
    neighbor = api(NEIGHBOR)
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}
    )
    context.add_init_script(path=AXE)
    page = context.new_page()
    errors = watch(page)
    try:
        sign_in(page, NEIGHBOR)
        starts_at, check_out = fill_stay(page, neighbor, nights=2)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "phone-stay-booking")
        check_a11y(page, "stay booking on a phone")
        page.get_by_role("button", name="Confirm booking").tap()
        expect(page.get_by_role("heading", name="You're booked!")).to_be_visible()
        assert_booked(neighbor, starts_at, check_out)
        assert not errors.messages, errors.messages
    finally:
        context.close()
