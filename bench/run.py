"""Reservation-core benchmark: throughput of the hot endpoints against the /healthz floor, a
double-booking storm, and the calendar query's plan. Prints numbers; asserts nothing.

Needs ``python -m bench.seed`` first (it writes bench/.state.json).
"""

import argparse
import asyncio
import contextlib
import enum
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy.dialects import postgresql

from bench.seed import DEFAULT_URL, SLOTS_PER_DAY, STATE_FILE, dsn
from hoa.reservations.reads import calendar_query

HERE = Path(__file__).parent
SERVER_LOG = HERE / ".server.log"
WORKER_LOG = HERE / ".worker.log"
CREATE_LUA = HERE / "create.lua"
CREATES_PER_SECOND = 4000  # bodies prepared per second of run: far above what 2 cores serve
# Bench bookings start after the measured calendar month and inside max_days_ahead (730).
FIRST_DAY_AHEAD, LAST_DAY_AHEAD, STORM_DAY_AHEAD = 62, 729, 400
TARGETS = {"calendar": "≥ 5%", "availability": "≥ 10%", "create": "≥ 3%"}
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


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    method: str
    path: str
    token: str
    bodies: list[str] | None = None


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--duration", type=int, default=15, help="seconds per endpoint")
    parser.add_argument("--warmup", type=int, default=3, help="seconds per endpoint, discarded")
    parser.add_argument("--rounds", type=int, default=1, help="rounds over all endpoints")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (cores are scarce)")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--storm", type=int, default=200, help="simultaneous conflicting POSTs")
    parser.add_argument("--client", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument(
        "--queue",
        choices=("redis", "embedded"),
        default="redis",
        help="redis: HOA_REDIS_URL and a separate `hoa worker` (the PostgreSQL production shape); "
        "embedded: the local queue file consumed inside each server process",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    return parser.parse_args()


# --- the server -------------------------------------------------------------------------------


def hoa_env(args: argparse.Namespace) -> dict[str, str]:
    env = os.environ | {
        "HOA_DATABASE_URL": args.database_url,
        "HOA_ENV": "development",
        # All load comes from one IP: limits that never trip, with a short window (the in-memory
        # moving window keeps one entry per request in it).
        "HOA_RATE_LIMIT__API": "1000000/second",
        "HOA_RATE_LIMIT__AUTH_PER_IP": "1000/second",
        "HOA_RATE_LIMIT__AUTH_PER_ACCOUNT": "1000/second",
    }
    if args.queue == "redis":
        # Its own queue name, so other users of the same Redis neither take nor leave tasks.
        env |= {"HOA_REDIS_URL": args.redis_url, "HOA_JOBS__QUEUE_NAME": "hoa-bench"}
    return env


def hoa_command() -> str:
    return shutil.which("hoa") or str(Path(sys.executable).with_name("hoa"))


def start_server(args: argparse.Namespace) -> subprocess.Popen[bytes]:
    command = [hoa_command(), "serve", "--port", str(args.port), "--workers", str(args.workers)]
    with SERVER_LOG.open("wb") as log:
        # Its own process group: stopping it reaches the uvicorn workers too.
        return subprocess.Popen(  # noqa: S603 - our own arguments
            command, env=hoa_env(args), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def start_worker(args: argparse.Namespace) -> subprocess.Popen[bytes] | None:
    """`hoa worker` consuming the Redis queue, as next to a PostgreSQL deployment; None with
    --queue embedded, where each server process consumes its own local queue."""
    if args.queue != "redis":
        return None
    with WORKER_LOG.open("wb") as log:
        return subprocess.Popen(  # noqa: S603 - our own arguments
            [hoa_command(), "worker"],
            env=hoa_env(args),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def wait_healthy(base: str, server: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited; see {SERVER_LOG}:\n{SERVER_LOG.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"server not healthy after {timeout:.0f} s; see {SERVER_LOG}")


def login(base: str, email: str, password: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/auth/login", json={"email": email, "password": password}, timeout=30
    )
    if response.status_code != 200:
        raise SystemExit(f"login as {email}: {response.status_code} {response.text[:300]}")
    return str(response.json()["access_token"])


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


def run_wrk(args: argparse.Namespace, base: str, target: Target, seconds: int, tmp: Path) -> Result:
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s"]
    command += ["--latency", "--timeout", "10s", "-H", f"Authorization: Bearer {target.token}"]
    env = dict(os.environ)
    if target.bodies is not None:
        # Warm-up and measurement each take fresh slots.
        bodies_file = tmp / f"bodies-{time.monotonic_ns()}.jsonl"
        bodies_file.write_text("\n".join(target.bodies) + "\n")
        env |= {"BENCH_BODIES": str(bodies_file), "BENCH_THREADS": str(args.threads)}
        command += ["-s", str(CREATE_LUA)]
    out = subprocess.run(  # noqa: S603 - our own arguments
        [*command, base + target.path], env=env, capture_output=True, text=True, check=True
    ).stdout
    return parse_wrk(target.name, out)


async def run_httpx(args: argparse.Namespace, base: str, target: Target, seconds: int) -> Result:
    """Fallback load loop; the client then competes with the server for the same cores, so its
    figures are lower than wrk's."""
    latencies: list[float] = []
    errors = 0
    bodies = iter(target.bodies or [])
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=args.connections)
    headers = {"Authorization": f"Bearer {target.token}", "Content-Type": "application/json"}

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
        base_url=base, headers=headers, limits=limits, timeout=10
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


async def db_backends(url: str) -> list[int]:
    conn = await asyncpg.connect(dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row["pid"] for row in rows]
    finally:
        await conn.close()


@dataclass(frozen=True, slots=True)
class CpuMeter:
    """CPU time of the server's processes and of the database's backends. Per request it hardly
    depends on what else the machine runs, unlike req/s."""

    server_pid: int
    url: str
    worker_pid: int | None = None

    def snapshot(self) -> tuple[dict[int, float], dict[int, float]]:
        app = process_cpu([self.server_pid, *children(self.server_pid)])
        return app, process_cpu(asyncio.run(db_backends(self.url)))

    def worker_seconds(self) -> float:
        if self.worker_pid is None:
            return 0.0
        return sum(process_cpu([self.worker_pid, *children(self.worker_pid)]).values())


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    # A backend opened during the run counts from zero.
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def measure(
    args: argparse.Namespace, base: str, target: Target, seconds: int, tmp: Path, cpu: CpuMeter
) -> Result:
    """One load run; a create target takes its share of fresh bodies off the front of its list."""
    bodies = None
    if target.bodies is not None:
        bodies = target.bodies[: seconds * CREATES_PER_SECOND]
        del target.bodies[: len(bodies)]
    part = Target(target.name, target.method, target.path, target.token, bodies)
    app_before, db_before = cpu.snapshot()
    if args.client == "wrk" or (args.client == "auto" and shutil.which("wrk")):
        result = run_wrk(args, base, part, seconds, tmp)
    else:
        result = asyncio.run(run_httpx(args, base, part, seconds))
    app_after, db_after = cpu.snapshot()
    per_request = 1e3 / max(result.requests, 1)
    return replace(
        result,
        app_cpu_ms=spent(app_before, app_after) * per_request,
        db_cpu_ms=spent(db_before, db_after) * per_request,
    )


def measure_all(
    args: argparse.Namespace, base: str, targets: list[Target], cpu: CpuMeter
) -> list[list[Result]]:
    """Rounds of every endpoint in turn, so that a change in the machine's background load hits
    the floor and the endpoints alike."""
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        for target in targets:
            measure(args, base, target, args.warmup, Path(tmp), cpu)
        for number in range(1, args.rounds + 1):
            console.print(f"round {number}/{args.rounds} ...")
            rounds.append([measure(args, base, t, args.duration, Path(tmp), cpu) for t in targets])
    return rounds


# --- the storm and the query plan ----------------------------------------------------------


async def storm(
    base: str, token: str, state: dict[str, Any], tz: ZoneInfo, n: int, url: str
) -> tuple[Counter[str], int]:
    """n simultaneous bookings of one exclusive slot: exactly one may win."""
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
        responses = await asyncio.gather(
            *(client.post(path, json=body) for _ in range(n)), return_exceptions=True
        )
    outcomes: Counter[str] = Counter()
    for r in responses:
        if isinstance(r, BaseException):
            outcomes[type(r).__name__] += 1
        else:
            code = r.json().get("error", {}).get("code", "") if r.status_code >= 400 else ""
            outcomes[f"{r.status_code} {code}".strip()] += 1
    conn = await asyncpg.connect(dsn(url))
    try:
        held = await conn.fetchval(
            "SELECT count(*) FROM reservations WHERE amenity_id = $1 "
            "AND status IN ('pending', 'confirmed') AND starts_at < $3 AND ends_at > $2",
            state["storm_amenity_id"],
            start,
            start + timedelta(minutes=30),
        )
    finally:
        await conn.close()
    return outcomes, int(held)


def calendar_sql(community_id: str, start: datetime, end: datetime) -> tuple[str, list[Any]]:
    """The app's own calendar query, compiled as the server sends it through asyncpg."""
    query = calendar_query(uuid.UUID(community_id), start, end, None)
    compiled = query.compile(
        dialect=postgresql.asyncpg.dialect(), compile_kwargs={"render_postcompile": True}
    )
    params = [compiled.params[name] for name in compiled.positiontup or ()]
    return compiled.string, [p.value if isinstance(p, enum.Enum) else p for p in params]


async def explain_calendar(
    url: str, community_id: str, start: datetime, end: datetime, runs: int = 21
) -> tuple[list[float], str]:
    sql, params = calendar_sql(community_id, start, end)
    conn = await asyncpg.connect(dsn(url))
    try:
        times, plan = [], ""
        for _ in range(runs):
            rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *params)
            plan = "\n".join(r[0] for r in rows)
            times.append(float(find(r"Execution Time: ([\d.]+) ms", plan)[1]))
        return times, plan
    finally:
        await conn.close()


async def prepare_database(url: str, state: dict[str, Any]) -> int:
    """Remove what earlier runs booked, so every run starts from the seeded state."""
    conn = await asyncpg.connect(dsn(url))
    try:
        ids = [*state["bench_amenity_ids"], state["storm_amenity_id"]]
        await conn.execute("DELETE FROM reservations WHERE amenity_id = ANY($1::uuid[])", ids)
        return int(
            await conn.fetchval(
                "SELECT reltuples::bigint FROM pg_class WHERE relname = 'reservations'"
            )
        )
    finally:
        await conn.close()


async def count_created(url: str, state: dict[str, Any]) -> int:
    conn = await asyncpg.connect(dsn(url))
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM reservations WHERE amenity_id = ANY($1::uuid[])",
                state["bench_amenity_ids"],
            )
        )
    finally:
        await conn.close()


async def count_sent(url: str) -> int:
    conn = await asyncpg.connect(dsn(url))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM notifications WHERE status = 'sent'"))
    finally:
        await conn.close()


async def count_undelivered(url: str) -> int:
    conn = await asyncpg.connect(dsn(url))
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM notifications WHERE status IN ('pending', 'sending')"
            )
        )
    finally:
        await conn.close()


