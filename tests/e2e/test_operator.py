"""The platform operator lands on the console of every community and creates one there."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PASSWORD, PHONE, check_a11y, screenshot

OPERATOR = "operator@demo.example"


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
