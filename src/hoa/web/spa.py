"""The built single-page app (``web/dist``), served by the API process at ``/``.

Hashed files under ``/assets`` never change, so browsers keep them for a year; everything else
(``index.html``, the service worker, the manifest) is revalidated on every use, so a new release
is picked up at once. A GET for a path that is neither an API route nor a file answers
``index.html`` and the client-side router takes over; ``/api/*`` keeps its JSON 404. Files the
build pre-compressed (``name.gz`` beside ``name``) are sent compressed to clients that accept gzip.

This runs as the router's fallback, so it only ever sees requests no route matched: routes added
to the app later are never shadowed by it.
"""

import mimetypes
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from hoa.core.settings import Settings

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".woff2": "font/woff2",
}
NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hoa</title></head>
<body><h1>The web app is not built</h1>
<p>Build it with <code>make web</code>
(or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>) and reload this page.
The API is running: see <a href="/api/docs">/api/docs</a>.</p>
</body></html>
"""


class SpaFiles:
    """ASGI fallback serving ``dist``: files, then ``index.html`` for client-side routes."""

    def __init__(self, dist: Path, fallback: ASGIApp) -> None:
        self.dist = dist.resolve()
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or path == "/api"
            or path.startswith("/api/")
        ):
            await self.fallback(scope, receive, send)
            return
        response = self.respond(path, _accepts_gzip(scope))
        if response is None:
            await self.fallback(scope, receive, send)
            return
        await response(scope, receive, send)

    def respond(self, path: str, gzip: bool) -> Response | None:
        index = self.dist / "index.html"
        if not index.is_file():
            if path != "/":
                return None
            return HTMLResponse(NOT_BUILT, headers={"Cache-Control": NO_CACHE})
        relative = path.lstrip("/")
        candidate = (self.dist / relative).resolve()
        if not candidate.is_relative_to(self.dist):
            return None
        if relative and candidate.is_file():
            cache = IMMUTABLE if relative.startswith("assets/") else NO_CACHE
            return _file(candidate, cache, gzip)
        if relative.startswith("assets/") or "." in relative.rsplit("/", 1)[-1]:
            return None  # a missing file, not a page: a 404, never HTML in place of a script
        return _file(index, NO_CACHE, gzip)


def _accepts_gzip(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"accept-encoding":
            return b"gzip" in value.lower()
    return False


def _file(path: Path, cache: str, gzip: bool) -> FileResponse:
    media_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/plain"
    headers = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
    compressed = path.with_name(path.name + ".gz")
    if gzip and compressed.is_file():
        return FileResponse(
            compressed,
            media_type=media_type,
            headers={**headers, "Content-Encoding": "gzip"},
        )
    return FileResponse(path, media_type=media_type, headers=headers)


def mount_web(app: FastAPI, settings: Settings) -> None:
    """Serve ``settings.web_dist`` for every request no route of ``app`` matches."""
    app.router.default = SpaFiles(settings.web_dist, app.router.default)
