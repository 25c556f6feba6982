"""Fixtures of the infrastructure tests (``make test-infra``: ``pytest tests/infra --infra``)."""

import gzip
import json
import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hoa.core.settings import Settings
from tests.hardening.test_rate_limits import REDIS_URL, _redis_answers
from tests.infra.support import service_dir


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("an infrastructure test of the scaled shape: run it with --db postgres")


@pytest.fixture
async def redis_url() -> str:
    if not await _redis_answers():
        message = f"Redis is not reachable at {REDIS_URL}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return REDIS_URL


@pytest.fixture
def folder() -> Iterator[Path]:
    with service_dir() as path:
        yield path


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    return make_dist(tmp_path)


def make_dist(folder: Path) -> Path:
    """A small built web app: index.html plus a hashed asset and its .gz, as `make web` makes."""
    root = folder / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(
        '<!doctype html><html><head><script type="module" src="/assets/app-3f9a1c.js">'
        "</script></head><body><div id=root></div></body></html>"
    )
    script = "export const greeting = 'hello';\n" * 200
    (root / "assets" / "app-3f9a1c.js").write_text(script)
    (root / "assets" / "app-3f9a1c.js.gz").write_bytes(gzip.compress(script.encode()))
    return root


class EmailSink:
    """A SendGrid stand-in on loopback that counts every message per notification id."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        received = self.received
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    received[body["headers"]["X-HOA-Notification"]] += 1
                self.send_response(202)
                self.send_header("X-Message-Id", uuid.uuid4().hex)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def email_sink() -> Iterator[EmailSink]:
    sink = EmailSink()
    yield sink
    sink.close()


def scaled_env(settings: Settings, redis_url: str, sink: EmailSink, dist: Path) -> dict[str, str]:
    """The environment of `hoa serve` / `hoa worker` in the scaled shape behind nginx."""
    return {
        **os.environ,
        "HOA_ENV": "test",
        "HOA_DATABASE_URL": settings.database_url,
        "HOA_DB__POOL_SIZE": "5",
        "HOA_DB__MAX_OVERFLOW": "5",
        "HOA_SECRET_KEY": settings.secret_key.get_secret_value(),
        "HOA_REDIS_URL": redis_url,
        "HOA_JOBS__QUEUE_NAME": f"hoa-infra-{uuid.uuid4().hex[:8]}",
        "HOA_EMAIL__BACKEND": "sendgrid",
        "HOA_EMAIL__SENDGRID_API_KEY": "sink",
        "HOA_EMAIL__SENDGRID_URL": sink.url,
        "HOA_RATE_LIMIT__API": "1000000/minute",
        "HOA_RATE_LIMIT__AUTH_PER_IP": "1000000/minute",
        "HOA_RATE_LIMIT__AUTH_PER_ACCOUNT": "1000000/minute",
        "HOA_RATE_LIMIT__TRUSTED_PROXIES": '["127.0.0.1/32"]',
        "HOA_WEB_DIST": str(dist),
        "HOA_LOG_LEVEL": "warning",
    }
