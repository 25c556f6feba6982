"""Reading reservations: the calendar and availability (hot reads, one round trip, plain data),
lists, one reservation, and what keeps an amenity busy, which the booking checks use too."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum
from typing import Any, cast
from zoneinfo import ZoneInfo

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hoa import rules
from hoa.amenities import service as amenities
from hoa.core.context import CommunityCtx
from hoa.core.database import utcnow, uuid_text
from hoa.core.errors import NotFound
from hoa.core.pagination import AnySelect, Cursor, page_query
from hoa.models import (
    HELD_STATUSES,
    MAX_RESERVATION_DAYS,
    Amenity,
    AmenityStatus,
    Blackout,
    Community,
    Reservation,
    ReservationStatus,
    User,
)
from hoa.reservations.errors import RangeTooLong
from hoa.reservations.schemas import ReservationRead

MAX_CALENDAR_DAYS = 62
HISTORY = timedelta(days=MAX_RESERVATION_DAYS)


class Source(IntEnum):
    """What a row of the busy UNION is (its first column)."""

    BOOKED = 0  # an active booking of the amenity
    HOUSEHOLD = 1  # a booking of the booking household (for quotas)
    CLOSED = 2  # a blackout


def _source(source: Source) -> sa.ColumnElement[Any]:
    return sa.literal_column(str(int(source))).label("source")


def _booked_query(amenity_id: Any, since: Any, until: Any, ends_after: Any) -> AnySelect:
    """Bookings of the amenity that hold time, starting in (since, until) and ending after
    ends_after, as (Source.BOOKED, starts_at, ends_at, headcount, household_id, id)."""
    return sa.select(
        _source(Source.BOOKED),
        Reservation.starts_at,
        Reservation.ends_at,
        Reservation.headcount,
        Reservation.household_id,
        Reservation.id.label("ref"),
    ).where(
        Reservation.amenity_id == amenity_id,
        Reservation.status.in_(HELD_STATUSES),
        Reservation.starts_at > since,
        Reservation.starts_at < until,
        Reservation.ends_at > ends_after,
    )


def _blackouts_query(community_id: Any, amenity_id: Any, start: Any, end: Any) -> AnySelect:
    """The community's and the amenity's closures overlapping [start, end), shaped like
    _booked_query's rows (Source.CLOSED)."""
    return sa.select(
        _source(Source.CLOSED),
        Blackout.starts_at,
        Blackout.ends_at,
        sa.literal_column("0").label("headcount"),
        sa.null().label("household_id"),
        Blackout.id.label("ref"),
    ).where(
        Blackout.community_id == community_id,
        sa.or_(Blackout.amenity_id == amenity_id, Blackout.amenity_id.is_(None)),
        Blackout.starts_at < end,
        Blackout.ends_at > start,
    )


def _household_query(amenity_id: Any, household_id: Any, since: Any) -> AnySelect:
    """The household's bookings of the amenity holding time starting from since
    (Source.HOUSEHOLD)."""
    return sa.select(
        _source(Source.HOUSEHOLD),
        Reservation.starts_at,
        Reservation.ends_at,
        Reservation.headcount,
        Reservation.household_id,
        Reservation.id.label("ref"),
    ).where(
        Reservation.amenity_id == amenity_id,
        Reservation.household_id == household_id,
        Reservation.status.in_(HELD_STATUSES),
        Reservation.starts_at >= since,
    )


def _p(name: str) -> sa.BindParameter[Any]:
    return sa.bindparam(name)


# Built once: the hot reads and the booking check send one statement for all they need, and
# skip building and cache-keying the expressions per request.
_BUSY = sa.union_all(
    _booked_query(_p("amenity_id"), _p("since"), _p("until"), _p("ends_after")),
    _blackouts_query(_p("community_id"), _p("amenity_id"), _p("closed_from"), _p("closed_to")),
)
_BUSY_AND_HOUSEHOLD = sa.union_all(
    _booked_query(_p("amenity_id"), _p("since"), _p("until"), _p("ends_after")),
    _blackouts_query(_p("community_id"), _p("amenity_id"), _p("closed_from"), _p("closed_to")),
    _household_query(_p("amenity_id"), _p("household_id"), _p("household_since")),
)


