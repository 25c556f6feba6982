"""Rate limits on apps of their own (small limits), in memory and on a real Redis.

Every test using ``serve`` runs on both storages, the Redis one on both database passes
whenever Redis answers; with ``CI=true`` an unreachable Redis fails them instead of skipping.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from ipaddress import IPv6Address
from typing import Any

import httpx
import pytest

from hoa.core.settings import RateLimitSettings, RedisSettings, Settings
from hoa.main import create_app
from tests.factories import PASSWORD, World

REDIS_URL = os.environ.get("HOA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LOGIN, ME = "/api/v1/auth/login", "/api/v1/me"

Serve = Callable[..., AbstractAsyncContextManager[Callable[[str], httpx.AsyncClient]]]


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


@pytest.fixture(params=["memory", "redis"])
async def storage(request: pytest.FixtureRequest) -> str | None:
    """None for in-process memory, else the Redis URL."""
    if request.param == "memory":
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
                    "rate_limit": RateLimitSettings(**limits),
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


async def test_redis_counts_are_shared_by_app_processes(serve: Serve, storage: str | None) -> None:
    ip = new_ip()
    async with serve(api="3/minute") as one, serve(api="3/minute") as two:
        for _ in range(3):
            assert (await one(ip).get(ME)).status_code == 401
        expected = 429 if storage else 401  # memory counters belong to one process
        assert (await two(ip).get(ME)).status_code == expected


async def test_an_unreachable_redis_falls_back_to_local_counters(settings: Settings) -> None:
    broken = settings.model_copy(
        update={
            "rate_limit": RateLimitSettings(api="1/minute"),
            "redis_url": "redis://127.0.0.1:1/0",
        }
    )
    app = create_app(broken)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        assert [(await client.get(ME)).status_code for _ in range(2)] == [401, 429]


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="rate limit"):
        RateLimitSettings(api="lots")
