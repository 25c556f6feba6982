"""Keyset pagination with an opaque cursor: stable under inserts, no OFFSET scans."""

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Self, TypeAlias, TypeVar

import orjson
import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from hoa.core.errors import AppError


class InvalidCursor(AppError):
    code, status_code, message = "invalid_cursor", 422, "The page cursor is invalid or expired."


@dataclass(frozen=True, slots=True)
class Cursor:
    """Position after the last item returned: its sort key and id."""

    key: datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = orjson.dumps([self.key.isoformat(), str(self.id)])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Self:
        """The cursor ``encode`` made; anything else (a forged one) raises InvalidCursor."""
        try:
            decoded = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            match decoded:
                case [str(key), str(id_)]:
                    parsed = datetime.fromisoformat(key)
                case _:
                    raise ValueError("not a cursor")
            if parsed.tzinfo is None:
                raise ValueError("naive cursor")
            # In UTC, as stored: a date at the calendar's ends with an offset has no UTC value.
            return cls(parsed.astimezone(UTC), uuid.UUID(id_))
        except (ValueError, OverflowError) as exc:  # orjson's and binascii's errors included
            raise InvalidCursor from exc


T = TypeVar("T")
# A select of any columns (SQLAlchemy 2.1 types a select by its column types).
AnySelect: TypeAlias = "sa.Select[*tuple[Any, ...]]"
AnyRow: TypeAlias = "sa.Row[*tuple[Any, ...]]"


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None

    @classmethod
    def of(cls, rows: Sequence[Any], schema: type[T], cursor: Cursor | None) -> "Page[T]":
        validate = getattr(schema, "model_validate")  # noqa: B009 - schema is a pydantic model
        return cls(items=[validate(row) for row in rows], next_cursor=cursor and cursor.encode())


async def page_query(
    session: AsyncSession,
    query: AnySelect,
    key: InstrumentedAttribute[datetime],
    id_: InstrumentedAttribute[uuid.UUID],
    cursor: Cursor | None,
    limit: int,
    *,
    descending: bool = False,
) -> tuple[list[AnyRow], Cursor | None]:
    """One page of rows ordered by (key, id); the key and id are columns of the rows, or else
    attributes of each row's first entity."""
    if cursor is not None:
        after = (key < cursor.key) | ((key == cursor.key) & (id_ < cursor.id))
        before = (key > cursor.key) | ((key == cursor.key) & (id_ > cursor.id))
        query = query.where(after if descending else before)
    order = (key.desc(), id_.desc()) if descending else (key.asc(), id_.asc())
    rows = list((await session.execute(query.order_by(*order).limit(limit + 1))).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1] if key.key in rows[-1]._fields else rows[-1][0]
    return rows, Cursor(getattr(last, key.key), getattr(last, id_.key))