_BUSY_ROWS = _BUSY.subquery()
# availability's amenity and what keeps it busy in one round trip: the amenity on every row (or
# alone, with NULLs, on a free day). The bookings' window is widened by _AVAILABILITY_PAD
# instead of the amenity's buffers, which are not known before the row arrives; an amenity with
# more buffer than that is read again with its own window.
_AVAILABILITY_PAD = timedelta(hours=2)
_AMENITY_COLUMNS = [Amenity.__table__.c[name] for name in amenities.RULE_COLUMNS]
_AMENITY_AND_BUSY = (
    sa.select(*_AMENITY_COLUMNS, *_BUSY_ROWS.c)
    .outerjoin(_BUSY_ROWS, sa.true())
    .where(Amenity.id == _p("amenity_id"), Amenity.community_id == _p("community_id"))
)


@dataclass(frozen=True, slots=True)
class Busy:
    """What decides whether the amenity is free: active bookings, the booking household's own
    bookings (for quotas) and closures."""

    booked: list[rules.Booked]
    household_booked: list[rules.Interval]
    blackouts: list[rules.Interval]


def quota_household(
    amenity_rules: rules.AmenityRules, household_id: uuid.UUID | None, since: datetime
) -> tuple[uuid.UUID, datetime] | None:
    """``load_busy``'s ``household``: the household's own bookings from ``since``, where a quota
    of the amenity counts them (without one, a household with a long series would be read for
    nothing on every booking)."""
    if household_id is None or not amenity_rules.has_quotas:
        return None
    return household_id, since


def booked_window(
    amenity: amenities.RuleSource, start: datetime, end: datetime
) -> dict[str, datetime]:
    """Bounds for bookings whose blocked span may touch [start, end). ``starts_at`` is bounded on
    both sides (no booking lasts longer than MAX_RESERVATION_DAYS) so the (amenity_id,
    starts_at) index serves it however long the history is."""
    pad = timedelta(minutes=amenity.buffer_before_minutes + amenity.buffer_after_minutes)
    lo, hi = start - pad, end + pad
    return {"since": lo - HISTORY, "until": hi, "ends_after": lo}


async def load_busy(
    session: AsyncSession,
    amenity: amenities.RuleSource,
    booked: tuple[datetime, datetime],
    closed: tuple[datetime, datetime],
    household: tuple[uuid.UUID, datetime] | None = None,
    exclude: uuid.UUID | None = None,
) -> Busy:
    """In one round trip: bookings whose blocked span may touch the `booked` range, closures
    overlapping the `closed` range and, given (household_id, since), the household's bookings
    starting from since; all less the booking ``exclude``."""
    window = booked_window(amenity, *booked)
    params = busy_params(amenity.id, amenity.community_id, closed, window)
    if household is not None:
        params["household_id"], params["household_since"] = household
    connection = await session.connection()
    rows = await connection.execute(_BUSY if household is None else _BUSY_AND_HOUSEHOLD, params)
    return sorted_busy(rows, exclude)


def busy_params(
    amenity_id: uuid.UUID,
    community_id: uuid.UUID,
    closed: tuple[datetime, datetime],
    window: dict[str, datetime],
) -> dict[str, Any]:
    return {
        "amenity_id": amenity_id,
        "community_id": community_id,
        "closed_from": closed[0],
        "closed_to": closed[1],
        **window,
    }


def sorted_busy(rows: Iterable[Sequence[Any]], exclude: uuid.UUID | None = None) -> Busy:
    """The busy UNION's rows sorted by source, less the booking ``exclude`` (one being
    changed does not stand in its own way)."""
    busy = Busy([], [], [])
    for source, starts_at, ends_at, headcount, household_id, ref in rows:
        if exclude is not None and ref == exclude and source != Source.CLOSED:
            continue
        if source == Source.BOOKED:
            busy.booked.append(rules.Booked(starts_at, ends_at, headcount, household_id))
        elif source == Source.HOUSEHOLD:
            busy.household_booked.append(rules.Interval(starts_at, ends_at, ref))
        elif source == Source.CLOSED:  # else None: availability's amenity on a free day
            busy.blackouts.append(rules.Interval(starts_at, ends_at))
    return busy


