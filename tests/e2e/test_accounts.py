"""Invitations, joining with a code, the community switcher, changing a password."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    AXE,
    PASSWORD,
    TIMEZONE,
    approve_join,
    check_a11y,
    screenshot,
    sign_in,
    watch,
)
from tests.e2e.test_account_emails import link_in, wait_for_email

ADMIN = "admin@maple-grove.example"
RESIDENT = "resident@maple-grove.example"
NEIGHBOR = "neighbor@maple-grove.example"
NEW_PASSWORD = "violet-harbor-quince-48"
NEWER_PASSWORD = "amber-lantern-meadow-93"


def local_day(days: int) -> str:
    return (datetime.now(ZoneInfo(TIMEZONE)).date() + timedelta(days=days)).isoformat()


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def test_invited_person_accepts_and_changes_password(
    page: Page, browser: Browser, browser_context_args: dict[str, Any]
) -> None:
    sign_in(page, ADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Members").click()
    page.get_by_label("Email").fill("sam.new@maple-grove.example")
    page.get_by_label("Home").select_option(label="16 Maple Ct")
    page.get_by_role("button", name="Create invitation").click()
    link = page.get_by_label("Invitation link")
    expect(link).to_have_value(re.compile(r"/invitations/accept\?token="))
    accept_url = link.input_value()
    screenshot(page, "desktop-admin-invited")

    invitee = browser.new_context(**browser_context_args)
    invitee.add_init_script(path=AXE)
    new = invitee.new_page()
    errors = watch(new)
    try:
        new.goto(accept_url)
        expect(new.get_by_role("heading", name="Accept your invitation")).to_be_visible()
        check_a11y(new, "accept invitation")
        new.get_by_label("Your name").fill("Sam Newcomer")
        new.get_by_label("Choose a password").fill(NEW_PASSWORD)
        new.get_by_label("Repeat the password").fill(NEW_PASSWORD)
        new.get_by_role("button", name="Create account and sign in").click()
        expect(new.get_by_role("heading", level=1, name="Hello, Sam")).to_be_visible()

        new.get_by_role("link", name=re.compile(r"^Your account")).click()
        new.get_by_label("Current password").fill(NEW_PASSWORD)
        new.get_by_label("New password", exact=True).fill(NEWER_PASSWORD)
        new.get_by_label("Repeat the new password").fill(NEWER_PASSWORD)
        new.get_by_role("button", name="Change password").click()
        expect(new.get_by_text("Password changed.")).to_be_visible()
        new.get_by_role("button", name="Sign out", exact=True).click()
        expect(new.get_by_role("heading", name="Sign in")).to_be_visible()
        assert not errors.messages, errors.messages
    finally:
        invitee.close()


def test_an_existing_account_signs_in_then_accepts(
    browser: Browser, browser_context_args: dict[str, Any], api: Any, live_server: str
) -> None:
    """An invitation to an address with an account: its owner signs in, then accepts."""
    email = "lee.oak@oak-ridge.example"
    joined = httpx.post(
        f"{live_server}/api/v1/join/signup",
        json={
            "code": "OAKRIDGE",
            "household_label": "Unit 3A",
            "email": email,
            "name": "Lee Oak",
            "password": NEW_PASSWORD,
        },
    )
    assert joined.status_code == 202, joined.text
    approve_join(api, email)
    invited = api(ADMIN).post("/invitations", {"email": email})
    assert invited.status_code == 201, invited.text

    invitee = browser.new_context(**browser_context_args)
    invitee.add_init_script(path=AXE)
    page = invitee.new_page()
    errors = watch(page)
    try:
        page.goto(invited.json()["accept_url"])
        # the token alone does not sign in to the existing account
        page.get_by_label("Your name").fill("Lee Oak")
        page.get_by_label("Choose a password").fill(NEWER_PASSWORD)
        page.get_by_label("Repeat the password").fill(NEWER_PASSWORD)
        page.get_by_role("button", name="Create account and sign in").click()
        expect(page.get_by_text("You already have an account with this email.")).to_be_visible()
        page.get_by_role("link", name="I already have an account").click()
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Sign in").click()

        expect(page.get_by_text(f"You'll join as {email}.")).to_be_visible()
        check_a11y(page, "accept invitation, signed in")
        screenshot(page, "desktop-accept-invitation-signed-in")
        page.get_by_role("button", name="Accept invitation").click()
        page.wait_for_url("**/c/*")
        switcher = page.get_by_label("Community")
        expect(switcher.get_by_role("option", name="Maple Grove HOA")).to_be_attached()
        assert not errors.messages, errors.messages
    finally:
        invitee.close()


def test_sign_up_with_a_code_then_confirm_and_sign_in(
    page: Page, live_server: str, outbox: Path, api: Any
) -> None:
    email = "kim.oak@oak-ridge.example"
    page.goto("/join")
    page.get_by_label("Join code").fill("OAKRIDGE")
    page.get_by_label("Your home").fill("Unit 3A")
    page.get_by_label("Your name").fill("Kim Oak")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()
    check_a11y(page, "join: check your email")

    confirm = link_in(wait_for_email(outbox, email, "Confirm your email address"), "/verify-email")
    page.goto(confirm)
    page.get_by_role("button", name="Verify my email").click()
    expect(page.get_by_text("Your email address is verified.")).to_be_visible()
    approve_join(api, email)
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/c/*")
    expect(page.get_by_role("heading", name="Hello, Kim")).to_be_visible()


def test_join_with_a_code_and_switch_communities(page: Page, api: Any) -> None:
    sign_in(page, NEIGHBOR)
    page.goto("/join")
    expect(page.get_by_text(f"You'll join as {NEIGHBOR}.")).to_be_visible()
    page.get_by_label("Join code").fill("OAKRIDGE")
    page.get_by_label("Your home").fill("Unit 3A")
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.get_by_role("heading", name="Waiting for approval")).to_be_visible()
    approve_join(api, NEIGHBOR)
    page.goto("/")  # later, once approved
    page.wait_for_url("**/c/*")

    switcher = page.get_by_label("Community")
    expect(switcher).to_be_visible()
    switcher.select_option(label="Oak Ridge HOA")
    expect(page.get_by_role("article", name="Fitness Room")).to_be_visible()
    expect(page.get_by_role("heading", name="Hello, Priya")).to_contain_text("Priya")
    expect(page.locator("main")).to_contain_text("Oak Ridge HOA")
    check_a11y(page, "home with the community switcher")
    screenshot(page, "desktop-community-switcher")
    switcher.select_option(label="Maple Grove HOA")
    expect(page.get_by_role("article", name="Clubhouse")).to_be_visible()


def test_admin_books_for_a_resident_and_edits_an_amenity(page: Page, api: Any) -> None:
    neighbor = api(NEIGHBOR)
    bbq = neighbor.amenity("BBQ Area")
    base = sign_in(page, ADMIN)
    page.goto(f"{base}/book?amenity={bbq['id']}")
    page.get_by_label("Book for").select_option(label="Priya Shah · 14 Maple Ct")
    page.get_by_label("Day", exact=True).fill(local_day(14))
    page.locator(".slot[data-start]:not([disabled])").first.click()
    page.get_by_label("Occasion (optional)").fill("Booked by the office")
    expect(page.get_by_text("This time is free for you.")).to_be_visible()
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="You're booked!")).to_be_visible()
    booked = [
        r
        for r in neighbor.get("/reservations", amenity_id=bbq["id"])["items"]
        if r["title"] == "Booked by the office"
    ]
    assert len(booked) == 1

    suite = neighbor.amenity("Guest Suite")
    page.goto(f"{base}/admin/amenities/{suite['id']}")
    expect(page.get_by_role("heading", name="Edit Guest Suite")).to_be_visible()
    page.get_by_label("Bookable up to").fill("100")
    page.get_by_role("button", name="Remove Sunday 15:00–22:00").click()
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    saved = neighbor.amenity("Guest Suite")
    assert saved["max_days_ahead"] == 100
    assert saved["hours"]["sun"] == [["07:00", "11:00"]]


def test_a_reservation_downloads_as_ics(page: Page, api: Any) -> None:
    resident = api(RESIDENT)
    upcoming = resident.get("/reservations", status="confirmed", start=now_iso())["items"][0]
    sign_in(page, RESIDENT)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My reservations").click()
    item = page.locator(f'[data-reservation-id="{upcoming["id"]}"]')
    with page.expect_download() as download:
        item.get_by_role("link", name=re.compile(r"^Add to calendar")).click()
    assert download.value.suggested_filename.endswith(".ics")
    text = Path(download.value.path()).read_bytes().decode()
    assert f"UID:{upcoming['id']}@hoa\r\n" in text  # the UID of its emails and feeds
    assert "BEGIN:VEVENT" in text and "STATUS:CONFIRMED" in text


def test_a_refused_sign_in_can_be_sent_again(page: Page) -> None:
    page.goto("/signin")
    page.get_by_label("Email").fill(NEIGHBOR)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("That email and password don't match.")
    expect(page.get_by_role("button", name="Sign in")).to_be_enabled()

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/c/*")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")


def test_passwords_that_differ_are_not_sent(page: Page) -> None:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    page.goto("/reset-password?token=not-a-real-token")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEWER_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("The passwords don't match.")).to_be_visible()
    expect(page.get_by_role("button", name="Set new password")).to_be_enabled()
    assert not [url for url in sent if "/password-reset" in url], sent

    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("This reset link is used or expired.")).to_be_visible()
    assert [url for url in sent if "/password-reset" in url], sent
