"""A shared amenity (the Pool, 20 places) says how many places are left: on the booking page per
start time, and on the calendar per span of bookings instead of each household's "Busy"."""

import re
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, check_a11y, screenshot, sign_in
from tests.e2e.test_booking import NY, RESIDENT, local_day, open_booking


def partly_booked(api: Any, pool: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    """The first day from tomorrow with a free Pool hour others already use: its offset, its
    date and the slot."""
    for offset in range(1, 8):
        day = local_day(offset)
        slots = api.get(f"/amenities/{pool['id']}/availability", date=day)["slots"]
        for slot in slots:
            if slot["available"] and slot["remaining"] < pool["capacity"]:
                return offset, day, slot
    raise AssertionError("no Pool hour with bookings in the coming week")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_pool_shows_places_left(page: Page, api: Any, viewport: dict[str, int]) -> None:
    width = "phone" if viewport is PHONE else "desktop"
    page.set_viewport_size(viewport)
    resident = api(RESIDENT)
    pool = resident.amenity("Pool")
    assert (pool["mode"], pool["capacity"]) == ("capacity", 20)
    offset, day, slot = partly_booked(resident, pool)
    left = f"{slot['remaining']} of 20 left"

    base = sign_in(page, RESIDENT)
    open_booking(page, "Pool", day)
    expect(page.locator(f'.slot[data-start="{slot["starts_at"]}"]')).to_contain_text(left)
    screenshot(page, f"{width}-pool-places-left")

    page.goto(base + "/calendar")
    page.get_by_label("Show").select_option(label="Pool")
    page.get_by_role("tab", name="Day view").click()
    for _ in range(offset):
        page.get_by_role("button", name="Next").click()
    start = datetime.fromisoformat(slot["starts_at"]).astimezone(NY)
    title = f"{start:%B} {start.day}, {start.year}"
    expect(page.get_by_role("heading", level=2, name=title)).to_be_visible()
    day_table = page.get_by_role("table", name=title)
    expect(day_table.get_by_role("button", name=re.compile(rf" {left}$")).first).to_be_visible()
    expect(day_table.get_by_role("button", name=re.compile("Busy"))).to_have_count(0)
    check_a11y(page, "calendar with places left")
    screenshot(page, f"{width}-calendar-places-left")
