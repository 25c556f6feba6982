"""Admin pages for emails and community settings, and the public cancel link from reminders."""

import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from hoa.core.database import utcnow
from hoa.core.settings import Settings
from hoa.models import (
    Amenity,
    Community,
    Notification,
    NotificationStatus,
    Reservation,
    ReservationStatus,
    User,
)
from hoa.notifications.kinds import ReservationConfirmed
from hoa.reservations.links import cancel_link
from hoa.reservations.notices import notice
from tests.e2e.conftest import DESKTOP, PHONE, check_a11y, screenshot, sign_in
from tests.e2e.test_booking import bookable_slot, open_booking

ADMIN = "admin@maple-grove.example"
RESIDENT = "resident@maple-grove.example"
OAK_ADMIN = "admin@oak-ridge.example"
OAK_RESIDENT = "resident@oak-ridge.example"
OAK_TZ = ZoneInfo("America/Chicago")
MAILBOX_ERROR = "550 5.1.1 <resident@maple-grove.example>: mailbox unavailable"


def add_failed_email(db: sa.Engine, community_id: str) -> uuid.UUID:
    """A booking confirmation to the demo resident that the provider refused for good."""
    with Session(db) as session:
        reservation, amenity, community, user = session.execute(
            sa.select(Reservation, Amenity, Community, User)
            .join(Amenity, Amenity.id == Reservation.amenity_id)
            .join(Community, Community.id == Reservation.community_id)
            .join(User, User.id == Reservation.booked_for_id)
            .where(
                Reservation.community_id == uuid.UUID(community_id),
                Reservation.status == ReservationStatus.CONFIRMED,
                User.email == RESIDENT,
            )
            .limit(1)
        ).one()
        notification = Notification(
            id=uuid.uuid4(),
            community_id=community.id,
            recipient_id=user.id,
            recipient_email=user.email,
            kind="reservation_confirmed",
            entity_type="reservation",
            entity_id=reservation.id,
            payload=notice(ReservationConfirmed, community, amenity, reservation).model_dump(
                mode="json"
            ),
            status=NotificationStatus.FAILED,
            attempts=5,
            next_attempt_at=utcnow(),
            last_error=MAILBOX_ERROR,
        )
        session.add(notification)
        session.commit()
        return notification.id


