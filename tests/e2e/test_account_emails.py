"""Forgot password → the emailed link → a new password; the verify-email banner and link."""

import re
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import approve_join, check_a11y, screenshot

EMAIL = "riley.reset@example.com"
FIRST_PASSWORD = "copper-willow-harbor-17"
NEW_PASSWORD = "granite-meadow-lantern-62"


def wait_for_email(outbox: Path, to: str, subject: str) -> EmailMessage:
    """The email the server's worker wrote to the outbox, once it is there."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for eml in sorted(outbox.glob("*.eml")):
            message = message_from_bytes(eml.read_bytes(), policy=policy.default)
            if message["To"] == to and message["Subject"] == subject:
                assert isinstance(message, EmailMessage)
                return message
        time.sleep(0.2)
    raise AssertionError(f"no email {subject!r} to {to} in {outbox}")


def link_in(message: EmailMessage, path: str) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    match = re.search(rf"https?://\S+{path}\?token=\S+", body.get_content())
    assert match, body.get_content()
    return match.group(0)


def test_forgot_password_reset_and_verify_email(
    page: Page, live_server: str, outbox: Path, api: Any
) -> None:
    # An account of its own (made with Oak Ridge's join code), so no demo login changes.
    r = httpx.post(
        f"{live_server}/api/v1/join/signup",
        json={
            "code": "OAKRIDGE",
            "household_label": "Unit 3A",
            "email": EMAIL,
            "name": "Riley Reset",
            "password": FIRST_PASSWORD,
        },
    )
    assert r.status_code == 202, r.text
    approve_join(api, EMAIL)

    page.goto("/signin")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    check_a11y(page, "forgot password")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    reset_url = link_in(wait_for_email(outbox, EMAIL, "Reset your password"), "/reset-password")
    page.goto(reset_url)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    check_a11y(page, "reset password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("Your new password is set.")).to_be_visible()
    page.get_by_role("link", name="Sign in").click()

    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/c/*")
    # the reset proved the address: no banner asking to verify it
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    expect(page.get_by_text("Please confirm your email address")).to_have_count(0)
    screenshot(page, "desktop-after-password-reset")

    # the link of a reset already used is refused
    page.goto(reset_url)
    page.get_by_label("New password", exact=True).fill(FIRST_PASSWORD)
    page.get_by_label("Repeat the new password").fill(FIRST_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("This reset link is used or expired.")).to_be_visible()

    # the verification email sent at sign-up still opens, and verifies on a click
    verify_url = link_in(
        wait_for_email(outbox, EMAIL, "Confirm your email address"), "/verify-email"
    )
    page.goto(verify_url)
    check_a11y(page, "verify email")
    page.get_by_role("button", name="Verify my email").click()
    expect(page.get_by_text("Your email address is verified.")).to_be_visible()
