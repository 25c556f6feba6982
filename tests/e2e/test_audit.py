"""The audit trail in the browser: the office narrows it to bookings done by one person, reads a
cancellation in words, opens the booking it concerns, and downloads the same rows as CSV.

Keeps clear of the other end-to-end tests' data: Tennis Court 2, within its two weeks.
"""

import csv
import io
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, check_a11y, screenshot, sign_in
from tests.e2e.test_booking import ADMIN, NEIGHBOR, book, bookable_slot


@pytest.mark.parametrize(("width", "days"), [("desktop", range(2, 8)), ("phone", range(8, 14))])
def test_the_office_reads_filters_and_exports_the_trail(
    page: Page, api: Any, width: str, days: range
) -> None:
    page.set_viewport_size(DESKTOP if width == "desktop" else PHONE)
    resident, office = api(NEIGHBOR), api(ADMIN)
    court = resident.amenity("Tennis Court 2")
    _, slot = bookable_slot(resident, court, days, minutes=60)
    booking = book(resident, court, slot, title=f"E2E audit {width}")
    reason = f"Resurfacing ({width})"
    r = office.post(f"/reservations/{booking['id']}/cancel", {"reason": reason})
    assert r.status_code == 200, r.text

    base = sign_in(page, ADMIN)
    page.goto(f"{base}/admin")
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", name="Audit trail", level=1)).to_be_visible()
    page.get_by_label("What").select_option(label="Bookings")
    expect(page).to_have_url(re.compile(r"[?&]kind=reservation\."))
    page.get_by_label("Who").select_option(label="Linda Chen")
    expect(page).to_have_url(re.compile(r"[?&]who="))
    page.reload()  # the filters live in the address
    expect(page.get_by_label("What")).to_have_value("reservation.")

    link = page.locator(f'a[href$="/reservations/{booking["id"]}"]:visible')
    expect(link).to_have_count(1)
    expect(link).to_contain_text("Tennis Court 2 · ")
    entry = page.locator("tr, li.card").filter(has=link)
    expect(entry).to_contain_text("Cancelled")
    expect(entry).to_contain_text(f"reason: — → {reason}")
    expect(entry).to_contain_text("status: confirmed → cancelled")
    check_a11y(page, f"audit trail ({width})")
    screenshot(page, f"{width}-admin-audit-filtered")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert rows and {row["who"] for row in rows} == {"Linda Chen"}
    ours = [row for row in rows if row["booking_id"] == booking["id"]]
    assert [row["what"] for row in ours] == ["Cancelled"]
    assert reason in ours[0]["changes"]

    link.click()
    expect(page).to_have_url(re.compile(f"/reservations/{booking['id']}$"))
    expect(page.get_by_role("list", name="What happened")).to_contain_text(reason)

    page.goto(f"{base}/admin/audit?booking={booking['id']}")
    expect(page.get_by_text("One booking only.")).to_be_visible()
    entries = page.locator("tr, li.card").filter(has=link)
    expect(entries).to_have_count(2)  # booked by the household, cancelled by the office
    expect(entries.nth(1)).to_contain_text("Booked")