async def booked(
    session: AsyncSession,
    amenity: Amenity,
    start: datetime,
    end: datetime,
    exclude: uuid.UUID | None = None,
) -> list[rules.Booked]:
    """Active bookings of the amenity whose blocked span may touch [start, end)."""
    window = booked_window(amenity, start, end)
    query = _booked_query(amenity.id, window["since"], window["until"], window["ends_after"])
    if exclude is not None:
        query = query.where(Reservation.id != exclude)
    rows = await session.execute(query)
    return [rules.Booked(*row[1:5]) for row in rows]


async def taken(
    session: AsyncSession,
    amenity: Amenity,
    start: datetime,
    end: datetime,
    exclude: uuid.UUID | None = None,
) -> bool:
    """Whether a booking of the amenity (less ``exclude``) holds time whose blocked span, with
    the amenity's buffers, overlaps that of [start, end): the booking check's test for an
    exclusive amenity (``booked_window`` is exactly it), as one index-bounded EXISTS."""
    window = booked_window(amenity, start, end)
    query = _booked_query(amenity.id, window["since"], window["until"], window["ends_after"])
    if exclude is not None:
        query = query.where(Reservation.id != exclude)
    return bool(await session.scalar(sa.select(query.exists())))


async def blackouts(
    session: AsyncSession, amenity: Amenity, start: datetime, end: datetime
) -> list[rules.Interval]:
    rows = await session.execute(_blackouts_query(amenity.community_id, amenity.id, start, end))
    return [rules.Interval(row.starts_at, row.ends_at) for row in rows]


def cancellable_until(reservation: Reservation, amenity: Amenity) -> datetime | None:
    """Until when the booking's resident may change or cancel it: a request until it starts, a
    confirmed booking until the amenity's cutoff or the end of the grace period after it was
    confirmed, whichever is later. None once it is no longer active."""
    return _deadline(
        reservation.status,
        reservation.starts_at,
        reservation.decided_at or reservation.created_at,
        amenity.cancellation_cutoff_hours,
        amenity.cancellation_grace_minutes,
    )


def _deadline(
    status: ReservationStatus,
    starts_at: datetime,
    confirmed_at: datetime,
    cutoff_hours: int,
    grace_minutes: int,
) -> datetime | None:
    if status is ReservationStatus.PENDING:
        return starts_at
    if status is not ReservationStatus.CONFIRMED:
        return None
    return rules.cancellation_deadline(starts_at, confirmed_at, cutoff_hours, grace_minutes)


async def present(
    session: AsyncSession, reservations: Sequence[Reservation]
) -> list[ReservationRead]:
    """Reservations as the API shows them, with the deadline for changing or cancelling."""
    amenity_ids = {r.amenity_id for r in reservations}
    found = await session.scalars(sa.select(Amenity).where(Amenity.id.in_(amenity_ids)))
    by_id = {a.id: a for a in found}
    return presented((r, by_id[r.amenity_id]) for r in reservations)


def presented(rows: Iterable[tuple[Reservation, Amenity]]) -> list[ReservationRead]:
    """Reservations with their amenities, as the API shows them."""
    return [
        ReservationRead.model_validate(r).model_copy(
            update={"cancellable_until": cancellable_until(r, amenity)}
        )
        for r, amenity in rows
    ]


async def get_visible(
    session: AsyncSession, ctx: CommunityCtx, reservation_id: uuid.UUID, *, lock: bool = False
) -> Reservation:
    """A reservation of the caller's household, or any of the community's for admins."""
    query = sa.select(Reservation).where(
        Reservation.id == reservation_id, Reservation.community_id == ctx.community_id
    )
    reservation = await session.scalar(query.with_for_update() if lock else query)
    if reservation is None or not (
        ctx.is_admin
        or reservation.booked_for_id == ctx.user_id
        or (reservation.household_id is not None and reservation.household_id == ctx.household_id)
    ):
        raise NotFound("Reservation not found.")
    return reservation


# A listed reservation: ReservationRead's columns, then what its deadline needs of the amenity.
_LISTED_FIELDS = tuple(name for name in ReservationRead.model_fields if name != "cancellable_until")
_LISTED = sa.select(
    *(Reservation.__table__.c[name] for name in _LISTED_FIELDS),
    Amenity.cancellation_cutoff_hours,
    Amenity.cancellation_grace_minutes,
).join(Amenity, Amenity.id == Reservation.amenity_id)


