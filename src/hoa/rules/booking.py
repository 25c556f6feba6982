"""Whether a booking or a cancellation is allowed, as pure functions of plain values, and every
rule a booking can break in one table: its code, the HTTP status of the refusal, whether a
nearby free slot is a useful answer, and what it means in a sentence (the API exports the codes
and the table in its OpenAPI document; the web app keys its messages by them).

Instants are compared and added in UTC: aware datetimes sharing one ZoneInfo compare and add by
wall clock, which is wrong in the repeated hour of a fall-back night and across every DST change.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import accumulate
from zoneinfo import ZoneInfo

from hoa.rules.wording import DEFAULT_LOCALE, Wording, plural


class RuleCode(StrEnum):
    INVALID_TIME = "reservation.invalid_time"
    INVALID_HEADCOUNT = "reservation.invalid_headcount"
    MISALIGNED = "reservation.misaligned"
    TOO_SHORT = "reservation.too_short"
    TOO_LONG = "reservation.too_long"
    IN_PAST = "reservation.in_past"
    TOO_LITTLE_NOTICE = "reservation.too_little_notice"
    TOO_FAR_AHEAD = "reservation.too_far_ahead"
    OUTSIDE_HOURS = "reservation.outside_hours"
    TOO_MANY_GUESTS = "reservation.too_many_guests"
    CAPACITY_EXCEEDED = "reservation.capacity_exceeded"
    BLACKOUT = "reservation.blackout"
    QUOTA_EXCEEDED = "reservation.quota_exceeded"
    SLOT_TAKEN = "reservation.slot_taken"
    CAPACITY_FULL = "reservation.capacity_full"
    RULES_NOT_ACCEPTED = "reservation.rules_not_accepted"
    CUTOFF_PASSED = "reservation.cutoff_passed"
    ALREADY_STARTED = "reservation.already_started"
    STAY_TIMES = "reservation.stay_times"


@dataclass(frozen=True, slots=True)
class Rule:
    # 409 when other bookings, closures or the clock decide; 422 when the request alone breaks it.
    status: int
    # Whether the nearest free slot is worth suggesting with the refusal.
    suggest: bool
    message: str


CONFLICT, INVALID = 409, 422

RULES: dict[RuleCode, Rule] = {
    RuleCode.INVALID_TIME: Rule(INVALID, False, "A booking must end after it starts."),
    RuleCode.INVALID_HEADCOUNT: Rule(
        INVALID, False, "A booking needs at least one person; guests count in the headcount."
    ),
    RuleCode.MISALIGNED: Rule(INVALID, False, "Bookings start and end on the slot grid."),
    RuleCode.TOO_SHORT: Rule(INVALID, False, "The booking is shorter than the minimum."),
    RuleCode.TOO_LONG: Rule(INVALID, False, "The booking is longer than the maximum."),
    RuleCode.IN_PAST: Rule(INVALID, True, "Bookings cannot start in the past."),
    RuleCode.TOO_LITTLE_NOTICE: Rule(INVALID, True, "The booking starts too soon."),
    RuleCode.TOO_FAR_AHEAD: Rule(INVALID, False, "The booking is beyond the booking window."),
    RuleCode.OUTSIDE_HOURS: Rule(INVALID, True, "The booking is outside the opening hours."),
    RuleCode.TOO_MANY_GUESTS: Rule(INVALID, False, "The party brings too many guests."),
    RuleCode.CAPACITY_EXCEEDED: Rule(
        INVALID, False, "More people than the amenity or a household may bring."
    ),
    RuleCode.BLACKOUT: Rule(CONFLICT, True, "The amenity is closed then."),
    RuleCode.QUOTA_EXCEEDED: Rule(CONFLICT, False, "The household's booking limit is reached."),
    RuleCode.SLOT_TAKEN: Rule(CONFLICT, True, "Another booking holds the time."),
    RuleCode.CAPACITY_FULL: Rule(CONFLICT, True, "Not enough places are free for that time."),
    RuleCode.RULES_NOT_ACCEPTED: Rule(
        INVALID, False, "The amenity's current rules must be accepted first."
    ),
    RuleCode.CUTOFF_PASSED: Rule(
        CONFLICT, False, "The cancellation cutoff has passed: no more changes online."
    ),
    RuleCode.ALREADY_STARTED: Rule(CONFLICT, False, "The booking has already started."),
    RuleCode.STAY_TIMES: Rule(
        INVALID, True, "A stay starts at check-in time and ends at check-out time nights later."
    ),
}


MINUTE = timedelta(minutes=1)
# Looking one microsecond before an end gives the wall clock the interval really reached: a booking
# ending as the clock jumps from 02:00 to 03:00 ends at 02:00, one ending at midnight at 24:00.
_TICK = timedelta(microseconds=1)


class BookingMode(StrEnum):
    EXCLUSIVE = "exclusive"
    CAPACITY = "capacity"


Hours = dict[int, tuple[tuple[int, int], ...]]


@dataclass(frozen=True, slots=True)
class AmenityRules:
    """An amenity's booking rules.

    `hours` maps a weekday (0 = Monday) to its opening ranges [open, close) in local wall-clock
    minutes from midnight (close may be 1440); a missing weekday is closed. Quotas count a
    household's active reservations by the local date they start on (ISO weeks); `max_upcoming`
    counts those starting after now. `rules_version` 0 means there is no rules text to accept.
    With `check_in_minute` and `check_out_minute` (local wall-clock minutes, overnight amenities)
    bookings are stays: they start at check-in and end at check-out one or more nights later,
    which replaces the slot grid.
    Raises ValueError on malformed values.
    """

    hours: Hours
    slot_minutes: int = 30
    min_duration_minutes: int = 30
    max_duration_minutes: int = 240
    max_days_ahead: int = 60
    min_notice_minutes: int = 0
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    mode: BookingMode = BookingMode.EXCLUSIVE
    capacity: int = 1
    max_headcount_per_household: int | None = None
    max_guests: int | None = None
    overnight_allowed: bool = False
    cancellation_cutoff_hours: int = 0
    cancellation_grace_minutes: int = 15
    max_per_day: int | None = None
    max_per_week: int | None = None
    max_per_month: int | None = None
    max_upcoming: int | None = None
    rules_version: int = 0
    check_in_minute: int | None = None
    check_out_minute: int | None = None

    @property
    def stays(self) -> bool:
        return self.check_in_minute is not None and self.check_out_minute is not None

    @property
    def has_quotas(self) -> bool:
        """Whether a household's own bookings can refuse one of its bookings."""
        limits = (self.max_per_day, self.max_per_week, self.max_per_month, self.max_upcoming)
        return any(limit is not None for limit in limits)

    def __post_init__(self) -> None:
        if self.slot_minutes < 1 or self.capacity < 1:
            raise ValueError("slot_minutes and capacity must be positive")
        for weekday, ranges in self.hours.items():
            if weekday not in range(7) or any(not 0 <= o < c <= 1440 for o, c in ranges):
                raise ValueError(f"bad opening hours for weekday {weekday}: {ranges}")


