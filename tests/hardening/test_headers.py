import httpx

from hoa.core.middleware import CSP
from hoa.core.settings import Settings
from hoa.main import create_app
from tests.factories import PASSWORD, World
from tests.hardening.support import production, running

SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "x-frame-options": "DENY",
}


def assert_secured(r: httpx.Response) -> None:
    assert {name: r.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS, r.url
    assert r.headers["x-request-id"]


async def test_every_response_carries_the_security_headers(
    client: httpx.AsyncClient, world: World
) -> None:
    responses = [
        await client.get("/healthz"),
        await client.get("/api/openapi.json"),
        await client.get("/api/v1/me"),  # 401
        await client.get("/api/v1/nowhere"),  # 404
        await client.post("/api/v1/auth/login", json={}),  # 422
        await client.post(
            "/api/v1/auth/login", json={"email": world.emails["resident"], "password": PASSWORD}
        ),
    ]
    for r in responses:
        assert_secured(r)
        assert "strict-transport-security" not in r.headers  # plain HTTP in development


async def test_swagger_ui_gets_its_own_policy_outside_production(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/docs")
    assert r.status_code == 200
    policy = r.headers["content-security-policy"]
    assert "'unsafe-inline'" in policy and "frame-ancestors 'none'" in policy
    assert "https:" not in policy and "https:" not in r.text  # everything comes from the app
    script = await client.get("/api/docs-assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert script.headers["content-security-policy"] == CSP  # only the page is relaxed


async def test_production_adds_hsts_secure_cookies_and_no_docs(
    settings: Settings, world: World
) -> None:
    async with running(create_app(production(settings))) as client:
        docs = await client.get("/api/docs")
        login = await client.post(
            "/api/v1/auth/login", json={"email": world.emails["resident"], "password": PASSWORD}
        )
    assert docs.status_code == 404
    assert_secured(login)
    assert login.headers["strict-transport-security"].startswith("max-age=")
    session = next(c for c in login.headers.get_list("set-cookie") if c.startswith("hoa_session="))
    assert {"Secure", "HttpOnly", "SameSite=lax"} <= {part.strip() for part in session.split(";")}


async def test_cookies_are_not_secure_in_development(
    client: httpx.AsyncClient, world: World
) -> None:
    login = await client.post(
        "/api/v1/auth/login", json={"email": world.emails["resident"], "password": PASSWORD}
    )
    cookies = login.headers.get_list("set-cookie")
    assert cookies and not any("Secure" in cookie for cookie in cookies)
