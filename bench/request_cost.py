"""CPU per request of the hot reads inside one process: the app, its middleware and a scratch
SQLite database loaded with the demo data, called through httpx's ASGI transport (no socket, no
server), so the figure is the app's own Python work per request. Also what the access log line
costs: /healthz with the line written, filtered out by the level, and not logged at all.

Prints numbers; asserts nothing. ``uv run python -m bench.request_cost [--requests 2000]``
"""

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import structlog
from fastapi import FastAPI
from rich.console import Console
from rich.table import Table

from hoa.core import migrate
from hoa.core.logging import request_scope_var
from hoa.core.middleware import RequestMiddleware
from hoa.core.settings import CacheSettings, Env, JobSettings, RateLimitSettings, Settings
from hoa.demo.builder import seed
from hoa.main import create_app

console = Console(file=sys.stderr)
RESIDENT = "resident@maple-grove.example"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3, help="the median round is shown")
    parser.add_argument("--json", type=Path, help="also write the medians to this file")
    return parser.parse_args()


def settings_for(folder: Path, *, cache: bool, log_level: str = "info") -> Settings:
    return Settings(
        env=Env.PRODUCTION,  # JSON log lines, as served
        allow_sqlite_in_production=True,
        database_url=f"sqlite+aiosqlite:///{folder / 'bench.db'}",
        # A scratch key for a scratch database.
        secret_key="bench-secret-bench-secret-bench-secret-01",  # noqa: S106
        log_level=log_level,
        web_dist=folder / "no-web",
        rate_limit=RateLimitSettings(api="100000000/minute", local_path=folder / "ratelimit.db"),
        jobs=JobSettings(embedded_worker=False, queue_path=folder / "jobs.db"),
        cache=CacheSettings(enabled=cache, versions_path=folder / f"versions-{cache}"),
    )


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """The log lines are written (the logger looks up sys.stdout per line), to /dev/null."""
    saved = sys.stdout
    with Path(os.devnull).open("w") as sink:
        sys.stdout = sink
        try:
            yield
        finally:
            sys.stdout = saved


async def cpu_per_request(client: httpx.AsyncClient, url: str, n: int) -> float:
    """Milliseconds of process CPU per request, over n requests after a short warm-up."""
    for _ in range(50):
        r = await client.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:200])
    start = time.process_time()
    for _ in range(n):
        await client.get(url)
    return (time.process_time() - start) * 1000 / n


async def _constant(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def client_cost(n: int) -> float:
    """The client's and transport's share of every figure: requests to an ASGI app that
    answers at once."""
    transport = httpx.ASGITransport(app=_constant)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        return await cpu_per_request(client, "/", n)


class _Silent:
    def info(self, *_: Any, **__: Any) -> None:
        return None


def request_layer(app: FastAPI) -> Any:
    layer: Any = app.middleware_stack
    while layer is not None and not isinstance(layer, RequestMiddleware):
        layer = getattr(layer, "app", None)
    assert layer is not None, "RequestMiddleware not found"
    return layer


async def access_log_cost(settings: Settings, n: int) -> dict[str, float]:
    """/healthz with the access line written and with no access line at all (the middleware's
    logger swapped for one that does nothing), in alternating batches of the same app so that
    drifting background load hits both; and the bare log call, timed alone."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await cpu_per_request(client, "/healthz", 100)  # builds the middleware stack
            layer = request_layer(app)
            logger = layer.access_log
            batches: dict[str, list[float]] = {"on": [], "off": []}
            for _ in range(10):
                for mode in ("on", "off"):
                    layer.access_log = logger if mode == "on" else _Silent()
                    batches[mode].append(await cpu_per_request(client, "/healthz", n // 10))
            layer.access_log = logger
    on, off = statistics.median(batches["on"]), statistics.median(batches["off"])
    return {"healthz with access log": on, "healthz without": off, "log call": log_call(logger)}


def log_call(logger: Any, calls: int = 20_000) -> float:
    """Milliseconds of CPU per access line, called as the middleware calls it, with a
    request's context bound (what every line carries)."""
    scope = {"type": "http", "method": "GET", "path": "/healthz", "state": {}, "path_params": {}}
    token = request_scope_var.set(scope)
    structlog.contextvars.bind_contextvars(request_id="0" * 32)
    try:
        start = time.process_time()
        for _ in range(calls):
            logger.info("request", status=200, duration_ms=0.42)
        return (time.process_time() - start) * 1000 / calls
    finally:
        structlog.contextvars.unbind_contextvars("request_id")
        request_scope_var.reset(token)


async def calls_per_request(client: httpx.AsyncClient, url: str, n: int = 50) -> float:
    """Python function calls per request (client included), counted by cProfile: unlike CPU
    time, the same on a busy machine as on an idle one."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(n):
        await client.get(url)
    profile.disable()
    total: int = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    return total / n


Figures = dict[str, float]


async def measure(settings: Settings, paths: dict[str, str], n: int) -> tuple[Figures, Figures]:
    """CPU ms and function calls per request of each path."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            r = await client.post(
                "/api/v1/auth/login", json={"email": RESIDENT, "password": "maple-grove-demo"}
            )
            assert r.status_code == 200, r.text
            client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            found: dict[str, str] = {}
            me = (await client.get("/api/v1/me")).json()
            found["community"] = me["memberships"][0]["community_id"]
            base = f"/api/v1/communities/{found['community']}"
            amenity = (await client.get(f"{base}/amenities")).json()[0]["id"]
            urls = {name: path.format(base=base, amenity=amenity) for name, path in paths.items()}
            cpu = {name: await cpu_per_request(client, url, n) for name, url in urls.items()}
            calls = {name: await calls_per_request(client, url) for name, url in urls.items()}
            return cpu, calls


