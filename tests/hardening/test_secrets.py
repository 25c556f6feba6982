"""No secret is ever printed: every secret setting holds a marker, and neither a refused start,
nor a running server's and worker's log lines, nor any response shows a piece of one."""

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import make_url

from hoa.core.database import Database
from hoa.core.settings import Settings
from hoa.models import Notification
from tests.factories import PASSWORD, World

REDIS = "127.0.0.1:6379/0"
WINDOW = 10  # a leak of this many characters of a marker counts (a truncated value's tail)


def marker() -> str:
    # Letters that occur in no identifier, id or encoding this app prints.
    return "XQZ" + "".join(secrets.choice("JKQVWXZ") for _ in range(29))


def secret_paths(model: type[BaseModel] = Settings, prefix: str = "HOA_") -> set[str]:
    """The variables of every SecretStr setting, found by walking the settings models."""
    found: set[str] = set()
    for name, field in model.model_fields.items():
        variable = f"{prefix}{name.upper()}"
        annotation = str(field.annotation)
        if "SecretStr" in annotation:
            found.add(variable)
        elif isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            found |= secret_paths(field.annotation, f"{variable}__")
        elif "SigningKey" in annotation:  # a list of keys, given as JSON
            found.add(variable)
    return found


def with_password(url: str, password: str) -> str:
    return make_url(url).set(password=password).render_as_string(hide_password=False)


class Markers:
    """The secret settings, each set to its own marker."""

    def __init__(self, database_url: str, direct_url: str) -> None:
        self.values: list[str] = []
        self.env: dict[str, str] = {
            "HOA_SECRET_KEY": self.new(),
            "HOA_AUTH__SIGNING_KEYS": json.dumps([{"kid": "k1", "secret": self.new()}]),
            "HOA_EMAIL__SMTP_PASSWORD": self.new(),
            "HOA_EMAIL__SENDGRID_API_KEY": self.new(),
            "HOA_METRICS__TOKEN": self.new(),
            "HOA_DEMO_PASSWORD": self.new(),
            "HOA_SENTRY_DSN": f"http://{self.new()}@127.0.0.1:9/1",
            # URLs whose credentials are secrets (trust authentication lets them connect)
            "HOA_REDIS_URL": f"redis://default:{self.new()}@{REDIS}",
            "HOA_OTEL_EXPORTER_OTLP_ENDPOINT": f"http://otel:{self.new()}@127.0.0.1:9",
        }
        if make_url(database_url).get_backend_name() == "postgresql":
            self.env["HOA_DATABASE_URL"] = with_password(database_url, self.new())
            self.env["HOA_DB__DIRECT_URL"] = with_password(direct_url, self.new())
            self.env["HOA_DATABASE_REPLICA_URL"] = with_password(direct_url, self.new())
        else:
            self.env["HOA_DATABASE_URL"] = database_url

    def new(self) -> str:
        self.values.append(marker())
        return self.values[-1]

    def leaks(self, text: str) -> list[str]:
        return [
            m
            for m in self.values
            if any(m[i : i + WINDOW] in text for i in range(len(m) - WINDOW + 1))
        ]


def hoa(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "hoa", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("HOA_", "OTEL_"))}


@pytest.fixture
def markers(settings: Settings) -> Markers:
    return Markers(settings.database_url, settings.direct_database_url)


def test_every_secret_setting_gets_a_marker(markers: Markers) -> None:
    urls = {"HOA_REDIS_URL", "HOA_OTEL_EXPORTER_OTLP_ENDPOINT", "HOA_DATABASE_URL"}
    assert secret_paths() | urls <= set(markers.env)


