"""Reservation-core benchmark: throughput of the hot endpoints as a share of a bare endpoint
served the same way, a mixed run of signed-in residents, a double-booking storm, and the
calendar query's plan. Prints numbers; asserts nothing.

Needs ``python -m bench.seed`` first (it writes bench/.state.json).
"""

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from bench.seed import DEFAULT_URL, SLOTS_PER_DAY, STATE_FILE, is_sqlite
from hoa.core.database import UTCDateTime
from hoa.reservations.reads import calendar_query

HERE = Path(__file__).parent
WORKER_LOG = HERE / ".worker.log"
CREATE_LUA = HERE / "create.lua"
MIX_LUA = HERE / "mix.lua"
TOKENS_FILE = HERE / ".tokens.json"
TOKENS_REUSE_SECONDS = 90 * 60
CREATES_PER_SECOND = 4000  # bodies prepared per second of run: far above what 2 cores serve
# Bench bookings start after the measured calendar month and inside max_days_ahead (730).
FIRST_DAY_AHEAD, LAST_DAY_AHEAD, STORM_DAY_AHEAD = 62, 729, 400
# The mixed run's bookings, on the seeded amenities (60 days ahead at most): the ones it
# cancels are made before it, on the first days; the ones it creates on the later days.
CANCEL_FIRST_DAY, CREATE_FIRST_DAY = 3, 21
MIX = {"calendar": 60, "amenities": 15, "availability": 15, "mine": 5, "create": 3, "cancel": 2}
TARGETS = {  # shares of the bare endpoint, from the issue
    "/healthz": "≥ 0.30",
    "calendar uncached": "≥ 0.03",
    "calendar cached (redis)": "≥ 0.12",
    "calendar cached (in-process)": "≥ 0.25",
    "availability uncached": "≥ 0.04",
    "availability cached (redis)": "≥ 0.20",
    "availability cached (in-process)": "≥ 0.20",
    "create": "≥ 0.01",
    "mix": "≥ 0.07",  # and p99 ≤ 100 ms, no errors
}
TICKS = os.sysconf("SC_CLK_TCK")

# Wide enough for the table when the output goes to a file.
console = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 150)


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    app_cpu_ms: float = 0.0  # server CPU per request
    db_cpu_ms: float = 0.0  # PostgreSQL CPU per request
    p95_ms: float | None = None  # the mixed run's script reports it
    note: str = ""