# --- the report -------------------------------------------------------------------------------


def report(rounds: list[list[Result]], delivery: tuple[float, int] | None) -> None:
    """Medians over the rounds; each round's ratios use that round's floor."""
    median = statistics.median
    floors = [results[0] for results in rounds]

    def cpu(r: Result) -> float:
        return r.app_cpu_ms + r.db_cpu_ms

    table = Table(title="requests: medians over rounds")
    columns = ("endpoint", "req/s", "p50 ms", "p99 ms", "requests", "errors", "ratio")
    for column in (*columns, "target", "app CPU ms", "db CPU ms", "CPU ratio"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for runs in zip(*rounds, strict=True):
        pairs = list(zip(runs, floors, strict=True))
        table.add_row(
            runs[0].name,
            f"{median(r.rps for r in runs):,.0f}",
            f"{median(r.p50_ms for r in runs):.1f}",
            f"{median(r.p99_ms for r in runs):.1f}",
            f"{sum(r.requests for r in runs):,}",
            str(sum(r.errors for r in runs)),
            f"{median(r.rps / f.rps for r, f in pairs):.1%}",
            TARGETS.get(runs[0].name, "floor"),
            f"{median(r.app_cpu_ms for r in runs):.2f}",
            f"{median(r.db_cpu_ms for r in runs):.2f}",
            f"{median(cpu(f) / cpu(r) for r, f in pairs):.1%}",
        )
    console.print(table)
    if delivery is not None:
        # Each create adds one notification; the worker delivers it whenever it gets to it, so
        # its CPU is charged per delivery over the whole measurement (idle polling included).
        seconds, delivered = delivery
        per_delivery = seconds * 1e3 / max(delivered, 1)
        creates = [r for results in rounds for r in results if r.name == "create"]
        pairs = [(r, results[0]) for results in rounds for r in results if r.name == "create"]
        with_delivery = median(cpu(f) / (cpu(r) + per_delivery) for r, f in pairs)
        console.print(
            f"worker: {delivered:,} notifications delivered during the measurements, "
            f"{per_delivery:.2f} ms of its CPU per delivery; create + its delivery: "
            f"{median(cpu(r) for r in creates) + per_delivery:.2f} ms, "
            f"CPU ratio {with_delivery:.1%}"
        )
    if len(rounds) > 1:
        console.print(
            "per round, req/s: "
            + "; ".join(", ".join(f"{r.name} {r.rps:,.0f}" for r in results) for results in rounds)
        )


def main() -> None:
    args = parse_args()
    if not STATE_FILE.exists():
        raise SystemExit(f"{STATE_FILE} is missing: run `uv run python -m bench.seed` first")
    state = json.loads(STATE_FILE.read_text())
    tz = ZoneInfo(state["timezone"])
    month_start, month_end = month_range(tz)
    base = f"http://127.0.0.1:{args.port}"
    community = f"/api/v1/communities/{state['community_id']}"
    if args.client == "auto" and not shutil.which("wrk"):
        console.print(
            "[yellow]wrk not found (install: apt-get install -y wrk); using the httpx loop, "
            "which competes with the server for the cores[/yellow]"
        )
    rows = asyncio.run(prepare_database(args.database_url, state))
    console.print(
        f"database: ~{rows:,} reservations (seeded {state['seeded_on']}); load average "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {args.connections} connections, "
        f"{args.rounds} × {args.duration} s per endpoint after {args.warmup} s warm-up; "
        f"queue: {args.queue}"
    )
    server = start_server(args)
    worker = start_worker(args)
    try:
        wait_healthy(base, server)
        admin = login(base, state["admin_email"], state["password"])
        reader = login(base, state["reader_email"], state["password"])
        month = urlencode({"start": month_start.isoformat(), "end": month_end.isoformat()})
        total_bodies = (args.warmup + args.rounds * args.duration) * CREATES_PER_SECOND
        targets = [
            Target("/healthz", "GET", "/healthz", admin),
            Target("calendar", "GET", f"{community}/calendar?{month}", reader),
            Target(
                "availability",
                "GET",
                f"{community}/amenities/{state['amenity_id']}/availability?"
                f"date={datetime.now(tz).date().isoformat()}",
                reader,
            ),
            Target(
                "create",
                "POST",
                f"{community}/reservations",
                admin,
                create_bodies(state, tz, total_bodies),
            ),
        ]
        probe = httpx.get(
            base + targets[1].path, headers={"Authorization": f"Bearer {reader}"}, timeout=30
        )
        console.print(
            f"calendar {month_start:%Y-%m}: {probe.status_code}, "
            f"{len(probe.json().get('entries', []))} entries, {len(probe.content) / 1024:.0f} KiB "
            "(resident's view)"
        )
        meter = CpuMeter(server.pid, args.database_url, worker.pid if worker else None)
        worker_before, sent_before = (
            meter.worker_seconds(),
            asyncio.run(count_sent(args.database_url)),
        )
        rounds = measure_all(args, base, targets, meter)
        delivery = None
        if worker is not None:
            delivery = (
                meter.worker_seconds() - worker_before,
                asyncio.run(count_sent(args.database_url)) - sent_before,
            )
        created = asyncio.run(count_created(args.database_url, state))
        report(rounds, delivery)
        undelivered = asyncio.run(count_undelivered(args.database_url))
        console.print(
            f"create: {created:,} bookings in the database after warm-up + runs; "
            f"notifications not yet delivered: {undelivered:,}"
        )
        started = time.perf_counter()
        outcomes, held = asyncio.run(storm(base, admin, state, tz, args.storm, args.database_url))
        console.print(
            f"storm: {args.storm} simultaneous POSTs for one slot → {dict(outcomes)} in "
            f"{time.perf_counter() - started:.1f} s; "
            f"active bookings in the slot afterwards: {held} (expected 1 × 201, "
            f"{args.storm - 1} × 409, exactly 1 booking)"
        )
    finally:
        stop_server(server)
        if worker is not None:
            stop_server(worker)
    if restarts := SERVER_LOG.read_text().count("] died"):
        console.print(
            f"[red]the server restarted a worker {restarts} times[/red] (uvicorn's 5 s health "
            "check on a starved machine): requests were lost and the figures understate it"
        )
    times, plan = asyncio.run(
        explain_calendar(args.database_url, state["community_id"], month_start, month_end)
    )
    console.print(plan, markup=False, highlight=False)
    console.print(
        f"calendar query execution time over {len(times)} runs: median "
        f"{statistics.median(times):.3f} ms, min {min(times):.3f} ms, max {max(times):.3f} ms"
    )


if __name__ == "__main__":
    main()