@dataclass(frozen=True, slots=True)
class Interval:
    starts_at: datetime
    ends_at: datetime
    # What the interval is (a household booking's reservation id), for refusals to name it.
    ref: object = None


@dataclass(frozen=True, slots=True)
class Booked:
    """An active (pending or confirmed) reservation of the amenity being booked."""

    starts_at: datetime
    ends_at: datetime
    headcount: int
    household_id: object


@dataclass(frozen=True, slots=True)
class BookingRequest:
    starts_at: datetime
    ends_at: datetime
    headcount: int  # guests included
    guests: int
    household_id: object
    accepted_rules_version: int | None


@dataclass(frozen=True, slots=True)
class Violation:
    code: RuleCode
    message: str
    details: dict[str, object]


def check_booking(
    req: BookingRequest,
    rules: AmenityRules,
    tz: ZoneInfo,
    now: datetime,
    *,
    booked: Sequence[Booked],
    household_booked: Sequence[Interval],
    blackouts: Sequence[Interval],
    check_acceptance: bool = True,
    locale: str = DEFAULT_LOCALE,
) -> Violation | None:
    """Return the first violated rule, or None if the booking is allowed; its message gives
    times in `tz` and in the formats of `locale`.

    Order: time and headcount shape, alignment, duration, notice, booking window, opening hours,
    party size, blackouts, household quotas, conflicts, rules acceptance. Reservations in `booked`
    or `household_booked` that cannot matter are ignored. In CAPACITY mode buffers widen only the
    blackout check: people sharing the amenity need no setup time between them, so occupancy is
    counted over the bare booked times. Raises ValueError on a naive datetime.
    """
    now = _utc(now)
    req = replace(req, starts_at=_utc(req.starts_at), ends_at=_utc(req.ends_at))
    checks = _checks(
        req,
        rules,
        Wording(tz, locale),
        now,
        [_utc_booked(b) for b in booked],
        [_utc_interval(i) for i in household_booked],
        [_utc_interval(i) for i in blackouts],
        check_acceptance,
    )
    return next((v for v in checks if v is not None), None)


