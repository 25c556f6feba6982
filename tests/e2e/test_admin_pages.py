"""The admin page for the community's emails."""

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from hoa.db import create_sync_engine, utcnow
from hoa.models import (
    Amenity,
    Community,
    Notification,
    NotificationStatus,
    Reservation,
    ReservationStatus,
    User,
)
from hoa.notifications.service import reservation_payload
from hoa.settings import Settings
from tests.e2e.conftest import check_a11y, screenshot, sign_in

ADMIN = "admin@maple-grove.example"
RESIDENT = "resident@maple-grove.example"
MAILBOX_ERROR = "550 5.1.1 <resident@maple-grove.example>: mailbox unavailable"


@pytest.fixture(scope="module")
def server_settings(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The live server's settings as far as the tests need them: its database, and the same
    secret (both come from this process's environment) to sign links with."""
    db = next(tmp_path_factory.getbasetemp().glob("e2e*/e2e.db"))
    return Settings(database_url=f"sqlite+aiosqlite:///{db}", public_url=live_server)


@pytest.fixture(scope="module")
def db(server_settings: Settings) -> Iterator[sa.Engine]:
    """The live server's database, synchronously (Playwright's sync API owns the event loop)."""
    engine = create_sync_engine(server_settings)
    yield engine
    engine.dispose()


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
            payload=reservation_payload(community, amenity, reservation, "reservation_confirmed"),
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
