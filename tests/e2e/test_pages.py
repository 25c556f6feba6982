"""Every page: accessible (axe-core, no serious or critical violations), usable by keyboard,
screenshots at desktop and phone widths; the app shell works offline; caching headers."""

import re
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.conftest import AXE, PHONE, check_a11y, screenshot, sign_in, watch

ADMIN = "admin@maple-grove.example"
RESIDENT = "resident@maple-grove.example"


def visit(page: Page, path: str, heading: str | re.Pattern[str]) -> None:
    page.goto(path)
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0)


def test_signed_out_pages(page: Page) -> None:
    """A visitor with no session: every public page loads without one failing request or
    console error (the app does not probe a session it does not have)."""
    failed: list[str] = []
    console: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    for path, heading, name in [
        ("/", "Sign in", "start"),
        ("/signin", "Sign in", "signin"),
        ("/forgot-password", "Forgot your password?", "forgot-password"),
        ("/reset-password?token=not-a-real-token", "Choose a new password", "reset-password"),
        ("/join", "Join your community", "join"),
        ("/invitations/accept?token=not-a-real-token", "Accept your invitation", "invitation"),
        ("/no/such/page", "Page not found", "not-found"),
    ]:
        visit(page, path, heading)
        page.wait_for_load_state("networkidle")
        assert not failed, (path, failed)
        assert not console, (path, console)
        check_a11y(page, path)
        screenshot(page, f"desktop-{name}")


def test_admin_and_resident_pages_at_desktop_width(page: Page, api: Any) -> None:
    admin = api(ADMIN)
    pool, clubhouse = admin.amenity("Pool"), admin.amenity("Clubhouse")
    base = sign_in(page, ADMIN)
    pages = [
        ("", re.compile(r"^Hello, "), "home"),
        ("/amenities", "Amenities", "amenities"),
        (f"/amenities/{pool['id']}", "Pool", "amenity"),
        ("/calendar", "Calendar", "calendar-month"),
        (f"/book?amenity={clubhouse['id']}", "Book Clubhouse", "book-clubhouse"),
        ("/reservations", "My reservations", "reservations-admin"),
        ("/account", "Your account", "account"),
        ("/admin", "Approval queue", "admin-approvals"),
        ("/admin/amenities", "Amenities", "admin-amenities"),
        (f"/admin/amenities/{clubhouse['id']}", "Edit Clubhouse", "admin-amenity-editor"),
        ("/admin/amenities/new", "New amenity", "admin-amenity-new"),
        ("/admin/blackouts", "Closures", "admin-closures"),
        ("/admin/members", "Members", "admin-members"),
        ("/admin/households", "Households", "admin-households"),
        ("/admin/audit", "Audit trail", "admin-audit"),
    ]
    for path, heading, name in pages:
        visit(page, base + path, heading)
        if "calendar" in name or name == "amenity":
            expect(page.get_by_role("tab", name="Month view")).to_be_visible()
            page.wait_for_load_state("networkidle")
        if name == "admin-members":
            expect(page.get_by_role("button", name=re.compile(r"^Suspend ")).first).to_be_visible()
        check_a11y(page, name)
        screenshot(page, f"desktop-{name}")

    # Week and day views of the calendar, in the community's time zone.
    visit(page, base + "/calendar", "Calendar")
    page.get_by_role("tab", name="Week view").click()
    page.wait_for_load_state("networkidle")
    check_a11y(page, "calendar-week")
    screenshot(page, "desktop-calendar-week")
    page.get_by_role("tab", name="Day view").click()
    page.wait_for_load_state("networkidle")
    screenshot(page, "desktop-calendar-day")