def cancellation_deadline(
    starts_at: datetime, confirmed_at: datetime, cutoff_hours: int, grace_minutes: int
) -> datetime:
    """The last instant a resident may change or cancel a confirmed booking: the cutoff before
    it starts or, when later, the end of the grace period after it was confirmed, never past
    its start. The grace period keeps a booking made inside the cutoff (a same-day booking of
    an amenity with a day's cutoff) cancellable for a while. Raises ValueError on a naive
    datetime."""
    starts_at, confirmed_at = _utc(starts_at), _utc(confirmed_at)
    return max(
        starts_at - timedelta(hours=cutoff_hours),
        min(confirmed_at + grace_minutes * MINUTE, starts_at),
    )


def check_cancellation(
    starts_at: datetime,
    now: datetime,
    deadline: datetime,
    tz: ZoneInfo,
    locale: str = DEFAULT_LOCALE,
) -> Violation | None:
    """reservation.already_started when now >= starts_at, else reservation.cutoff_passed when
    now > deadline (cancelling exactly at the deadline is allowed); None if cancelling is
    allowed. Raises ValueError on a naive datetime."""
    starts_at, now, deadline = _utc(starts_at), _utc(now), _utc(deadline)
    if now >= starts_at:
        return _violation(RuleCode.ALREADY_STARTED, "The reservation has already started.")
    if now > deadline:
        return _violation(
            RuleCode.CUTOFF_PASSED,
            "This booking could be changed or cancelled online until "
            f"{Wording(tz, locale).when(deadline)}; ask the office now.",
            cancellable_until=deadline.isoformat(),
        )
    return None


def check_conflicts(
    req: BookingRequest,
    rules: AmenityRules,
    tz: ZoneInfo,
    *,
    booked: Sequence[Booked],
    blackouts: Sequence[Interval],
    locale: str = DEFAULT_LOCALE,
) -> Violation | None:
    """Only what other bookings and closures decide (blackout, slot taken, capacity): what must
    still hold when an admin approves a request made earlier under the same rules."""
    req = replace(req, starts_at=_utc(req.starts_at), ends_at=_utc(req.ends_at))
    blocked = blocked_interval(req.starts_at, req.ends_at, rules)
    w = Wording(tz, locale)
    return _check_blackouts(blocked, [_utc_interval(i) for i in blackouts], w) or _check_conflicts(
        req, rules, w, [_utc_booked(b) for b in booked], blocked
    )


def blocked_interval(starts_at: datetime, ends_at: datetime, rules: AmenityRules) -> Interval:
    """The time the amenity is blocked, in UTC: [start - buffer_before, end + buffer_after).
    Raises ValueError on a naive datetime."""
    return Interval(
        _utc(starts_at) - rules.buffer_before_minutes * MINUTE,
        _utc(ends_at) + rules.buffer_after_minutes * MINUTE,
    )