async def list_reservations(
    session: AsyncSession,
    ctx: CommunityCtx,
    *,
    mine: bool,
    amenity_id: uuid.UUID | None,
    status: ReservationStatus | None,
    start: datetime | None,
    end: datetime | None,
    cursor: Cursor | None,
    limit: int,
) -> tuple[list[dict[str, Any]], Cursor | None]:
    """A page of reservations shaped like ReservationRead, with their deadlines, in one query
    (a hot read: plain rows, no ORM objects or models)."""
    query = _LISTED.where(Reservation.community_id == ctx.community_id)
    if mine or not ctx.is_admin:
        own = Reservation.booked_for_id == ctx.user_id
        if ctx.household_id is not None:
            own = own | (Reservation.household_id == ctx.household_id)
        query = query.where(own)
    if amenity_id is not None:
        query = query.where(Reservation.amenity_id == amenity_id)
    if status is not None:
        query = query.where(Reservation.status == status)
    if start is not None:
        query = query.where(Reservation.ends_at > start)
    if end is not None:
        query = query.where(Reservation.starts_at < end)
    rows, next_cursor = await page_query(
        session, query, Reservation.starts_at, Reservation.id, cursor, limit
    )
    return [_listed(row) for row in rows], next_cursor


def _listed(row: Sequence[Any]) -> dict[str, Any]:
    *columns, cutoff_hours, grace_minutes = row
    item = dict(zip(_LISTED_FIELDS, columns, strict=True))
    confirmed_at = item["decided_at"] or item["created_at"]
    item["cancellable_until"] = _deadline(
        item["status"], item["starts_at"], confirmed_at, cutoff_hours, grace_minutes
    )
    return item


def calendar_query(
    community_id: uuid.UUID, start: datetime, end: datetime, amenity_id: uuid.UUID | None
) -> AnySelect:
    """Active bookings overlapping [start, end): ``starts_at`` is bounded on both sides so the
    (community_id, starts_at) index serves it whatever the history's length. Ids come as text:
    a month holds hundreds of rows, and they are only compared and serialized."""
    query = (
        sa.select(
            uuid_text(Reservation.id),
            uuid_text(Reservation.amenity_id),
            Reservation.starts_at,
            Reservation.ends_at,
            Reservation.status,
            Reservation.headcount,
            uuid_text(Reservation.household_id),
            uuid_text(Reservation.booked_for_id),
            Reservation.title,
            User.name,
        )
        .join(User, User.id == Reservation.booked_for_id)
        .where(
            Reservation.community_id == community_id,
            Reservation.starts_at > start - HISTORY,
            Reservation.starts_at < end,
            Reservation.ends_at > start,
            Reservation.status.in_(HELD_STATUSES),
        )
        .order_by(Reservation.starts_at)
    )
    if amenity_id is not None:
        query = query.where(Reservation.amenity_id == amenity_id)
    return query


@dataclass(frozen=True, slots=True)
class CalendarRows:
    """A community's bookings and closures overlapping a range, shared by every viewer: what
    depends on the viewer (``mine``, names and titles) is decided by ``present_calendar``."""

    since: datetime  # the start of the range read
    entries: tuple[tuple[Any, ...], ...]  # the columns of calendar_query, ids as text
    closures: tuple[dict[str, Any], ...]


def calendar_bytes(rows: CalendarRows) -> bytes:
    """The rows as compact JSON, for a cache outside the process."""
    closures = [tuple(c[name] for name in _CLOSURE) for c in rows.closures]
    return orjson.dumps((rows.since, rows.entries, closures), default=str)


def calendar_from_bytes(data: bytes) -> CalendarRows:
    """``calendar_bytes`` read back: ids stay text (making thousands of UUIDs would cost more
    than reading the database), the times are parsed again since the range and order need them.
    """
    since, entries, closures = orjson.loads(data)
    parse = datetime.fromisoformat
    return CalendarRows(
        parse(since),
        tuple((i, a, parse(s), parse(e), *rest) for i, a, s, e, *rest in entries),
        tuple(
            {"id": i, "amenity_id": a, "starts_at": parse(s), "ends_at": parse(e), "reason": r}
            for i, a, s, e, r in closures
        ),
    )


