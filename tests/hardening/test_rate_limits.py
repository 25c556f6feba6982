"""Rate limits on apps of their own (small limits), in the local store and on a real Redis.

Every test using ``serve`` runs on both storages, the Redis one on both database passes
whenever Redis answers; with ``CI=true`` an unreachable Redis fails them instead of skipping.
"""

import asyncio
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from ipaddress import IPv6Address
from pathlib import Path
from typing import Any

import httpx
import pytest

from hoa.core.settings import RateLimitSettings, RedisSettings, Settings
from hoa.main import create_app
from tests.factories import PASSWORD, World
from tests.infra.support import free_port, local_env, wait_for

REDIS_URL = os.environ.get("HOA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LOGIN, ME = "/api/v1/auth/login", "/api/v1/me"

Serve = Callable[..., AbstractAsyncContextManager[Callable[[str], httpx.AsyncClient]]]


def limited(settings: Settings, **limits: Any) -> RateLimitSettings:
    """These limits, counted in the run's local store (the defaults for the others)."""
    return RateLimitSettings(local_path=settings.rate_limit.local_path, **limits)


def new_ip() -> str:
    """A fresh client address per test, so runs sharing one Redis never share a counter."""
    return str(IPv6Address(uuid.uuid4().int))


async def _redis_answers() -> bool:
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        return bool(await client.ping())
    except (OSError, RedisError):
        return False
    finally:
        await client.aclose()


@pytest.fixture(params=["local", "redis"])
async def storage(request: pytest.FixtureRequest) -> str | None:
    """None for the host's local store, else the Redis URL."""
    if request.param == "local":
        return None
    if not await _redis_answers():
        message = f"Redis is not reachable at {REDIS_URL}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return REDIS_URL


@pytest.fixture
def serve(settings: Settings, storage: str | None) -> Serve:
    """``async with serve(api=..., ...) as client_from:`` an app with these rate limits;
    ``client_from(ip)`` is a client whose requests come from ``ip``."""

    @asynccontextmanager
    async def run(**limits: Any) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
        app = create_app(
            settings.model_copy(
                update={
                    "rate_limit": limited(settings, **limits),
                    "redis_url": storage,
                    # Counting is tested here, not outages (test_redis_hang.py): on a loaded
                    # test machine a stalled event loop must not send a hit to the fallback.
                    "redis": RedisSettings(timeout_ms=2000),
                }
            )
        )
        clients: list[httpx.AsyncClient] = []

        def client_from(ip: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app, client=(ip, 40000))
            clients.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
            return clients[-1]

        async with app.router.lifespan_context(app):
            try:
                yield client_from
            finally:
                for client in clients:
                    await client.aclose()

    return run


async def test_the_api_limit_counts_per_client_ip(serve: Serve) -> None:
    async with serve(api="3/minute") as client_from:
        first, second = client_from(new_ip()), client_from(new_ip())
        for _ in range(3):
            assert (await first.get(ME)).status_code == 401  # unauthenticated calls count too
        limited = await first.get(ME)
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert limited.headers["RateLimit-Limit"] == "3"
        assert limited.headers["RateLimit-Remaining"] == "0"
        assert 0 < int(limited.headers["Retry-After"]) <= 60
        assert limited.headers["RateLimit-Reset"] == limited.headers["Retry-After"]
        assert (await second.get(ME)).status_code == 401
        assert (await first.get("/healthz")).status_code == 200  # only /api/v1 is limited


async def test_forwarded_for_counts_only_behind_a_trusted_proxy(serve: Serve) -> None:
    proxy = "10.1.2.3"
    async with serve(api="2/minute", trusted_proxies=["10.0.0.0/8"]) as client_from:
        via_proxy, direct = client_from(proxy), client_from(new_ip())
        alice, bob = new_ip(), new_ip()
        # the proxy appends the address it saw; whatever the client sent is further left
        alice_hops = {"X-Forwarded-For": f"{bob}, {alice}, 10.9.9.9"}
        for _ in range(2):
            assert (await via_proxy.get(ME, headers=alice_hops)).status_code == 401
        assert (await via_proxy.get(ME, headers=alice_hops)).status_code == 429
        assert (await via_proxy.get(ME, headers={"X-Forwarded-For": bob})).status_code == 401
        # an untrusted peer cannot pick its identity
        for _ in range(2):
            r = await direct.get(ME, headers={"X-Forwarded-For": new_ip()})
            assert r.status_code == 401
        assert (await direct.get(ME, headers={"X-Forwarded-For": new_ip()})).status_code == 429


async def test_sign_in_is_limited_per_ip_and_per_account(serve: Serve, world: World) -> None:
    email = world.emails["resident"]
    async with serve(auth_per_ip="5/minute", auth_per_account="5/minute") as client_from:
        attacker = client_from(new_ip())
        for _ in range(5):
            r = await attacker.post(LOGIN, json={"email": email, "password": "wrong-wrong"})
            assert r.status_code == 401
        limited = await attacker.post(LOGIN, json={"email": email, "password": PASSWORD})
        assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
        assert "Retry-After" in limited.headers
        # the same IP is limited on other accounts too
        other = {"email": world.emails["neighbor"], "password": PASSWORD}
        assert (await attacker.post(LOGIN, json=other)).status_code == 429
        # and the account from any other IP (unknown emails alike, so nothing is disclosed)
        elsewhere = client_from(new_ip())
        r = await elsewhere.post(LOGIN, json={"email": email.upper(), "password": PASSWORD})
        assert r.status_code == 429
        assert (await elsewhere.post(LOGIN, json=other)).status_code == 200


async def test_password_change_invitation_and_join_are_limited(serve: Serve, world: World) -> None:
    async with serve(auth_per_ip="2/minute", auth_per_account="2/minute") as client_from:
        resident = client_from(new_ip())
        r = await resident.post(
            LOGIN, json={"email": world.emails["resident"], "password": PASSWORD}
        )
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        change = {"current_password": "wrong-wrong", "new_password": "tuna kettle orbit lamp"}
        statuses = []
        for _ in range(3):  # from a new address each time: the account's limit still holds
            roaming = client_from(new_ip())
            response = await roaming.post("/api/v1/auth/password", json=change, headers=auth)
            statuses.append(response.status_code)
        assert statuses == [401, 401, 429]

        guesser = client_from(new_ip())
        accept = {"token": "x" * 40, "name": "Guess", "password": "tuna kettle orbit lamp"}
        statuses = [
            (await guesser.post("/api/v1/invitations/accept", json=accept)).status_code
            for _ in range(3)
        ]
        assert statuses == [404, 404, 429]
        join = {
            "code": "NOPE1234",
            "household_label": "Lot 1",
            "email": "guess@example.com",
            "name": "Guess",
            "password": "tuna kettle orbit lamp",
        }
        statuses = [
            (await guesser.post("/api/v1/join/signup", json=join)).status_code for _ in range(3)
        ]
        assert statuses == [404, 404, 429]


async def test_concurrent_hits_never_exceed_the_limit(serve: Serve) -> None:
    async with serve(api="5/minute") as client_from:
        client = client_from(new_ip())
        responses = await asyncio.gather(*(client.get(ME) for _ in range(12)))
    assert sorted(r.status_code for r in responses) == [401] * 5 + [429] * 7


async def test_counts_are_shared_by_app_processes(serve: Serve) -> None:
    ip = new_ip()  # on Redis, or in the host's local store
    async with serve(api="3/minute") as one, serve(api="3/minute") as two:
        for _ in range(3):
            assert (await one(ip).get(ME)).status_code == 401
        assert (await two(ip).get(ME)).status_code == 429


async def test_an_unreachable_redis_falls_back_to_local_counters(settings: Settings) -> None:
    broken = settings.model_copy(
        update={
            "rate_limit": limited(settings, api="1/minute"),
            "redis_url": "redis://127.0.0.1:1/0",
        }
    )
    app = create_app(broken)
    transport = httpx.ASGITransport(app=app, client=(new_ip(), 40000))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        assert [(await client.get(ME)).status_code for _ in range(2)] == [401, 429]


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="rate limit"):
        RateLimitSettings(api="lots")


