"""End-to-end harness: the built web app served by a real ``hoa serve`` on a temporary SQLite
database loaded with ``hoa seed-demo``, driven by Playwright in Debian's Chromium.

Runs on the SQLite pass (skipped on the PostgreSQL pass). Without ``web/dist`` or Chromium the
tests are skipped locally and fail in CI (``CI=true``). Screenshots go to ``test-artifacts/``.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from hoa.core.database import create_sync_engine
from hoa.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
WEB_DIST = ROOT / "web" / "dist"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "maple-grove-demo"
TIMEZONE = "America/New_York"  # Maple Grove's
# The browser runs in another time zone than the community, so that showing times in the
# community's zone is actually tested.
BROWSER_TIMEZONE = "Europe/Berlin"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
expect.set_options(timeout=10_000)  # a busy two-core CI machine
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """The end-to-end tests use their own server and database: nothing to clean, and no
    asyncio fixture may run while Playwright's sync API owns the event loop."""


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="package")
def outbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the server's emails land (the outbox backend, delivered by its embedded worker)."""
    return tmp_path_factory.mktemp("outbox")


@pytest.fixture(scope="package")
def live_server(
    backend: str, tmp_path_factory: pytest.TempPathFactory, outbox: Path
) -> Iterator[str]:
    if backend != "sqlite":
        pytest.skip("the end-to-end tests run on the SQLite pass")
    if not (WEB_DIST / "index.html").is_file():
        _unavailable("web/dist is missing: build the web app first (make web)")
    if not Path(CHROMIUM).exists():
        _unavailable("Chromium is missing: apt-get install chromium")
    if not AXE.is_file():
        _unavailable("axe-core is missing: cd web && npm ci")
    db = tmp_path_factory.mktemp("e2e") / "e2e.db"
    port = _free_port()
    env = {
        **os.environ,
        "HOA_ENV": "development",
        "HOA_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "HOA_WEB_DIST": str(WEB_DIST),
        "HOA_DEMO_PASSWORD": PASSWORD,
        "HOA_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HOA_EMAIL__OUTBOX_DIR": str(outbox),
        "HOA_METRICS__DIR": str(db.parent / "metrics"),
        # Every test signs in from the same address: lift the sign-in and API rate limits.
        "HOA_RATE_LIMIT__AUTH_PER_IP": "10000/minute",
        "HOA_RATE_LIMIT__AUTH_PER_ACCOUNT": "10000/minute",
        "HOA_RATE_LIMIT__API": "100000/minute",
    }
    for command in (["migrate"], ["seed-demo"]):
        subprocess.run(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "hoa", *command],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
    log = (db.parent / "server.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "hoa", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"hoa serve exited: {(db.parent / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("hoa serve did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="package")
def server_settings(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The live server's settings as far as the tests need them: its database, and the same
    secret (both come from this process's environment) to sign links with."""
    db = next(tmp_path_factory.getbasetemp().glob("e2e*/e2e.db"))
    return Settings(database_url=f"sqlite+aiosqlite:///{db}", public_url=live_server)


@pytest.fixture(scope="package")
def db(server_settings: Settings) -> Iterator[sa.Engine]:
    """The live server's database, synchronously (Playwright's sync API owns the event loop)."""
    engine = create_sync_engine(server_settings)
    yield engine
    engine.dispose()


@pytest.fixture(scope="package")
def browser(live_server: str) -> Iterator[Browser]:
    # Package scope: Playwright's sync API holds an event loop while it runs, so it must be
    # stopped before the asyncio tests of other packages.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def browser_context_args(live_server: str) -> dict[str, Any]:
    return {
        "base_url": live_server,
        "viewport": DESKTOP,
        "locale": "en-US",
        "timezone_id": BROWSER_TIMEZONE,
        "service_workers": "block",  # the PWA's worker must not cache test runs
    }


class ConsoleErrors:
    """Errors the page logged: a CSP violation or an uncaught exception fails the test."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def on_console(self, message: ConsoleMessage) -> None:
        # Chromium logs every 4xx/5xx response as an error; the tests provoke some on purpose.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.messages.append(message.text)

    def on_page_error(self, error: Exception) -> None:
        self.messages.append(f"uncaught: {error}")


def watch(page: Page) -> ConsoleErrors:
    errors = ConsoleErrors()
    page.on("console", errors.on_console)
    page.on("pageerror", errors.on_page_error)
    return errors


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def context(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[BrowserContext]:
    context = browser.new_context(**browser_context_args)
    context.add_init_script(path=AXE)  # via CDP, so the page's CSP does not apply to it
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    errors = watch(page)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        screenshot(page, f"failed-{request.node.name}")
    assert not errors.messages, errors.messages


def sign_in(page: Page, email: str) -> str:
    """Signs in through the form; returns the community's base path (/c/<id>)."""
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/c/*")
    page.get_by_role("heading", level=1).first.wait_for()
    return "/c/" + page.url.split("/c/", 1)[1].split("/")[0]


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # sticky headers otherwise land mid-page
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def check_a11y(page: Page, name: str) -> None:
    """axe-core on the page as it is: no serious or critical violations."""
    page.wait_for_function("() => window.axe !== undefined")
    result = page.evaluate(
        """async () => {
            const r = await window.axe.run(document, {
                resultTypes: ['violations'],
                runOnly: { type: 'tag', values: [
                    'wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
            })
            return r.violations
              .filter((v) => v.impact === 'serious' || v.impact === 'critical')
              .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                             nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))
        }"""
    )
    assert not result, f"{name}: {json.dumps(result, indent=2)}"


class Api:
    """The API as a demo user, with a bearer token (arranging data the UI then shows)."""

    def __init__(self, base_url: str, email: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30)
        r = self.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        r.raise_for_status()
        self.client.cookies.clear()
        self.client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        me = self.client.get("/api/v1/me").json()
        self.community_id = me["memberships"][0]["community_id"]
        self.base = f"/api/v1/communities/{self.community_id}"

    def get(self, path: str, **params: Any) -> Any:
        r = self.client.get(self.base + path, params=params)
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.client.post(self.base + path, json=body)

    def patch(self, path: str, body: Any) -> httpx.Response:
        return self.client.patch(self.base + path, json=body)

    def amenity(self, name: str) -> dict[str, Any]:
        return next(a for a in self.get("/amenities") if a["name"] == name)


@pytest.fixture(scope="package")
def api(live_server: str) -> Any:
    clients: dict[str, Api] = {}

    def as_user(email: str) -> Api:
        if email not in clients:
            clients[email] = Api(live_server, email)
        return clients[email]

    yield as_user
    for c in clients.values():
        c.client.close()


def approve_join(api: Any, email: str) -> None:
    """Oak Ridge's office lets in the account that asked to join with the code (a sign-up's
    request is made just after its answer, so it is waited for)."""
    oak = api("admin@oak-ridge.example")
    deadline = time.monotonic() + 30
    while not (requests := [r for r in oak.get("/join-requests") if r["email"] == email]):
        assert time.monotonic() < deadline, f"no request to join from {email}"
        time.sleep(0.2)
    [request] = requests
    assert oak.post(f"/join-requests/{request['id']}/approve", {}).status_code == 200