def check_range(start: datetime, end: datetime) -> None:
    if end <= start or end - start > timedelta(days=MAX_CALENDAR_DAYS):
        raise RangeTooLong


async def calendar_rows(
    session: AsyncSession,
    community_id: uuid.UUID,
    start: datetime,
    end: datetime,
    amenity_id: uuid.UUID | None,
) -> CalendarRows:
    """Active bookings and closures overlapping [start, end) in one statement: a hot read, so
    rows skip ORM loading and per-row model building."""
    bookings = calendar_query(community_id, start, end, amenity_id).order_by(None)
    both = sa.union_all(
        bookings.add_columns(_source(Source.BOOKED)),
        _closures_query(community_id, start, end, amenity_id),
    )
    entries, closed = [], []
    for *row, source in await session.execute(both):
        if source == Source.BOOKED:
            entries.append(tuple(row))
        else:
            closed.append(dict(zip(_CLOSURE, (*row[:4], row[8]), strict=True)))
    return CalendarRows(start, tuple(entries), tuple(closed))


_CLOSURE = ("id", "amenity_id", "starts_at", "ends_at", "reason")


def present_calendar(
    ctx: CommunityCtx,
    start: datetime,
    end: datetime,
    amenity_id: uuid.UUID | None,
    parts: Sequence[CalendarRows],
) -> dict[str, Any]:
    """The calendar shaped like ``Calendar`` for the caller, from rows of consecutive ranges
    covering [start, end) (months from the cache, or the range itself): rows outside the range
    or of another amenity are left out, a row found in two parts is shown once (from the first:
    what starts before a part's range is in the part before).

    Residents see others' bookings as anonymous busy blocks unless the community shows names.
    """
    names = ctx.is_admin or ctx.show_booker_names
    # The rows hold ids as text (calendar_query).
    user_id = str(ctx.user_id)
    household = None if ctx.household_id is None else str(ctx.household_id)
    only = None if amenity_id is None else str(amenity_id)
    entries: list[dict[str, Any]] = []
    closures: list[dict[str, Any]] = []
    for number, part in enumerate(parts):
        since = part.since if number else None  # what starts before it is in the part before
        for row in part.entries:
            id_, amenity, starts_at, ends_at, status, headcount, home, booked_for, title, name = row
            if not _overlaps(starts_at, ends_at, start, end) or only not in (None, amenity):
                continue
            if since is not None and starts_at < since:
                continue
            mine = booked_for == user_id or (household is not None and home == household)
            shown = mine or names
            entries.append(
                {
                    "id": id_,
                    "amenity_id": amenity,
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "status": status,
                    "headcount": headcount,
                    "mine": mine,
                    "title": title if shown else None,
                    "booked_for_name": name if shown else None,
                }
            )
        closures.extend(
            c
            for c in part.closures
            if _overlaps(c["starts_at"], c["ends_at"], start, end)
            and (only is None or c["amenity_id"] in (None, only))
            and (since is None or c["starts_at"] >= since)
        )
    return {
        "timezone": ctx.timezone,
        "start": start,
        "end": end,
        "entries": sorted(entries, key=lambda e: e["starts_at"]),
        "closures": sorted(closures, key=lambda c: c["starts_at"]),
    }


async def community_timezone(session: AsyncSession, community_id: uuid.UUID) -> str | None:
    """The community's time zone, or None when it is gone."""
    return await session.scalar(sa.select(Community.timezone).where(Community.id == community_id))


