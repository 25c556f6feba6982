"""The benchmark seed's SQLite path (bench/seed.py): which file it may empty, and rows bound as
the app binds them (SQLite compares datetimes as text, so one format for every row)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import cast

import sqlalchemy as sa
from bench.run import query_plan_tree
from bench.seed import COLUMNS, bound_for_sqlite, database_name, is_sqlite

from hoa.models import Reservation


def test_the_name_checked_is_the_database_or_the_sqlite_file_not_its_folder() -> None:
    assert database_name("postgresql+asyncpg://postgres@127.0.0.1:5432/hoa_bench") == "hoa_bench"
    assert database_name("sqlite+aiosqlite:///bench/bench.db") == "bench.db"
    assert "bench" not in database_name("sqlite+aiosqlite:///bench/hoa.db")
    assert database_name("sqlite+aiosqlite://") == ""
    assert is_sqlite("sqlite+aiosqlite:///bench/bench.db")
    assert not is_sqlite("postgresql+asyncpg://postgres@127.0.0.1:5432/hoa_bench")


def test_generated_rows_are_stored_as_sqlalchemy_stores_them_on_sqlite() -> None:
    starts = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
    ends = starts + timedelta(hours=1)
    row = (
        *(uuid.uuid4() for _ in range(6)),
        starts,
        ends,
        starts,
        ends + timedelta(minutes=30),
        True,
        2,
        0,
        "",
        "",
        "confirmed",
        starts - timedelta(days=3),
        starts - timedelta(days=3),
    )
    table = cast(sa.Table, Reservation.__table__)
    with sa.create_engine("sqlite://").begin() as conn:
        table.create(conn)  # foreign keys unchecked: SQLite's default
        conn.execute(sa.insert(table), dict(zip(COLUMNS, row, strict=True)))
        columns = ", ".join(COLUMNS)
        stored = conn.exec_driver_sql(f"SELECT {columns} FROM reservations").one()  # noqa: S608
    assert bound_for_sqlite()([row]) == [tuple(stored)]


def test_sqlite_plans_are_indented_by_parent() -> None:
    steps = [(2, 0, "SEARCH r"), (5, 2, "CORRELATED SUBQUERY"), (9, 0, "SEARCH u")]
    assert query_plan_tree(steps) == "SEARCH r\n  CORRELATED SUBQUERY\nSEARCH u"