@dataclass(frozen=True, slots=True)
class Server:
    """One server program (the app or the bare endpoint) with its worker processes."""

    name: str
    process: subprocess.Popen[bytes]
    base: str
    log: Path


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    method: str
    path: str
    token: str
    server: Server
    bodies: list[str] | None = None


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--duration", type=int, default=15, help="seconds per endpoint")
    parser.add_argument("--warmup", type=int, default=3, help="seconds per endpoint, discarded")
    parser.add_argument("--rounds", type=int, default=1, help="rounds over all endpoints")
    parser.add_argument("--mix-duration", type=int, default=30, help="seconds of the mixed run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (cores are scarce)")
    parser.add_argument("--port", type=int, default=8123, help="the app; the bare endpoint +1")
    parser.add_argument("--storm", type=int, default=200, help="simultaneous conflicting POSTs")
    parser.add_argument("--client", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument(
        "--server",
        choices=("uvicorn", "granian"),
        default="uvicorn",
        help="uvicorn: `hoa serve`; granian: the same app factory under granian",
    )
    parser.add_argument(
        "--queue",
        choices=("redis", "embedded"),
        default="redis",
        help="redis: HOA_REDIS_URL (queue, rate limits and read cache in Redis) and a separate "
        "`hoa worker` (the production shape, PostgreSQL only); embedded: no Redis, the local "
        "queue file consumed inside each server process and the read cache in process memory "
        "(the single-machine shape, on PostgreSQL or the SQLite file)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    return parser.parse_args()


# --- the servers ------------------------------------------------------------------------------


def hoa_env(args: argparse.Namespace, cache: bool) -> dict[str, str]:
    env = os.environ | {
        "HOA_DATABASE_URL": args.database_url,
        "HOA_ENV": "development",
        # All load comes from one IP: limits that never trip, with a short window (the in-memory
        # moving window keeps one entry per request in it).
        "HOA_RATE_LIMIT__API": "1000000/second",
        "HOA_RATE_LIMIT__AUTH_PER_IP": "1000/second",
        "HOA_RATE_LIMIT__AUTH_PER_ACCOUNT": "1000/second",
        "HOA_ACCESS_TOKEN_MINUTES": "120",  # the mixed run's sign-ins outlive a whole run
        # Off: every read asks the database, the only sure way to miss a cache keyed by whole
        # months (a different range per request would still hit).
        "HOA_CACHE__ENABLED": str(cache).lower(),
    }
    if args.queue == "redis":
        # Its own queue name, so other users of the same Redis neither take nor leave tasks.
        env |= {"HOA_REDIS_URL": args.redis_url, "HOA_JOBS__QUEUE_NAME": "hoa-bench"}
    return env


def hoa_command() -> str:
    return shutil.which("hoa") or str(Path(sys.executable).with_name("hoa"))


def server_command(args: argparse.Namespace, bare: bool) -> list[str]:
    """The same server program and worker count for the app and the bare endpoint."""
    port = str(args.port + 1 if bare else args.port)
    workers = str(args.workers)
    if args.server == "granian":
        # What `hoa serve` sets on uvicorn, in granian's terms: its factory, no access log.
        target = ["bench.bare:app"] if bare else ["--factory", "hoa.server:create_served_app"]
        return [
            *(sys.executable, "-m", "granian", "--interface", "asgi", "--no-access-log"),
            *("--host", "127.0.0.1", "--port", port, "--workers", workers, *target),
        ]
    if bare:  # the uvicorn that `hoa serve` runs, with its options
        return [
            *(sys.executable, "-m", "uvicorn", "bench.bare:app", "--host", "127.0.0.1"),
            *("--port", port, "--workers", workers, "--no-server-header", "--no-access-log"),
            *("--timeout-worker-healthcheck", "30"),
        ]
    return [hoa_command(), "serve", "--port", port, "--workers", workers]


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        # Its own process group: stopping it reaches the server's worker processes too.
        return subprocess.Popen(  # noqa: S603 - our own arguments
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_healthy(server: Server, path: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"{server.name} exited; see {server.log}:\n{server.log.read_text()}")
        try:
            if httpx.get(server.base + path, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{server.name} not healthy after {timeout:.0f} s; see {server.log}")


@contextlib.contextmanager
def servers(
    args: argparse.Namespace, cache: bool
) -> Iterator[tuple[Server, Server, subprocess.Popen[bytes] | None]]:
    """The app, the bare endpoint and (with Redis) a `hoa worker`, stopped whatever happens."""
    env = hoa_env(args, cache)
    started: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as metrics:
        if args.server == "granian":
            # `hoa serve` points prometheus-client's multiprocess mode at a shared folder
            # before the app loads; granian does not run that command line.
            env |= {"PROMETHEUS_MULTIPROC_DIR": metrics, "HOA_METRICS__DIR": metrics}
        try:
            app = Server(
                "app",
                start(server_command(args, bare=False), env, HERE / ".server.log"),
                f"http://127.0.0.1:{args.port}",
                HERE / ".server.log",
            )
            started.append(app.process)
            bare = Server(
                "bare",
                start(server_command(args, bare=True), os.environ.copy(), HERE / ".bare.log"),
                f"http://127.0.0.1:{args.port + 1}",
                HERE / ".bare.log",
            )
            started.append(bare.process)
            worker = None
            if args.queue == "redis":
                worker = start([hoa_command(), "worker"], env, WORKER_LOG)
                started.append(worker)
            wait_healthy(app, "/healthz")
            wait_healthy(bare, "/bare")
            yield app, bare, worker
        finally:
            for process in started:
                stop(process)
    if restarts := (HERE / ".server.log").read_text().count("] died"):
        console.print(
            f"[red]the server restarted a worker {restarts} times[/red] (health check on a "
            "starved machine): requests were lost and the figures understate it"
        )


def login(base: str, email: str, password: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/auth/login", json={"email": email, "password": password}, timeout=60
    )
    if response.status_code != 200:
        raise SystemExit(f"login as {email}: {response.status_code} {response.text[:300]}")
    return str(response.json()["access_token"])


def rss(processes: dict[str, subprocess.Popen[bytes]]) -> list[tuple[str, int, int, int]]:
    """(process, pid, RSS KiB, peak RSS KiB) of each process and its children (Linux /proc)."""
    out = []
    for name, process in processes.items():
        for pid in [process.pid, *children(process.pid)]:
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{pid}/status").read_text()
                kib = {k: int(find(rf"^{k}:\s+(\d+) kB", status)[1]) for k in ("VmRSS", "VmHWM")}
                role = name if pid == process.pid else f"{name} worker"
                if b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    role = f"{name} (multiprocessing's resource tracker)"
                out.append((role, pid, kib["VmRSS"], kib["VmHWM"]))
    return out


# --- request data -----------------------------------------------------------------------------


def month_range(tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.now(tz).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    after = (start + timedelta(days=32)).replace(day=1)
    # Rebuilt from the date: the next month may have another UTC offset (DST).
    return start, datetime.combine(after.date(), datetime.min.time(), tz)


def slot_starts(tz: ZoneInfo, day: date) -> Iterator[datetime]:
    opening = datetime.combine(day, datetime.min.time(), tz) + timedelta(hours=6)
    return (opening + timedelta(minutes=30 * k) for k in range(SLOTS_PER_DAY))


def booking(amenity_id: str, start: datetime) -> dict[str, Any]:
    return {
        "amenity_id": amenity_id,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(minutes=30)).isoformat(),
        "headcount": 1,
        "guests": 0,
        "accepted_rules_version": None,
    }


def create_bodies(state: dict[str, Any], tz: ZoneInfo, count: int) -> list[str]:
    """Distinct free 30-minute slots; consecutive ones go to different amenities, so concurrent
    requests neither contend nor grow one amenity's (or the household's) bookings much."""
    today, out = datetime.now(tz).date(), []
    for ahead in range(FIRST_DAY_AHEAD, LAST_DAY_AHEAD + 1):
        for start in slot_starts(tz, today + timedelta(days=ahead)):
            out += [json.dumps(booking(a, start)) for a in state["bench_amenity_ids"]]
            if len(out) >= count:
                return out[:count]
    return out


# --- load generation --------------------------------------------------------------------------


def find(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text, re.MULTILINE)
    if match is None:
        raise ValueError(f"no {pattern!r} in:\n{text}")
    return match


def to_ms(value: str) -> float:
    number, unit = find(r"^([\d.]+)(\w+)$", value).groups()
    return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def parse_wrk(name: str, out: str) -> Result:
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Result(
        name=name,
        rps=float(find(r"Requests/sec:\s+([\d.]+)", out)[1]),
        p50_ms=to_ms(find(r"^\s+50(?:\.0+)?%\s+(\S+)", out)[1]),
        p99_ms=to_ms(find(r"^\s+99(?:\.0+)?%\s+(\S+)", out)[1]),
        requests=int(find(r"(\d+) requests in", out)[1]),
        errors=(int(non_2xx[1]) if non_2xx else 0)
        + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
    )


def run_wrk(
    args: argparse.Namespace, target: Target, seconds: int, tmp: Path, plan: Path | None = None
) -> Result:
    """wrk against one endpoint, or with ``plan`` the mixed run's requests (mix.lua)."""
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s"]
    command += ["--latency", "--timeout", "10s"]
    if target.token:
        command += ["-H", f"Authorization: Bearer {target.token}"]
    env = os.environ | {"BENCH_THREADS": str(args.threads)}
    if target.bodies is not None:
        # Warm-up and measurement each take fresh slots.
        bodies_file = tmp / f"bodies-{time.monotonic_ns()}.jsonl"
        bodies_file.write_text("\n".join(target.bodies) + "\n")
        env |= {"BENCH_BODIES": str(bodies_file)}
        command += ["-s", str(CREATE_LUA)]
    if plan is not None:
        env |= {"BENCH_PLAN": str(plan)}
        command += ["-s", str(MIX_LUA)]
    out = subprocess.run(  # noqa: S603 - our own arguments
        [*command, target.server.base + target.path],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = parse_wrk(target.name, out)
    if plan is None:
        return result
    p50, p95, p99, wrapped = find(
        r"mix p50 (\d+) p95 (\d+) p99 (\d+) us; plan wrapped (\d+)", out
    ).groups()
    return replace(
        result,
        p50_ms=int(p50) / 1e3,
        p95_ms=int(p95) / 1e3,
        p99_ms=int(p99) / 1e3,
        note=f"plan wrapped {wrapped} times" if int(wrapped) else "",
    )


async def run_httpx(args: argparse.Namespace, target: Target, seconds: int) -> Result:
    """Fallback load loop; the client then competes with the server for the same cores, so its
    figures are lower than wrk's."""
    latencies: list[float] = []
    errors = 0
    bodies = iter(target.bodies or [])
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=args.connections)
    headers = {"Content-Type": "application/json"}
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"

    async def loop(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            body = next(bodies, None) if target.bodies is not None else None
            started = time.perf_counter()
            try:
                response = await client.request(target.method, target.path, content=body)
                errors += not response.is_success
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(
        base_url=target.server.base, headers=headers, limits=limits, timeout=10
    ) as client:
        started = time.perf_counter()
        await asyncio.gather(*(loop(client) for _ in range(args.connections)))
        elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return Result(
        target.name,
        len(latencies) / elapsed,
        cuts[49] * 1e3,
        cuts[98] * 1e3,
        len(latencies),
        errors,
    )


def process_cpu(pids: Iterable[int]) -> dict[int, float]:
    """CPU seconds (user + system) of each live process, read from /proc (Linux)."""
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return out


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError):
            if int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@contextlib.asynccontextmanager
async def connect(url: str) -> AsyncIterator[AsyncConnection]:
    """A connection to the bench database (PostgreSQL or the SQLite file) in a transaction that
    commits on leaving. No pool: each helper runs in an event loop of its own."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            yield conn
    finally:
        await engine.dispose()


async def db_backends(url: str) -> list[int]:
    """The database server's processes serving the bench database. SQLite has none: it runs
    inside the app's processes, and its CPU counts in theirs."""
    if is_sqlite(url):
        return []
    async with connect(url) as conn:
        pids = await conn.scalars(
            sa.text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        return list(pids)


@dataclass(frozen=True, slots=True)
class CpuMeter:
    """CPU time of a server's processes and of the database's backends. Per request it hardly
    depends on what else the machine runs, unlike req/s."""

    url: str
    worker_pid: int | None = None

    def snapshot(self, server: Server) -> tuple[dict[int, float], dict[int, float]]:
        pid = server.process.pid
        app = process_cpu([pid, *children(pid)])
        return app, process_cpu(asyncio.run(db_backends(self.url)))

    def worker_seconds(self) -> float:
        if self.worker_pid is None:
            return 0.0
        return sum(process_cpu([self.worker_pid, *children(self.worker_pid)]).values())


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    # A backend opened during the run counts from zero.
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def measure(
    args: argparse.Namespace,
    target: Target,
    seconds: int,
    tmp: Path,
    cpu: CpuMeter,
    plan: Path | None = None,
) -> Result:
    """One load run; a create target takes its share of fresh bodies off the front of its list."""
    bodies = None
    if target.bodies is not None:
        bodies = target.bodies[: seconds * CREATES_PER_SECOND]
        del target.bodies[: len(bodies)]
    part = replace(target, bodies=bodies)
    app_before, db_before = cpu.snapshot(target.server)
    if plan is not None or args.client == "wrk" or (args.client == "auto" and shutil.which("wrk")):
        result = run_wrk(args, part, seconds, tmp, plan)
    else:
        result = asyncio.run(run_httpx(args, part, seconds))
    app_after, db_after = cpu.snapshot(target.server)
    per_request = 1e3 / max(result.requests, 1)
    return replace(
        result,
        app_cpu_ms=spent(app_before, app_after) * per_request,
        db_cpu_ms=spent(db_before, db_after) * per_request,
    )


def measure_all(
    args: argparse.Namespace, targets: list[Target], cpu: CpuMeter
) -> list[list[Result]]:
    """Rounds of every endpoint in turn, so that a change in the machine's background load hits
    the bare endpoint and the others alike."""
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        for target in targets:
            measure(args, target, args.warmup, Path(tmp), cpu)
        for number in range(1, args.rounds + 1):
            console.print(f"round {number}/{args.rounds} ...")
            rounds.append([measure(args, t, args.duration, Path(tmp), cpu) for t in targets])
    return rounds


# --- the storm and the query plan ----------------------------------------------------------


# Typed parameters: each backend gets them as the app stores them (on SQLite uuids as 32 hex
# digits and datetimes as naive UTC text).
HELD_IN_SLOT = sa.text(
    "SELECT count(*) FROM reservations WHERE amenity_id = :amenity_id "
    "AND status IN ('pending', 'confirmed') AND starts_at < :end AND ends_at > :start"
).bindparams(
    sa.bindparam("amenity_id", type_=sa.Uuid()),
    sa.bindparam("start", type_=UTCDateTime()),
    sa.bindparam("end", type_=UTCDateTime()),
)


async def storm(
    base: str, token: str, state: dict[str, Any], tz: ZoneInfo, n: int, url: str
) -> tuple[Counter[str], list[float], int]:
    """n simultaneous bookings of one exclusive slot: exactly one may win. The outcomes, each
    request's seconds, and the active bookings in the slot afterwards."""
    day = datetime.now(tz).date() + timedelta(days=STORM_DAY_AHEAD)
    start = datetime.combine(day, datetime.min.time(), tz) + timedelta(hours=12)
    body = booking(state["storm_amenity_id"], start)
    path = f"/api/v1/communities/{state['community_id']}/reservations"
    # Fresh connections, all opened at once: connections kept alive from a warm-up round raced
    # uvicorn's 5 s keep-alive timeout while the server was saturated (seen as ReadError).
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=600
    ) as client:

        async def timed() -> tuple[httpx.Response, float]:
            started = time.perf_counter()
            response = await client.post(path, json=body)
            return response, time.perf_counter() - started

        answers = await asyncio.gather(*(timed() for _ in range(n)), return_exceptions=True)
    outcomes: Counter[str] = Counter()
    seconds = []
    for answer in answers:
        if isinstance(answer, BaseException):
            outcomes[type(answer).__name__] += 1
        else:
            r, took = answer
            seconds.append(took)
            code = r.json().get("error", {}).get("code", "") if r.status_code >= 400 else ""
            outcomes[f"{r.status_code} {code}".strip()] += 1
    async with connect(url) as conn:
        held = await conn.scalar(
            HELD_IN_SLOT,
            {
                "amenity_id": uuid.UUID(state["storm_amenity_id"]),
                "start": start,
                "end": start + timedelta(minutes=30),
            },
        )
    return outcomes, seconds, int(held or 0)


async def explain_calendar(
    url: str, community_id: str, start: datetime, end: datetime, runs: int = 21
) -> tuple[list[float], str]:
    """The app's calendar query (as SQLAlchemy sends it on this backend: the same text and bound
    parameters) ``runs`` times: its execution times and its last plan. PostgreSQL: ``EXPLAIN
    (ANALYZE, BUFFERS)`` and the Execution Time it reports. SQLite cannot time a statement
    itself: ``EXPLAIN QUERY PLAN``, and the wall time of running the statement and fetching its
    rows in this process."""
    query = calendar_query(uuid.UUID(community_id), start, end, None)
    async with connect(url) as conn:
        sent = (await conn.execute(query)).context
        sql, params = sent.statement, tuple(sent.parameters[0])
        times = []
        if conn.dialect.name == "sqlite":
            for _ in range(runs):
                started = time.perf_counter()
                (await conn.exec_driver_sql(sql, params)).all()
                times.append((time.perf_counter() - started) * 1e3)
            steps = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
            # Rows of (id, parent id, unused, detail).
            return times, query_plan_tree([(r[0], r[1], r[3]) for r in map(tuple, steps)])
        plan = ""
        for _ in range(runs):
            rows = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = "\n".join(row[0] for row in rows)
            times.append(float(find(r"Execution Time: ([\d.]+) ms", plan)[1]))
        return times, plan


def query_plan_tree(steps: list[tuple[int, int, str]]) -> str:
    """SQLite's EXPLAIN QUERY PLAN rows (id, parent id, detail), indented as the sqlite3 shell
    shows them."""
    depth = {0: -1}
    lines = []
    for step, parent, detail in steps:
        depth[step] = depth.get(parent, -1) + 1
        lines.append(f"{'  ' * depth[step]}{detail}")
    return "\n".join(lines)


async def prepare_database(url: str) -> int:
    """Remove what earlier runs booked through the API, so every run starts from the seeded
    state: the seed's ids are UUIDv7-shaped, the app's are version 4. Returns about how many
    bookings remain."""
    async with connect(url) as conn:
        if conn.dialect.name == "sqlite":
            # 32 hex digits, no dashes: the version is the 13th; an exact count is cheap here.
            await conn.execute(sa.text("DELETE FROM reservations WHERE substr(id, 13, 1) = '4'"))
            rows = await conn.scalar(sa.text("SELECT count(*) FROM reservations"))
        else:
            await conn.execute(
                sa.text("DELETE FROM reservations WHERE substr(id::text, 15, 1) = '4'")
            )
            rows = await conn.scalar(
                sa.text("SELECT reltuples::bigint FROM pg_class WHERE relname = 'reservations'")
            )
        return int(rows or 0)


async def count_rows(url: str, sql: str) -> int:
    async with connect(url) as conn:
        return int(await conn.scalar(sa.text(sql)) or 0)


CREATED_ON = sa.text("SELECT count(*) FROM reservations WHERE amenity_id IN :ids").bindparams(
    sa.bindparam("ids", expanding=True, type_=sa.Uuid())
)


async def count_created(url: str, state: dict[str, Any]) -> int:
    ids = [uuid.UUID(a) for a in state["bench_amenity_ids"]]
    async with connect(url) as conn:
        return int(await conn.scalar(CREATED_ON, {"ids": ids}) or 0)


async def count_sent(url: str) -> int:
    return await count_rows(url, "SELECT count(*) FROM notifications WHERE status = 'sent'")


async def count_undelivered(url: str) -> int:
    return await count_rows(
        url, "SELECT count(*) FROM notifications WHERE status IN ('pending', 'sending')"
    )


# --- the mixed run ----------------------------------------------------------------------------


@dataclass(slots=True)
class Resident:
    community_id: str
    email: str
    timezone: ZoneInfo
    amenity_ids: list[str]
    capacity_ids: list[str]  # shared-capacity amenities: the mix books them, never a conflict
    token: str = ""
    slots: Counter[str] = field(default_factory=Counter)  # bookings planned so far, by use

    @property
    def community(self) -> str:
        return f"/api/v1/communities/{self.community_id}"

    def booking_body(self, use: str, first_day: int) -> str:
        """A slot no other planned booking of this resident takes: the n-th of the resident's
        slots from ``first_day`` ahead, on one of the community's capacity amenities."""
        n = self.slots[use]
        self.slots[use] += 1
        day = datetime.now(self.timezone).date() + timedelta(days=first_day + n // SLOTS_PER_DAY)
        start = list(slot_starts(self.timezone, day))[n % SLOTS_PER_DAY]
        return json.dumps(booking(self.capacity_ids[n % len(self.capacity_ids)], start))


# Ids typed as uuids: each backend's stored form is read back as uuid.UUID.
RESIDENTS = sa.text(
    "SELECT c.id, c.timezone, u.email FROM communities c "
    "JOIN memberships m ON m.community_id = c.id JOIN users u ON u.id = m.user_id "
    "WHERE u.email LIKE 'c%-resident%@bench.example.com' ORDER BY c.slug, u.email"
).columns(sa.column("id", sa.Uuid()), sa.column("timezone"), sa.column("email"))
AMENITIES = sa.text(
    "SELECT community_id, id, mode FROM amenities WHERE name NOT LIKE 'bench %' ORDER BY name"
).columns(sa.column("community_id", sa.Uuid()), sa.column("id", sa.Uuid()), sa.column("mode"))


async def load_residents(url: str) -> list[Resident]:
    """The seed's residents (3 per community) and their communities' amenities."""
    async with connect(url) as conn:
        people = (await conn.execute(RESIDENTS)).all()
        amenities = (await conn.execute(AMENITIES)).all()
    by_community: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for community_id, amenity_id, mode in amenities:
        by_community[str(community_id)].append((str(amenity_id), mode))
    return [
        Resident(
            str(community_id),
            email,
            ZoneInfo(timezone),
            [a for a, _ in by_community[str(community_id)]],
            [a for a, mode in by_community[str(community_id)] if mode == "capacity"],
        )
        for community_id, timezone, email in people
    ]


async def sign_in(base: str, residents: list[Resident], password: str) -> None:
    """Every resident signs in once (argon2: a few at a time)."""
    gate = asyncio.Semaphore(4)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:

        async def one(resident: Resident) -> None:
            async with gate:
                response = await client.post(
                    "/api/v1/auth/login", json={"email": resident.email, "password": password}
                )
            if response.status_code != 200:
                raise SystemExit(f"login as {resident.email}: {response.status_code}")
            resident.token = response.json()["access_token"]

        await asyncio.gather(*(one(r) for r in residents))


def signed_in(base: str, residents: list[Resident], password: str) -> str:
    """Tokens for every resident: those of an earlier run of the same seed while they are
    fresh (300 argon2 sign-ins take the 2 reference cores a minute or two; the bench server
    keeps the development signing key and gives tokens 120 minutes)."""
    seed = STATE_FILE.stat().st_mtime
    with contextlib.suppress(OSError, ValueError, KeyError):
        saved = json.loads(TOKENS_FILE.read_text())
        if saved["seed"] == seed and time.time() - saved["at"] < TOKENS_REUSE_SECONDS:
            for r in residents:
                r.token = saved["tokens"][r.email]
            return "reused from an earlier run"
    started = time.perf_counter()
    asyncio.run(sign_in(base, residents, password))
    tokens = {r.email: r.token for r in residents}
    TOKENS_FILE.write_text(json.dumps({"seed": seed, "at": time.time(), "tokens": tokens}))
    return f"signed in ({time.perf_counter() - started:.0f} s)"


async def book_ahead(base: str, wanted: list[tuple[Resident, str]]) -> list[str]:
    """Bookings the mixed run cancels, made through the API before it (one per entry)."""
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:

        async def one(resident: Resident, body: str) -> str:
            for _ in range(SLOTS_PER_DAY):
                async with gate:
                    response = await client.post(
                        f"{resident.community}/reservations",
                        content=body,
                        headers={
                            "Authorization": f"Bearer {resident.token}",
                            "Content-Type": "application/json",
                        },
                    )
                if response.status_code != 409:
                    break
                # The seed's own bookings fill that slot of a small shared amenity (a sauna
                # of 6): the resident's next slot.
                body = resident.booking_body("cancel", CANCEL_FIRST_DAY)
            if response.status_code != 201:
                raise SystemExit(f"booking to cancel: {response.status_code} {response.text}")
            return str(response.json()["id"])

        return await asyncio.gather(*(one(r, b) for r, b in wanted))


def mix_plan(base: str, residents: list[Resident], count: int, rng: random.Random) -> list[str]:
    """``count`` requests in the mix's proportions, each from a random signed-in resident,
    shuffled; as mix.lua reads them."""
    kinds = [kind for kind, share in MIX.items() for _ in range(round(count * share / 100))]
    rng.shuffle(kinds)
    chosen = [(kind, rng.choice(residents)) for kind in kinds]
    cancels = iter(
        asyncio.run(
            book_ahead(
                base,
                [
                    (r, r.booking_body("cancel", CANCEL_FIRST_DAY))
                    for k, r in chosen
                    if k == "cancel"
                ],
            )
        )
    )
    lines = []
    for kind, r in chosen:
        today = datetime.now(r.timezone).date()
        amenity = rng.choice(r.amenity_ids)
        method, body = "GET", ""
        if kind == "calendar":
            start, end = month_range(r.timezone)
            path = f"calendar?{urlencode({'start': start.isoformat(), 'end': end.isoformat()})}"
        elif kind == "amenities":
            path = rng.choice(("amenities", f"amenities/{amenity}"))
        elif kind == "availability":
            path = f"amenities/{amenity}/availability?date={today + timedelta(rng.randrange(7))}"
        elif kind == "mine":
            path = "reservations"
        elif kind == "create":
            method, path, body = "POST", "reservations", r.booking_body("create", CREATE_FIRST_DAY)
        else:
            method, path, body = "POST", f"reservations/{next(cancels)}/cancel", "{}"
        lines.append(f"{method}\t{r.community}/{path}\t{r.token}\t{body}")
    return lines


def mixed_run(
    args: argparse.Namespace,
    app: Server,
    state: dict[str, Any],
    cpu: CpuMeter,
    ceiling_rps: float,
) -> Result:
    """The request mix across every seeded community's residents, signed in first."""
    residents = asyncio.run(load_residents(args.database_url))
    how = signed_in(app.base, residents, state["password"])
    console.print(
        f"mix: {len(residents)} residents of {len({r.community_id for r in residents})} "
        f"communities, tokens {how}"
    )
    rng = random.Random(13)
    target = Target("mix", "GET", "/", "", app)
    with tempfile.TemporaryDirectory() as tmp:
        plans = []
        for seconds in (args.warmup, args.mix_duration):
            # More requests than the server can answer in that time, so the plan never wraps.
            lines = mix_plan(app.base, residents, math.ceil(ceiling_rps * 1.5 * seconds), rng)
            plans.append(Path(tmp) / f"plan-{seconds}.tsv")
            plans[-1].write_text("\n".join(lines) + "\n")
        measure(args, target, args.warmup, Path(tmp), cpu, plans[0])
        return measure(args, target, args.mix_duration, Path(tmp), cpu, plans[1])


# --- the report -------------------------------------------------------------------------------


def cpu_ms(r: Result) -> float:
    return r.app_cpu_ms + r.db_cpu_ms


def add_row(table: Table, runs: list[Result], bares: list[Result]) -> None:
    """Medians over the rounds; each round's shares use that round's bare endpoint."""
    median = statistics.median
    pairs = list(zip(runs, bares, strict=True))
    p95 = [r.p95_ms for r in runs if r.p95_ms is not None]
    table.add_row(
        runs[0].name,
        f"{median(r.rps for r in runs):,.0f}",
        f"{median(r.p50_ms for r in runs):.1f}",
        f"{median(p95):.1f}" if p95 else "",
        f"{median(r.p99_ms for r in runs):.1f}",
        f"{sum(r.requests for r in runs):,}",
        str(sum(r.errors for r in runs)),
        "1" if runs[0].name == "bare" else f"{median(r.rps / b.rps for r, b in pairs):.3f}",
        TARGETS.get(runs[0].name, ""),
        f"{median(r.app_cpu_ms for r in runs):.2f}",
        f"{median(r.db_cpu_ms for r in runs):.2f}",
        f"{median(cpu_ms(b) / cpu_ms(r) for r, b in pairs):.3f}",
    )


def report(phases: list[list[list[Result]]], mix: Result) -> None:
    table = Table(title="share of the bare endpoint (medians over rounds)")
    columns = ("endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "requests", "errors", "share")
    for column in (*columns, "target", "app CPU ms", "db CPU ms", "CPU share"):
        table.add_column(column, justify="left" if column == "endpoint" else "right", no_wrap=True)
    for rounds in phases:  # one section per server run, its bare endpoint first
        bares = [results[0] for results in rounds]
        for runs in zip(*rounds, strict=True):
            add_row(table, list(runs), bares)
        table.add_section()
    bares = sorted((results[0] for results in phases[-1]), key=lambda r: r.rps)
    add_row(table, [mix], [bares[len(bares) // 2]])  # the mixed run's server run
    console.print(table)
    for rounds in phases:
        if len(rounds) > 1:
            console.print(
                "per round, req/s: "
                + "; ".join(
                    ", ".join(f"{r.name} {r.rps:,.0f}" for r in results) for results in rounds
                )
            )


def report_delivery(rounds: list[list[Result]], delivery: tuple[float, int]) -> None:
    """Each create adds one notification; the worker delivers it whenever it gets to it, so its
    CPU is charged per delivery over the whole measurement (idle polling included)."""
    seconds, delivered = delivery
    per_delivery = seconds * 1e3 / max(delivered, 1)
    pairs = [(r, results[0]) for results in rounds for r in results if r.name == "create"]
    console.print(
        f"worker: {delivered:,} notifications delivered during the uncached run, "
        f"{per_delivery:.2f} ms of its CPU per delivery; create + its delivery: "
        f"{statistics.median(cpu_ms(r) for r, _ in pairs) + per_delivery:.2f} ms, CPU share "
        f"{statistics.median(cpu_ms(b) / (cpu_ms(r) + per_delivery) for r, b in pairs):.3f}"
    )


def report_memory(memory: list[tuple[str, int, int, int]]) -> None:
    table = Table(title="memory after the mixed run")
    for column in ("process", "pid", "RSS MiB", "peak RSS MiB"):
        table.add_column(column, justify="left" if column == "process" else "right")
    for role, pid, now, peak in memory:
        table.add_row(role, str(pid), f"{now / 1024:.0f}", f"{peak / 1024:.0f}")
    console.print(table)


def endpoint_targets(
    app: Server,
    bare: Server,
    state: dict[str, Any],
    tz: ZoneInfo,
    label: str,
    create: list[str] | None = None,
) -> list[Target]:
    """The bare endpoint first (each round's shares are of it), then the app's rows; with
    ``create``, bookings made of those bodies last."""
    admin = login(app.base, state["admin_email"], state["password"])
    reader = login(app.base, state["reader_email"], state["password"])
    community = f"/api/v1/communities/{state['community_id']}"
    start, end = month_range(tz)
    month = urlencode({"start": start.isoformat(), "end": end.isoformat()})
    today = datetime.now(tz).date().isoformat()
    targets = [
        Target("bare", "GET", "/bare", "", bare),
        Target("/healthz", "GET", "/healthz", admin, app),
        Target(f"calendar {label}", "GET", f"{community}/calendar?{month}", reader, app),
        Target(
            f"availability {label}",
            "GET",
            f"{community}/amenities/{state['amenity_id']}/availability?date={today}",
            reader,
            app,
        ),
        Target(f"amenity list {label}", "GET", f"{community}/amenities", reader, app),
    ]
    if create is not None:
        targets.append(Target("create", "POST", f"{community}/reservations", admin, app, create))
    return targets


def main() -> None:
    args = parse_args()
    if is_sqlite(args.database_url) and args.queue == "redis":
        raise SystemExit(
            "--queue redis is the production shape on PostgreSQL; SQLite is the single-machine "
            "shape without services: add --queue embedded"
        )
    if not STATE_FILE.exists():
        raise SystemExit(f"{STATE_FILE} is missing: run `uv run python -m bench.seed` first")
    state = json.loads(STATE_FILE.read_text())
    tz = ZoneInfo(state["timezone"])
    if args.client == "auto" and not shutil.which("wrk"):
        console.print(
            "[yellow]wrk not found (install: apt-get install -y wrk); using the httpx loop, "
            "which competes with the server for the cores[/yellow]"
        )
    rows = asyncio.run(prepare_database(args.database_url))
    console.print(
        f"database: ~{rows:,} reservations (seeded {state['seeded_on']}); load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
        f"server {args.server}, {args.workers} workers; {args.connections} connections, "
        f"{args.rounds} × {args.duration} s per endpoint after {args.warmup} s warm-up; "
        f"queue: {args.queue}; database: {sa.make_url(args.database_url).get_backend_name()}"
    )
    console.print("server run 1: read cache off (every read asks the database) ...")
    with servers(args, cache=False) as (app, bare, worker):
        total_bodies = (args.warmup + args.rounds * args.duration) * CREATES_PER_SECOND
        bodies = create_bodies(state, tz, total_bodies)
        targets = endpoint_targets(app, bare, state, tz, "uncached", bodies)
        meter = CpuMeter(args.database_url, worker.pid if worker else None)
        worker_before = meter.worker_seconds()
        sent_before = asyncio.run(count_sent(args.database_url))
        uncached = measure_all(args, targets, meter)
        delivery = (
            meter.worker_seconds() - worker_before,
            asyncio.run(count_sent(args.database_url)) - sent_before,
        )
        created = asyncio.run(count_created(args.database_url, state))
        undelivered = asyncio.run(count_undelivered(args.database_url))
    label = "cached (redis)" if args.queue == "redis" else "cached (in-process)"
    console.print(f"server run 2: read cache on, {label} ...")
    with servers(args, cache=True) as (app, bare, worker):
        targets = endpoint_targets(app, bare, state, tz, label)
        meter = CpuMeter(args.database_url)
        cached = measure_all(args, targets, meter)
        ceiling = max(r.rps for results in cached for r in results[2:])
        mix = mixed_run(args, app, state, meter, ceiling)
        processes = {"app": app.process, "bare": bare.process}
        memory = rss(processes | ({"hoa worker": worker} if worker else {}))
        started = time.perf_counter()
        admin = targets[1].token
        outcomes, seconds, held = asyncio.run(
            storm(app.base, admin, state, tz, args.storm, args.database_url)
        )
        storm_wall = time.perf_counter() - started
    report([uncached, cached], mix)
    if mix.note:
        console.print(f"[red]mix: {mix.note}[/red] (repeated creates and cancels answer 409)")
    if worker is not None:
        report_delivery(uncached, delivery)
    console.print(
        f"create: {created:,} bookings in the database after warm-up + runs; "
        f"notifications not yet delivered then: {undelivered:,}"
    )
    report_memory(memory)
    cuts = statistics.quantiles(seconds, n=100) if len(seconds) > 1 else seconds * 99
    console.print(
        f"storm: {args.storm} simultaneous POSTs for one slot → {dict(outcomes)} in "
        f"{storm_wall:.1f} s; latency p50 {cuts[49] * 1e3:.0f} ms, p99 {cuts[98] * 1e3:.0f} ms, "
        f"max {max(seconds, default=0) * 1e3:.0f} ms; active bookings in the slot afterwards: "
        f"{held} (expected 1 × 201, {args.storm - 1} × 409, exactly 1 booking)"
    )
    start, end = month_range(tz)
    times, plan = asyncio.run(
        explain_calendar(args.database_url, state["community_id"], start, end)
    )
    console.print(plan, markup=False, highlight=False)
    console.print(
        f"calendar query execution time over {len(times)} runs: median "
        f"{statistics.median(times):.3f} ms, min {min(times):.3f} ms, max {max(times):.3f} ms"
    )


if __name__ == "__main__":
    main()
