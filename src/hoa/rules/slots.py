"""Bookable slots, judged by check_booking's own checks: a listed slot never contradicts booking."""

from collections import Counter
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
    RuleCode,
    _check_alignment,
    _check_duration,
    _check_party,
    _check_quotas,
    _check_shape,
    _check_stay,
    _hours_problem,
    _peak,
    _utc,
    _utc_booked,
    _utc_interval,
    blocked_interval,
    check_booking,
    stay_end,
)
from hoa.rules.wording import Wording

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
    reason: RuleCode | None


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
    For stays the day has one slot: from check-in on `day` to check-out after the fewest nights
    the minimum duration allows.
    Raises ValueError on a naive datetime.
    """
    probes = (
        BookingRequest(s, _slot_end(s, rules, tz), 1, 0, _NOBODY, None)
        for s in _starts(day, rules, tz)
    )
    slots = _slots(probes, rules, tz, now, booked, blackouts)
    return sorted({s.starts_at: s for s in slots}.values(), key=lambda s: s.starts_at)


@dataclass(frozen=True, slots=True)
class BlockedDay:
    """A local day with no bookable slot, and why: what keeps the household from its free slots
    (a quota) or else the reason most of its slots are refused for; None when the amenity does
    not open that day."""

    day: date
    reason: RuleCode | None


def next_free_slots(
    household_id: object,
    rules: AmenityRules,
    tz: ZoneInfo,
    now: datetime,
    *,
    booked: Sequence[Booked],
    household_booked: Sequence[Interval],
    blackouts: Sequence[Interval],
    limit: int = 10,
    per_day: int | None = None,
    blocked_limit: int = 14,
) -> tuple[list[Slot], list[BlockedDay]]:
    """The first `limit` day slots from today to the end of the booking window that the household
    can book (check_booking of a 1-person booking, quotas included, rules acceptance left out),
    at most `per_day` of a day when given, and the days before the first of them that have none
    (at most `blocked_limit`).
    Raises ValueError on a naive datetime."""
    now = _utc(now)
    today = now.astimezone(tz).date()
    free: list[Slot] = []
    blocked: list[BlockedDay] = []
    for offset in range(rules.max_days_ahead + 1):
        day = today + timedelta(days=offset)
        # Quotas count by the day a booking starts: a day the household is over one is skipped
        # whole, without judging its slots.
        noon = datetime.combine(day, time(12), tz)
        probe = BookingRequest(noon, noon + MINUTE, 1, 0, household_id, None)
        if _check_quotas(probe, rules, Wording(tz), now, household_booked):
            slots, reasons = [], [RuleCode.QUOTA_EXCEEDED]
        else:
            slots, reasons = day_slots(day, rules, tz, now, booked=booked, blackouts=blackouts), []
        own: list[RuleCode] = []  # refusals of free slots: the household's own limits
        taken = len(free)
        for slot in slots:
            if per_day is not None and len(free) - taken == per_day:
                break
            if slot.available:
                probe = BookingRequest(slot.starts_at, slot.ends_at, 1, 0, household_id, None)
                violation = check_booking(
                    probe,
                    rules,
                    tz,
                    now,
                    booked=booked,
                    household_booked=household_booked,
                    blackouts=blackouts,
                    check_acceptance=False,
                )
                if violation is None:
                    free.append(slot)
                    if len(free) == limit:
                        return free, blocked
                    continue
                own.append(violation.code)
            elif slot.reason is not None:
                reasons.append(slot.reason)
        if not free and len(blocked) < blocked_limit:
            blocked.append(BlockedDay(day, _main_reason(own or reasons)))
    return free, blocked


def _main_reason(reasons: list[RuleCode]) -> RuleCode | None:
    """The reason most slots of a day are refused for; slots already past count only when
    nothing else refuses the day."""
    later = [r for r in reasons if r is not RuleCode.IN_PAST] or reasons
    return Counter(later).most_common(1)[0][0] if later else None


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
    req (or as a day slot, when req is shorter than min_duration_minutes; stays as many nights) and
    are judged by check_booking with req's headcount, guests and household, without quotas or
    rules acceptance.
    Raises ValueError on a naive datetime.
    """
    req = replace(req, starts_at=_utc(req.starts_at), ends_at=_utc(req.ends_at))
    length = req.ends_at - req.starts_at
    if length < rules.min_duration_minutes * MINUTE:
        length = max(rules.slot_minutes, rules.min_duration_minutes) * MINUTE
    around = req.starts_at.astimezone(tz).date()
    nights = (req.ends_at.astimezone(tz).date() - around).days

    def closeness(slot: Slot) -> tuple[timedelta, bool]:
        return abs(slot.starts_at - req.starts_at), slot.starts_at < req.starts_at

    # Outward from req's day, a day on each side at a time, until no start on the days left can
    # be as close as the best found: a refused booking (every loser of a rush on one slot) asks
    # for this, and judging the whole ±search_days is hundreds of probes.
    best: Slot | None = None
    for distance in range(search_days + 1):
        if best is not None and closeness(best)[0] < _closest_start(around, distance, req, tz):
            break
        probes = (
            replace(req, starts_at=s, ends_at=_like_end(s, length, nights, rules, tz))
            for offset in sorted({-distance, distance})
            for s in _starts(around + timedelta(days=offset), rules, tz)
        )
        for slot in _slots(probes, rules, tz, now, booked, blackouts):
            if slot.available and (best is None or closeness(slot) < closeness(best)):
                best = slot
    return best


