"""The cost gate: instructions per request of the hot endpoints, counted by valgrind's
callgrind, against the committed baseline (bench/gate-baseline.json).

Instruction counts do not move with the machine's load the way timings do, so a hot endpoint
that got dearer is caught even on a busy, shared machine. The app runs in-process (httpx over
ASGI, as the tests drive it) on a scratch SQLite database seeded with fixed ids; only the
measured requests are counted: startup, seeding, sign-in and warm-up run uninstrumented.

    uv run python -m bench.gate [--update] [--requests 10]

Exit status 1 when an endpoint costs more than 1.15 times its baseline; an endpoint below
0.85 times is reported so the baseline is lowered on purpose (``--update``), without failing.
"""

import argparse
import asyncio
import ctypes
import json
import mmap
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).parent
BASELINE = HERE / "gate-baseline.json"
FAIL_ABOVE = 1.15
NOTE_BELOW = 0.85
WARMUP = 3  # requests per endpoint before counting: interpreter, ORM and pydantic caches settle

# Endpoints in the order they are measured (create last: its writes change what the others read).
ENDPOINTS = (
    "healthz",
    "calendar_uncached",
    "calendar_cached",
    "availability_uncached",
    "availability_cached",
    "amenities",
    "me",
    "my_reservations",
    "create",
)


# ---- Comparison (pure: what the gate decides from the numbers) ----


@dataclass(frozen=True)
class Verdict:
    endpoint: str
    baseline: float | None
    measured: float

    @property
    def ratio(self) -> float | None:
        return None if not self.baseline else self.measured / self.baseline

    @property
    def failed(self) -> bool:
        return self.ratio is not None and self.ratio > FAIL_ABOVE

    @property
    def cheaper(self) -> bool:
        return self.ratio is not None and self.ratio < NOTE_BELOW

    def line(self) -> str:
        if self.ratio is None:
            return f"{self.endpoint:<24} {self.measured:>14,.0f}  (no baseline: run with --update)"
        verdict = "FAIL" if self.failed else "much cheaper" if self.cheaper else "ok"
        return (
            f"{self.endpoint:<24} {self.baseline:>14,.0f} {self.measured:>14,.0f} "
            f"{self.ratio:>7.3f}  {verdict}"
        )


def compare(baseline: dict[str, float], measured: dict[str, float]) -> list[Verdict]:
    """One verdict per measured endpoint. An endpoint of the baseline that was not measured is
    a failure too (a renamed or dropped measurement must not pass silently)."""
    verdicts = [Verdict(name, baseline.get(name), value) for name, value in measured.items()]
    verdicts += [
        Verdict(name, cost, float("inf")) for name, cost in baseline.items() if name not in measured
    ]
    return verdicts


def gate_failed(verdicts: Iterable[Verdict]) -> bool:
    return any(v.failed or v.ratio is None for v in verdicts)


def read_dumps(folder: Path) -> dict[str, list[int]]:
    """Instructions of each request, by endpoint, from callgrind's dumps: each measured request
    ends with a dump named after its endpoint (``Trigger: Client Request: <endpoint>``)."""
    found: dict[str, list[int]] = {}
    for path in sorted(folder.glob("callgrind.out.*")):
        text = path.read_text()
        trigger = re.search(r"^desc: Trigger: Client Request: (\S+)$", text, re.M)
        summary = re.search(r"^summary: (\d+)$", text, re.M)
        if trigger and summary:
            found.setdefault(trigger.group(1), []).append(int(summary.group(1)))
    return found


def per_request(dumps: dict[str, list[int]]) -> dict[str, float]:
    return {name: sum(counts) / len(counts) for name, counts in dumps.items()}


# ---- Callgrind's client requests, from Python ----