def hot_paths() -> dict[str, str]:
    now = datetime.now(UTC)
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (month + timedelta(days=32)).replace(day=1)
    month_query = f"start={month:%Y-%m-%dT%H:%M:%SZ}&end={following:%Y-%m-%dT%H:%M:%SZ}"
    day = (now + timedelta(days=1)).date().isoformat()
    return {
        "/healthz": "/healthz",
        "calendar (month)": "{base}/calendar?" + month_query,
        "availability": "{base}/amenities/{amenity}/availability?date=" + day,
        "amenity list": "{base}/amenities",
        "amenity detail": "{base}/amenities/{amenity}",
        "/me": "/api/v1/me",
        "my reservations": "{base}/reservations?mine=true",
    }


async def run(args: argparse.Namespace, folder: Path) -> None:
    settings = settings_for(folder, cache=False)
    with quiet_stdout():
        await seed(settings)
    paths = hot_paths()
    modes = {"cache off": settings, "cache on": settings_for(folder, cache=True)}
    rounds: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
    logging: list[dict[str, float]] = []
    calls: dict[str, Figures] = {}
    console.print(
        f"load average {os.getloadavg()[0]:.2f}; {args.requests} requests per endpoint, "
        f"{args.rounds} rounds"
    )
    for number in range(args.rounds):
        console.print(f"round {number + 1}/{args.rounds} ...")
        with quiet_stdout():
            for mode, mode_settings in modes.items():
                cpu, calls[mode] = await measure(mode_settings, paths, args.requests)
                rounds[mode].append(cpu)
            logging.append(await access_log_cost(settings, args.requests))
            logging[-1]["client alone (bare ASGI app)"] = await client_cost(args.requests)
    table = Table(title="per request: process CPU ms (median of rounds) and Python calls")
    table.add_column("endpoint")
    for mode in modes:
        table.add_column(f"CPU ms, {mode}", justify="right")
    for mode in modes:
        table.add_column(f"calls, {mode}", justify="right")
    for name in paths:
        cpu_cells = [f"{statistics.median(r[name] for r in rounds[mode]):.3f}" for mode in modes]
        call_cells = [f"{calls[mode][name]:,.0f}" for mode in modes]
        table.add_row(name, *cpu_cells, *call_cells)
    Console().print(table)
    log_table = Table(title="the access log line (CPU ms, median of rounds)")
    log_table.add_column("measure")
    log_table.add_column("ms", justify="right")
    for name in logging[0]:
        log_table.add_row(name, f"{statistics.median(r[name] for r in logging):.4f}")
    Console().print(log_table)
    if args.json:
        medians = {
            mode: {name: statistics.median(r[name] for r in rounds[mode]) for name in paths}
            for mode in modes
        } | {"access log": {k: statistics.median(r[k] for r in logging) for k in logging[0]}}
        medians |= {f"calls, {mode}": figures for mode, figures in calls.items()}
        args.json.write_text(json.dumps(medians, indent=2))


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # Alembic runs its own event loop: before the benchmark's.
        migrate.upgrade(settings_for(Path(tmp), cache=False).database_url)
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