def _closest_start(around: date, distance: int, req: BookingRequest, tz: ZoneInfo) -> timedelta:
    """A bound on how close to req's start a start on the days `distance` away from `around`
    can be: they begin at the local midnight `distance` days after, and end at the one
    `distance - 1` days before (less two hours, for a clock change at midnight)."""
    after = datetime.combine(around + timedelta(days=distance), time(), tz) - req.starts_at
    before = req.starts_at - datetime.combine(around - timedelta(days=distance - 1), time(), tz)
    return min(after, before) - 120 * MINUTE


def _slots(
    probes: Iterator[BookingRequest],
    rules: AmenityRules,
    tz: ZoneInfo,
    now: datetime,
    booked: Sequence[Booked],
    blackouts: Sequence[Interval],
) -> Iterator[Slot]:
    judge: _Judge | None = None
    for probe in probes:
        if _hours_problem(probe.starts_at, probe.ends_at, rules, tz):
            continue
        if judge is None or rules.stays:  # a stay's length varies with the clock changes it spans
            judge = _Judge(probe, rules, tz, now, booked, blackouts)
        reason, peak = judge.verdict(probe.starts_at, probe.ends_at)
        if reason is not None:
            remaining = 0
        elif rules.mode is BookingMode.EXCLUSIVE:
            remaining = 1
        else:
            remaining = rules.capacity - peak
        yield Slot(probe.starts_at, probe.ends_at, reason is None, remaining, reason)