class Callgrind:
    """Valgrind's client requests (valgrind/callgrind.h) without a C compiler: the 25 bytes of
    machine code the header's macro expands to on x86-64, in an executable page called through
    ctypes. Natively the sequence does nothing and answers 0, so the code runs unchanged outside
    valgrind (and tells it: ``running``)."""

    # rax = args; rdx = 0 (the answer when not under valgrind); the special preamble (four
    # rotations of rdi by 128 bits in all: no effect); xchg rbx,rbx (the request); return rdx.
    CODE = bytes.fromhex("4889f8 31d2 48c1c703 48c1c70d 48c1c73d 48c1c733 4887db 4889d0 c3")
    RUNNING_ON_VALGRIND = 0x1001
    _TOOL = (ord("C") << 24) | (ord("T") << 16)
    ZERO_STATS, DUMP_STATS_AT, START_INSTRUMENTATION = _TOOL + 1, _TOOL + 3, _TOOL + 4

    def __init__(self) -> None:
        if platform.machine() not in ("x86_64", "AMD64"):
            raise SystemExit(
                f"bench.gate speaks valgrind's x86-64 requests, not {platform.machine()}"
            )
        self._page = mmap.mmap(
            -1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC
        )
        self._page.write(self.CODE)
        address = ctypes.addressof(ctypes.c_char.from_buffer(self._page))
        self._call = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.POINTER(ctypes.c_uint64))(address)

    def request(self, code: int, arg: int = 0) -> int:
        return int(self._call((ctypes.c_uint64 * 6)(code, arg, 0, 0, 0, 0)))

    @property
    def running(self) -> bool:
        return self.request(self.RUNNING_ON_VALGRIND) > 0

    def start(self) -> None:
        self.request(self.START_INSTRUMENTATION)

    def zero(self) -> None:
        self.request(self.ZERO_STATS)

    def dump(self, label: str) -> None:
        name = ctypes.create_string_buffer(label.encode())
        self.request(self.DUMP_STATS_AT, ctypes.addressof(name))


# ---- The scratch database ----

TIMEZONE = ZoneInfo("America/New_York")
PASSWORD = "gate-password-gate-password"  # noqa: S105 - a scratch database's only account
FIRST_MONTH = datetime(2031, 1, 1, tzinfo=TIMEZONE)  # local months (views): far from "now"
ALL_WEEK = {d: [["06:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def fixed(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


COMMUNITY, RESIDENT, NEIGHBOR, HOUSEHOLD_A, HOUSEHOLD_B, COURT, POOL = map(fixed, range(1, 8))


@dataclass(frozen=True)
class Plan:
    """What the measuring process requests; the seed makes every calendar month and every day
    of availability alike, so each uncached request reads the same amount."""

    requests: int
    first_day: date  # availability days and the days created bookings go to

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(WARMUP + self.requests)]

    @property
    def months(self) -> list[datetime]:
        return [_add_months(FIRST_MONTH, i) for i in range(WARMUP + self.requests + 1)]


def _add_months(month: datetime, n: int) -> datetime:
    years, index = divmod(month.month - 1 + n, 12)
    return month.replace(year=month.year + years, month=index + 1)


def _at(day: date, hour: int, minutes: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minutes), TIMEZONE).astimezone(UTC)


def _booking(
    amenity: uuid.UUID, who: int, start: datetime, minutes: int, headcount: int = 1
) -> dict[str, Any]:
    user, household = ((RESIDENT, HOUSEHOLD_A), (NEIGHBOR, HOUSEHOLD_B))[who]
    end = start + timedelta(minutes=minutes)
    return {
        "community_id": COMMUNITY,
        "amenity_id": amenity,
        "household_id": household,
        "booked_by_id": user,
        "booked_for_id": user,
        "starts_at": start,
        "ends_at": end,
        "block_starts_at": start,
        "block_ends_at": end,
        "exclusive": amenity == COURT,
        "headcount": headcount,
        "status": "confirmed",
        "title": "Doubles" if amenity == COURT else "",
    }


def bookings(plan: Plan) -> Iterator[dict[str, Any]]:
    """Each availability day: three court bookings and two pool parties (the created bookings
    go to 19:00, free). Each calendar month, days 1 to 28: four court bookings and a pool party
    a day (140 entries), half of them the resident's household's."""
    for day in plan.days:
        yield _booking(COURT, 0, _at(day, 8), 60)
        yield _booking(COURT, 1, _at(day, 10), 90)
        yield _booking(COURT, 1, _at(day, 14), 60)
        yield _booking(POOL, 0, _at(day, 9), 60, headcount=4)
        yield _booking(POOL, 1, _at(day, 9), 60, headcount=2)
    for month in plan.months:
        for d in range(28):
            noon = month + timedelta(days=d, hours=12)
            for i, hour in enumerate((1, 3, 6, 9)):
                yield _booking(COURT, (d + i) % 2, noon + timedelta(hours=hour), 60)
            yield _booking(POOL, d % 2, noon + timedelta(hours=2), 60, headcount=3)


def seed(url: str, plan: Plan) -> None:
    import sqlalchemy as sa

    from hoa.auth.passwords import hash_password
    from hoa.core import migrate
    from hoa.models import Amenity, Community, Household, Membership, Reservation, User

    migrate.upgrade(url)
    engine = sa.create_engine(url.replace("+aiosqlite", ""))
    password_hash = hash_password(PASSWORD)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Community),
            [{"id": COMMUNITY, "name": "Gate HOA", "slug": "gate", "timezone": TIMEZONE.key}],
        )
        conn.execute(
            sa.insert(User),
            [
                {
                    "id": uid,
                    "email": f"{who}@gate.example",
                    "name": who.title(),
                    "password_hash": password_hash,
                }
                for uid, who in ((RESIDENT, "resident"), (NEIGHBOR, "neighbor"))
            ],
        )
        conn.execute(
            sa.insert(Household),
            [
                {"id": HOUSEHOLD_A, "community_id": COMMUNITY, "label": "1 Gate Ct"},
                {"id": HOUSEHOLD_B, "community_id": COMMUNITY, "label": "2 Gate Ct"},
            ],
        )
        conn.execute(
            sa.insert(Membership),
            [
                {
                    "id": fixed(10 + i),
                    "community_id": COMMUNITY,
                    "user_id": uid,
                    "household_id": hid,
                    "role": "resident",
                }
                for i, (uid, hid) in enumerate(((RESIDENT, HOUSEHOLD_A), (NEIGHBOR, HOUSEHOLD_B)))
            ],
        )
        conn.execute(
            sa.insert(Amenity),
            [
                {
                    "id": COURT,
                    "community_id": COMMUNITY,
                    "name": "Tennis Court",
                    "hours": ALL_WEEK,
                    "max_days_ahead": 365,
                },
                {
                    "id": POOL,
                    "community_id": COMMUNITY,
                    "name": "Pool",
                    "hours": ALL_WEEK,
                    "max_days_ahead": 365,
                    "mode": "capacity",
                    "capacity": 20,
                    "max_headcount_per_household": 6,
                },
            ],
        )
        rows = list(bookings(plan))
        conn.execute(
            sa.insert(Reservation), [{"id": fixed(1000 + i), **row} for i, row in enumerate(rows)]
        )
    engine.dispose()


