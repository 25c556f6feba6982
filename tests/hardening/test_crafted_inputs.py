"""Crafted query values answer 4xx in the error envelope, never 5xx: page cursors that decode
to anything (random bytes, random JSON, datetimes at the ends of the calendar with extreme
offsets) on every paginated route, and dates and instants over their whole range on every
route that takes one. Routes are found in the OpenAPI document, so a new one is covered."""

import base64
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from hoa.models import User
from tests.conftest import sign_in
from tests.factories import World, local


@dataclass(frozen=True)
class Param:
    path: str
    name: str
    format: str  # "cursor", "date" or "date-time"


def _format(schema: dict[str, Any]) -> str | None:
    for option in [schema, *schema.get("anyOf", [])]:
        if option.get("format") in ("date", "date-time"):
            return str(option["format"])
    return None


def _params(app: FastAPI) -> list[Param]:
    found = []
    for path, item in app.openapi()["paths"].items():
        for parameter in item.get("get", {}).get("parameters", []):
            if parameter["in"] != "query":
                continue
            kind = "cursor" if parameter["name"] == "cursor" else _format(parameter["schema"])
            if kind:
                found.append(Param(path, parameter["name"], kind))
    return found


class Caller:
    """Admin GETs with the other parameters of the route valid, one parameter crafted."""

    def __init__(self, client: httpx.AsyncClient, token: str, world: World) -> None:
        self.client, self.world = client, world
        self.headers = {"Authorization": f"Bearer {token}"}

    async def get(self, param: Param, value: str) -> httpx.Response:
        path = param.path.format(
            community_id=self.world.community.id, amenity_id=self.world.amenities["court"].id
        )
        valid = {"start": local(0, 0).isoformat(), "end": local(7, 0).isoformat()}
        valid["date"] = local(1, 0).date().isoformat()
        query = {**(valid if param.path.endswith(("/calendar", "/availability")) else {})}
        query[param.name] = value
        return await self.client.get(path, params=query, headers=self.headers)


def assert_refused_cleanly(r: httpx.Response, value: str) -> None:
    assert r.status_code < 500, (r.request.url, value, r.text)
    if r.status_code >= 400:
        error = r.json()["error"]
        assert error["code"] and error["message"], r.text


@pytest.fixture
async def caller(app: FastAPI, world: World, session: AsyncSession) -> AsyncIterator[Caller]:
    # The admin is a platform operator too, so the operator's routes are crafted at as well.
    await session.execute(
        sa.update(User).where(User.email == world.emails["admin"]).values(is_operator=True)
    )
    await session.commit()
    # A 500 arrives as a response (as a server sends it), not as the test's exception.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Caller(client, await sign_in(client, world.emails["admin"]), world)


def _cursor(value: object) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


OFFSETS = st.builds(
    timezone,
    st.timedeltas(
        min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
    ),
)
EXTREME_INSTANTS = st.one_of(
    st.datetimes(timezones=OFFSETS),
    st.builds(
        lambda end, offset: end.replace(tzinfo=offset),
        st.sampled_from([datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)]),
        OFFSETS,
    ),
).map(datetime.isoformat)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
CURSORS = st.one_of(
    st.binary(max_size=64).map(_cursor),
    JSON.map(_cursor),
    st.tuples(EXTREME_INSTANTS | JSON, st.uuids().map(str) | JSON).map(
        lambda pair: _cursor(list(pair))
    ),
    st.text(max_size=40),
)
bounded = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


async def test_the_reported_inputs_are_refused(app: FastAPI, caller: Caller) -> None:
    params = _params(app)
    cursors = [p for p in params if p.format == "cursor"]
    dates = [p for p in params if p.format == "date"]
    instants = [p for p in params if p.format == "date-time"]
    assert len(cursors) >= 4 and dates and instants, params
    for param in cursors:
        for value in (
            _cursor([date(2030, 1, 1).isoformat(), 5]),
            _cursor(["0001-01-01T00:00:00+23:59", str(uuid.uuid4())]),
            _cursor(["9999-12-31T23:59:59-23:59", str(uuid.uuid4())]),
        ):
            r = await caller.get(param, value)
            assert r.status_code == 422, (param, value, r.text)
            assert r.json()["error"]["code"] == "invalid_cursor"
    for param in dates:
        for value in ("0001-01-01", "9999-12-31"):
            r = await caller.get(param, value)
            assert r.status_code == 422, (param, value, r.text)
            assert r.json()["error"]["code"] == "validation_error"


async def test_a_rules_version_beyond_any_integer_column_is_refused(
    world: World, caller: Caller
) -> None:
    start = local(3, 10)
    body = {
        "amenity_id": str(world.amenities["court"].id),
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "accepted_rules_version": 2**63 + 1,
    }
    r = await caller.client.post(
        f"/api/v1/communities/{world.community.id}/reservations",
        json=body,
        headers=caller.headers,
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error", r.text


@bounded
@given(value=CURSORS)
async def test_any_cursor_is_answered_without_a_server_error(
    app: FastAPI, caller: Caller, value: str
) -> None:
    for param in _params(app):
        if param.format == "cursor":
            assert_refused_cleanly(await caller.get(param, value), value)


@bounded
@given(day=st.dates(), instant=EXTREME_INSTANTS)
async def test_any_date_or_instant_is_answered_without_a_server_error(
    app: FastAPI, caller: Caller, day: date, instant: str
) -> None:
    for param in _params(app):
        if param.format != "cursor":
            value = day.isoformat() if param.format == "date" else instant
            assert_refused_cleanly(await caller.get(param, value), value)
