"""The account page's settings: email preferences persist, and a calendar address is made,
shown once and serves a calendar."""

import re

import httpx
import icalendar
from playwright.sync_api import Page, expect

from tests.e2e.conftest import check_a11y, screenshot, sign_in

RESIDENT = "resident@maple-grove.example"
ADMIN = "admin@maple-grove.example"
FEED_URL = re.compile(r"^http://127\.0\.0\.1:\d+/ical/[A-Za-z0-9_-]{43}\.ics$")


def test_reminders_off_persists_and_a_feed_is_a_calendar(page: Page) -> None:
    page.goto(sign_in(page, RESIDENT) + "/account")
    reminders = page.get_by_label("Remind me by email before my bookings")
    expect(reminders).to_be_checked()
    # Residents administer no community: no admin alert choice.
    expect(page.get_by_label("Booking requests waiting for my approval")).to_have_count(0)
    reminders.uncheck()
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Remind me by email before my bookings")).not_to_be_checked()

    page.get_by_role("button", name="Create calendar address").click()
    address = page.get_by_label("Calendar address")
    expect(address).to_have_value(FEED_URL)
    url = address.input_value()
    check_a11y(page, "account settings")
    screenshot(page, "desktop-account-settings")

    r = httpx.get(url, timeout=30)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(r.content)
    assert cal.walk("VEVENT"), "the demo resident's bookings are in the feed"
    assert all(str(e["uid"]).endswith("@hoa") for e in cal.walk("VEVENT"))

    # Replacing the address kills the one shown before.
    page.get_by_role("button", name="Replace address for Your bookings").click()
    expect(page.get_by_label("Calendar address")).not_to_have_value(url)
    assert httpx.get(url, timeout=30).status_code == 404
    page.get_by_role("button", name="Turn off address for Your bookings").click()
    expect(page.get_by_role("button", name="Create calendar address")).to_be_visible()


def test_admin_chooses_alerts_and_follows_an_amenity(page: Page) -> None:
    page.goto(sign_in(page, ADMIN) + "/account")
    alerts = page.get_by_label("Booking requests waiting for my approval")
    alerts.select_option("immediate")
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Booking requests waiting for my approval")).to_have_value("immediate")

    page.get_by_role("button", name="Create amenity address").first.click()
    address = page.get_by_label("Calendar address")
    expect(address).to_have_value(FEED_URL)
    r = httpx.get(address.input_value(), timeout=30)
    assert r.status_code == 200
    assert icalendar.Calendar.from_ical(r.content)["x-wr-calname"]
