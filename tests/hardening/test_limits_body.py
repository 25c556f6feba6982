import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from hoa.core.middleware import nesting_exceeds
from hoa.core.settings import Settings
from hoa.main import create_app
from tests.hardening.support import running, with_settings

LOGIN = "/api/v1/auth/login"


def nested(depth: int) -> str:
    return '{"a":' * (depth - 1) + "[]" + "}" * (depth - 1)


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


@pytest.fixture
async def small(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app that takes bodies up to 1 KiB."""
    async with running(create_app(with_settings(settings, max_body_bytes=1024))) as client:
        yield client


def assert_too_large(r: httpx.Response, **details: Any) -> None:
    assert r.status_code == 413, r.text
    error = r.json()["error"]
    assert error["code"] == "payload_too_large" and error["details"] == details
    assert error["request_id"] == r.headers["x-request-id"]


async def test_a_declared_length_over_the_limit_is_refused_up_front(
    small: httpx.AsyncClient,
) -> None:
    body = json.dumps({"email": "a@example.com", "password": "x" * 2000})
    assert_too_large(
        await small.post(LOGIN, content=body, headers={"Content-Type": "application/json"}),
        max_bytes=1024,
    )


async def test_a_streamed_body_is_counted_as_it_arrives(small: httpx.AsyncClient) -> None:
    r = await small.post(
        LOGIN, content=chunks(b'{"email": "', b"a" * 600, b"a" * 600, b'"}'), headers={}
    )
    assert r.request.headers["transfer-encoding"] == "chunked"
    assert_too_large(r, max_bytes=1024)


async def test_bodies_within_the_limit_reach_the_route(small: httpx.AsyncClient) -> None:
    streamed = await small.post(LOGIN, content=chunks(b'{"email": ', b'"x"}'))
    assert streamed.status_code == 422  # validated by the route, not refused
    at_limit = json.dumps({"email": "a@example.com", "password": "x"}).ljust(1024)
    r = await small.post(LOGIN, content=at_limit, headers={"Content-Type": "application/json"})
    assert r.status_code == 401  # read in full: wrong credentials


async def test_deeply_nested_json_is_refused(client: httpx.AsyncClient) -> None:
    headers = {"Content-Type": "application/json"}
    assert_too_large(await client.post(LOGIN, content=nested(33), headers=headers), max_depth=32)
    # Deep enough to exhaust a recursive parser's stack.
    assert_too_large(
        await client.post(LOGIN, content="[" * 200_000 + "]" * 200_000, headers=headers),
        max_depth=32,
    )
    assert (await client.post(LOGIN, content=nested(32), headers=headers)).status_code == 422


def test_nesting_is_measured_outside_strings() -> None:
    assert not nesting_exceeds(b'{"note": "' + b"[{" * 100 + b'"}', 32)
    assert not nesting_exceeds(b'{"a": "\\"[[[[[[[[["}', 2)
    assert nesting_exceeds(nested(4).encode(), 3)
    assert not nesting_exceeds(nested(3).encode(), 3)
    assert not nesting_exceeds(b"[[], [[]], {}, [[], []]]", 3)
    assert nesting_exceeds(b"[[], [[[]]]]", 3)
    assert not nesting_exceeds(b"[" * 40, 32)  # malformed: the parser's to refuse