# ---- The measuring process (run under valgrind) ----


def settings_for(folder: Path) -> Any:
    from hoa.core.settings import (
        CacheSettings,
        Env,
        JobSettings,
        MetricsSettings,
        RateLimitSettings,
        Settings,
    )

    return Settings(
        env=Env.PRODUCTION,  # the deployed shape: JSON logs, production headers
        allow_sqlite_in_production=True,
        database_url=f"sqlite+aiosqlite:///{folder / 'gate.db'}",
        secret_key="gate-secret-gate-secret-gate-secret-0123",  # noqa: S106
        access_token_minutes=120,  # a slow run under valgrind must not outlive the token
        # Every request comes from its own address (X-Forwarded-For through a trusted proxy),
        # so the rate limiter's window holds the same number of hits for each.
        rate_limit=RateLimitSettings(
            trusted_proxies=["127.0.0.1/32"], local_path=folder / "ratelimit.db"
        ),
        # Deliveries are enqueued, not run: a consumer thread would run at its own times.
        jobs=JobSettings(embedded_worker=False, queue_path=folder / "jobs.db"),
        cache=CacheSettings(versions_path=folder / "cache-versions"),
        metrics=MetricsSettings(dir=folder / "metrics"),
    )


class Measure:
    def __init__(self, folder: Path, plan: Plan) -> None:
        import httpx

        from hoa.main import create_app

        self.plan = plan
        self.callgrind = Callgrind()
        self.app = create_app(settings_for(folder))
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://gate"
        )
        self.base = f"/api/v1/communities/{COMMUNITY}"
        self.headers: dict[str, str] = {}
        self.sent = 0

    async def run(self) -> None:
        async with self.app.router.lifespan_context(self.app), self.client:
            r = await self.client.post(
                "/api/v1/auth/login", json={"email": "resident@gate.example", "password": PASSWORD}
            )
            assert r.status_code == 200, r.text
            self.client.cookies.clear()
            self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
            self.callgrind.start()  # instrumented from here on; only the requests are counted
            for name in ENDPOINTS:
                await getattr(self, name)()

    async def _send(
        self, label: str | None, method: str, path: str, expect: int = 200, **kw: Any
    ) -> Any:
        """One request; counted (zeroed before, dumped after) when ``label`` is given."""
        self.sent += 1
        address = f"10.0.{self.sent // 256}.{self.sent % 256}"
        headers = {**self.headers, "X-Forwarded-For": address}
        if label:
            self.callgrind.zero()
        r = await self.client.request(method, path, headers=headers, **kw)
        # A write's commit schedules the warming of the community's calendar 0.2 s later, in this
        # process. Under valgrind that lands inside the request or after it depending on the
        # machine's speed, so it is awaited here: a write always counts it whole.
        await self.app.state.read_cache.warmed()
        if label:
            self.callgrind.dump(label)
        if r.status_code != expect:
            raise SystemExit(
                f"{label or 'warm-up'}: {method} {path} answered {r.status_code}: {r.text[:300]}"
            )
        return r.json()

    async def _repeat(
        self, name: str, path: str, expect_items: tuple[str, int] | None = None, **kw: Any
    ) -> None:
        for i in range(WARMUP + self.plan.requests):
            body = await self._send(name if i >= WARMUP else None, "GET", path, **kw)
            if expect_items is not None:
                self._expect(name, body, *expect_items)

    @staticmethod
    def _expect(name: str, body: Any, key: str, count: int) -> None:
        if len(body[key]) != count:  # the workload must be what the baseline measured
            raise SystemExit(f"{name}: {len(body[key])} {key}, expected {count}")

    async def healthz(self) -> None:
        await self._repeat("healthz", "/healthz")

    def _month(self, i: int) -> dict[str, str]:
        return {
            "start": self.plan.months[i].isoformat(),
            "end": self.plan.months[i + 1].isoformat(),
        }

    async def calendar_uncached(self) -> None:
        # Each request asks for another month (the cache holds whole months): each one misses.
        for i in range(WARMUP + self.plan.requests):
            label = "calendar_uncached" if i >= WARMUP else None
            body = await self._send(label, "GET", f"{self.base}/calendar", params=self._month(i))
            self._expect("calendar_uncached", body, "entries", 140)

    async def calendar_cached(self) -> None:
        await self._repeat(
            "calendar_cached", f"{self.base}/calendar", ("entries", 140), params=self._month(0)
        )

    async def availability_uncached(self) -> None:
        # Each request asks for another day (cached per amenity and day): each one misses.
        for i, day in enumerate(self.plan.days):
            label = "availability_uncached" if i >= WARMUP else None
            path = f"{self.base}/amenities/{COURT}/availability"
            await self._send(label, "GET", path, params={"date": day.isoformat()})

    async def availability_cached(self) -> None:
        path = f"{self.base}/amenities/{COURT}/availability"
        await self._repeat(
            "availability_cached", path, params={"date": self.plan.days[0].isoformat()}
        )

    async def amenities(self) -> None:
        await self._repeat("amenities", f"{self.base}/amenities")

    async def me(self) -> None:
        await self._repeat("me", "/api/v1/me")

    async def my_reservations(self) -> None:
        await self._repeat("my_reservations", f"{self.base}/reservations", ("items", 50))

    async def create(self) -> None:
        for i, day in enumerate(self.plan.days):
            start = datetime.combine(day, clock(19), TIMEZONE)
            body = {
                "amenity_id": str(COURT),
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
                "title": "Singles",
            }
            label = "create" if i >= WARMUP else None
            await self._send(label, "POST", f"{self.base}/reservations", expect=201, json=body)


