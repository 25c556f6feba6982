import json
import logging
from typing import Any

import pytest
import structlog
from fastapi import Request

from hoa.core.settings import Settings
from hoa.main import create_app
from tests.factories import PASSWORD, World
from tests.hardening.support import production, running

PROBE = "/api/v1/communities/{community_id}/probe"


def json_lines(out: str) -> list[dict[str, Any]]:
    """The app's lines; the test client's own (httpx logs each request) are left out."""
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [line for line in lines if not line["event"].startswith("HTTP Request")]


async def test_production_writes_json_lines_with_the_request_context(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(production(settings))

    @app.get(PROBE)
    async def probe(community_id: str, request: Request) -> dict[str, str]:
        request.state.user_id = "user-7"
        structlog.get_logger().info("probe_handled")
        return {}

    async with running(app) as client:
        capsys.readouterr()
        r = await client.get(PROBE.format(community_id="c-42"), headers={"X-Request-ID": "req-1"})
    assert r.status_code == 200
    handled, access = json_lines(capsys.readouterr().out)
    context = {
        "request_id": "req-1",
        "method": "GET",
        "route": PROBE,
        "community_id": "c-42",
        "user_id": "user-7",
    }
    assert handled["event"] == "probe_handled" and handled.items() >= context.items()
    assert access["event"] == "request" and access.items() >= context.items()
    assert access["status"] == 200 and access["level"] == "info"
    assert isinstance(access["duration_ms"], float) and "timestamp" in access


async def test_a_real_route_logs_its_template_and_community(
    settings: Settings, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running(create_app(production(settings))) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"email": world.emails["resident"], "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        capsys.readouterr()
        r = await client.get(
            f"/api/v1/communities/{world.community.id}/reservations", headers=headers
        )
    assert r.status_code == 200
    [access] = json_lines(capsys.readouterr().out)
    assert access["route"] == "/api/v1/communities/{community_id}/reservations"
    assert access["community_id"] == str(world.community.id)
    assert access["request_id"] == r.headers["x-request-id"]


async def test_development_logs_are_readable_lines(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running(create_app(settings)) as client:
        capsys.readouterr()
        r = await client.get("/healthz")
    [line] = [line for line in capsys.readouterr().out.splitlines() if "HTTP Request" not in line]
    assert not line.startswith("{")
    assert "request" in line and f"request_id={r.headers['x-request-id']}" in line
    assert "status=200" in line and "route=/healthz" in line


async def test_configuring_twice_keeps_one_handler_and_routes_stdlib_records(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    create_app(production(settings))
    create_app(production(settings))
    assert [h.get_name() for h in logging.getLogger().handlers].count("hoa") == 1
    capsys.readouterr()
    logging.getLogger("uvicorn.error").warning("from the standard library")
    [line] = json_lines(capsys.readouterr().out)
    assert line["event"] == "from the standard library" and line["level"] == "warning"


async def test_secrets_are_never_logged(
    settings: Settings, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(production(settings))

    @app.post("/boom")
    async def boom(request: Request) -> None:
        # Code that logs what it should not is caught by the redacting processor.
        structlog.get_logger().warning(
            "careless",
            password=PASSWORD,
            headers={"Authorization": request.headers["authorization"]},
            session_cookie=request.cookies.get("hoa_session"),
        )
        raise RuntimeError("boom")

    async with running(app) as client:
        capsys.readouterr()
        login = await client.post(
            "/api/v1/auth/login", json={"email": world.emails["resident"], "password": PASSWORD}
        )
        token = login.json()["access_token"]
        cookie = login.cookies["hoa_session"]
        r = await client.post(
            "/boom?x=1",
            headers={"Authorization": f"Bearer {token}", "Cookie": f"hoa_session={cookie}"},
            json={"password": PASSWORD},
        )
    assert r.status_code == 500
    out = capsys.readouterr().out
    lines = json_lines(out)
    assert {"careless", "unhandled_error"} <= {line["event"] for line in lines}
    assert "[redacted]" in out
    for secret in (PASSWORD, token, cookie):
        assert secret not in out
