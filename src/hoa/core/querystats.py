"""The database's own statement statistics: PostgreSQL's ``pg_stat_statements``, read by
``hoa db-top``. Its statements are normalized by PostgreSQL (values as ``$1``)."""

from dataclasses import dataclass

import sqlalchemy as sa


class QueryStatsUnavailable(Exception):
    """The database keeps no statement statistics (SQLite, or the extension is missing)."""


@dataclass(frozen=True)
class StatementStats:
    calls: int
    total_ms: float
    mean_ms: float
    rows: int
    statement: str


HOW_TO = (
    "add pg_stat_statements to shared_preload_libraries, restart PostgreSQL and run "
    "CREATE EXTENSION pg_stat_statements in this database (docs/operations.md#query-monitoring)"
)


def top_statements(url: str, limit: int = 10) -> list[StatementStats]:
    """This database's statements with the most total execution time, most first."""
    sync = sa.make_url(url)
    if not sync.drivername.startswith("postgresql"):
        raise QueryStatsUnavailable("statement statistics need PostgreSQL (pg_stat_statements)")
    engine = sa.create_engine(sync.set(drivername="postgresql+psycopg"), poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            if not conn.scalar(
                sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")
            ):
                raise QueryStatsUnavailable(f"pg_stat_statements is not installed: {HOW_TO}")
            rows = conn.execute(
                sa.text(
                    "SELECT calls, total_exec_time, mean_exec_time, rows, query"
                    " FROM pg_stat_statements"
                    " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    " ORDER BY total_exec_time DESC LIMIT :limit"
                ),
                {"limit": limit},
            ).all()
    except sa.exc.OperationalError as exc:  # installed, but the library is not preloaded
        raise QueryStatsUnavailable(f"pg_stat_statements is not loaded: {HOW_TO}") from exc
    finally:
        engine.dispose()
    return [StatementStats(int(c), float(t), float(m), int(r), str(q)) for c, t, m, r, q in rows]
