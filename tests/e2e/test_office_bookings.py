"""The office's bookings console in the browser: the admin finds a resident's booking by name,
opens it, moves it, cancels it with a reason, and the household's email says the office did.

Keeps clear of the other end-to-end tests' data: Tennis Court 1 for the neighbor's household,
one to two weeks ahead.
"""

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, check_a11y, screenshot, sign_in
from tests.e2e.test_booking import ADMIN, NEIGHBOR, NY, book, bookable_slot, local_day
from tests.e2e.test_booking_email import wait_for_email

HOUSEHOLD, NAME = NEIGHBOR, "Priya Shah"


@pytest.mark.parametrize(("width", "days"), [("desktop", range(8, 11)), ("phone", range(11, 14))])
def test_the_office_finds_moves_and_cancels_a_booking(
    page: Page, api: Any, outbox: Path, width: str, days: range
) -> None:
    page.set_viewport_size(DESKTOP if width == "desktop" else PHONE)
    resident = api(HOUSEHOLD)
    court = resident.amenity("Tennis Court 1")
    day, slot = bookable_slot(resident, court, days[:2], minutes=60)
    booking = book(resident, court, slot, title=f"E2E office {width}")
    later = [d for d in days if local_day(d) > day]
    new_day, target = bookable_slot(resident, court, later, minutes=60)

    base = sign_in(page, ADMIN)
    page.goto(f"{base}/admin")
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Bookings").click()
    expect(page.get_by_role("heading", name="Bookings", level=1)).to_be_visible()
    page.get_by_label("From").fill(day)
    page.get_by_label("To").fill(day)
    page.get_by_label("Resident or household").fill(NAME)
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"[?&]q=Priya\+Shah"))
    row = page.locator(f'a[href$="/reservations/{booking["id"]}"]:visible')
    expect(row).to_have_count(1)
    check_a11y(page, f"office bookings ({width})")
    screenshot(page, f"{width}-office-bookings")
    row.click()

    expect(page).to_have_url(re.compile(f"/reservations/{booking['id']}$"))
    expect(page.get_by_text(f"For {NAME}")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Change Tennis Court 1 on ")).click()
    form = page.get_by_role("form", name="Change Tennis Court 1 booking")
    form.get_by_label("Day").fill(new_day)
    start = datetime.fromisoformat(target["starts_at"]).astimezone(NY)
    form.get_by_label("Start").select_option(start.strftime("%H:%M"))
    form.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").filter(has_text="Booking changed")).to_be_visible()
    moved = resident.get(f"/reservations/{booking['id']}")
    assert datetime.fromisoformat(moved["starts_at"]) == start

    page.get_by_role("button", name=re.compile(r"^Cancel Tennis Court 1 on ")).click()
    confirm = page.get_by_role("button", name="Yes, cancel this Tennis Court 1 booking")
    expect(confirm).to_be_disabled()  # the office says why
    page.get_by_label("Reason (sent to the household)").fill(f"Net repairs ({width})")
    confirm.click()
    expect(page.get_by_role("status").filter(has_text="Reservation cancelled")).to_be_visible()
    history = page.get_by_role("list", name="What happened")
    expect(history).to_contain_text("Cancelled by Linda Chen")
    expect(history).to_contain_text(f"Net repairs ({width})")
    check_a11y(page, f"office booking page ({width})")
    screenshot(page, f"{width}-office-booking-history")

    message = wait_for_email(outbox, HOUSEHOLD, "Cancelled: Tennis Court 1", about=f"({width})")
    text = message.get_body(("plain",))
    assert text is not None
    assert "was cancelled by the community office (Linda Chen)" in text.get_content()
    changed = wait_for_email(outbox, HOUSEHOLD, "Changed: Tennis Court 1", about=booking["title"])
    body = changed.get_body(("plain",))
    assert body is not None and "by the community office" in body.get_content()

    # The household sees the same history, the office unnamed.
    page.context.clear_cookies()
    sign_in(page, HOUSEHOLD)
    page.goto(f"{base}/reservations/{booking['id']}")
    expect(page.get_by_role("list", name="What happened")).to_contain_text(
        "Cancelled by Community office"
    )


def test_any_booking_on_the_admin_calendar_opens_its_page(page: Page, api: Any) -> None:
    neighbor = api(HOUSEHOLD)
    court = neighbor.amenity("Tennis Court 1")
    day, slot = bookable_slot(neighbor, court, range(4, 8), minutes=60)
    booking = book(neighbor, court, slot, title="E2E calendar click")

    base = sign_in(page, ADMIN)
    page.goto(f"{base}/calendar")
    page.get_by_label("Show").select_option(label="Tennis Court 1")
    if date.fromisoformat(day).month != datetime.now(NY).month:
        page.get_by_role("button", name=re.compile(r"^Next")).click()
    start = datetime.fromisoformat(slot["starts_at"]).astimezone(NY)
    label = rf"{start.hour % 12 or 12}:{start:%M}\s*{start:%p}"  # "6:00 AM"
    cell = page.locator(f'[role="cell"][data-date="{day}"]')
    cell.locator("*", has_text=re.compile(rf"^{label}\s*{NAME}$")).last.click()
    expect(page).to_have_url(re.compile(f"/reservations/{booking['id']}$"))
    expect(page.get_by_text(f"For {NAME}")).to_be_visible()
    r = api(ADMIN).post(f"/reservations/{booking['id']}/cancel", {"reason": "E2E done"})
    assert r.status_code == 200, r.text


def test_the_office_moves_a_party_within_its_booking(page: Page, api: Any) -> None:
    neighbor, admin = api(HOUSEHOLD), api(ADMIN)
    clubhouse = neighbor.amenity("Clubhouse")
    # The last days of the Clubhouse's window: the other tests' requests stay within 86 days.
    _, slot = bookable_slot(neighbor, clubhouse, range(87, 91), minutes=240, headcount=10)
    start = datetime.fromisoformat(slot["starts_at"])
    r = neighbor.post(
        "/reservations",
        {
            "amenity_id": clubhouse["id"],
            "starts_at": slot["starts_at"],
            "ends_at": (start + timedelta(hours=4)).isoformat(),
            "party_starts_at": (start + timedelta(hours=1)).isoformat(),
            "party_ends_at": (start + timedelta(hours=3)).isoformat(),
            "headcount": 10,
            "title": "E2E party to move",
            "accepted_rules_version": clubhouse["rules_version"],
        },
    )
    assert r.status_code == 201, r.text
    booking = r.json()
    assert admin.post(f"/reservations/{booking['id']}/approve", {}).status_code == 200

    base = sign_in(page, ADMIN)
    page.goto(f"{base}/reservations/{booking['id']}")
    page.get_by_role("button", name=re.compile(r"^Change Clubhouse on ")).click()
    form = page.get_by_role("form", name="Change Clubhouse booking")
    later = start + timedelta(hours=2)
    form.get_by_label("Party starts").select_option(value="2")  # slots of an hour from the start
    form.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").filter(has_text="Booking changed")).to_be_visible()
    moved = neighbor.get(f"/reservations/{booking['id']}")
    assert datetime.fromisoformat(moved["party_starts_at"]) == later
    assert datetime.fromisoformat(moved["party_ends_at"]) == start + timedelta(hours=3)
    assert moved["starts_at"] == booking["starts_at"] and moved["status"] == "confirmed"
    history = page.get_by_role("list", name="What happened")
    expect(history).to_contain_text("party:")
    cancelled = admin.post(f"/reservations/{booking['id']}/cancel", {"reason": "E2E done"})
    assert cancelled.status_code == 200