class _Judge:
    """The code of check_booking's verdict (quotas and rules acceptance left out) on probes that
    share `sample`'s length, headcount, guests and household and start on the slot grid within
    opening hours, as _slots' probes do; each check keeps check_booking's order.

    What does not depend on the start (shape, alignment, duration, party) is judged once on the
    sample, the UTC conversions and the bookings' blocked intervals are done once, and no message
    is built per probe: a day's slots cost a few comparisons each instead of a full check.
    """

    def __init__(
        self,
        sample: BookingRequest,
        rules: AmenityRules,
        tz: ZoneInfo,
        now: datetime,
        booked: Sequence[Booked],
        blackouts: Sequence[Interval],
    ) -> None:
        sample = replace(sample, starts_at=_utc(sample.starts_at), ends_at=_utc(sample.ends_at))
        # Grid starts are aligned, so alignment depends only on the shared length.
        fixed = _check_shape(sample) or (
            _check_stay(sample, rules, Wording(tz))
            if rules.stays
            else _check_alignment(sample, rules, tz)
        )
        self.fixed = fixed or _check_duration(sample, rules)
        self.party = _check_party(sample, rules)
        self.tz = tz
        self.now = _utc(now)
        self.earliest = self.now + rules.min_notice_minutes * MINUTE
        self.last_day = self.now.astimezone(tz).date() + timedelta(days=rules.max_days_ahead)
        self.before = rules.buffer_before_minutes * MINUTE
        self.after = rules.buffer_after_minutes * MINUTE
        self.blackouts = [_utc_interval(i) for i in blackouts]
        self.booked = [_utc_booked(b) for b in booked]
        self.exclusive = rules.mode is BookingMode.EXCLUSIVE
        self.taken = [blocked_interval(b.starts_at, b.ends_at, rules) for b in self.booked]
        self.capacity = rules.capacity
        self.headcount = sample.headcount
        self.limit = rules.max_headcount_per_household
        self.own = [b for b in self.booked if b.household_id == sample.household_id]

    def verdict(self, start: datetime, end: datetime) -> tuple[RuleCode | None, int]:
        """The violated rule's code or None, and the peak occupancy in CAPACITY mode (else 0)."""
        if self.fixed is not None:
            return self.fixed.code, 0
        if start < self.now:
            return RuleCode.IN_PAST, 0
        if start < self.earliest:
            return RuleCode.TOO_LITTLE_NOTICE, 0
        if start.astimezone(self.tz).date() > self.last_day:
            return RuleCode.TOO_FAR_AHEAD, 0
        if self.party is not None:
            return self.party.code, 0
        lo, hi = start - self.before, end + self.after
        if any(c.starts_at < hi and lo < c.ends_at for c in self.blackouts):
            return RuleCode.BLACKOUT, 0
        if self.exclusive:
            if any(t.starts_at < hi and lo < t.ends_at for t in self.taken):
                return RuleCode.SLOT_TAKEN, 0
            return None, 0
        peak = _peak(self.booked, start, end)
        if peak + self.headcount > self.capacity:
            return RuleCode.CAPACITY_FULL, peak
        if self.limit is not None and _peak(self.own, start, end) + self.headcount > self.limit:
            return RuleCode.CAPACITY_EXCEEDED, peak
        return None, peak


def _like_end(
    start: datetime, length: timedelta, nights: int, rules: AmenityRules, tz: ZoneInfo
) -> datetime:
    """The end of a candidate as long as the request: as many nights for a stay (as a day slot
    when it asks for none), else `length`."""
    if not rules.stays:
        return start + length
    return stay_end(start, nights, rules, tz) if nights > 0 else _slot_end(start, rules, tz)


def _slot_end(start: datetime, rules: AmenityRules, tz: ZoneInfo) -> datetime:
    """Where a day slot starting at `start` ends: after the minimum duration (at least a slot)
    or, for stays, at check-out after the fewest nights lasting the minimum duration."""
    if not rules.stays:
        return start + max(rules.slot_minutes, rules.min_duration_minutes) * MINUTE
    nights = 1
    while stay_end(start, nights, rules, tz) - start < rules.min_duration_minutes * MINUTE:
        nights += 1
    return stay_end(start, nights, rules, tz)


def _starts(day: date, rules: AmenityRules, tz: ZoneInfo) -> Iterator[datetime]:
    """Each instant whose wall time on `day` is a multiple of slot_minutes in an opening range;
    for stays, the check-in time of `day`."""
    midnight = datetime.combine(day, time())
    if rules.check_in_minute is not None and rules.stays:
        yield from _instants(midnight + rules.check_in_minute * MINUTE, tz)
        return
    step = rules.slot_minutes
    for opens, closes in rules.hours.get(day.weekday(), ()):
        for minute in range(-(-opens // step) * step, closes, step):
            yield from _instants(midnight + minute * MINUTE, tz)


def _instants(wall: datetime, tz: ZoneInfo) -> list[datetime]:
    """The UTC instants at which the local clock shows `wall`: none inside a spring-forward gap, two
    inside a fall-back overlap."""
    first, second = wall.replace(tzinfo=tz), wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return [first.astimezone(UTC)]  # fold only matters in a gap or an overlap
    candidates = (c.astimezone(UTC) for c in (first, second))
    return sorted({c for c in candidates if c.astimezone(tz).replace(tzinfo=None) == wall})