# ---- The runner ----


def environment() -> str:
    """What the counts depend on besides the code and uv.lock: the interpreter's build (Debian's
    CPython and one built by pyenv differ by a lot) and valgrind."""
    version = subprocess.run(  # noqa: S603 - a fixed command
        [shutil.which("valgrind") or "valgrind", "--version"], capture_output=True, text=True
    ).stdout.strip()
    build = " ".join(platform.python_build())
    return f"CPython {platform.python_version()} ({build}) {platform.machine()}, {version}"


def measure(requests: int, keep: Path | None) -> dict[str, list[int]]:
    if shutil.which("valgrind") is None:
        raise SystemExit(
            "valgrind is missing: run tools/system-packages.sh (apt-get install valgrind)"
        )
    folder = Path(tempfile.mkdtemp(prefix="hoa-gate-"))
    try:
        plan = Plan(requests, datetime.now(TIMEZONE).date() + timedelta(days=2))
        seed(f"sqlite+aiosqlite:///{folder / 'gate.db'}", plan)
        (folder / "plan.json").write_text(
            json.dumps({"requests": requests, "first_day": plan.first_day.isoformat()})
        )
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",  # startup and imports run at near-native speed, uncounted
            "--dump-line=no",
            f"--callgrind-out-file={folder}/callgrind.out.%p",
            sys.executable,
            "-m",
            "bench.gate",
            "--child",
            str(folder),
        ]
        # Fixed string hashing: dict and set layouts (and their probing) repeat run to run.
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        with (folder / "child.log").open("wb") as log:
            done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
                command, env=env, stdout=log, stderr=subprocess.STDOUT, check=False, cwd=HERE.parent
            )
        if done.returncode != 0:
            sys.stderr.write((folder / "child.log").read_text()[-4000:])
            raise SystemExit(f"the measuring process failed (exit {done.returncode})")
        return read_dumps(folder)
    finally:
        if keep is not None:
            shutil.copytree(folder, keep, dirs_exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)