def test_resident_pages_at_phone_width(
    browser: Browser, browser_context_args: dict[str, Any], api: Any
) -> None:
    bbq = api(RESIDENT).amenity("BBQ Area")
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}
    )
    context.add_init_script(path=AXE)
    page = context.new_page()
    errors = watch(page)
    try:
        visit(page, "/signin", "Sign in")
        screenshot(page, "phone-signin")
        base = sign_in(page, RESIDENT)
        for path, heading, name in [
            ("", re.compile(r"^Hello, "), "home-top"),
            ("/book", "Book an amenity", "book-choose"),
            (f"/book?amenity={bbq['id']}", "Book BBQ Area", "book-bbq-empty"),
            ("/calendar", "Calendar", "calendar"),
            ("/reservations", "My reservations", "reservations"),
            ("/account", "Your account", "account"),
        ]:
            visit(page, base + path, heading)
            if name == "calendar":
                expect(page.get_by_role("tab", name="Day view")).to_be_visible()
                page.wait_for_load_state("networkidle")
            check_a11y(page, f"phone {name}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name} scrolls sideways: {width}px"
            screenshot(page, f"phone-{name}")
        assert not errors.messages, errors.messages
    finally:
        context.close()


def test_keyboard_only_sign_in_and_navigation(page: Page) -> None:
    page.goto("/signin")
    expect(page.get_by_label("Email")).to_be_visible()
    focus_ring = "() => getComputedStyle(document.activeElement).outlineStyle"
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    assert page.evaluate(focus_ring) != "none"
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    assert page.evaluate(focus_ring) != "none"
    page.keyboard.type(RESIDENT)
    page.keyboard.press("Tab")
    page.keyboard.type("maple-grove-demo")
    page.keyboard.press("Enter")
    page.wait_for_url("**/c/*")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")

    book = page.get_by_role("navigation", name="Main").get_by_role("link", name="Book", exact=True)
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == "Book":
            break
    expect(book).to_be_focused()
    assert page.evaluate(focus_ring) != "none"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Book an amenity")).to_be_visible()


def test_offline_shows_the_last_loaded_reservations(
    browser: Browser, browser_context_args: dict[str, Any]
) -> None:
    context = browser.new_context(**{**browser_context_args, "service_workers": "allow"})
    page = context.new_page()
    try:
        base = sign_in(page, RESIDENT)
        visit(page, base + "/reservations", "My reservations")
        first = page.locator("[data-reservation-id]").first
        expect(first).to_be_visible()
        shown = first.get_attribute("data-reservation-id")
        page.wait_for_function(
            "() => navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)",
            timeout=30_000,
        )
        context.set_offline(True)
        page.reload()
        expect(page.get_by_role("status").filter(has_text="You're offline")).to_be_visible()
        expect(page.locator(f'[data-reservation-id="{shown}"]')).to_be_visible()
        expect(page.get_by_role("button", name=re.compile(r"^Cancel ")).first).to_be_disabled()
        screenshot(page, "desktop-offline")
    finally:
        context.set_offline(False)
        context.close()


@pytest.fixture
def http(live_server: str) -> Any:
    with httpx.Client(base_url=live_server, timeout=10) as client:
        yield client


def test_built_app_caching_and_fallbacks(http: httpx.Client) -> None:
    index = http.get("/c/whatever/calendar")
    assert index.status_code == 200
    assert index.headers["cache-control"] == "no-cache"
    assert "<script" in index.text
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", index.text) is None, "no inline scripts"
    entry = re.search(r'src="(/assets/index-[^"]+\.js)"', index.text)
    assert entry is not None
    asset = http.get(entry.group(1), headers={"Accept-Encoding": "gzip"})
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert asset.headers["content-encoding"] == "gzip"
    assert http.get("/sw.js").headers["cache-control"] == "no-cache"
    manifest = http.get("/manifest.webmanifest").json()
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    missing = http.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_an_expired_session_is_refreshed_silently(page: Page, context: Any) -> None:
    base = sign_in(page, RESIDENT)
    # The short-lived session cookie is gone (expired); the refresh cookie is still there.
    context.clear_cookies(name="hoa_session")
    page.goto(base + "/reservations")
    expect(page.locator("[data-reservation-id]").first).to_be_visible()
    assert page.url.endswith(base + "/reservations"), page.url
    assert any(c["name"] == "hoa_session" for c in context.cookies())


def test_api_docs_work_without_the_internet(page: Page) -> None:
    """Swagger UI's files come from the app: with every non-loopback request refused, the
    docs still list the operations (and no page error or CSP violation is logged)."""
    outside: list[str] = []

    def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", loopback_only)
    page.goto("/api/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/auth/login")).to_be_visible()
    assert not outside