def test_admin_sees_a_failed_email_and_retries_it(page: Page, api: Any, db: sa.Engine) -> None:
    admin = api(ADMIN)
    failed_before = admin.get("/notifications/counts")["failed"]
    notification_id = add_failed_email(db, admin.community_id)

    sign_in(page, ADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    failed_count = page.locator("dt", has_text=re.compile(r"^Failed$")).locator("+ dd")
    expect(failed_count).to_have_text(str(failed_before + 1))

    page.get_by_label("Show").select_option(label="Failed")
    row = page.locator(f'tr[data-notification-id="{notification_id}"]')
    expect(row).to_contain_text("Booking confirmed")
    expect(row).to_contain_text(RESIDENT)
    expect(row).to_contain_text(MAILBOX_ERROR)
    check_a11y(page, "notifications")
    screenshot(page, "desktop-admin-notifications")

    row.get_by_role("button", name=re.compile(r"^Retry")).click()
    # Re-queued: it leaves the failed list and the failed count drops back.
    expect(row).to_have_count(0)
    expect(failed_count).to_have_text(str(failed_before))
    page.get_by_label("Show").select_option(label="All emails")
    expect(row.locator(".status")).to_have_text(re.compile(r"^(Waiting to send|Sending|Sent)$"))
    # The server's worker sends it (to the outbox); the page follows until it is sent.
    expect(row.locator(".status")).to_have_text("Sent", timeout=30_000)
    expect(row).not_to_contain_text(MAILBOX_ERROR)


def test_admin_changes_community_settings(page: Page, api: Any) -> None:
    admin = api(OAK_ADMIN)
    original = admin.client.get(admin.base).json()
    try:
        sign_in(page, OAK_ADMIN)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
        page.get_by_role("navigation", name="Admin").get_by_role("link", name="Settings").click()
        expect(page.get_by_role("heading", name="Community settings")).to_be_visible()
        expect(page.get_by_label("Name")).to_have_value(original["name"])
        expect(page.get_by_label("Time zone")).to_have_value("America/Chicago")
        expect(page.get_by_label("Residents see who booked")).to_be_checked()
        check_a11y(page, "community settings")

        page.get_by_label("Name").fill("Oak Ridge Commons")
        page.get_by_label("Reminder emails, hours before a booking").fill("48")
        page.get_by_label("Residents see who booked").uncheck()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Saved.")).to_be_visible()
        # The header's name comes from /me, which the page refreshed.
        expect(page.locator(".community-name")).to_have_text("Oak Ridge Commons")

        page.reload()
        expect(page.get_by_label("Name")).to_have_value("Oak Ridge Commons")
        expect(page.get_by_label("Reminder emails, hours before a booking")).to_have_value("48")
        expect(page.get_by_label("Residents see who booked")).not_to_be_checked()
        saved = admin.client.get(admin.base).json()
        assert (saved["name"], saved["reminder_hours"], saved["show_booker_names"]) == (
            "Oak Ridge Commons",
            48,
            False,
        )

        # A time zone the server does not know: its 422 is shown at the field.
        page.get_by_label("Time zone").fill("Mars/Olympus_Mons")
        page.get_by_role("button", name="Save").click()
        # Plain words at the field, not the validator's message.
        expect(page.get_by_role("alert")).to_have_text("Some fields are missing or not valid.")
        expect(page.get_by_text("Not a time zone we know.")).to_be_visible()
        expect(page.get_by_label("Time zone")).to_have_attribute("aria-invalid", "true")
        screenshot(page, "desktop-community-settings-error")

        # Hours out of range are caught before sending.
        page.get_by_label("Time zone").fill("America/Chicago")
        page.get_by_label("Reminder emails, hours before a booking").fill("500")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Enter a whole number of hours from 0 to 168")).to_be_visible()
        assert admin.client.get(admin.base).json()["reminder_hours"] == 48
    finally:
        restore = {
            k: original[k] for k in ("name", "timezone", "show_booker_names", "reminder_hours")
        }
        admin.client.patch(admin.base, json=restore).raise_for_status()


def test_cancel_link_from_a_reminder(
    page: Page, api: Any, db: sa.Engine, server_settings: Settings
) -> None:
    resident = api(OAK_RESIDENT)
    room = resident.amenity("Fitness Room")
    _, slot = bookable_slot(resident, room, range(2, 7))
    start = datetime.fromisoformat(slot["starts_at"])
    r = resident.post(
        "/reservations",
        {
            "amenity_id": room["id"],
            "starts_at": slot["starts_at"],
            "ends_at": (start + timedelta(minutes=60)).isoformat(),
            "title": "Morning rowing",
        },
    )
    assert r.status_code == 201, r.text
    reservation_id = uuid.UUID(r.json()["id"])
    assert r.json()["status"] == "confirmed"
    with Session(db) as session:
        reservation = session.get_one(Reservation, reservation_id)
        deadline = start - timedelta(hours=room["cancellation_cutoff_hours"])
        link = cancel_link(server_settings, reservation, deadline, utcnow())
    assert link is not None

    # Signed out, as from the email.
    page.goto(link)
    expect(page.get_by_role("heading", name="Cancel a booking")).to_be_visible()
    facts = {"Amenity": "Fitness Room", "Community": "Oak Ridge HOA", "Title": "Morning rowing"}
    for term, value in facts.items():
        expect(page.locator("dt", has_text=term).locator("+ dd")).to_have_text(value)
    # The community's local day and time, though the browser is in Berlin.
    local = start.astimezone(OAK_TZ)
    day = f"{local:%A, %B} {local.day}, {local.year}"
    expect(page.locator("dt", has_text="Day").locator("+ dd")).to_have_text(day)
    clock = rf"^{local:%-I:%M}\s?{local:%p} – "
    expect(page.locator("dt", has_text="Time").locator("+ dd")).to_have_text(re.compile(clock))
    check_a11y(page, "cancel booking")
    screenshot(page, "desktop-cancel-link")

    page.get_by_role("button", name="Cancel this booking").click()
    expect(page.get_by_text("Cancelled.")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel this booking")).to_have_count(0)
    with Session(db) as session:
        assert session.get_one(Reservation, reservation_id).status is ReservationStatus.CANCELLED

    page.goto(link)
    expect(page.get_by_text("This booking is already cancelled.")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel this booking")).to_have_count(0)
    expect(page.get_by_role("link", name="Sign in to manage your bookings")).to_be_visible()

    page.goto("/cancel-booking?token=not-a-real-token")
    expect(page.get_by_text("This link is invalid or has expired.")).to_be_visible()


def test_member_search_without_a_match_says_so(page: Page) -> None:
    base = sign_in(page, ADMIN)
    page.goto(f"{base}/admin/members")
    members = page.get_by_role("region", name="Members", exact=True)
    expect(members.get_by_role("row")).not_to_have_count(0)
    members.get_by_label("Search members").fill("no such member anywhere")
    expect(members.get_by_text("No members match.")).to_be_visible()
    expect(members.get_by_role("table")).to_have_count(0)
    members.get_by_label("Search members").fill("")
    expect(members.get_by_role("row").nth(1)).to_be_visible()
    expect(members.get_by_text("No members match.")).to_have_count(0)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_admin_sets_the_cancellation_grace_period(
    browser: Browser, browser_context_args: dict[str, Any], api: Any, viewport: dict[str, int]
) -> None:
    admin = api(ADMIN)
    bbq = admin.amenity("BBQ Area")  # same-day bookings, a day's cutoff
    context = browser.new_context(**{**browser_context_args, "viewport": viewport})
    page = context.new_page()
    try:
        base = sign_in(page, ADMIN)
        page.goto(f"{base}/admin/amenities/{bbq['id']}")
        grace = page.get_by_label("Cancellation grace period")
        expect(grace).to_have_value("15")
        grace.fill("0")
        page.get_by_role("button", name="Save").first.click()
        expect(page.get_by_role("alert")).to_contain_text("grace period")
        grace.fill("30")
        page.get_by_role("button", name="Save").first.click()
        expect(page.get_by_text("Saved.")).to_be_visible()
    finally:
        context.close()
    assert admin.amenity("BBQ Area")["cancellation_grace_minutes"] == 30
    r = admin.patch(f"/amenities/{bbq['id']}", {"cancellation_grace_minutes": 15})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_community_locale_sets_the_clock_everywhere(
    browser: Browser, browser_context_args: dict[str, Any], api: Any, viewport: dict[str, int]
) -> None:
    """Oak Ridge switches to British formats: its residents' booking pages use a 24-hour clock."""
    admin, resident = api(OAK_ADMIN), api(OAK_RESIDENT)
    room = resident.amenity("Fitness Room")
    day, slot = bookable_slot(resident, room, range(2, 7))
    start = datetime.fromisoformat(slot["starts_at"])
    context = browser.new_context(**{**browser_context_args, "viewport": viewport})
    page = context.new_page()
    try:
        sign_in(page, OAK_ADMIN)
        page.goto(page.url.rstrip("/") + "/admin/settings")
        page.get_by_label("Date and time format").select_option("en-GB")
        expect(page.get_by_text("times look like: Sun 20 Dec, 14:00")).to_be_visible()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Saved.")).to_be_visible()
        assert admin.client.get(admin.base).json()["locale"] == "en-GB"

        context.clear_cookies()
        sign_in(page, OAK_RESIDENT)
        open_booking(page, "Fitness Room", day)
        page.locator(f'.slot[data-start="{slot["starts_at"]}"]').click()
        summary = page.get_by_role("complementary")
        wall = start.astimezone(OAK_TZ)
        expect(summary).to_contain_text(re.compile(rf"\b0?{wall.hour}:{wall.minute:02d}\b"))
        expect(summary).not_to_contain_text(re.compile(r"\b[AP]M\b"))
        screenshot(page, f"{'phone' if viewport is PHONE else 'desktop'}-locale-en-gb")
    finally:
        context.close()
        admin.client.patch(admin.base, json={"locale": "en-US"}).raise_for_status()