@pytest.fixture
def two_processes(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """``hoa serve --workers 2`` without Redis, trusting 127.0.0.1's X-Forwarded-For so a
    test can pick its clients' addresses."""
    port = free_port()
    env = local_env(settings, tmp_path, HOA_RATE_LIMIT__TRUSTED_PROXIES='["127.0.0.1/32"]')
    env.pop("HOA_REDIS_URL", None)
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "hoa", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=None,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/readyz", timeout=90)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


async def test_limits_hold_across_the_processes_of_one_host(
    two_processes: str, world: World
) -> None:
    # A new connection per request, so the two processes share the requests.
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=two_processes, limits=fresh, timeout=60) as client:
        client_ip = {"X-Forwarded-For": new_ip()}
        api = await asyncio.gather(*(client.get(ME, headers=client_ip) for _ in range(150)))
        # One account guessed from ten addresses, one attempt each.
        guess = {"email": world.emails["resident"], "password": "wrong-wrong"}
        sign_ins = await asyncio.gather(
            *(
                client.post(LOGIN, json=guess, headers={"X-Forwarded-For": new_ip()})
                for _ in range(10)
            )
        )
    assert Counter(r.status_code for r in sign_ins) == {401: 5, 429: 5}
    assert Counter(r.status_code for r in api) == {401: 100, 429: 50}  # HOA_RATE_LIMIT__API
