"""Closures residents can see: the booking page gives the reason of closed times; the office
edits a closure's reason and restores an archived amenity."""

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, TIMEZONE, check_a11y, screenshot, sign_in
from tests.e2e.test_booking import open_booking

ADMIN = "admin@maple-grove.example"
RESIDENT = "resident@maple-grove.example"


def local_day(days: int) -> datetime:
    today = datetime.now(ZoneInfo(TIMEZONE)).date() + timedelta(days=days)
    return datetime(today.year, today.month, today.day, tzinfo=ZoneInfo(TIMEZONE))


@pytest.mark.parametrize(("width", "days"), [("desktop", 9), ("phone", 10)])
def test_residents_see_why_it_is_closed_and_the_office_edits_it(
    page: Page, api: Any, width: str, days: int
) -> None:
    page.set_viewport_size(DESKTOP if width == "desktop" else PHONE)
    admin = api(ADMIN)
    bbq = admin.amenity("BBQ Area")
    day = local_day(days)
    made = admin.post(
        "/blackouts",
        {
            "amenity_id": bbq["id"],
            "starts_at": day.isoformat(),
            "ends_at": (day + timedelta(days=1)).isoformat(),
            "reason": f"Gas line repair ({width})",
            "cancel_conflicts": True,
        },
    )
    assert made.status_code == 201, made.text

    sign_in(page, RESIDENT)
    open_booking(page, "BBQ Area", day.date().isoformat())
    closures = page.get_by_role("list", name="Closures")
    expect(closures).to_contain_text(f"Gas line repair ({width})")
    expect(page.locator(".slot[aria-describedby=closure-reasons]").first).to_be_disabled()
    check_a11y(page, f"booking page with a closure, {width}")
    screenshot(page, f"{width}-booking-closed-reason")

    page.context.clear_cookies()
    base = sign_in(page, ADMIN)
    page.goto(f"{base}/admin/blackouts")
    page.get_by_role(
        "button", name=re.compile(rf"^Edit closure: Gas line repair \({width}\)")
    ).click()
    expect(page.get_by_role("heading", name="Change closure")).to_be_visible()
    page.get_by_label("Reason (residents see it)").fill(f"Gas line fixed soon ({width})")
    page.get_by_role("button", name="Save closure").click()
    expect(page.get_by_text("Closure saved.")).to_be_visible()
    expect(
        page.get_by_role("cell", name=f"Gas line fixed soon ({width})", exact=True)
    ).to_be_visible()
    check_a11y(page, f"closures after an edit, {width}")
    screenshot(page, f"{width}-admin-closure-edited")
    closure = f"{admin.base}/blackouts/{made.json()['id']}"
    assert admin.client.delete(closure).status_code == 204


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_office_restores_an_archived_amenity(page: Page, api: Any, width: str) -> None:
    page.set_viewport_size(DESKTOP if width == "desktop" else PHONE)
    admin = api(ADMIN)
    suite = admin.amenity("Guest Suite")
    assert admin.post(f"/amenities/{suite['id']}/archive", {}).status_code == 200
    try:
        base = sign_in(page, ADMIN)
        page.goto(f"{base}/admin/amenities")
        page.get_by_role("button", name="Restore Guest Suite").click()
        expect(page.get_by_role("button", name="Archive Guest Suite")).to_be_visible()
        screenshot(page, f"{width}-admin-amenity-restored")
    finally:
        admin.patch(f"/amenities/{suite['id']}", {"status": "active"})
