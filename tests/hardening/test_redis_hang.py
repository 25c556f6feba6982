"""A hung Redis (a server of the test's own, stopped with SIGSTOP: connections are accepted,
nothing is answered) costs requests a few milliseconds: the circuit breaker skips Redis after
the first timeouts, rate limits count on the local store and deliveries wait for the sweep;
once Redis answers again it is used again."""

import asyncio
import itertools
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI

from hoa.core.settings import RedisSettings, Settings
from hoa.main import create_app
from tests.conftest import Api, sign_in
from tests.factories import World, local
from tests.hardening.support import running
from tests.infra.support import free_port, need
from tests.reservations.test_reservations import booking

HANG_SECONDS = 3.0
CLIENTS = 4
RETRY_SECONDS = 0.5


@pytest.fixture
def own_redis() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    program = need("redis-server", "redis-server")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - Debian's redis-server, fixed arguments
        [program, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_timeout=1)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield server, f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        server.send_signal(signal.SIGCONT)
        server.terminate()
        server.wait(10)


@pytest.fixture
async def hoa_on(
    settings: Settings, own_redis: tuple[subprocess.Popen[bytes], str]
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    _, url = own_redis
    app = create_app(
        settings.model_copy(
            update={"redis_url": url, "redis": RedisSettings(retry_seconds=RETRY_SECONDS)}
        )
    )
    async with running(app) as client:
        yield app, client


async def _book_until(resident: Api, world: World, slots: Iterator[Any], deadline: float) -> int:
    """Bookings of free slots, one after another, that completed before ``deadline``."""
    done = 0
    while time.monotonic() < deadline:
        r = await resident.post("/reservations", booking(world, "court", next(slots), hours=0.5))
        if time.monotonic() < deadline:
            assert r.status_code == 201, r.text
            done += 1
    return done


def _breaker_open(exposition: str) -> float:
    [line] = [x for x in exposition.splitlines() if x.startswith("hoa_redis_breaker_open ")]
    return float(line.split()[1])


async def test_a_hung_redis_costs_requests_a_few_milliseconds(
    hoa_on: tuple[FastAPI, httpx.AsyncClient],
    world: World,
    own_redis: tuple[subprocess.Popen[bytes], str],
) -> None:
    app, client = hoa_on
    server, url = own_redis
    resident = Api(client, await sign_in(client, world.emails["resident"]), world.community.id)
    slots = (
        local(day, 6) + timedelta(minutes=30 * half)
        for day, half in itertools.product(range(1, 60), range(32))
    )
    with redis.Redis.from_url(url) as direct:
        assert direct.keys("hoa:ratelimit*")  # the sign-in was counted there
    r = await resident.post("/reservations", booking(world, "court", next(slots), hours=0.5))
    assert r.status_code == 201
    assert app.state.jobs.huey.pending_count() == 1  # its delivery went to Redis

    server.send_signal(signal.SIGSTOP)
    deadline = time.monotonic() + HANG_SECONDS

    async def readyz() -> tuple[httpx.Response, bool]:
        await asyncio.sleep(HANG_SECONDS / 3)
        ready = await client.get("/readyz")
        return ready, time.monotonic() < deadline

    *done, (ready, in_time) = await asyncio.gather(
        *(_book_until(resident, world, slots, deadline) for _ in range(CLIENTS)), readyz()
    )
    assert sum(done) >= 20, done  # 0 without the breaker; ≈100 with a healthy Redis
    assert in_time  # it took 5 s without the breaker
    assert ready.status_code == 200 and ready.json()["queue"] == {"status": "down"}
    assert _breaker_open((await client.get("/metrics")).text) == 1

    server.send_signal(signal.SIGCONT)
    await asyncio.sleep(RETRY_SECONDS)
    # The next call is a trial; it answers, so the breaker closes.
    r = await resident.post("/reservations", booking(world, "court", next(slots), hours=0.5))
    assert r.status_code == 201
    assert _breaker_open((await client.get("/metrics")).text) == 0
    before = app.state.jobs.huey.pending_count()
    r = await resident.post("/reservations", booking(world, "court", next(slots), hours=0.5))
    assert r.status_code == 201
    assert app.state.jobs.huey.pending_count() == before + 1  # deliveries are enqueued again
    assert (await client.get("/readyz")).json()["queue"]["status"] == "ok"