def local_months(start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The months of ``tz`` covering [start, end), each as the instants of its first local
    midnight and the next month's: a month view of the community is read as one."""
    local = start.astimezone(tz)
    month = date(local.year, local.month, 1)
    first = datetime.combine(month, time(), tz).astimezone(UTC)
    months = []
    while first < end:
        month = (month + timedelta(days=32)).replace(day=1)
        following = datetime.combine(month, time(), tz).astimezone(UTC)
        months.append((first, following))
        first = following
    return months


def _overlaps(starts_at: datetime, ends_at: datetime, start: datetime, end: datetime) -> bool:
    return starts_at < end and ends_at > start


def _closures_query(
    community_id: uuid.UUID, start: datetime, end: datetime, amenity_id: uuid.UUID | None
) -> AnySelect:
    """Closures overlapping [start, end), of the amenity (and of all amenities) when given,
    shaped like calendar_query's rows (the reason in the title's place) and marked CLOSED."""
    none = [sa.null().label(f"none_{n}") for n in range(5)]
    query = sa.select(
        uuid_text(Blackout.id),
        uuid_text(Blackout.amenity_id),
        Blackout.starts_at,
        Blackout.ends_at,
        *none[:4],
        Blackout.reason,
        none[4],
        _source(Source.CLOSED),
    ).where(
        Blackout.community_id == community_id,
        Blackout.starts_at < end,
        Blackout.ends_at > start,
    )
    if amenity_id is not None:
        query = query.where(
            sa.or_(Blackout.amenity_id.is_(None), Blackout.amenity_id == amenity_id)
        )
    return query


@dataclass(frozen=True, slots=True)
class DayInputs:
    """What an amenity's slots on a local day are computed from, shared by every viewer (the
    slots themselves depend on the time they are asked at)."""

    rules: rules.AmenityRules
    archived: bool
    busy: Busy


async def availability_inputs(
    session: AsyncSession,
    ctx: CommunityCtx,
    amenity_id: uuid.UUID,
    day: date,
    exclude: uuid.UUID | None = None,
) -> DayInputs:
    """The amenity's rules and what keeps it busy around the local day, in one round trip
    (usually), less the booking ``exclude`` (for moving it). Raises NotFound when ``exclude``
    is not a booking the caller may see, and so change."""
    if exclude is not None:
        await get_visible(session, ctx, exclude)
    lo, hi = _day_bounds(day, ZoneInfo(ctx.timezone))
    window = {
        "since": lo - _AVAILABILITY_PAD - HISTORY,
        "until": hi + _AVAILABILITY_PAD,
        "ends_after": lo - _AVAILABILITY_PAD,
    }
    params = busy_params(amenity_id, ctx.community_id, (lo, hi), window)
    rows = (await session.execute(_AMENITY_AND_BUSY, params)).all()
    if not rows:
        raise NotFound("Amenity not found.")
    amenity = cast(amenities.RuleSource, rows[0])  # the amenity's columns, by name
    archived = amenity.status is AmenityStatus.ARCHIVED
    pad = timedelta(minutes=amenity.buffer_before_minutes + amenity.buffer_after_minutes)
    length = timedelta(minutes=max(amenity.slot_minutes, amenity.min_duration_minutes))
    if amenity.check_in_time is not None:
        length += timedelta(days=1)  # a stay runs on to the check-out after its minimum
    if archived:
        busy = Busy([], [], [])
    elif pad <= _AVAILABILITY_PAD and length <= timedelta(days=1):
        busy = sorted_busy((row[len(_AMENITY_COLUMNS) :] for row in rows), exclude)
    else:
        # Long buffers, or slots lasting over a day (overnight stays) that end past `hi`.
        until = hi + max(length - timedelta(days=1), timedelta(0))
        busy = await load_busy(session, amenity, (lo, until), (lo, until), exclude=exclude)
    return DayInputs(amenities.to_rules(amenity), archived, busy)


def _day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local day, widened by a day each side: slots may straddle UTC midnight."""
    lo = datetime.combine(day - timedelta(days=1), datetime.min.time(), tz)
    hi = datetime.combine(day + timedelta(days=2), datetime.min.time(), tz)
    return lo, hi


def availability(inputs: DayInputs, timezone: str, day: date) -> list[dict[str, Any]]:
    """The day's slots as plain data shaped like ``SlotRead`` (a hot read), as of now."""
    if inputs.archived:
        raise amenities.Archived
    slots = rules.day_slots(
        day,
        inputs.rules,
        ZoneInfo(timezone),
        utcnow(),
        booked=inputs.busy.booked,
        blackouts=inputs.busy.blackouts,
    )
    return [
        {
            "starts_at": slot.starts_at,
            "ends_at": slot.ends_at,
            "available": slot.available,
            "remaining": slot.remaining,
            "reason": slot.reason,
        }
        for slot in slots
    ]
