"""The platform operator lands on the console of every community and creates one there."""

from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import AXE, DESKTOP, PASSWORD, PHONE, check_a11y, screenshot, sign_in

OPERATOR = "operator@demo.example"
COMMUNITIES = "/api/v1/operator/communities"


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_operator_lands_on_the_console_and_creates_a_community(page: Page, width: str) -> None:
    page.set_viewport_size(DESKTOP if width == "desktop" else PHONE)
    _sign_in_as_operator(page)
    listed = page.get_by_role("region", name="All communities")
    expect(listed.get_by_role("listitem", name="Maple Grove HOA")).to_be_visible()
    expect(listed.get_by_role("listitem", name="Oak Ridge HOA")).to_be_visible()
    check_a11y(page, f"operator console, {width}")
    screenshot(page, f"{width}-operator-console")

    page.get_by_label("Name", exact=True).fill(f"Cedar Hills {width}")
    page.get_by_label("Short name").fill(f"cedar-hills-{width}")
    page.get_by_label("First admin's email").fill(f"board@cedar-{width}.example")
    page.get_by_role("button", name="Create community").click()
    expect(page.get_by_text(f"Cedar Hills {width} created.")).to_be_visible()
    page.get_by_label("Search communities").fill("cedar")
    expect(listed.get_by_role("listitem", name="Maple Grove HOA")).to_have_count(0)
    expect(listed).to_contain_text(f"Cedar Hills {width}")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_operator_opens_a_communitys_admin_console(page: Page, width: str) -> None:
    page.set_viewport_size(DESKTOP if width == "desktop" else PHONE)
    _sign_in_as_operator(page)
    page.get_by_role("link", name="Open admin console of Oak Ridge HOA").click()
    expect(page.get_by_role("status").filter(has_text="as the platform operator")).to_contain_text(
        "Oak Ridge HOA"
    )
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Members").click()
    expect(page.get_by_text("resident@oak-ridge.example")).to_be_visible()
    check_a11y(page, f"operator in a community, {width}")
    screenshot(page, f"{width}-operator-in-community")
    page.get_by_role("link", name="Back to the operator console").click()
    expect(page.get_by_role("heading", name="All communities")).to_be_visible()


def _sign_in_as_operator(page: Page) -> None:
    page.goto("/signin")
    page.get_by_label("Email").fill(OPERATOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/operator")


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_operator_suspends_and_resumes_a_community(
    page: Page,
    browser: Browser,
    browser_context_args: dict[str, Any],
    api: Any,
    live_server: str,
    width: str,
) -> None:
    size = DESKTOP if width == "desktop" else PHONE
    page.set_viewport_size(size)
    reason = f"Annual audit ({width})"
    oak_id = api("admin@oak-ridge.example").community_id
    resident_context = browser.new_context(**{**browser_context_args, "viewport": size})
    resident_context.add_init_script(path=AXE)
    resident = resident_context.new_page()
    try:
        _sign_in_as_operator(page)
        listed = page.get_by_role("region", name="All communities")
        expect(page.get_by_role("region", name="Platform totals")).to_contain_text("Communities")
        listed.get_by_role("button", name="Suspend Oak Ridge HOA").click()
        page.get_by_label("Why is Oak Ridge HOA suspended?").fill(reason)
        page.get_by_role("button", name="Suspend Oak Ridge HOA").click()
        expect(listed.get_by_role("listitem", name="Oak Ridge HOA")).to_contain_text(reason)
        expect(page.get_by_role("region", name="Platform totals")).to_contain_text("1 suspended")

        sign_in(resident, "resident@oak-ridge.example")
        expect(resident.get_by_role("heading", name="Oak Ridge HOA is suspended")).to_be_visible()
        expect(resident.get_by_text(reason)).to_be_visible()
        check_a11y(resident, f"suspended community, {width}")
        screenshot(resident, f"{width}-suspended-community")

        listed.get_by_role("button", name="Resume Oak Ridge HOA").click()
        log = page.get_by_role("region", name="Platform audit log")
        expect(log.get_by_role("listitem").nth(0)).to_contain_text("community resumed")
        expect(log.get_by_role("listitem").nth(1)).to_contain_text("community suspended")
        check_a11y(page, f"operator console with the audit log, {width}")
        screenshot(page, f"{width}-operator-audit-log")

        resident.reload()
        expect(resident.get_by_role("heading", name="Oak Ridge HOA is suspended")).to_have_count(0)
        expect(resident.get_by_role("link", name="Book an amenity")).to_be_visible()
    finally:
        resident_context.close()
        _resume(live_server, oak_id)


def _resume(live_server: str, community_id: str) -> None:
    """Whatever the test did, Oak Ridge is left active for the other tests."""
    with httpx.Client(base_url=live_server, timeout=30) as client:
        login = {"email": OPERATOR, "password": PASSWORD}
        token = client.post("/api/v1/auth/login", json=login).json()["access_token"]
        client.cookies.clear()
        client.post(
            f"{COMMUNITIES}/{community_id}/resume", headers={"Authorization": f"Bearer {token}"}
        )
