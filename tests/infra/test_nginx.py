"""ops/nginx as shipped, in front of real `hoa serve` processes: headers, caching, gzip, body
limit, client address, retries of idempotent requests only, and the blue-green switch."""

import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from hoa.core.settings import Settings
from tests.infra.conftest import EmailSink, make_dist, scaled_env
from tests.infra.support import App, Nginx, free_port, serve, service_dir

pytestmark = pytest.mark.usefixtures("postgres_only")


class Closer:
    """An upstream that reads a request and hangs up without answering (a crashed process)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                head = conn.recv(65536).split(b"\r\n", 1)[0].decode()
                if head:
                    self.requests.append(head)

    def close(self) -> None:
        self.listener.close()


@dataclass
class Stack:
    nginx: Nginx
    blue: int
    green: int
    closer: Closer


@pytest.fixture(scope="module")
def stack(backend: str, settings: Settings, redis_url: str) -> Iterator[Stack]:
    if backend != "postgres":
        pytest.skip("an infrastructure test of the scaled shape: run it with --db postgres")
    sink = EmailSink()
    closer = Closer()
    with service_dir() as folder:
        dist = make_dist(folder)
        env = {
            **scaled_env(settings, redis_url, sink, dist),
            "HOA_RATE_LIMIT__AUTH_PER_IP": "2/minute",
        }
        blue, green = free_port(), free_port()
        apps: list[App] = [serve(blue, env, folder), serve(green, env, folder)]
        # blue: the app and a process that hangs up; green: the app and a port nobody serves
        nginx = Nginx(folder, blue=[blue, closer.port], green=[green, free_port()], dist=dist)
        try:
            yield Stack(nginx, blue, green, closer)
        finally:
            nginx.stop()
            for app in apps:
                app.stop()
            closer.close()
            sink.close()


@pytest.fixture(scope="module")
def redis_url() -> str:
    from tests.hardening.test_rate_limits import REDIS_URL

    return REDIS_URL


def _upstream_of(stack: Stack, request_id: str) -> str:
    """The upstream address(es) nginx logged for a request (written just after the response)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for line in (stack.nginx.prefix / "logs" / "hoa.log").read_text().splitlines():
            if f"request_id={request_id}" in line:
                return re.search(r'upstream="([^"]*)"', line).group(1)  # type: ignore[union-attr]
        time.sleep(0.05)
    raise AssertionError(f"no log line for {request_id}")


def test_only_idempotent_requests_move_to_another_process(stack: Stack) -> None:
    """blue = [app, a process that hangs up after reading]: a POST it swallowed is a 502,
    never sent a second time; GETs it failed are answered by the app. (First in this file:
    nginx has not yet lowered that process's weight for earlier failures.)"""
    url = stack.nginx.url
    assert stack.nginx.ctl("live") == "blue"
    posts: list[int] = []
    while len(posts) < 6 and 502 not in posts:
        posts.append(
            httpx.post(f"{url}/api/v1/auth/refresh", json={"refresh_token": "x" * 40}).status_code
        )
    assert posts[-1] == 502 and set(posts[:-1]) <= {401}, posts
    assert [line for line in stack.closer.requests if line.startswith("POST")] == [
        "POST /api/v1/auth/refresh HTTP/1.1"
    ]
    gets: list[int] = []
    while len(gets) < 10 and not any(line.startswith("GET") for line in stack.closer.requests):
        gets.append(httpx.get(f"{url}/healthz").status_code)
    assert any(line.startswith("GET /healthz") for line in stack.closer.requests), gets
    assert set(gets) == {200}, gets


def test_request_id_passed_through_or_made(stack: Stack) -> None:
    url = stack.nginx.url
    made = httpx.get(f"{url}/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert f"request_id={made}" in (stack.nginx.prefix / "logs" / "hoa.log").read_text()
    mine = f"trace-{uuid.uuid4().hex[:8]}"
    assert (
        httpx.get(f"{url}/healthz", headers={"X-Request-ID": mine}).headers["x-request-id"] == mine
    )
    forged = httpx.get(f"{url}/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["x-request-id"])


def test_web_app_caching_and_compression(stack: Stack) -> None:
    url = stack.nginx.url
    asset = httpx.get(f"{url}/assets/app-3f9a1c.js", headers={"Accept-Encoding": "gzip"})
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert asset.headers["content-encoding"] == "gzip"  # the build's .gz, sent as is
    assert "export const greeting" in asset.text
    assert httpx.get(f"{url}/assets/app-000000.js").status_code == 404
    for page in ("/", "/reservations/mine"):  # index.html, from the app with its CSP
        index = httpx.get(f"{url}{page}")
        assert index.status_code == 200 and "<div id=root>" in index.text
        assert index.headers["cache-control"] == "no-cache"
        assert "script-src 'self'" in index.headers["content-security-policy"]
    spec = httpx.get(f"{url}/api/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert spec.headers["content-encoding"] == "gzip"
    assert spec.json()["info"]["title"] == "hoa"


def test_body_limit_matches_the_app(stack: Stack) -> None:
    too_big = b"x" * (1024 * 1024 + 1)
    r = httpx.post(f"{stack.nginx.url}/api/v1/auth/login", content=too_big)
    assert r.status_code == 413


def test_client_address_reaches_the_rate_limits(stack: Stack) -> None:
    """The app sees each client's address (X-Forwarded-For from a trusted nginx): one client
    running out of sign-in attempts leaves another untouched."""
    url = f"{stack.nginx.url}/api/v1/auth/login"
    body = {"email": "nobody@example.com", "password": "wrong-password-123"}
    first, second = "203.0.113.7", "203.0.113.8"
    codes = [
        httpx.post(url, json=body, headers={"X-Forwarded-For": first}).status_code for _ in range(3)
    ]
    assert codes[-1] == 429, codes
    assert httpx.post(url, json=body, headers={"X-Forwarded-For": second}).status_code == 401


def test_blue_green_switch_and_back(stack: Stack) -> None:
    url = stack.nginx.url

    def upstream() -> str:
        request_id = uuid.uuid4().hex
        assert httpx.get(f"{url}/healthz", headers={"X-Request-ID": request_id}).status_code == 200
        return _upstream_of(stack, request_id)

    assert stack.nginx.ctl("switch", "green") == "live: green"
    assert stack.nginx.ctl("live") == "green"
    # green's second server is a port nobody serves: nginx moves on (passive health check)
    assert {upstream().split(", ")[-1] for _ in range(4)} == {f"127.0.0.1:{stack.green}"}
    assert stack.nginx.ctl("switch", "blue") == "live: blue"
    assert stack.nginx.ctl("live") == "blue"
    seen = {upstream().split(", ")[-1] for _ in range(4)}
    assert f"127.0.0.1:{stack.blue}" in seen and f"127.0.0.1:{stack.green}" not in seen