def _checks(
    req: BookingRequest,
    rules: AmenityRules,
    w: Wording,
    now: datetime,
    booked: Sequence[Booked],
    household_booked: Sequence[Interval],
    blackouts: Sequence[Interval],
    check_acceptance: bool,
) -> Iterator[Violation | None]:
    # Lazy, so each check may rely on the earlier ones having passed (a positive duration, say).
    yield _check_shape(req)
    yield _check_stay(req, rules, w) if rules.stays else _check_alignment(req, rules, w.tz)
    yield _check_duration(req, rules)
    yield _check_notice(req, rules, w, now)
    yield _check_window(req, rules, w, now)
    yield _outside_hours(req.starts_at, req.ends_at, rules, w)
    yield _check_party(req, rules)
    blocked = blocked_interval(req.starts_at, req.ends_at, rules)
    yield _check_blackouts(blocked, blackouts, w)
    yield _check_quotas(req, rules, w, now, household_booked)
    yield _check_conflicts(req, rules, w, booked, blocked)
    if check_acceptance and rules.rules_version > 0:
        yield _check_acceptance(req, rules)


def _check_shape(req: BookingRequest) -> Violation | None:
    if req.ends_at <= req.starts_at:
        return _violation(RuleCode.INVALID_TIME, "A booking must end after it starts.")
    if req.headcount < 1 or not 0 <= req.guests <= req.headcount:
        return _violation(
            RuleCode.INVALID_HEADCOUNT,
            "A booking needs at least one person, and its guests are counted in its headcount.",
            headcount=req.headcount,
            guests=req.guests,
        )
    return None


def _check_alignment(req: BookingRequest, rules: AmenityRules, tz: ZoneInfo) -> Violation | None:
    step = rules.slot_minutes * MINUTE
    wall = _wall(req.starts_at, tz)
    since_midnight = wall - datetime.combine(wall.date(), time())
    if since_midnight % step or (req.ends_at - req.starts_at) % step:
        return _violation(
            RuleCode.MISALIGNED,
            f"Bookings start at a multiple of {plural(rules.slot_minutes, 'minute')} past "
            f"midnight and last a multiple of {plural(rules.slot_minutes, 'minute')}.",
            slot_minutes=rules.slot_minutes,
        )
    return None


def _check_stay(req: BookingRequest, rules: AmenityRules, w: Wording) -> Violation | None:
    start, end = _wall(req.starts_at, w.tz), _wall_end(req.ends_at, w.tz)
    if (
        _minutes(start, start.date()) != rules.check_in_minute
        or _minutes(end, end.date()) != rules.check_out_minute
        or end.date() <= start.date()
    ):
        check_in, check_out = rules.check_in_minute or 0, rules.check_out_minute or 0
        return _violation(
            RuleCode.STAY_TIMES,
            f"Stays start at check-in, {w.clock(check_in)}, and end at check-out, "
            f"{w.clock(check_out)}, one or more nights later.",
            check_in=_hhmm(check_in),
            check_out=_hhmm(check_out),
        )
    return None


def stay_end(start: datetime, nights: int, rules: AmenityRules, tz: ZoneInfo) -> datetime:
    """The check-out instant `nights` local dates after a stay starting at `start`, in UTC.
    Raises ValueError on a naive datetime."""
    day = _utc(start).astimezone(tz).date() + timedelta(days=nights)
    wall = datetime.combine(day, time()) + (rules.check_out_minute or 0) * MINUTE
    return wall.replace(tzinfo=tz).astimezone(UTC)


def _check_duration(req: BookingRequest, rules: AmenityRules) -> Violation | None:
    minutes = (req.ends_at - req.starts_at) // MINUTE
    if minutes < rules.min_duration_minutes:
        return _violation(
            RuleCode.TOO_SHORT,
            f"Book at least {plural(rules.min_duration_minutes, 'minute')}.",
            min_duration_minutes=rules.min_duration_minutes,
            duration_minutes=minutes,
        )
    if minutes > rules.max_duration_minutes:
        return _violation(
            RuleCode.TOO_LONG,
            f"Book at most {plural(rules.max_duration_minutes, 'minute')}.",
            max_duration_minutes=rules.max_duration_minutes,
            duration_minutes=minutes,
        )
    return None


