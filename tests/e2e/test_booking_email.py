"""A booking email as a person sees it: the admin sets how to pay, a resident asks for the
clubhouse, and the request's email, rendered by the browser at desktop and phone widths, shows
what, when, what to pay and how, and links to the booking, whose page says what to pay and how
too (screenshots in test-artifacts/)."""

import re
import time
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import DESKTOP, PHONE, screenshot, sign_in
from tests.e2e.test_booking import ADMIN, RESIDENT, bookable_slot

HOW = "Pay at the office or by check to Maple Grove HOA within a week."


def wait_for_email(outbox: Path, to: str, subject_start: str, about: str) -> EmailMessage:
    """The email to ``to`` whose subject starts so and whose text names ``about`` (other tests
    of the run write to the same outbox)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for eml in sorted(outbox.glob("*.eml")):
            message = message_from_bytes(eml.read_bytes(), policy=policy.default)
            if message["To"] != to or not str(message["Subject"]).startswith(subject_start):
                continue
            assert isinstance(message, EmailMessage)
            text = message.get_body(("plain",))
            if text is not None and about in text.get_content():
                return message
        time.sleep(0.2)
    raise AssertionError(f"no email {subject_start!r} about {about} to {to} in {outbox}")


def test_a_booking_email_renders_with_what_to_pay_and_a_link(
    browser: Browser,
    browser_context_args: dict[str, Any],
    api: Any,
    outbox: Path,
    live_server: str,
) -> None:
    admin, resident = api(ADMIN), api(RESIDENT)
    context = browser.new_context(**{**browser_context_args, "viewport": DESKTOP})
    page = context.new_page()
    try:
        base = sign_in(page, ADMIN)
        page.goto(f"{base}/admin/settings")
        page.get_by_label("How to pay fees and deposits").fill(HOW)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Saved.")).to_be_visible()
    finally:
        context.close()
    assert admin.client.get(admin.base).json()["payment_instructions"] == HOW

    hall = resident.amenity("Clubhouse")
    assert hall["fee_cents"] and hall["deposit_cents"]
    _, slot = bookable_slot(resident, hall, range(10, 40))
    start = datetime.fromisoformat(slot["starts_at"])
    minutes = max(hall["min_duration_minutes"], hall["slot_minutes"])
    r = resident.post(
        "/reservations",
        {
            "amenity_id": hall["id"],
            "starts_at": slot["starts_at"],
            "ends_at": (start + timedelta(minutes=minutes)).isoformat(),
            "headcount": 12,
            "guests": 8,
            "title": "Book club",
            "accepted_rules_version": hall["rules_version"],
        },
    )
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    message = wait_for_email(outbox, RESIDENT, "Request received: Clubhouse", about=rid)
    html = message.get_body(("html",))
    assert isinstance(html, EmailMessage)

    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(**{**browser_context_args, "viewport": viewport})
        page = context.new_page()
        try:
            page.set_content(html.get_content())
            expect(page.get_by_role("heading", name="Maple Grove HOA")).to_be_visible()
            expect(page.get_by_text(f"How to pay: {HOW}")).to_be_visible()
            expect(page.get_by_text("$150.00 fee + $250.00 refundable deposit")).to_be_visible()
            expect(page.get_by_text("12 people (8 guests)")).to_be_visible()
            link = page.get_by_role("link", name="View your booking")
            booking_url = f"{live_server}/c/{resident.community_id}/reservations/{rid}"
            expect(link).to_have_attribute("href", booking_url)
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            screenshot(page, f"{name}-email-request-received")
        finally:
            context.close()
    # The link opens the booking's own page, where it can be cancelled or added to a calendar.
    booking_url = f"{live_server}/c/{resident.community_id}/reservations/{rid}"
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(**{**browser_context_args, "viewport": viewport})
        page = context.new_page()
        try:
            sign_in(page, RESIDENT)
            page.goto(booking_url)
            expect(page.get_by_role("heading", name="Clubhouse booking")).to_be_visible()
            item = page.locator(f'[data-reservation-id="{rid}"]')
            expect(item).to_contain_text("Book club")
            expect(
                item.get_by_role("button", name=re.compile(r"^Cancel Clubhouse"))
            ).to_be_visible()
            expect(item.get_by_role("link", name=re.compile(r"^Add to calendar"))).to_be_visible()
            # what the email says to pay, and how, the app says too
            to_pay = page.locator("p").filter(has_text=re.compile(r"^To pay \(\$150\.00 fee"))
            expect(to_pay).to_contain_text(HOW)
            screenshot(page, f"{name}-booking-page")
        finally:
            context.close()
    admin.client.patch(admin.base, json={"payment_instructions": ""}).raise_for_status()
