import httpx

from hoa.core.settings import Settings
from hoa.main import create_app
from tests.hardening.support import running, with_settings

APP_ORIGIN = "https://app.example.org"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, x-csrf-token",
}


async def test_only_configured_origins_get_cors_headers(settings: Settings) -> None:
    async with running(create_app(with_settings(settings, cors_origins=[APP_ORIGIN]))) as client:
        allowed = await client.options(
            "/api/v1/auth/login", headers={"Origin": APP_ORIGIN, **PREFLIGHT}
        )
        other = await client.options(
            "/api/v1/auth/login", headers={"Origin": "https://evil.example", **PREFLIGHT}
        )
        simple = await client.get("/healthz", headers={"Origin": APP_ORIGIN})
        foreign = await client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "x-csrf-token" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in other.headers
    assert simple.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-origin" not in foreign.headers


async def test_no_origin_is_allowed_by_default(client: httpx.AsyncClient) -> None:
    r = await client.options("/api/v1/auth/login", headers={"Origin": APP_ORIGIN, **PREFLIGHT})
    assert "access-control-allow-origin" not in r.headers
    r = await client.get("/healthz", headers={"Origin": APP_ORIGIN})
    assert "access-control-allow-origin" not in r.headers