def _check_notice(
    req: BookingRequest, rules: AmenityRules, w: Wording, now: datetime
) -> Violation | None:
    if req.starts_at < now:
        return _violation(RuleCode.IN_PAST, "Bookings cannot start in the past.")
    earliest = now + rules.min_notice_minutes * MINUTE
    if req.starts_at < earliest:
        return _violation(
            RuleCode.TOO_LITTLE_NOTICE,
            f"Book at least {plural(rules.min_notice_minutes, 'minute')} ahead: "
            f"start at {w.when(earliest)} or later.",
            min_notice_minutes=rules.min_notice_minutes,
            earliest_start=earliest.isoformat(),
        )
    return None


def _check_window(
    req: BookingRequest, rules: AmenityRules, w: Wording, now: datetime
) -> Violation | None:
    last_day = now.astimezone(w.tz).date() + timedelta(days=rules.max_days_ahead)
    if req.starts_at.astimezone(w.tz).date() > last_day:
        return _violation(
            RuleCode.TOO_FAR_AHEAD,
            f"Book at most {plural(rules.max_days_ahead, 'day')} ahead, up to {w.day(last_day)}.",
            max_days_ahead=rules.max_days_ahead,
            last_day=last_day.isoformat(),
        )
    return None


def _outside_hours(
    start: datetime, end: datetime, rules: AmenityRules, w: Wording
) -> Violation | None:
    if problem := _hours_problem(start, end, rules, w.tz):
        return _hours_violation(*problem, rules, w)
    return None


def _hours_problem(
    start: datetime, end: datetime, rules: AmenityRules, tz: ZoneInfo
) -> tuple[str, date] | None:
    """A booking ending on the local date it starts must lie within one opening range of that date.
    One ending on a later date needs overnight_allowed, a start in a range of its first date and an
    end in, or at the close of, a range of its last date; the dates between are not checked.
    Returns what it must do and on which date, or None."""
    # Both ends converted once, and no words: day_slots asks this of every candidate slot.
    local_start, local_last = start.astimezone(tz), (end - _TICK).astimezone(tz)
    day, last_day = local_start.date(), local_last.date()
    if last_day == day or not rules.overnight_allowed:
        first, last = _wall_span(start, end, tz, day, local_start, local_last)
        if any(o <= first and last <= c for o, c in _ranges(rules, day)):
            return None
        return "fit within one of", day
    begin = _minutes(local_start.replace(tzinfo=None), day)
    if not any(o <= begin < c for o, c in _ranges(rules, day)):
        return "start within", day
    finish = _minutes(local_last.replace(tzinfo=None) + _TICK, last_day)
    if not any(o < finish <= c for o, c in _ranges(rules, last_day)):
        return "end within", last_day
    return None


def _check_party(req: BookingRequest, rules: AmenityRules) -> Violation | None:
    if rules.max_guests is not None and req.guests > rules.max_guests:
        return _violation(
            RuleCode.TOO_MANY_GUESTS,
            f"Bring at most {plural(rules.max_guests, 'guest')}.",
            max_guests=rules.max_guests,
            guests=req.guests,
        )
    if rules.mode is BookingMode.CAPACITY and req.headcount > rules.capacity:
        return _violation(
            RuleCode.CAPACITY_EXCEEDED,
            f"At most {plural(rules.capacity, 'person', 'people')} can use the amenity at the "
            "same time.",
            capacity=rules.capacity,
            headcount=req.headcount,
        )
    limit = rules.max_headcount_per_household
    if limit is not None and req.headcount > limit:
        return _household_limit(limit, 0, req.headcount)
    return None


def _check_blackouts(
    blocked: Interval, blackouts: Iterable[Interval], w: Wording
) -> Violation | None:
    for closure in blackouts:
        if _overlaps(blocked, closure):
            return _violation(
                RuleCode.BLACKOUT,
                f"The amenity is closed {w.span(closure.starts_at, closure.ends_at)}.",
                starts_at=closure.starts_at.isoformat(),
                ends_at=closure.ends_at.isoformat(),
            )
    return None


