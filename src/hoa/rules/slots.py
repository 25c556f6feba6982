"""Bookable slots, judged by check_booking itself so a listed slot never contradicts booking."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hoa.rules.booking import (
    MINUTE,
    AmenityRules,
    Booked,
    BookingMode,
    BookingRequest,
    Interval,
    _outside_hours,
    _peak,
    _utc,
    _utc_booked,
    _utc_interval,
    check_booking,
)

# The household of the 1-person probe that day_slots books: equal to no real household.
_NOBODY = object()


@dataclass(frozen=True, slots=True)
class Slot:
    """A candidate booking in UTC. `remaining` is 0 when unavailable, else 1 in EXCLUSIVE mode and
    the people who can still join for the whole slot in CAPACITY mode; `reason` is the violation
    code when unavailable."""

    starts_at: datetime
    ends_at: datetime
    available: bool
    remaining: int
    reason: str | None


def day_slots(
    day: date,
    rules: AmenityRules,
    tz: ZoneInfo,
    now: datetime,
    *,
    booked: Sequence[Booked],
    blackouts: Sequence[Interval],
) -> list[Slot]:
    """The slots of a local day, in time order.

    Slots last max(slot_minutes, min_duration_minutes) and start at every multiple of slot_minutes
    of local wall time inside an opening range of `day`; a slot that would not fit the opening hours
    is left out. Wall times skipped by a spring-forward change are left out, and those repeated by a
    fall-back change appear once per real instant. Availability is what check_booking says of a
    1-person, 0-guest booking of the slot without quotas or rules acceptance.
    Raises ValueError on a naive datetime.
    """
    length = max(rules.slot_minutes, rules.min_duration_minutes) * MINUTE
    probes = (BookingRequest(s, s + length, 1, 0, _NOBODY, None) for s in _starts(day, rules, tz))
    slots = _slots(probes, rules, tz, now, booked, blackouts)
    return sorted({s.starts_at: s for s in slots}.values(), key=lambda s: s.starts_at)


def nearest_free_slot(
    req: BookingRequest,
    rules: AmenityRules,
    tz: ZoneInfo,
    now: datetime,
    *,
    booked: Sequence[Booked],
    blackouts: Sequence[Interval],
    search_days: int = 14,
) -> Slot | None:
    """The available slot closest in time to req.starts_at (on a tie, the later one), or None.

    Candidates start like day_slots' on the local days within search_days of req's, last as long as
    req (or as a day slot, when req is shorter than min_duration_minutes) and are judged by
    check_booking with req's headcount, guests and household, without quotas or rules acceptance.
    Raises ValueError on a naive datetime.
    """
    req = replace(req, starts_at=_utc(req.starts_at), ends_at=_utc(req.ends_at))
    length = req.ends_at - req.starts_at
    if length < rules.min_duration_minutes * MINUTE:
        length = max(rules.slot_minutes, rules.min_duration_minutes) * MINUTE
    around = req.starts_at.astimezone(tz).date()
    probes = (
        replace(req, starts_at=s, ends_at=s + length)
        for offset in range(-search_days, search_days + 1)
        for s in _starts(around + timedelta(days=offset), rules, tz)
    )
    free = [s for s in _slots(probes, rules, tz, now, booked, blackouts) if s.available]
    return min(
        free,
        key=lambda s: (abs(s.starts_at - req.starts_at), s.starts_at < req.starts_at),
        default=None,
    )


def _slots(
    probes: Iterator[BookingRequest],
    rules: AmenityRules,
    tz: ZoneInfo,
    now: datetime,
    booked: Sequence[Booked],
    blackouts: Sequence[Interval],
) -> Iterator[Slot]:
    now = _utc(now)
    booked = [_utc_booked(b) for b in booked]
    blackouts = [_utc_interval(i) for i in blackouts]
    unlimited = replace(
        rules, max_per_day=None, max_per_week=None, max_per_month=None, max_upcoming=None
    )
    for probe in probes:
        if _outside_hours(probe.starts_at, probe.ends_at, rules, tz):
            continue
        violation = check_booking(
            probe,
            unlimited,
            tz,
            now,
            booked=booked,
            household_booked=(),
            blackouts=blackouts,
            check_acceptance=False,
        )
        if violation is not None:
            remaining = 0
        elif rules.mode is BookingMode.EXCLUSIVE:
            remaining = 1
        else:
            remaining = rules.capacity - _peak(booked, probe.starts_at, probe.ends_at)
        reason = violation.code if violation else None
        yield Slot(probe.starts_at, probe.ends_at, violation is None, remaining, reason)


def _starts(day: date, rules: AmenityRules, tz: ZoneInfo) -> Iterator[datetime]:
    """Each instant whose wall time on `day` is a multiple of slot_minutes in an opening range."""
    step = rules.slot_minutes
    midnight = datetime.combine(day, time())
    for opens, closes in rules.hours.get(day.weekday(), ()):
        for minute in range(-(-opens // step) * step, closes, step):
            yield from _instants(midnight + minute * MINUTE, tz)


def _instants(wall: datetime, tz: ZoneInfo) -> list[datetime]:
    """The UTC instants at which the local clock shows `wall`: none inside a spring-forward gap, two
    inside a fall-back overlap."""
    candidates = (wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1))
    return sorted({c for c in candidates if c.astimezone(tz).replace(tzinfo=None) == wall})
