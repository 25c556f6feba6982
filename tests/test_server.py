"""The real server: `hoa serve` with two worker processes, hit by parallel clients."""

import asyncio
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from hoa.core.settings import Settings
from tests.factories import PASSWORD, World, local
from tests.infra.support import free_port, local_env, wait_for


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[str]:
    process, port = _start_serve(settings, tmp_path, workers=2)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_no_server_header_names_the_product(server: str) -> None:
    for path in ("/healthz", "/api/v1/me", "/nowhere"):
        r = httpx.get(f"{server}{path}")
        assert "server" not in r.headers, (path, r.headers)


async def test_two_processes_fifty_clients_one_booking(server: str, world: World) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=60) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"email": world.emails["resident"], "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        start = local(6, 17)
        body = {
            "amenity_id": str(world.amenities["court"].id),
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        }
        url = f"/api/v1/communities/{world.community.id}/reservations"
        responses = await asyncio.gather(
            *(client.post(url, json=body, headers=headers) for _ in range(50))
        )
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 49}


def _start_serve(
    settings: Settings, tmp_path: Path, workers: int = 1, **extra: str
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    # Counters of its own: the default file under var/ outlives the test, and a rerun within
    # the minute (fifty posts each) would find the API limit spent and answer 429.
    env = local_env(
        settings,
        tmp_path,
        HOA_RATE_LIMIT__AUTH_PER_IP="1000/minute",
        HOA_RATE_LIMIT__LOCAL_PATH=str(tmp_path / "ratelimit.db"),
        **extra,
    )
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "hoa", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:  # worker processes import the app slowly on a busy host
        wait_for(f"http://127.0.0.1:{port}/readyz", timeout=120)
    except AssertionError:
        process.kill()
        raise
    return process, port


SLOW_BODY = b'{"email": "nobody@example.com", "password": "not-the-password"}'


def _open_slow_request(port: int) -> socket.socket:
    """A sign-in whose body is still on its way: in flight until the rest of SLOW_BODY."""
    conn = socket.create_connection(("127.0.0.1", port))
    conn.sendall(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(SLOW_BODY)}\r\n\r\n".encode()
        + SLOW_BODY[:20]
    )
    return conn


def _wait_for_status(process: subprocess.Popen[bytes], port: int, path: str, status: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code == status:
            return
        time.sleep(0.05)
    pytest.fail(f"{path} never answered {status}")


def test_sigterm_drains_in_flight_requests(settings: Settings, tmp_path: Path) -> None:
    process, port = _start_serve(settings, tmp_path, HOA_SERVER__UNREADY_SECONDS="1.5")
    try:
        slow = _open_slow_request(port)
        process.send_signal(signal.SIGTERM)
        # Unready, yet still serving: a load balancer polling /readyz moves away meanwhile.
        _wait_for_status(process, port, "/readyz", 503)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        time.sleep(2)  # past the unready time: no new connections, the slow one still runs
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        slow.sendall(SLOW_BODY[20:])
        answer = slow.recv(65536)
        slow.close()
        assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()


def test_sigterm_stops_waiting_after_the_drain_time(settings: Settings, tmp_path: Path) -> None:
    process, port = _start_serve(settings, tmp_path, HOA_SERVER__DRAIN_SECONDS="2")
    try:
        stuck = _open_slow_request(port)  # never finished
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        assert 1.5 < time.monotonic() - began < 10
        stuck.close()
    finally:
        process.kill()
