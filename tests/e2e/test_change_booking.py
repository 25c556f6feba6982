"""Changing a booking, from My reservations and from its own page, at desktop and phone
widths: the form marks the day's taken times (the booking's own counted free), moves it to a
free one, refuses in words a time taken meanwhile, changes party times, guests and notes, and
sends a new headcount back for approval on an amenity that needs it.

Keeps clear of the other end-to-end tests' data: the BBQ Area three to four weeks ahead, and the
neighbor's household in the Clubhouse two to three months ahead.
"""

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, check_a11y, screenshot, sign_in
from tests.e2e.test_booking import ADMIN, NEIGHBOR, NY, RESIDENT, book, bookable_slot, local_day

DAYS = range(22, 30)  # the BBQ Area is bookable 30 days ahead


def clock(instant: str) -> str:
    return datetime.fromisoformat(instant).astimezone(NY).strftime("%H:%M")


def shown_start(instant: str) -> re.Pattern[str]:
    """The start as the list shows it in the community's zone, e.g. "Dec 19, 10:00 AM"."""
    local = datetime.fromisoformat(instant).astimezone(NY)
    hour = local.hour % 12 or 12
    return re.compile(rf"{local:%b} {local.day}, {hour}:{local:%M}\s*(AM|PM)?\s*–")


