"""The account page's settings: name and phone, the household's members, email preferences by
kind (the account's own emails marked as always sent), and a calendar address made, shown once
and serving a calendar."""

import re
from typing import Any

import httpx
import icalendar
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, check_a11y, screenshot, sign_in

RESIDENT = "resident@maple-grove.example"
ADMIN = "admin@maple-grove.example"
# Used by no other settings test: its details and choices are put back at the end.
OAK_RESIDENT = "resident@oak-ridge.example"
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


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_details_household_and_email_choices(
    page: Page, api: Any, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    me = api(OAK_RESIDENT)
    try:
        page.goto(sign_in(page, OAK_RESIDENT) + "/account")
        details = page.get_by_role("region", name="Your details")
        expect(details.get_by_label("Name")).to_have_value("Emily Novak")
        details.get_by_label("Name").fill("  Emily N. Novak ")
        details.get_by_label("Phone (optional)").fill("555 0100")
        details.get_by_role("button", name="Save details").click()
        expect(details.get_by_role("alert")).to_contain_text("international format")
        details.get_by_label("Phone (optional)").fill("+1 (555) 010-0199")
        details.get_by_role("button", name="Save details").click()
        expect(details.get_by_text("Details saved.")).to_be_visible()
        expect(details.get_by_label("Phone (optional)")).to_have_value("+15550100199")
        page.reload()
        expect(page.get_by_role("region", name="Your details").get_by_label("Name")).to_have_value(
            "Emily N. Novak"
        )
        expect(page.get_by_text("Emily N. Novak · resident@oak-ridge.example")).to_be_visible()
        household = page.get_by_role("list", name=re.compile(r"^Household Unit 2B at Oak Ridge"))
        expect(household).to_contain_text("Emily N. Novak (you)")
        expect(household).not_to_contain_text("@")

        confirmations = page.get_by_label("Confirm my bookings, changes and cancellations by email")
        expect(confirmations).to_be_checked()
        expect(page.get_by_label(re.compile(r"^Tell me by email when the office"))).to_be_checked()
        always = page.get_by_role("list", name="Always sent")
        expect(always).to_contain_text("Password reset")
        expect(always).to_contain_text("Email verification")
        confirmations.uncheck()
        expect(page.get_by_text("Saved.", exact=True)).to_be_visible()
        page.reload()
        expect(
            page.get_by_label("Confirm my bookings, changes and cancellations by email")
        ).not_to_be_checked()
        prefs = me.client.get("/api/v1/me/notification-preferences").json()
        assert (prefs["confirmations"], prefs["office_changes"]) == (False, True)
        check_a11y(page, "account details and email choices")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"{'phone' if viewport is PHONE else 'desktop'}-account-details")
        assert me.client.get("/api/v1/me").json()["phone"] == "+15550100199"
    finally:
        back = me.client.patch("/api/v1/me", json={"name": "Emily Novak", "phone": None})
        back.raise_for_status()
        prefs_back = me.client.patch(
            "/api/v1/me/notification-preferences", json={"confirmations": True}
        )
        prefs_back.raise_for_status()
