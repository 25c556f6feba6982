"""The office manages homes: rename, move a person out (deciding about their bookings), merge,
delete; on a desktop and on a phone."""

import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import AXE, PASSWORD, PHONE, Api, check_a11y, screenshot, sign_in, watch
from tests.e2e.test_booking import ADMIN, book, bookable_slot


def _newcomer(live_server: str, office: Any, home: str) -> tuple[str, Api]:
    """A new household ``home`` with one person in it, invited and accepted through the API."""
    household = office.post("/households", {"label": home})
    assert household.status_code == 201, household.text
    email = f"{uuid.uuid4().hex[:8]}@households.example"
    invited = office.post("/invitations", {"email": email, "household_id": household.json()["id"]})
    assert invited.status_code == 201, invited.text
    token = parse_qs(urlsplit(invited.json()["accept_url"]).query)["token"][0]
    name = f"Sam {home.split()[0]}"
    accepted = httpx.post(
        f"{live_server}/api/v1/invitations/accept",
        json={"token": token, "name": name, "password": PASSWORD},
    )
    assert accepted.status_code == 200, accepted.text
    return name, Api(live_server, email)


def _card(page: Page, label: str) -> Any:
    return page.get_by_role("article", name=label, exact=True)


def test_office_moves_a_person_out_cancelling_their_booking_then_merges_and_deletes(
    page: Page, live_server: str, api: Any
) -> None:
    office = api(ADMIN)
    suffix = uuid.uuid4().hex[:4]
    home, other, spare = f"{suffix} Birch Ln", f"{suffix} Cedar Ct", f"{suffix} Elm St"
    name, person = _newcomer(live_server, office, home)
    office.post("/households", {"label": other})
    office.post("/households", {"label": spare})
    court = person.amenity("Tennis Court 1")
    _, slot = bookable_slot(person, court, range(1, 14), minutes=60)
    booking = book(person, court, slot)

    base = sign_in(page, ADMIN)
    page.goto(base + "/admin/households")
    page.get_by_label("Find a home or a person").fill(name)
    expect(page.get_by_role("article")).to_have_count(1)
    page.get_by_label("Find a home or a person").fill(suffix)
    expect(page.get_by_role("article")).to_have_count(3)
    card = _card(page, home)
    expect(card).to_contain_text("1 upcoming booking")
    expect(card.get_by_role("list", name=f"People of {home}")).to_contain_text(name)

    # Moving them out asks about the booking; cancelling emails them.
    card.get_by_label(f"Move {name} to").select_option(label=other)
    choice = page.get_by_role("alertdialog", name=f"Upcoming bookings of {name}")
    expect(choice).to_contain_text("1 upcoming booking")
    check_a11y(page, "households, future bookings choice")
    screenshot(page, "desktop-admin-households-choice")
    choice.get_by_role("button", name=f"Cancel them and email {name}").click()
    expect(_card(page, other).get_by_role("list")).to_contain_text(name)
    expect(_card(page, home)).to_contain_text("Nobody lives here yet.")
    assert office.get(f"/reservations/{booking['id']}")["status"] == "cancelled"

    # Rename, merge the person's new home into the spare one, delete the emptied first home.
    _card(page, other).get_by_role("button", name=f"Rename {other}").click()
    page.get_by_label(f"New name of {other}").fill(f"{other} (rear)")
    page.get_by_role("button", name="Save").click()
    renamed = _card(page, f"{other} (rear)")
    expect(renamed).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    renamed.get_by_label(f"Merge {other} (rear) into").select_option(label=spare)
    renamed.get_by_role("button", name="Merge").click()
    expect(_card(page, f"{other} (rear)")).to_have_count(0)
    expect(_card(page, spare).get_by_role("list")).to_contain_text(name)
    _card(page, home).get_by_role("button", name=f"Delete household {home}").click()
    expect(_card(page, home)).to_have_count(0)
    labels = {h["label"] for h in office.get("/households")}
    assert spare in labels and home not in labels and f"{other} (rear)" not in labels


def test_households_at_phone_width(
    browser: Browser, browser_context_args: dict[str, Any], live_server: str, api: Any
) -> None:
    office = api(ADMIN)
    home = f"{uuid.uuid4().hex[:4]} Aspen Way"
    name, person = _newcomer(live_server, office, home)
    court = person.amenity("Tennis Court 1")
    _, slot = bookable_slot(person, court, range(1, 14), minutes=60)
    book(person, court, slot)
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}
    )
    context.add_init_script(path=AXE)
    page = context.new_page()
    errors = watch(page)
    try:
        base = sign_in(page, ADMIN)
        page.goto(base + "/admin/households")
        card = _card(page, home)
        card.get_by_label(f"Move {name} to").select_option(label="No household")
        choice = page.get_by_role("alertdialog", name=f"Upcoming bookings of {name}")
        choice.get_by_role("button", name="Keep with the household").click()
        expect(_card(page, home)).to_contain_text("Nobody lives here yet.")
        expect(_card(page, home)).to_contain_text("1 upcoming booking")
        # a home with a booking still coming cannot be deleted
        expect(
            _card(page, home).get_by_role("button", name=f"Delete household {home}")
        ).to_have_count(0)
        check_a11y(page, "phone households")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"households scroll sideways: {width}px"
        screenshot(page, "phone-admin-households")
        assert not errors.messages, errors.messages
    finally:
        context.close()
