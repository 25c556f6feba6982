"""Serving the built web app: cache headers, SPA fallback, JSON 404s under /api."""

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from hoa.core.settings import Settings
from hoa.main import create_app
from hoa.web.spa import IMMUTABLE, NO_CACHE

INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js">'
SCRIPT = "console.log('hello from a hashed asset');" * 20


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text(SCRIPT)
    (root / "assets" / "index-abc123.js.gz").write_bytes(gzip.compress(SCRIPT.encode()))
    (root / "sw.js").write_text("self.addEventListener('install', () => {});")
    (root / "manifest.webmanifest").write_text('{"name": "hoa"}')
    (tmp_path / "secret.txt").write_text("outside the dist folder")
    return root


async def _client(settings: Settings, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"web_dist": dist}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@pytest.fixture
async def client(settings: Settings, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(settings, dist):
        yield c


async def test_hashed_assets_are_immutable(client: httpx.AsyncClient) -> None:
    r = await client.get("/assets/index-abc123.js", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == IMMUTABLE
    assert r.headers["content-type"].startswith("text/javascript")
    assert "content-encoding" not in r.headers
    assert r.text == SCRIPT


async def test_precompressed_asset_is_sent_to_gzip_clients(client: httpx.AsyncClient) -> None:
    r = await client.get("/assets/index-abc123.js", headers={"Accept-Encoding": "gzip, br"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    assert int(r.headers["content-length"]) < len(SCRIPT)
    assert r.text == SCRIPT  # httpx decodes it


@pytest.mark.parametrize("path", ["/", "/signin", "/c/3f6b/calendar", "/c/3f6b/admin/members"])
async def test_pages_fall_back_to_index_without_caching(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path)
    assert r.status_code == 200
    assert r.headers["cache-control"] == NO_CACHE
    assert r.headers["content-type"].startswith("text/html")
    assert r.text == INDEX


async def test_root_files_are_revalidated(client: httpx.AsyncClient) -> None:
    sw = await client.get("/sw.js")
    assert sw.status_code == 200
    assert sw.headers["cache-control"] == NO_CACHE
    manifest = await client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api", "/api/v2/anything"])
async def test_unknown_api_paths_stay_json_404(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


async def test_missing_files_are_404_not_html(client: httpx.AsyncClient) -> None:
    for path in ("/assets/index-gone.js", "/favicon-missing.png"):
        r = await client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("application/json")


async def test_no_escape_from_the_dist_folder(client: httpx.AsyncClient) -> None:
    r = await client.get("/%2E%2E/secret.txt")
    assert "outside the dist folder" not in r.text


async def test_api_routes_and_unsafe_methods_are_untouched(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r = await client.post("/signin")
    assert r.status_code in (404, 405)
    assert "error" in r.json()


async def test_without_a_build_the_root_says_so(settings: Settings, tmp_path: Path) -> None:
    async for c in _client(settings, tmp_path / "no-such-dist"):
        r = await c.get("/")
        assert r.status_code == 200
        assert "not built" in r.text
        assert (await c.get("/api/v1/nothing-here")).json()["error"]["code"] == "not_found"
        assert (await c.get("/c/1/calendar")).status_code == 404
