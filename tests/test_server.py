"""The real server: `hoa serve` with two worker processes, hit by parallel clients."""

import asyncio
import os
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

from hoa.settings import Settings
from tests.factories import PASSWORD, World, local


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "HOA_ENV": "test",
        "HOA_DATABASE_URL": settings.database_url,
        "HOA_SECRET_KEY": settings.secret_key.get_secret_value(),
        "HOA_JOBS__QUEUE_PATH": str(tmp_path / "jobs.db"),
        "HOA_EMAIL__OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "hoa", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("server did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


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
