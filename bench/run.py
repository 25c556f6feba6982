"""Reservation-core benchmark: throughput of the hot endpoints against the /healthz floor, a
double-booking storm, and the calendar query's plan. Prints numbers; asserts nothing.

Needs ``python -m bench.seed`` first (it writes bench/.state.json).
"""

import argparse
import asyncio
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
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from rich.console import Console
from rich.table import Table

from bench.seed import DEFAULT_URL, SLOTS_PER_DAY, STATE_FILE, dsn

HERE = Path(__file__).parent
SERVER_LOG = HERE / ".server.log"
CREATE_LUA = HERE / "create.lua"
CREATES_PER_SECOND = 4000  # bodies prepared per second of run: far above what 2 cores serve
# Bench bookings start after the measured calendar month and inside max_days_ahead (730).
FIRST_DAY_AHEAD, LAST_DAY_AHEAD, STORM_DAY_AHEAD = 62, 729, 400
TARGETS = {"calendar": "≥ 5%", "availability": "≥ 10%", "create": "≥ 3%"}
CALENDAR_SQL = """
EXPLAIN (ANALYZE, BUFFERS)
SELECT r.id, r.amenity_id, r.starts_at, r.ends_at, r.status, r.headcount, r.household_id,
       r.booked_for_id, r.title, u.name
FROM reservations r JOIN users u ON u.id = r.booked_for_id
WHERE r.community_id = $1 AND r.starts_at > $2 AND r.starts_at < $3 AND r.ends_at > $4
  AND r.status IN ('pending', 'confirmed')
ORDER BY r.starts_at
"""

console = Console(soft_wrap=True)


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


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
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (cores are scarce)")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--storm", type=int, default=200, help="simultaneous conflicting POSTs")
    parser.add_argument("--client", choices=("auto", "wrk", "httpx"), default="auto")
    return parser.parse_args()


# --- the server -------------------------------------------------------------------------------


def start_server(args: argparse.Namespace) -> subprocess.Popen[bytes]:
    hoa = shutil.which("hoa") or str(Path(sys.executable).with_name("hoa"))
    env = os.environ | {"HOA_DATABASE_URL": args.database_url, "HOA_ENV": "development"}
    command = [hoa, "serve", "--port", str(args.port), "--workers", str(args.workers)]
    with SERVER_LOG.open("wb") as log:
        # Its own process group: stopping it reaches the uvicorn workers too.
        return subprocess.Popen(  # noqa: S603 - our own arguments
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
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


def measure(args: argparse.Namespace, base: str, target: Target, tmp: Path) -> Result:
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    split = args.warmup * CREATES_PER_SECOND
    runs = []
    for seconds, bodies in (
        (args.warmup, target.bodies[:split] if target.bodies else None),
        (args.duration, target.bodies[split:] if target.bodies else None),
    ):
        part = Target(target.name, target.method, target.path, target.token, bodies)
        if use_wrk:
            runs.append(run_wrk(args, base, part, seconds, tmp))
        else:
            runs.append(asyncio.run(run_httpx(args, base, part, seconds)))
    return runs[-1]


# --- the storm and the query plan ----------------------------------------------------------


async def storm(
    base: str, token: str, state: dict[str, Any], tz: ZoneInfo, n: int, url: str
) -> tuple[Counter[str], int]:
    """n simultaneous bookings of one exclusive slot: exactly one may win."""
    day = datetime.now(tz).date() + timedelta(days=STORM_DAY_AHEAD)
    start = next(slot_starts(tz, day)) + timedelta(hours=6)
    body = booking(state["storm_amenity_id"], start)
    path = f"/api/v1/communities/{state['community_id']}/reservations"
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=60
    ) as client:
        # Open every connection first, so that the POSTs leave together.
        await asyncio.gather(*(client.get("/healthz") for _ in range(n)))
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


async def explain_calendar(
    url: str, community_id: str, start: datetime, end: datetime, runs: int = 7
) -> tuple[list[float], str]:
    conn = await asyncpg.connect(dsn(url))
    try:
        times, plan = [], ""
        for _ in range(runs):
            rows = await conn.fetch(
                CALENDAR_SQL, community_id, start - timedelta(days=31), end, start
            )
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


# --- the report -------------------------------------------------------------------------------


def report(results: list[Result]) -> None:
    floor = results[0].rps
    table = Table(title="requests (ratio = req/s ÷ /healthz req/s, same run)")
    for column in (
        "endpoint",
        "req/s",
        "p50 ms",
        "p99 ms",
        "requests",
        "errors",
        "ratio",
        "target",
    ):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for r in results:
        table.add_row(
            r.name,
            f"{r.rps:,.0f}",
            f"{r.p50_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{r.requests:,}",
            str(r.errors),
            f"{r.rps / floor:.1%}",
            TARGETS.get(r.name, "floor"),
        )
    console.print(table)


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
        f"{args.duration} s per endpoint after {args.warmup} s warm-up"
    )
    server = start_server(args)
    try:
        wait_healthy(base, server)
        admin = login(base, state["admin_email"], state["password"])
        reader = login(base, state["reader_email"], state["password"])
        calendar_query = urlencode({"start": month_start.isoformat(), "end": month_end.isoformat()})
        total_bodies = (args.warmup + args.duration) * CREATES_PER_SECOND
        targets = [
            Target("/healthz", "GET", "/healthz", admin),
            Target("calendar", "GET", f"{community}/calendar?{calendar_query}", reader),
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
        results = []
        with tempfile.TemporaryDirectory() as tmp:
            for target in targets:
                console.print(f"measuring {target.name} ...")
                results.append(measure(args, base, target, Path(tmp)))
        created = asyncio.run(count_created(args.database_url, state))
        report(results)
        console.print(f"create: {created:,} bookings in the database after warm-up + run")
        outcomes, held = asyncio.run(storm(base, admin, state, tz, args.storm, args.database_url))
        console.print(
            f"storm: {args.storm} simultaneous POSTs for one slot → {dict(outcomes)}; "
            f"active bookings in the slot afterwards: {held} (expected 1 × 201, "
            f"{args.storm - 1} × 409, exactly 1 booking)"
        )
    finally:
        stop_server(server)
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