@pytest.mark.parametrize(
    ("refusal", "named"),
    [
        # production checks across settings
        ({"HOA_ENV": "production", "HOA_CORS_ORIGINS": '["*"]'}, "HOA_CORS_ORIGINS"),
        # a secret that is itself refused
        ({"HOA_AUTH__SIGNING_KEYS": '[{"kid": "k1", "secret": "XQZJKQVWXZJKQVWXZ"}]'}, "AUTH"),
        # a secret in JSON that does not parse
        ({"HOA_AUTH__SIGNING_KEYS": '[{"kid": "k1", "secret": "XQZJKQVWXZJKQVWXZ"'}, "auth"),
        # another setting refused while every secret is set
        ({"HOA_EMAIL__SMTP_PORT": "smtp"}, "HOA_EMAIL__SMTP_PORT"),
    ],
)
def test_a_refused_start_names_the_setting_not_the_value(
    markers: Markers, tmp_path: Path, refusal: dict[str, str], named: str
) -> None:
    markers.values.append("XQZJKQVWXZJKQVWXZ")
    env = {**clean_environment(), **markers.env, **refusal}
    for command in (["serve", "--port", "1"], ["migrate"]):
        refused = hoa(env, tmp_path, *command)
        output = refused.stdout + refused.stderr
        assert markers.leaks(output) == [], output
        assert refused.returncode == 1, output
        assert named in output and "Traceback" not in output, output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def running(
    markers: Markers, settings: Settings, world: World, tmp_path: Path
) -> Iterator[tuple[str, Path]]:
    """`hoa serve` and `hoa worker` in production with every secret set to a marker."""
    port = _free_port()
    env = {
        **clean_environment(),
        **markers.env,
        "HOA_ENV": "production",
        "HOA_ALLOW_SQLITE_IN_PRODUCTION": "true",
        "HOA_DB__PGBOUNCER": str(settings.db.pgbouncer).lower(),
        "HOA_LOG_LEVEL": "debug",
        "HOA_JOBS__QUEUE_NAME": f"secrets-{uuid.uuid4().hex[:8]}",
        "HOA_JOBS__BACKOFF_SECONDS": "600",
        "HOA_EMAIL__BACKEND": "smtp",
        "HOA_EMAIL__SMTP_HOST": "127.0.0.1",
        "HOA_EMAIL__SMTP_PORT": "1",
        "HOA_EMAIL__SMTP_USER": "mailer",
        "HOA_METRICS__DIR": str(tmp_path / "metrics"),
        "HOA_RATE_LIMIT__AUTH_PER_IP": "1000/minute",
        "HOA_RATE_LIMIT__AUTH_PER_ACCOUNT": "1000/minute",
    }
    log = tmp_path / "processes.log"
    with log.open("w") as out:
        processes = [
            subprocess.Popen(  # noqa: S603 - our own CLI
                [sys.executable, "-m", "hoa", *command],
                env=env,
                cwd=tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            for command in (["serve", "--port", str(port)], ["worker", "--workers", "1"])
        ]
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            else:
                pytest.fail(f"hoa serve did not start: {log.read_text()[-2000:]}")
            yield url, log
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)


async def test_no_log_line_or_response_shows_a_secret(
    running: tuple[str, Path], markers: Markers, world: World, db: Database
) -> None:
    url, log = running
    email = world.emails["resident"]
    signing_key = json.loads(markers.env["HOA_AUTH__SIGNING_KEYS"])[0]["secret"]
    metrics_token = markers.env["HOA_METRICS__TOKEN"]
    seen: list[str] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def call(method: str, path: str, **kw: Any) -> httpx.Response:
            r = await client.request(method, path, **kw)
            seen.append(f"{r.status_code} {r.headers} {r.text}")
            return r

        signed_in = await call(
            "POST", "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        bearer = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        await call("GET", "/api/v1/me", headers=bearer)
        await call("POST", "/api/v1/auth/login", json={"email": email, "password": "wrong-wrong"})
        await call("POST", "/api/v1/auth/login", json={"email": email})
        await call("GET", "/api/v1/me", headers={"Authorization": f"Bearer {signing_key}"})
        await call("POST", "/api/v1/auth/password-reset", json={"email": email})
        await call("GET", "/api/v1/nowhere")
        await call("GET", "/api/openapi.json")
        await call("GET", "/healthz")
        await call("GET", "/readyz")
        await call("GET", "/metrics")
        scraped = await call(
            "GET", "/metrics", headers={"Authorization": f"Bearer {metrics_token}"}
        )
        assert scraped.status_code == 200

    # the worker tried the reset email on the (absent) SMTP server and logged its failure
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        async with db.reader() as s:
            tried = await s.scalar(sa.select(sa.func.max(Notification.attempts)))
        if tried:
            break
        await asyncio.sleep(0.5)
    else:
        pytest.fail(f"the worker never tried the email: {log.read_text()[-2000:]}")

    assert markers.leaks("\n".join(seen)) == []
    assert markers.leaks(log.read_text()) == [], log.read_text()[-3000:]