def _check_quotas(
    req: BookingRequest,
    rules: AmenityRules,
    w: Wording,
    now: datetime,
    household_booked: Sequence[Interval],
) -> Violation | None:
    """The first household limit the booking would pass, naming the bookings that count (their
    refs) and the first local date from which the household can book again under that limit."""
    day = req.starts_at.astimezone(w.tz).date()
    limits = {
        "day": rules.max_per_day,
        "week": rules.max_per_week,
        "month": rules.max_per_month,
        "upcoming": rules.max_upcoming,
    }
    for period, limit in limits.items():
        if limit is None:
            continue
        if period == "upcoming":
            counting = sorted(
                (i for i in household_booked if i.starts_at > now), key=lambda i: i.starts_at
            )
        else:
            key = _periods(day)[period]
            counting = [i for i in household_booked if _period_of(i, period, w.tz) == key]
        if len(counting) + 1 > limit:
            return _quota_violation(period, limit, counting, day, household_booked, w)
    return None


def _quota_violation(
    period: str,
    limit: int,
    counting: Sequence[Interval],
    day: date,
    household_booked: Sequence[Interval],
    w: Wording,
) -> Violation:
    held = plural(len(counting), "booking")
    again: date | None
    if limit < 1:
        again, message = None, "Households cannot book this amenity."
    elif period == "upcoming":
        first = counting[0].starts_at
        again = first.astimezone(w.tz).date()
        message = (
            f"Your household already has {held} coming up here, the most it can hold at once. "
            f"You can book again once the first starts ({w.when(first)}), or after cancelling "
            "one."
        )
    else:
        again = _next_period_with_room(period, limit, day, household_booked, w.tz)
        scope = {
            "day": f"on {w.day(day)}",
            "week": f"in the week of {w.day(_period_start(day, 'week'))}",
            "month": f"in {w.month(day)}",
        }[period]
        message = (
            f"Your household already has {held} here {scope}, the most per {period}. "
            f"You can book again from {w.day(again)}."
        )
    return _violation(
        RuleCode.QUOTA_EXCEEDED,
        message,
        period=period,
        limit=limit,
        count=len(counting),
        counted=[str(i.ref) for i in counting if i.ref is not None],
        book_again_on=again and again.isoformat(),
    )


def _period_of(interval: Interval, period: str, tz: ZoneInfo) -> object:
    return _periods(interval.starts_at.astimezone(tz).date())[period]


def _period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _next_period_with_room(
    period: str, limit: int, day: date, household_booked: Sequence[Interval], tz: ZoneInfo
) -> date:
    """The first day of the first period after `day`'s in which the household holds fewer than
    `limit` bookings; the search ends, as each period passed holds one of them."""
    counts: dict[object, int] = {}
    for i in household_booked:
        key = _period_of(i, period, tz)
        counts[key] = counts.get(key, 0) + 1
    start = _period_start(day, period)
    while True:
        start = _after(start, period)
        if counts.get(_periods(start)[period], 0) < limit:
            return start


def _after(start: date, period: str) -> date:
    """The first day of the period following the one `start` begins."""
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def _check_conflicts(
    req: BookingRequest,
    rules: AmenityRules,
    w: Wording,
    booked: Sequence[Booked],
    blocked: Interval,
) -> Violation | None:
    if rules.mode is BookingMode.EXCLUSIVE:
        for b in booked:
            taken = blocked_interval(b.starts_at, b.ends_at, rules)
            if _overlaps(blocked, taken):
                return _violation(
                    RuleCode.SLOT_TAKEN,
                    f"Another booking blocks the amenity {w.span(taken.starts_at, taken.ends_at)}.",
                    starts_at=taken.starts_at.isoformat(),
                    ends_at=taken.ends_at.isoformat(),
                )
        return None
    peak = _peak(booked, req.starts_at, req.ends_at)
    if peak + req.headcount > rules.capacity:
        remaining = max(0, rules.capacity - peak)
        return _violation(
            RuleCode.CAPACITY_FULL,
            f"Only {remaining} of {plural(rules.capacity, 'place')} are free for that whole time.",
            capacity=rules.capacity,
            remaining=remaining,
        )
    limit = rules.max_headcount_per_household
    if limit is not None:
        own = [b for b in booked if b.household_id == req.household_id]
        already = _peak(own, req.starts_at, req.ends_at)
        if already + req.headcount > limit:
            return _household_limit(limit, already, req.headcount)
    return None


