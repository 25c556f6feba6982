"""Fill a dedicated database (PostgreSQL, or a SQLite file) with a large reservation history for
``bench.run``.

Small tables go through SQLAlchemy Core (so the models' Python-side defaults apply); reservations
are generated in Python, then streamed with asyncpg's binary COPY on PostgreSQL, or inserted in
large batches on SQLite. Each amenity's bookings are laid out in time order inside its opening
hours, each after the previous one's end (buffer included), so active exclusive bookings never
overlap: on PostgreSQL ``ex_reservations_no_overlap`` stays in place during the load and never
fires; on SQLite its triggers are dropped for the load and re-created after it.
"""

import argparse
import asyncio
import contextlib
import functools
import json
import multiprocessing
import random
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from queue import Empty, Queue
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import asyncpg
import sqlalchemy as sa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from hoa.auth.passwords import hash_password
from hoa.core import migrate
from hoa.core.folders import ensure_sqlite_folder, sqlite_file
from hoa.models import Amenity, BookingMode, Community, Household, Membership, Role, User
from hoa.models.reservations import Reservation

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/hoa_bench"
STATE_FILE = Path(__file__).with_name(".state.json")
PASSWORD = "bench-password-0000"  # noqa: S105 - a throwaway benchmark account
ADMIN_EMAIL = "bench-admin@bench.example.com"
READER_EMAIL = "c0-resident1@bench.example.com"
TIMEZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")
OPEN_MINUTE, SLOT_MINUTES, SLOTS_PER_DAY = 6 * 60, 30, 32  # 06:00-22:00 in 30-minute slots
ALL_WEEK = {day: [["06:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
# (name, mode, capacity, buffer after in minutes): a typical community's amenity mix.
KINDS = (
    ("Tennis court 1", BookingMode.EXCLUSIVE, 1, 0),
    ("Tennis court 2", BookingMode.EXCLUSIVE, 1, 0),
    ("Pickleball court", BookingMode.EXCLUSIVE, 1, 0),
    ("Party room", BookingMode.EXCLUSIVE, 1, 30),
    ("Clubhouse", BookingMode.EXCLUSIVE, 1, 30),
    ("BBQ pavilion", BookingMode.EXCLUSIVE, 1, 30),
    ("Pool", BookingMode.CAPACITY, 40, 0),
    ("Gym", BookingMode.CAPACITY, 12, 0),
    ("Sauna", BookingMode.CAPACITY, 6, 0),
    ("Co-working room", BookingMode.CAPACITY, 8, 0),
)
RESIDENTS_PER_COMMUNITY = 3
BENCH_AMENITIES = 100  # create requests rotate over them, so no amenity's history grows much
CANCELLED_SHARE = 0.08
BATCH_ROWS = 50_000
COLUMNS = (
    "id",
    "community_id",
    "amenity_id",
    "household_id",
    "booked_by_id",
    "booked_for_id",
    "starts_at",
    "ends_at",
    "block_starts_at",
    "block_ends_at",
    "exclusive",
    "headcount",
    "guests",
    "title",
    "notes",
    "status",
    "created_at",
    "updated_at",
)

console = Console()


@dataclass(frozen=True, slots=True)
class Segment:
    """Open slots [first, end) (index = day * SLOTS_PER_DAY + slot of the day) and how many
    bookings to place in them."""

    first: int
    end: int
    count: int


@dataclass(frozen=True, slots=True)
class Plan:
    community_id: uuid.UUID
    amenity_id: uuid.UUID
    exclusive: bool
    max_headcount: int
    buffer_slots: int
    buffer_after: timedelta
    days: list[datetime]  # UTC instant of each day's local midnight
    members: list[tuple[uuid.UUID, uuid.UUID]]  # (user id, household id)
    segments: list[Segment]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--communities", type=int, default=100)
    parser.add_argument("--amenities-per-community", type=int, default=10)
    parser.add_argument("--reservations", type=int, default=1_000_000)
    parser.add_argument("--years", type=float, default=5.0)
    parser.add_argument(
        "--calendar-size",
        type=int,
        default=300,
        help="active bookings of 'bench community 0' in the current month, whatever the total",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="parallel loader processes (SQLite, one writer: their shards one after the other)",
    )
    return parser.parse_args()


def dsn(url: str, database: str | None = None) -> str:
    """The asyncpg DSN of a SQLAlchemy URL, optionally pointing at another database."""
    parts = urlsplit(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    return urlunsplit(parts._replace(path=f"/{database}")) if database else urlunsplit(parts)


def is_sqlite(url: str) -> bool:
    return sa.make_url(url).get_backend_name() == "sqlite"


def database_name(url: str) -> str:
    """The database's name; of a SQLite URL, its file's name (not its folder's)."""
    if is_sqlite(url):
        path = sqlite_file(url)
        return path.name if path is not None else ""
    return urlsplit(url).path.lstrip("/")


async def reset_database(url: str) -> None:
    """Create the database if missing and empty it: a fresh schema always matches the current
    migrations, and a load that died half-way (indexes dropped) leaves nothing behind."""
    name = database_name(url)
    conn = await asyncpg.connect(dsn(url, "postgres"))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
            console.print(f"created database {name}")
    finally:
        await conn.close()
    conn = await asyncpg.connect(dsn(url))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


def reset_sqlite(url: str) -> None:
    """Delete the file and what its journals left: migrations then build a fresh one."""
    path = sqlite_file(url)
    if path is None:
        raise SystemExit("an in-memory SQLite database would be gone before bench.run starts")
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    ensure_sqlite_folder(url)


def local_midnights(tz: ZoneInfo, first: date, count: int) -> list[datetime]:
    # Noon's offset holds from 06:00 to 22:00: DST switches happen at night.
    out = []
    for i in range(count):
        noon = datetime.combine(first + timedelta(days=i), datetime.min.time(), tz) + timedelta(
            hours=12
        )
        out.append(noon.astimezone(UTC) - timedelta(hours=12))
    return out


def amenity_row(community_id: uuid.UUID, name: str, mode: BookingMode, **rules: Any) -> dict:
    return {
        "id": uuid.uuid4(),
        "community_id": community_id,
        "name": name,
        "hours": ALL_WEEK,
        "slot_minutes": SLOT_MINUTES,
        "min_duration_minutes": SLOT_MINUTES,
        "max_duration_minutes": 240,
        "mode": mode,
        # executemany needs the same keys in every row
        "max_days_ahead": 60,
        "capacity": 1,
        "buffer_after_minutes": 0,
        **rules,
    }


async def load_small_tables(
    conn: AsyncConnection, args: argparse.Namespace, today: date
) -> tuple[dict[str, Any], list[Plan]]:
    """Users, communities, households, memberships, amenities; the per-amenity booking plans."""
    password_hash = hash_password(PASSWORD)  # argon2 is slow on purpose: once per seed
    users: list[dict] = []
    communities: list[dict] = []
    households: list[dict] = []
    memberships: list[dict] = []
    amenities: list[dict] = []
    plans: list[Plan] = []
    state: dict[str, Any] = {"password": PASSWORD, "admin_email": ADMIN_EMAIL}
    past_days = round(args.years * 365.25 * 0.9)
    total_days = round(args.years * 365.25)
    first_day = today - timedelta(days=past_days)
    midnights = {tz: local_midnights(ZoneInfo(tz), first_day, total_days) for tz in TIMEZONES}
    per_amenity, extra = divmod(args.reservations, args.communities * args.amenities_per_community)

    def member(
        c_id: uuid.UUID, email: str, name: str, role: Role, label: str
    ) -> tuple[uuid.UUID, uuid.UUID]:
        user_id, household_id = uuid.uuid4(), uuid.uuid4()
        users.append({"id": user_id, "email": email, "name": name, "password_hash": password_hash})
        households.append({"id": household_id, "community_id": c_id, "label": label})
        memberships.append(
            {"community_id": c_id, "user_id": user_id, "household_id": household_id, "role": role}
        )
        return user_id, household_id

    for c in range(args.communities):
        c_id, tz = uuid.uuid4(), TIMEZONES[c % len(TIMEZONES)]
        communities.append(
            {"id": c_id, "name": f"bench community {c}", "slug": f"bench-{c}", "timezone": tz}
        )
        members = [member(c_id, f"c{c}-admin@bench.example.com", f"Admin {c}", Role.ADMIN, "A")]
        members += [
            member(
                c_id,
                f"c{c}-resident{i}@bench.example.com",
                f"Resident {c}.{i}",
                Role.RESIDENT,
                f"{i}",
            )
            for i in range(1, RESIDENTS_PER_COMMUNITY + 1)
        ]
        segments = [Segment(0, total_days * SLOTS_PER_DAY, per_amenity)]
        if c == 0:
            state |= {"community_id": str(c_id), "timezone": tz, "reader_email": READER_EMAIL}
            local_today = datetime.now(ZoneInfo(tz)).date()  # bench.run asks for the local month
            segments = month_segments(args, local_today, first_day, total_days, per_amenity)
            member(c_id, ADMIN_EMAIL, "Bench Admin", Role.ADMIN, "Bench")
            bench = [
                amenity_row(c_id, f"bench {i:03}", BookingMode.EXCLUSIVE, max_days_ahead=730)
                for i in range(BENCH_AMENITIES)
            ]
            storm = amenity_row(c_id, "bench storm", BookingMode.EXCLUSIVE, max_days_ahead=730)
            amenities += [*bench, storm]
            state |= {
                "bench_amenity_ids": [str(a["id"]) for a in bench],
                "storm_amenity_id": str(storm["id"]),
            }
        for a in range(args.amenities_per_community):
            name, mode, capacity, buffer = KINDS[a % len(KINDS)]
            if a >= len(KINDS):
                name = f"{name} ({a // len(KINDS) + 1})"
            row = amenity_row(c_id, name, mode, capacity=capacity, buffer_after_minutes=buffer)
            amenities.append(row)
            if c == 0 and a == 0:
                state["amenity_id"] = str(row["id"])
            count_extra = 1 if c * args.amenities_per_community + a < extra else 0
            plans.append(
                Plan(
                    community_id=c_id,
                    amenity_id=row["id"],
                    exclusive=mode is BookingMode.EXCLUSIVE,
                    max_headcount=min(capacity, 4) if mode is BookingMode.CAPACITY else 1,
                    buffer_slots=-(-buffer // SLOT_MINUTES),
                    buffer_after=timedelta(minutes=buffer),
                    days=midnights[tz],
                    members=members,
                    segments=[
                        Segment(s.first, s.end, s.count + (count_extra if i == 0 else 0))
                        for i, s in enumerate(segments)
                    ],
                )
            )
    for table, rows in (
        (User, users),
        (Community, communities),
        (Household, households),
        (Membership, memberships),
        (Amenity, amenities),
    ):
        await conn.execute(sa.insert(table.__table__), rows)
    return state, plans


def month_segments(
    args: argparse.Namespace, today: date, first_day: date, total_days: int, per_amenity: int
) -> list[Segment]:
    """Community 0: the current month holds about ``--calendar-size`` active bookings, so the
    calendar answer is the same size at 1M and 10M rows; other months keep the general density."""
    month_start = today.replace(day=1)
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    lo, hi = (month_start - first_day).days, (month_end - first_day).days
    in_month = -(-args.calendar_size // args.amenities_per_community)
    in_month = round(in_month / (1 - CANCELLED_SHARE))
    before = per_amenity * lo // total_days
    after = per_amenity * (total_days - hi) // total_days
    return [
        Segment(0, lo * SLOTS_PER_DAY, before),
        Segment(lo * SLOTS_PER_DAY, hi * SLOTS_PER_DAY, in_month),
        Segment(hi * SLOTS_PER_DAY, total_days * SLOTS_PER_DAY, after),
    ]


def reservation_rows(plan: Plan, rng: random.Random, ids: Iterator[uuid.UUID]) -> Iterator[tuple]:
    """The amenity's bookings, in time order, never overlapping (buffers included)."""
    slot = [timedelta(minutes=OPEN_MINUTE + SLOT_MINUTES * k) for k in range(SLOTS_PER_DAY + 1)]
    randint, rand = rng.randint, rng.random
    days, members, exclusive = plan.days, plan.members, plan.exclusive
    after, buffer_slots, max_headcount = plan.buffer_after, plan.buffer_slots, plan.max_headcount
    community_id, amenity_id = plan.community_id, plan.amenity_id
    for seg in plan.segments:
        if seg.count == 0:
            continue
        # One booking at a random place in each of `count` equal windows: an even density with
        # no empty tail, catching up when a day's closing or the previous booking pushes it on.
        window = (seg.end - seg.first) / seg.count
        free_from = seg.first
        for i in range(seg.count):
            length = randint(1, 4)
            earliest = max(free_from, seg.first + int(i * window))
            latest = seg.first + int((i + 1) * window) - length
            s = randint(earliest, latest) if latest > earliest else earliest
            if s % SLOTS_PER_DAY + length > SLOTS_PER_DAY:
                s = (s // SLOTS_PER_DAY + 1) * SLOTS_PER_DAY
            if s + length > seg.end:
                break
            day, k = divmod(s, SLOTS_PER_DAY)
            base = days[day]
            starts, ends = base + slot[k], base + slot[k + length]
            created = days[day - 3] if day >= 3 else base
            user_id, household_id = members[randint(0, len(members) - 1)]
            yield (
                next(ids),
                community_id,
                amenity_id,
                household_id,
                user_id,
                user_id,
                starts,
                ends,
                starts,
                ends + after,
                exclusive,
                randint(1, max_headcount),
                0,
                "",
                "",
                "cancelled" if rand() < CANCELLED_SHARE else "confirmed",
                created,
                created,
            )
            free_from = s + length + buffer_slots


def ordered_ids(job: int) -> Iterator[uuid.UUID]:
    """UUIDv7-shaped ids, increasing per job: the primary key index is appended to, not split at
    random (the app's uuid4 ids would only slow the load down)."""
    high = ((int(time.time() * 1000) << 16) | 0x7000 | job) << 64
    n = 0
    while True:
        n += 1
        yield uuid.UUID(int=high | 0x8000_0000_0000_0000 | n)


def batches(plans: list[Plan], seed: int, job: int) -> Iterator[list[tuple]]:
    rng, ids, batch = random.Random(seed * 1000 + job), ordered_ids(job), []
    for plan in plans:
        batch.extend(reservation_rows(plan, rng, ids))
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def copy_shard(url: str, plans: list[Plan], seed: int, job: int, progress: Queue) -> int:
    """One loader process: generates its share of the bookings and COPYs them in batches."""

    async def run() -> int:
        conn = await asyncpg.connect(dsn(url))
        loaded = 0
        try:
            # The rows only reference rows inserted before, so per-row FK triggers would only cost
            # time; the exclusion, unique and check constraints still apply.
            await conn.execute(
                "SET session_replication_role = replica; SET synchronous_commit = off"
            )
            for batch in batches(plans, seed, job):
                await conn.copy_records_to_table("reservations", records=batch, columns=COLUMNS)
                loaded += len(batch)
                progress.put(len(batch))
        finally:
            await conn.close()
        return loaded

    return asyncio.run(run())


def copy_reservations(url: str, plans: list[Plan], args: argparse.Namespace) -> int:
    """Parallel loaders: the GiST insert of the exclusion constraint dominates the cost, and
    each connection's backend gets a core."""
    columns = (TextColumn("reservations"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with (
        multiprocessing.Manager() as manager,
        ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool,
        Progress(*columns, console=console) as bar,
    ):
        queue = manager.Queue()
        task = bar.add_task("copy", total=args.reservations)
        futures = [
            pool.submit(copy_shard, url, plans[job :: args.jobs], args.seed, job, queue)
            for job in range(args.jobs)
        ]
        while not all(f.done() for f in futures):
            with contextlib.suppress(Empty):
                bar.update(task, advance=queue.get(timeout=0.2))
        while not queue.empty():
            bar.update(task, advance=queue.get())
        return sum(f.result() for f in futures)


def bound_for_sqlite() -> Callable[[list[tuple]], list[tuple]]:
    """Converts generated rows to what the app's column types bind on SQLite (uuids as 32 hex
    digits, aware datetimes as naive UTC text, booleans as 0/1), so the app reads the rows as its
    own. Values repeat within a batch (its amenities and members, each start also as the block's
    start), so each column's conversions are remembered for the batch."""
    dialect = sqlite.dialect()
    table = cast(sa.Table, Reservation.__table__)
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in COLUMNS
    ]

    def convert(batch: list[tuple]) -> list[tuple]:
        columns = [
            values if process is None else list(map(functools.cache(process), values))
            for process, values in zip(processors, zip(*batch, strict=True), strict=True)
        ]
        return list(zip(*columns, strict=True))

    return convert


async def insert_reservations(url: str, plans: list[Plan], args: argparse.Namespace) -> int:
    """SQLite has one writer: this process generates the rows (the shards of ``--jobs`` loaders in
    turn, so the same rows as a PostgreSQL load with the same options) and inserts them, one
    executemany per batch, in one transaction."""
    convert = bound_for_sqlite()
    insert = (
        f"INSERT INTO reservations ({', '.join(COLUMNS)}) "  # noqa: S608 - constant names
        f"VALUES ({', '.join('?' * len(COLUMNS))})"
    )
    columns = (TextColumn("reservations"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    engine = create_async_engine(url)
    loaded = 0
    try:
        async with engine.connect() as conn:
            # A load that fails leaves a file the next seed deletes: no journal on disk, no sync.
            await conn.exec_driver_sql("PRAGMA journal_mode = MEMORY")
            await conn.exec_driver_sql("PRAGMA synchronous = OFF")
            with Progress(*columns, console=console) as bar:
                task = bar.add_task("insert", total=args.reservations)
                for job in range(args.jobs):
                    for batch in batches(plans[job :: args.jobs], args.seed, job):
                        await conn.exec_driver_sql(insert, convert(batch))
                        loaded += len(batch)
                        bar.update(task, advance=len(batch))
            await conn.commit()
    finally:
        await engine.dispose()
    return loaded


async def prepare(
    args: argparse.Namespace, today: date
) -> tuple[dict[str, Any], list[Plan], list[str]]:
    """The small tables, the booking plans, and the DDL of what was dropped for the load."""
    engine = create_async_engine(args.database_url)
    try:
        async with engine.begin() as conn:
            state, plans = await load_small_tables(conn, args, today)
            deferred = await drop_for_load(conn)
    finally:
        await engine.dispose()
    return state, plans, deferred


async def drop_for_load(conn: AsyncConnection) -> list[str]:
    """Drop what the load is faster without and return the DDL that re-creates it: the secondary
    indexes of ``reservations`` (one build after the load is cheaper than millions of inserts)
    and, on SQLite, the overlap guard's triggers (a lookup per row; the rows cannot overlap).
    PostgreSQL's exclusion constraint stays."""
    if conn.dialect.name == "sqlite":
        # As the migrations wrote them. The primary key's and unique constraint's own indexes
        # have no SQL of their own: they stay.
        rows = (
            await conn.execute(
                sa.text(
                    "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'reservations' "
                    "AND type IN ('index', 'trigger') AND sql IS NOT NULL"
                )
            )
        ).all()
        for kind, name, _ in rows:
            await conn.execute(sa.text(f'DROP {kind.upper()} "{name}"'))
        return [ddl for _, _, ddl in rows]
    rows = (
        await conn.execute(
            sa.text(
                "SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                "JOIN pg_class c ON c.oid = x.indexrelid "
                "WHERE x.indrelid = 'reservations'::regclass AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)"
            )
        )
    ).all()
    for name, _ in rows:
        await conn.execute(sa.text(f'DROP INDEX "{name}"'))
    return [ddl for _, ddl in rows]


async def finish(url: str, deferred: list[str]) -> None:
    """Re-create what the load went without, then the planner's statistics."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")  # VACUUM takes no transaction
    try:
        async with engine.connect() as conn:
            on_sqlite = conn.dialect.name == "sqlite"
            started = time.perf_counter()
            # Room for the index builds' sorts (SQLite: a negative cache size is in KiB).
            await conn.exec_driver_sql(
                "PRAGMA cache_size = -262144" if on_sqlite else "SET maintenance_work_mem = '1GB'"
            )
            for ddl in deferred:
                await conn.exec_driver_sql(ddl)
            what = "indexes and triggers" if on_sqlite else "indexes"
            console.print(
                f"rebuilt {len(deferred)} {what} in {time.perf_counter() - started:.1f} s"
            )
            started = time.perf_counter()
            if on_sqlite:
                await conn.exec_driver_sql("ANALYZE")
                # The app's connections ask for WAL: switched once here rather than by the first.
                await conn.exec_driver_sql("PRAGMA journal_mode = WAL")
                console.print(f"ANALYZE in {time.perf_counter() - started:.1f} s")
            else:
                # Sets hint bits and the visibility map now, so the first benchmark reads don't.
                await conn.exec_driver_sql("VACUUM (ANALYZE)")
                console.print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")
    finally:
        await engine.dispose()


def main() -> None:
    args = parse_args()
    url, on_sqlite = args.database_url, is_sqlite(args.database_url)
    if "bench" not in database_name(url):
        what = "SQLite file" if on_sqlite else "database"
        raise SystemExit(f"refusing to empty a {what} whose name lacks 'bench'")
    started = time.perf_counter()
    today = datetime.now(UTC).date()
    STATE_FILE.unlink(missing_ok=True)  # run.py must not use a half-seeded database
    if on_sqlite:
        reset_sqlite(url)
    else:
        asyncio.run(reset_database(url))
    # Alembic's env runs its own event loop: call it from sync code.
    migrate.upgrade(url)
    state, plans, deferred = asyncio.run(prepare(args, today))
    if on_sqlite:
        loaded = asyncio.run(insert_reservations(url, plans, args))
    else:
        loaded = copy_reservations(url, plans, args)
    asyncio.run(finish(url, deferred))
    state |= {"reservations": loaded, "seeded_on": today.isoformat()}
    STATE_FILE.write_text(json.dumps(state, indent=2) + "\n")
    console.print(
        f"seeded {loaded:,} reservations in {time.perf_counter() - started:.1f} s; "
        f"state in {STATE_FILE}"
    )


if __name__ == "__main__":
    main()
