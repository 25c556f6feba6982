"""The office decides requests: a note with an approval, undo, a decline with a reason, and
what the card says about conflicts and the household's month, on a desktop and a phone."""

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect
from sqlalchemy.orm import Session

from hoa.models import Blackout
from tests.e2e.conftest import AXE, DESKTOP, PHONE, check_a11y, screenshot, sign_in, watch
from tests.e2e.test_booking import ADMIN, RESIDENT, bookable_slot


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_office_approves_with_a_note_undoes_and_declines(
    size: str,
    db: sa.Engine,
    viewport: dict[str, int],
    browser: Browser,
    browser_context_args: dict[str, Any],
    api: Any,
) -> None:
    resident, office = api(RESIDENT), api(ADMIN)
    clubhouse = resident.amenity("Clubhouse")
    _, slot = bookable_slot(resident, clubhouse, range(4, 40), minutes=180, headcount=10)
    start = datetime.fromisoformat(slot["starts_at"])
    made = resident.post(
        "/reservations",
        {
            "amenity_id": clubhouse["id"],
            "starts_at": slot["starts_at"],
            "ends_at": (start + timedelta(hours=3)).isoformat(),
            "headcount": 10,
            "title": f"E2E {size} review",
            "accepted_rules_version": clubhouse["rules_version"],
        },
    )
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    # a closure that appeared anyway (another admin's tool): the card shows it
    closure_id = uuid.uuid4()
    closure = Blackout(
        id=closure_id,
        community_id=uuid.UUID(made.json()["community_id"]),
        amenity_id=uuid.UUID(clubhouse["id"]),
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        reason=f"E2E {size} floor work",
    )
    with Session(db) as session, session.begin():
        session.add(closure)
    label = f'Clubhouse request "E2E {size} review"'

    context = browser.new_context(**{**browser_context_args, "viewport": viewport})
    context.add_init_script(path=AXE)
    page = context.new_page()
    errors = watch(page)
    try:
        page.goto(sign_in(page, ADMIN) + "/admin")
        expect(page.get_by_role("heading", name="Approval queue")).to_be_visible()
        card = page.locator(f'[data-reservation-id="{rid}"]')
        month = re.compile(r"(No other bookings|\d+ other bookings?) of this household in \w+")
        expect(card).to_contain_text(month)
        expect(card).to_contain_text(f"Closed: E2E {size} floor work")
        check_a11y(page, f"{size}-approvals")
        screenshot(page, f"{size}-approvals-queue")
        assert office.client.delete(f"{office.base}/blackouts/{closure_id}").is_success
        page.reload()
        expect(card).not_to_contain_text("floor work")

        card.get_by_label("Note to the resident (optional)").fill("Keys at the front desk")
        card.get_by_role("button", name=f"Approve {label}").click()
        undo = card.get_by_role("button", name=re.compile(r"^Undo \(until \d{1,2}:\d\d\s?[AP]M\)$"))
        expect(undo).to_be_visible()
        expect(card).to_contain_text("Approved")
        expect(card).to_contain_text("Note from the office: Keys at the front desk")
        approved = office.get(f"/reservations/{rid}")
        assert approved["status"] == "confirmed"
        assert approved["decision_reason"] == "Keys at the front desk"
        screenshot(page, f"{size}-approvals-approved")

        undo.click()
        expect(card.get_by_role("button", name=f"Approve {label}")).to_be_visible()
        assert office.get(f"/reservations/{rid}")["status"] == "pending"

        card.get_by_role("button", name=f"Decline {label}").click()
        card.get_by_label("Reason for declining (the resident sees it)").fill("Board meeting")
        card.get_by_role("button", name="Decline request").click()
        expect(card).to_contain_text("Declined")
        expect(card.get_by_role("button", name=re.compile(r"^Undo"))).to_be_visible()
        declined = office.get(f"/reservations/{rid}")
        assert (declined["status"], declined["decision_reason"]) == ("rejected", "Board meeting")
        check_a11y(page, f"{size}-approvals-decided")
        assert not errors.messages, errors.messages
    finally:
        context.close()