def _check_acceptance(req: BookingRequest, rules: AmenityRules) -> Violation | None:
    if req.accepted_rules_version != rules.rules_version:
        return _violation(
            RuleCode.RULES_NOT_ACCEPTED,
            "Accept the amenity's current rules before booking.",
            rules_version=rules.rules_version,
        )
    return None


def _household_limit(limit: int, already: int, headcount: int) -> Violation:
    return _violation(
        RuleCode.CAPACITY_EXCEEDED,
        f"A household can have at most {plural(limit, 'person', 'people')} at the amenity at "
        "the same time.",
        max_headcount_per_household=limit,
        already_booked=already,
        headcount=headcount,
    )


def _hours_violation(verb: str, day: date, rules: AmenityRules, w: Wording) -> Violation:
    ranges = _ranges(rules, day)
    listed = ", ".join(f"{w.clock(o)} – {w.clock(c)}" for o, c in ranges) or "closed"
    return _violation(
        RuleCode.OUTSIDE_HOURS,
        f"Bookings must {verb} the opening hours of {w.day(day)}: {listed}.",
        date=day.isoformat(),
        hours=[[_hhmm(o), _hhmm(c)] for o, c in ranges],
        timezone=w.tz.key,
    )


def _violation(code: RuleCode, message: str, **details: object) -> Violation:
    return Violation(code, message, details)


def _peak(booked: Iterable[Booked], start: datetime, end: datetime) -> int:
    """Most people present at one instant of [start, end): a sweep over arrivals and departures,
    where a departure sorts before an arrival at the same instant as intervals are half-open."""
    events = sorted(
        event
        for b in booked
        if b.starts_at < end and start < b.ends_at
        for event in ((max(b.starts_at, start), b.headcount), (b.ends_at, -b.headcount))
    )
    return max(accumulate(delta for _, delta in events), default=0)


def _overlaps(a: Interval, b: Interval) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def _periods(day: date) -> dict[str, object]:
    return {"day": day, "week": day.isocalendar()[:2], "month": (day.year, day.month)}


def _ranges(rules: AmenityRules, day: date) -> tuple[tuple[int, int], ...]:
    return rules.hours.get(day.weekday(), ())


def _wall_span(
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
    day: date,
    local_start: datetime,
    local_last: datetime,
) -> tuple[int, int]:
    """The earliest and the latest (exclusive) wall-clock minute of `day` shown during [start, end),
    given start and end - _TICK in tz. When the clock is set back inside it, it shows times beyond
    those of both ends."""
    first = _minutes(local_start.replace(tzinfo=None), day)
    last = _minutes(local_last.replace(tzinfo=None) + _TICK, day)
    if (local_start.utcoffset() or timedelta()) > (local_last.utcoffset() or timedelta()):
        turn = _transition(start, end, tz)
        first = min(first, _minutes(_wall(turn, tz), day))
        last = max(last, _minutes(_wall_end(turn, tz), day))
    return first, last


def _transition(start: datetime, end: datetime, tz: ZoneInfo) -> datetime:
    """The instant in (start, end) at which the UTC offset of `start` stops applying, found by
    bisection to the minute; zones change offset on whole minutes."""
    before = _offset(start, tz)
    lo, hi = 0, (end - start) // MINUTE
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(start + mid * MINUTE, tz) == before:
            lo = mid
        else:
            hi = mid
    return start + hi * MINUTE


def _wall(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def _wall_end(end: datetime, tz: ZoneInfo) -> datetime:
    return _wall(end - _TICK, tz) + _TICK


def _offset(moment: datetime, tz: ZoneInfo) -> timedelta:
    return moment.astimezone(tz).utcoffset() or timedelta()  # never None with a ZoneInfo


def _minutes(wall: datetime, day: date) -> int:
    return (wall - datetime.combine(day, time())) // MINUTE


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _utc(moment: datetime) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass timezone-aware datetimes")
    return moment.astimezone(UTC)


def _utc_interval(interval: Interval) -> Interval:
    return replace(interval, starts_at=_utc(interval.starts_at), ends_at=_utc(interval.ends_at))


def _utc_booked(b: Booked) -> Booked:
    return replace(b, starts_at=_utc(b.starts_at), ends_at=_utc(b.ends_at))
