"""Health probes, the OpenAPI document, and the envelope and request id every response carries."""

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from hoa.api import ROUTERS
from hoa.core.settings import Env, MetricsSettings, Settings
from hoa.main import create_app
from hoa.web.rum import rum_router
from hoa.worker import make_huey
from tests.factories import World, local
from tests.hardening.support import production, running
from tests.reservations.test_reservations import booking

HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}


@pytest.fixture
async def dead_db_client() -> AsyncIterator[httpx.AsyncClient]:
    """The app over a database that refuses connections (nothing listens on port 1)."""
    settings = Settings(
        env=Env.TEST,
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/nothing",
        secret_key="test-secret-test-secret-test-secret-0123",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_healthz_answers_without_touching_the_database(
    dead_db_client: httpx.AsyncClient,
) -> None:
    r = await dead_db_client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    # readiness does look, and says so
    ready = await dead_db_client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "database": "down"}


async def test_readyz_checks_the_database_and_reports_the_queue(
    client: httpx.AsyncClient, as_user: Any, world: World, app: FastAPI
) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["database"] == "ok" and r.json()["queue"]["status"] == "ok"
    assert r.json()["outbox"] == {"pending": 0, "sending": 0, "failed": 0}
    assert (await client.get("/healthz")).status_code == 200

    resident = await as_user("resident")
    assert (
        await resident.post("/reservations", booking(world, "court", local(2, 10)))
    ).status_code == 201
    ready = (await client.get("/readyz")).json()
    # the test app consumes nothing: the confirmation waits in the outbox and in the queue
    assert ready["outbox"]["pending"] == 1 and ready["queue"]["queued"] >= 1

    # a queue outage is reported, but the app stays ready: bookings still go through
    huey, app.state.jobs.huey = (
        app.state.jobs.huey,
        make_huey(app.state.settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})),
    )
    try:
        r = await client.get("/readyz")
    finally:
        app.state.jobs.huey = huey
    assert r.status_code == 200 and r.json()["queue"] == {"status": "down"}


async def test_readyz_details_are_for_scrapers_only(settings: Settings, world: World) -> None:
    """Like /metrics: with a token, only its bearer sees the details; in production without
    one, nobody does. Everyone else gets the bare status."""
    token = "scrape-token-scrape-token-0123456789"
    guarded = production(settings, metrics=MetricsSettings(token=token))
    closed = production(settings)
    for shape, allowed in ((guarded, {"Authorization": f"Bearer {token}"}), (closed, None)):
        app = create_app(shape)
        async with running(app) as client:
            public = await client.get("/readyz")
            assert public.status_code == 200 and public.json() == {"status": "ok"}
            wrong = await client.get("/readyz", headers={"Authorization": "Bearer nope"})
            assert wrong.json() == {"status": "ok"}
            if allowed:
                detailed = (await client.get("/readyz", headers=allowed)).json()
                assert detailed["database"] == "ok" and "outbox" in detailed
            app.state.draining = True
            draining = await client.get("/readyz")
            assert draining.status_code == 503 and draining.json() == {"status": "unavailable"}


async def test_openapi_names_every_operation_tag_dash_function(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    operations = [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]
    assert len(operations) >= 30
    ids = [op["operationId"] for _, _, op in operations]
    assert len(ids) == len(set(ids)), "operation ids are unique"
    for path, method, op in operations:
        assert re.fullmatch(r"[a-z]+-[a-z][a-z0-9_]*", op["operationId"]), (path, method)
        assert op["operationId"].split("-")[0] == op["tags"][0], (path, method)

    # each id is the route's own tag and function name
    by_route = {
        (f"/api/v1{route.path}", method.lower()): f"{route.tags[0]}-{route.endpoint.__name__}"
        for router in (*ROUTERS, rum_router)
        for route in router.routes
        if isinstance(route, APIRoute) and route.include_in_schema
        for method in route.methods or ()
    }
    assert {(path, method) for path, method, _ in operations} == set(by_route)
    for path, method, op in operations:
        assert by_route[(path, method)] == op["operationId"], (path, method)
    assert "reservations-create_reservation" in ids and "members-list_members" in ids


async def test_unknown_api_path_is_a_404_in_the_envelope(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert error["code"] == "not_found" and error["message"]
    request_id = r.headers["x-request-id"]
    assert re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", request_id)
    assert error["request_id"] == request_id
    # every response gets a fresh one
    again = await client.get("/api/v1/no-such-thing")
    assert again.headers["x-request-id"] != request_id


async def test_a_well_formed_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    for sent in ("abc-123", "trace:01HZX.9_z", "x" * 64):
        r = await client.get("/healthz", headers={"X-Request-ID": sent})
        assert r.headers["x-request-id"] == sent
    r = await client.get("/api/v1/no-such-thing", headers={"X-Request-ID": "req-42"})
    assert r.headers["x-request-id"] == "req-42" and r.json()["error"]["request_id"] == "req-42"


async def test_a_malformed_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    for sent in ("x" * 300, "x" * 65, "has spaces in it", "semi;colon", "new\\nline", "tab\there"):
        r = await client.get("/api/v1/no-such-thing", headers={"X-Request-ID": sent})
        replaced = r.headers["x-request-id"]
        assert replaced != sent and re.fullmatch(r"[0-9a-f]{32}", replaced), sent
        assert r.json()["error"]["request_id"] == replaced