def child(folder: Path) -> None:
    raw = json.loads((folder / "plan.json").read_text())
    plan = Plan(raw["requests"], date.fromisoformat(raw["first_day"]))
    measure_ = Measure(folder, plan)
    if not measure_.callgrind.running:
        raise SystemExit("--child runs under valgrind (python -m bench.gate starts it)")
    asyncio.run(measure_.run())


def write_baseline(path: Path, env: str, dumps: dict[str, list[int]]) -> None:
    """Records this environment's costs, keeping those of the others."""
    measured = per_request(dumps)
    baselines = json.loads(path.read_text())["baselines"] if path.exists() else {}
    baselines[env] = {name: round(cost) for name, cost in measured.items()}
    path.write_text(json.dumps({"baselines": baselines}, indent=2, sort_keys=True) + "\n")
    for name, counts in dumps.items():
        print(f"{name:<24} {measured[name]:>14,.0f}  (min {min(counts):,}, max {max(counts):,})")
    print(f"Baseline of {env} written to {path}.")


def check(path: Path, env: str, dumps: dict[str, list[int]]) -> bool:
    """Prints the comparison with this environment's baseline; True when the gate passes."""
    baselines = json.loads(path.read_text())["baselines"]
    if env not in baselines:
        print(f"No baseline for {env} in {path} (it has: {', '.join(baselines)}).")
        print("Record one with `uv run python -m bench.gate --update` and commit it.")
        return False
    verdicts = compare(baselines[env], per_request(dumps))
    print(f"{'instructions per request':<24} {'baseline':>14} {'measured':>14} {'ratio':>7}")
    for verdict in verdicts:
        print(verdict.line())
    if any(v.cheaper for v in verdicts):
        print(
            f"An endpoint costs less than {NOTE_BELOW} of its baseline: lower the baseline on "
            "purpose (`uv run python -m bench.gate --update`) and commit it."
        )
    if gate_failed(verdicts):
        print(f"FAILED: an endpoint costs more than {FAIL_ABOVE} times its baseline, or has none.")
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="write the costs as the baseline")
    parser.add_argument("--requests", type=int, default=10, help="counted requests per endpoint")
    parser.add_argument("--baseline", type=Path, default=BASELINE)
    parser.add_argument("--keep", type=Path, help="copy the scratch folder (dumps, log) here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    began = time.monotonic()
    dumps = measure(args.requests, args.keep)
    if args.update:
        write_baseline(args.baseline, environment(), dumps)
        passed = True
    else:
        passed = check(args.baseline, environment(), dumps)
    print(f"({time.monotonic() - began:.0f} s)")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
