"""A new community's first admin: from the invitation to the first amenity, inviting members
and the printable join code."""

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PASSWORD, PHONE, check_a11y, screenshot

NEW_PASSWORD = "quiet-meadow-lantern-2026"


def _new_community(live_server: str, width: str) -> str:
    """Created by the operator through the API; returns its first admin's invitation link."""
    with httpx.Client(base_url=live_server, timeout=30) as client:
        login = {"email": "operator@demo.example", "password": PASSWORD}
        token = client.post("/api/v1/auth/login", json=login).json()["access_token"]
        client.cookies.clear()
        created = client.post(
            "/api/v1/communities",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "name": f"Aspen Park {width}",
                "slug": f"aspen-park-{width}",
                "timezone": "America/Denver",
                "first_admin_email": f"board-{width}@aspen.example",
            },
        )
        assert created.status_code == 201, created.text
        return str(created.json()["admin_invitation_url"])


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_new_communitys_admin_gets_started(page: Page, live_server: str, width: str) -> None:
    page.set_viewport_size(DESKTOP if width == "desktop" else PHONE)
    page.goto(_new_community(live_server, width))
    page.get_by_label("Your name").fill("Robin Aspen")
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account and sign in").click()
    page.wait_for_url("**/c/*")

    start = page.get_by_role("region", name="Get your community started")
    templates = start.get_by_role("list", name="Amenity templates")
    expect(templates.get_by_role("listitem")).to_have_count(5)
    expect(templates.get_by_role("listitem").first).to_contain_text("approved by an admin")
    check_a11y(page, f"getting started, {width}")
    screenshot(page, f"{width}-getting-started")
    start.get_by_role("button", name="Add Pool").click()
    expect(start.get_by_text("Added: Pool.")).to_be_visible()
    amenities = page.get_by_role("region", name="Amenities")
    expect(amenities.get_by_role("heading", name="Pool")).to_be_visible()
    expect(start.get_by_role("button", name="Added Pool")).to_be_disabled()

    start.get_by_role("link", name="Print the join code").click()
    page.get_by_role("button", name="Turn on joining by code").click()
    poster = page.get_by_role("article", name=f"Join Aspen Park {width}")
    code = poster.get_by_label("Join code")
    expect(code).to_have_text(re.compile(r"^\S{6,}$"))
    expect(poster).to_contain_text(f"{live_server}/join")
    check_a11y(page, f"join code poster, {width}")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(code).to_be_visible()
    screenshot(page, f"{width}-join-code-poster")
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Back to home").click()
    page.get_by_role("link", name="Invite members").click()
    expect(page.get_by_role("heading", name="Invite someone")).to_be_visible()
