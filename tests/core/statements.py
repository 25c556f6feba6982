"""What the app's engine sends to the database, as the driver sends it: every statement, and
the commands that begin and end transactions (``async with Statements(app) as sent``)."""

import asyncio
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.util.concurrency import await_

_TRANSACTION = ("BEGIN", "START", "COMMIT", "ROLLBACK", "END")
_counting: list[list[str]] = []  # the lists of the Statements counting now


def _seen(statement: str) -> None:
    for sent in _counting:
        sent.append(statement)


def _watch(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    """Once per connection: SQLite traces every statement it runs (BEGIN and COMMIT included);
    asyncpg logs the transaction commands, soon after they ran (statements are seen by
    ``before_cursor_execute``)."""
    if record.info.get("statements_watched"):
        return
    record.info["statements_watched"] = True
    driver = dbapi_conn.driver_connection
    if hasattr(driver, "set_trace_callback"):
        await_(driver.set_trace_callback(_seen))
    else:
        driver.add_query_logger(_transaction)


def _transaction(logged: Any) -> None:
    if logged.query.lstrip().upper().startswith(_TRANSACTION):
        _seen(logged.query)


def _statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
    _seen(statement)


class Statements:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.engine = app.state.db.engine.sync_engine
        self.sqlite = self.engine.dialect.name == "sqlite"
        self.sent: list[str] = []

    async def __aenter__(self) -> "Statements":
        await self.app.state.read_cache.warmed()  # the cache's own reads are not the request's
        sa.event.listen(self.engine, "checkout", _watch)
        if not self.sqlite:
            sa.event.listen(self.engine, "before_cursor_execute", _statement)
        _counting.append(self.sent)
        return self

    async def __aexit__(self, *_: object) -> None:
        await asyncio.sleep(0)  # asyncpg's loggers are called soon, not at once
        _counting.remove(self.sent)
        if not self.sqlite:
            sa.event.remove(self.engine, "before_cursor_execute", _statement)
        sa.event.remove(self.engine, "checkout", _watch)
