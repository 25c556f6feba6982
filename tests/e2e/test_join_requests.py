"""Joining with the code waits for the office: the newcomer sees why, the admin approves them
from the Members page, and only then are they in."""

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import AXE, DESKTOP, PASSWORD, PHONE, check_a11y, screenshot, sign_in, watch

ADMIN = "admin@maple-grove.example"


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_newcomer_waits_until_the_office_approves(
    browser: Browser, browser_context_args: dict[str, Any], api: Any, width: str
) -> None:
    viewport = DESKTOP if width == "desktop" else PHONE
    name, email = f"Robin {width.title()}", f"robin.{width}@maple-grove.example"
    contexts = [browser.new_context(**{**browser_context_args, "viewport": viewport}) for _ in "ab"]
    for context in contexts:
        context.add_init_script(path=AXE)
    newcomer, office = (context.new_page() for context in contexts)
    errors = [watch(newcomer), watch(office)]
    try:
        newcomer.goto("/join")
        newcomer.get_by_label("Join code").fill("MAPLE2026")
        newcomer.get_by_label("Your home").fill("12 Maple Ct")
        newcomer.get_by_label("Your name").fill(name)
        newcomer.get_by_label("Email").fill(email)
        newcomer.get_by_label("Choose a password").fill(PASSWORD)
        newcomer.get_by_role("button", name="Join", exact=True).click()
        expect(newcomer.get_by_role("heading", name="Check your email")).to_be_visible()
        # the account is made just after that answer; it can sign in before confirming its email
        for _ in range(50):
            signed_in = newcomer.request.post(
                "/api/v1/auth/login", data={"email": email, "password": PASSWORD}
            )
            if signed_in.ok:
                break
            newcomer.wait_for_timeout(200)
        assert signed_in.ok, signed_in.text()
        newcomer.goto("/")
        expect(
            newcomer.get_by_text("Your request to join Maple Grove HOA is waiting for approval.")
        ).to_be_visible()
        check_a11y(newcomer, f"join request waiting, {width}")
        screenshot(newcomer, f"{width}-join-waiting")
        # the household's bookings stay out of reach, also by the community's address
        community_id = api(ADMIN).community_id
        newcomer.goto(f"/c/{community_id}/reservations")
        expect(newcomer.get_by_role("heading", name="Waiting for approval")).to_be_visible()

        base = sign_in(office, ADMIN)
        office.goto(f"{base}/admin/members")
        queue = office.get_by_role("region", name="Waiting for approval")
        expect(queue).to_contain_text(email)
        expect(queue).to_contain_text("12 Maple Ct")
        check_a11y(office, f"members with a join request, {width}")
        screenshot(office, f"{width}-admin-join-requests")
        queue.get_by_role("button", name=f"Approve {name}").click()
        expect(queue.get_by_text(email)).to_have_count(0)
        office.get_by_label("Search members").fill(email)
        expect(office.get_by_role("region", name="Members")).to_contain_text(email)

        newcomer.goto("/")
        newcomer.wait_for_url(f"**/c/{community_id}")
        expect(newcomer.get_by_role("heading", level=1)).to_contain_text("Robin")
        assert not any(e.messages for e in errors), [e.messages for e in errors]
    finally:
        for context in contexts:
            context.close()