def open_change_form(item: Locator) -> Locator:
    item.get_by_role("button", name=re.compile(r"^Change BBQ Area on ")).click()
    form = item.get_by_role("form", name="Change BBQ Area booking")
    expect(form).to_be_visible()
    return form


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_resident_moves_a_booking_around_taken_times(
    page: Page, api: Any, viewport: dict[str, int]
) -> None:
    width = "phone" if viewport is PHONE else "desktop"
    page.set_viewport_size(viewport)
    resident, neighbor = api(RESIDENT), api(NEIGHBOR)
    bbq = resident.amenity("BBQ Area")
    first_day, first = bookable_slot(resident, bbq, DAYS[:4], minutes=60)
    booking = book(resident, bbq, first, title="E2E cookout to move")
    later = [d for d in DAYS if local_day(d) > first_day]
    # The neighbor holds an hour of the day it moves to.
    new_day, held = bookable_slot(neighbor, bbq, later, minutes=60)
    book(neighbor, bbq, held, title="E2E neighbor's grill")
    same_day = [d for d in later if local_day(d) == new_day]
    _, target = bookable_slot(resident, bbq, same_day, minutes=60)

    sign_in(page, RESIDENT)
    page.goto(f"/c/{resident.community_id}/reservations")
    item = page.locator(f'[data-reservation-id="{booking["id"]}"]')
    expect(item).to_contain_text(shown_start(booking["starts_at"]))

    form = open_change_form(item)
    # Its own hour does not count as taken.
    until = form.get_by_label("Until").locator("option:checked")
    expect(until).to_contain_text("(1 h)")
    expect(until).not_to_contain_text("Taken")
    form.get_by_label("Day").fill(new_day)
    taken = form.get_by_label("Start").locator(f'option[value="{clock(held["starts_at"])}"]')
    expect(taken).to_contain_text("Taken")
    expect(taken).to_be_disabled()
    form.get_by_label("Start").select_option(clock(target["starts_at"]))
    expect(form.get_by_label("Until").locator("option:checked")).to_contain_text("(1 h)")
    check_a11y(page, "change booking form")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"{width}-change-booking")
    form.get_by_role("button", name="Save changes").click()

    expect(item.get_by_role("status").filter(has_text="Booking changed")).to_be_visible()
    expect(item).to_contain_text(shown_start(target["starts_at"]))
    expect(item).to_contain_text("E2E cookout to move")
    expect(item).to_contain_text("Confirmed")
    moved = resident.get(f"/reservations/{booking['id']}")
    assert datetime.fromisoformat(moved["starts_at"]) == datetime.fromisoformat(target["starts_at"])
    assert datetime.fromisoformat(moved["ends_at"]) - datetime.fromisoformat(
        moved["starts_at"]
    ) == timedelta(hours=1)
    assert moved["status"] == "confirmed"

    # The neighbor takes a free hour while the form is open: moving onto it is refused in
    # words, and the form then marks it taken.
    form = open_change_form(item)
    expect(form.get_by_text("Looking for taken times…")).to_have_count(0)
    _, grabbed = bookable_slot(neighbor, bbq, same_day, minutes=60)
    book(neighbor, bbq, grabbed, title="E2E neighbor's second grill")
    form.get_by_label("Start").select_option(clock(grabbed["starts_at"]))
    form.get_by_role("button", name="Save changes").click()
    alert = form.get_by_role("alert")
    expect(alert).to_contain_text("That time is already taken.")
    expect(alert).not_to_contain_text("{")
    expect(form.get_by_label("Start").locator("option:checked")).to_contain_text("Taken")
    expect(form.get_by_text("That time is not free: pick another.")).to_be_visible()
    expect(form.get_by_role("button", name="Save changes")).to_be_disabled()
    screenshot(page, f"{width}-change-booking-taken")
    unchanged = resident.get(f"/reservations/{booking['id']}")
    assert unchanged["starts_at"] == moved["starts_at"]

    form.get_by_role("button", name="Keep as it is").click()
    expect(form).to_have_count(0)
    expect(item).to_contain_text(shown_start(target["starts_at"]))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_party_times_guests_and_notes_then_a_new_headcount_for_approval(
    page: Page, api: Any, viewport: dict[str, int]
) -> None:
    """On the booking's own page: party times, guests and notes change a confirmed Clubhouse
    booking as it is; a new headcount sends it back to the board."""
    page.set_viewport_size(viewport)
    neighbor, admin = api(NEIGHBOR), api(ADMIN)
    clubhouse = neighbor.amenity("Clubhouse")
    assert clubhouse["requires_approval"]
    # Two to three months ahead: the booking tests' Clubhouse requests stay within 40 days.
    _, slot = bookable_slot(neighbor, clubhouse, range(62, 86), minutes=120, headcount=10)
    start = datetime.fromisoformat(slot["starts_at"])
    r = neighbor.post(
        "/reservations",
        {
            "amenity_id": clubhouse["id"],
            "starts_at": slot["starts_at"],
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "headcount": 10,
            "title": "E2E quiz night",
            "accepted_rules_version": clubhouse["rules_version"],
        },
    )
    assert r.status_code == 201, r.text
    booking = r.json()
    approved = admin.post(f"/reservations/{booking['id']}/approve", {"reason": ""})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "confirmed"

    sign_in(page, NEIGHBOR)
    page.goto(f"/c/{neighbor.community_id}/reservations/{booking['id']}")
    expect(page.get_by_role("heading", name="Clubhouse booking")).to_be_visible()
    item = page.locator(f'[data-reservation-id="{booking["id"]}"]')
    expect(item).to_contain_text("Confirmed")
    item.get_by_role("button", name=re.compile(r"^Change Clubhouse on ")).click()
    form = item.get_by_role("form", name="Change Clubhouse booking")
    form.get_by_label("My booking includes setup and cleanup time around the party").check()
    party_start = start + timedelta(hours=1)
    form.get_by_label("Party starts").select_option(index=1)
    form.get_by_label("Of them, guests").fill("4")
    form.get_by_label("Notes for the office (optional)").fill("E2E: we bring a projector")
    expect(form).not_to_contain_text("The board reviews the change again.")
    check_a11y(page, "change booking form with party times")
    screenshot(page, f"{'phone' if viewport is PHONE else 'desktop'}-change-party-times")
    form.get_by_role("button", name="Save changes").click()

    expect(item.get_by_role("status").filter(has_text="Booking changed")).to_be_visible()
    expect(item).to_contain_text("Confirmed")
    expect(item).to_contain_text("(4 guests)")
    expect(item).to_contain_text("Party:")
    expect(item).to_contain_text("Notes for the office: E2E: we bring a projector")
    after = neighbor.get(f"/reservations/{booking['id']}")
    assert (after["status"], after["guests"]) == ("confirmed", 4)
    assert datetime.fromisoformat(after["party_starts_at"]) == party_start
    assert datetime.fromisoformat(after["party_ends_at"]) == start + timedelta(hours=2)

    item.get_by_role("button", name=re.compile(r"^Change Clubhouse on ")).click()
    form.get_by_label("People, guests included").fill("14")
    expect(form).to_contain_text("The board reviews the change again.")
    form.get_by_role("button", name="Save changes").click()

    expect(item.get_by_role("status").filter(has_text="Change sent for approval")).to_be_visible()
    expect(item).to_contain_text("Waiting for approval")
    expect(item).to_contain_text("14 people")
    after = neighbor.get(f"/reservations/{booking['id']}")
    assert (after["status"], after["headcount"], after["guests"]) == ("pending", 14, 4)
    assert datetime.fromisoformat(after["starts_at"]) == start
    assert datetime.fromisoformat(after["party_starts_at"]) == party_start
