"""Property tests: the rules agree with brute force on a minute grid, on ordinary and DST days."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from hoa.rules import (
    AmenityRules,
    Booked,
    BookingMode,
    BookingRequest,
    Interval,
    check_booking,
    day_slots,
    nearest_free_slot,
)
from tests.rules.support import ALL_DAY, NY

MINUTE = timedelta(minutes=1)
DAYS = (
    date(2026, 3, 3),
    date(2026, 3, 8),
    date(2026, 11, 1),
)  # ordinary, spring forward, fall back
LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)
OPEN = AmenityRules(
    hours=ALL_DAY,
    slot_minutes=15,
    min_duration_minutes=15,
    max_duration_minutes=25 * 60,
    max_days_ahead=3650,
)
bounded = settings(max_examples=200, deadline=None)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=NY).astimezone(UTC)


def real_minutes(day: date) -> int:
    """23, 24 or 25 hours, in minutes."""
    return (midnight(day + timedelta(days=1)) - midnight(day)) // MINUTE


@st.composite
def spans(draw: st.DrawFn, day: date, step: int = 15) -> tuple[int, int]:
    """[start, end) in real minutes after local midnight of `day`, on a `step` grid, in the day."""
    steps = real_minutes(day) // step
    start = draw(st.integers(0, steps - 1))
    return start * step, draw(st.integers(start + 1, steps)) * step


def span_request(day: date, span: tuple[int, int], headcount: int = 1) -> BookingRequest:
    start, end = (midnight(day) + m * MINUTE for m in span)
    return BookingRequest(start, end, headcount, 0, "us", None)


def span_booked(
    day: date, span: tuple[int, int], headcount: int = 1, household: str = "them"
) -> Booked:
    start, end = (midnight(day) + m * MINUTE for m in span)
    return Booked(start, end, headcount, household)


@bounded
@given(
    data=st.data(),
    day=st.sampled_from(DAYS),
    before=st.sampled_from([0, 15, 30, 60]),
    after=st.sampled_from([0, 15, 30, 60]),
)
def test_exclusive_overlap_is_symmetric_and_matches_a_minute_grid(
    data: st.DataObject, day: date, before: int, after: int
) -> None:
    a, b = data.draw(spans(day)), data.draw(spans(day))
    buffered = replace(OPEN, buffer_before_minutes=before, buffer_after_minutes=after)

    def taken(mine: tuple[int, int], theirs: tuple[int, int]) -> bool:
        violation = check_booking(
            span_request(day, mine),
            buffered,
            NY,
            LONG_AGO,
            booked=[span_booked(day, theirs)],
            household_booked=[],
            blackouts=[],
        )
        assert violation is None or violation.code == "reservation.slot_taken"
        return violation is not None

    blocked_a = set(range(a[0] - before, a[1] + after))
    blocked_b = set(range(b[0] - before, b[1] + after))
    assert taken(a, b) == taken(b, a) == bool(blocked_a & blocked_b)


@bounded
@given(
    data=st.data(),
    booked=st.lists(
        st.tuples(
            st.integers(0, 180), st.integers(1, 90), st.integers(1, 5), st.sampled_from("AB")
        ),
        max_size=8,
    ),
    start=st.integers(0, 150),
    duration=st.integers(1, 60),
    capacity=st.integers(1, 12),
)
def test_capacity_peak_matches_per_minute_occupancy(
    data: st.DataObject,
    booked: list[tuple[int, int, int, str]],
    start: int,
    duration: int,
    capacity: int,
) -> None:
    headcount = data.draw(st.integers(1, capacity))
    household = data.draw(st.sampled_from("AB"))
    limit = data.draw(st.none() | st.integers(headcount, 15))
    pool = replace(
        OPEN,
        slot_minutes=1,
        min_duration_minutes=1,
        mode=BookingMode.CAPACITY,
        capacity=capacity,
        max_headcount_per_household=limit,
    )
    ten = datetime(2026, 3, 3, 10, tzinfo=NY)
    items = [Booked(ten + s * MINUTE, ten + (s + d) * MINUTE, h, who) for s, d, h, who in booked]
    req = BookingRequest(
        ten + start * MINUTE, ten + (start + duration) * MINUTE, headcount, 0, household, None
    )

    def occupancy(households: str) -> int:
        minutes = range(start, start + duration)
        return max(
            sum(h for s, d, h, who in booked if s <= m < s + d and who in households)
            for m in minutes
        )

    total, own = occupancy("AB"), occupancy(household)
    violation = check_booking(
        req, pool, NY, LONG_AGO, booked=items, household_booked=[], blackouts=[]
    )
    if total + headcount > capacity:
        assert violation is not None
        assert violation.code == "reservation.capacity_full"
        assert violation.details["remaining"] == max(0, capacity - total)
    elif limit is not None and own + headcount > limit:
        assert violation is not None
        assert violation.code == "reservation.capacity_exceeded"
    else:
        assert violation is None


@bounded
@given(
    data=st.data(),
    day=st.sampled_from(DAYS),
    mode=st.sampled_from(BookingMode),
    before=st.sampled_from([0, 15, 30]),
    after=st.sampled_from([0, 15, 30]),
    capacity=st.integers(1, 6),
    extras=st.lists(
        st.tuples(st.booleans(), st.integers(0, 600), st.integers(1, 300), st.integers(1, 6)),
        max_size=5,
    ),
)
def test_bookings_that_cannot_overlap_never_change_the_result(
    data: st.DataObject,
    day: date,
    mode: BookingMode,
    before: int,
    after: int,
    capacity: int,
    extras: list[tuple[bool, int, int, int]],
) -> None:
    amenity = replace(
        OPEN, mode=mode, capacity=capacity, buffer_before_minutes=before, buffer_after_minutes=after
    )
    req = span_request(day, data.draw(spans(day)), headcount=data.draw(st.integers(1, capacity)))
    base = [
        span_booked(
            day,
            data.draw(spans(day)),
            data.draw(st.integers(1, 6)),
            data.draw(st.sampled_from("AB")),
        )
        for _ in range(data.draw(st.integers(0, 4)))
    ]
    # Beyond the request's blocked interval widened by the buffers the other booking adds.
    reach = (before + after) * MINUTE
    far = []
    for earlier, gap, length, headcount in extras:
        if earlier:
            end = req.starts_at - reach - gap * MINUTE
            far.append(Booked(end - length * MINUTE, end, headcount, "us"))
        else:
            start = req.ends_at + reach + gap * MINUTE
            far.append(Booked(start, start + length * MINUTE, headcount, "us"))

    def result(booked: list[Booked]) -> object:
        return check_booking(
            req, amenity, NY, LONG_AGO, booked=booked, household_booked=[], blackouts=[]
        )

    assert result(base) == result(base + far) == result(far + base)


@bounded
@given(
    data=st.data(),
    day=st.sampled_from(DAYS),
    slot=st.sampled_from([15, 30, 60]),
    slots_per_booking=st.integers(1, 3),
    mode=st.sampled_from(BookingMode),
    capacity=st.integers(1, 4),
    buffers=st.tuples(st.sampled_from([0, 15, 30]), st.sampled_from([0, 15, 30])),
    bounds=st.lists(st.integers(0, 48), min_size=2, max_size=4, unique=True).map(sorted),
    notice=st.sampled_from([0, 60]),
    days_ahead=st.sampled_from([0, 1, 30]),
    now_hours=st.integers(-30, 30),
)
def test_day_slots_agree_with_check_booking(
    data: st.DataObject,
    day: date,
    slot: int,
    slots_per_booking: int,
    mode: BookingMode,
    capacity: int,
    buffers: tuple[int, int],
    bounds: list[int],
    notice: int,
    days_ahead: int,
    now_hours: int,
) -> None:
    ranges = tuple((a * 30, b * 30) for a, b in zip(bounds[::2], bounds[1::2], strict=False))
    amenity = AmenityRules(
        hours=dict.fromkeys(range(7), ranges),
        slot_minutes=slot,
        min_duration_minutes=slot * slots_per_booking,
        mode=mode,
        capacity=capacity,
        buffer_before_minutes=buffers[0],
        buffer_after_minutes=buffers[1],
        min_notice_minutes=notice,
        max_days_ahead=days_ahead,
        rules_version=1,
    )
    now = midnight(day) + timedelta(hours=now_hours)
    booked = [
        span_booked(day, data.draw(spans(day)), data.draw(st.integers(1, 3)))
        for _ in range(data.draw(st.integers(0, 5)))
    ]
    blackouts = [
        Interval(b.starts_at, b.ends_at)
        for b in (
            span_booked(day, data.draw(spans(day))) for _ in range(data.draw(st.integers(0, 2)))
        )
    ]
    slots = day_slots(day, amenity, NY, now, booked=booked, blackouts=blackouts)

    assert all(a.starts_at < b.starts_at for a, b in pairwise(slots))
    for s in slots:
        assert s.ends_at - s.starts_at == amenity.min_duration_minutes * MINUTE
        assert s.starts_at.astimezone(NY).date() == day
        probe = BookingRequest(s.starts_at, s.ends_at, 1, 0, "nobody", None)
        violation = check_booking(
            probe,
            amenity,
            NY,
            now,
            booked=booked,
            household_booked=[],
            blackouts=blackouts,
            check_acceptance=False,
        )
        assert violation is None or violation.code != "reservation.outside_hours"
        assert s.available == (violation is None)
        assert s.reason == (violation and violation.code)


# Zones whose clocks change at midnight (Santiago), by half an hour (Lord Howe) or never
# (Kathmandu, offset +05:45), and days around their 2026 changes.
ZONES = ("America/New_York", "America/Santiago", "Australia/Lord_Howe", "Asia/Kathmandu")
ZONE_DAYS = (
    date(2026, 3, 8),
    date(2026, 4, 4),
    date(2026, 4, 5),
    date(2026, 9, 5),
    date(2026, 9, 6),
    date(2026, 10, 4),
    date(2026, 11, 1),
)


def unlimited(amenity: AmenityRules) -> AmenityRules:
    return replace(amenity, max_per_day=None, max_per_week=None, max_per_month=None)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


@st.composite
def shapes(draw: st.DrawFn, *, household_limited: bool = False) -> AmenityRules:
    """Rules of any shape check_booking accepts, not only the ones the API lets admins save: a
    minimum duration off the slot grid, a maximum below it, a zero household limit. With
    `household_limited`, shared capacity with a household limit below it."""
    slot = draw(st.sampled_from([15, 30, 60]))
    bounds = draw(st.lists(st.integers(0, 48), min_size=2, max_size=4, unique=True).map(sorted))
    ranges = tuple((a * 30, b * 30) for a, b in zip(bounds[::2], bounds[1::2], strict=False))
    if household_limited:
        capacity = draw(st.integers(3, 6))
        return AmenityRules(
            hours=dict.fromkeys(range(7), ((0, 1440),)),
            slot_minutes=slot,
            min_duration_minutes=slot,
            mode=BookingMode.CAPACITY,
            capacity=capacity,
            max_headcount_per_household=draw(st.integers(1, capacity - 1)),
            max_days_ahead=30,
        )
    mode = draw(st.sampled_from(BookingMode))
    capacity = draw(st.integers(1, 4)) if mode is BookingMode.CAPACITY else 1
    return AmenityRules(
        hours=dict.fromkeys(range(7), ranges),
        slot_minutes=slot,
        min_duration_minutes=draw(st.sampled_from([slot, 2 * slot, slot + 10])),
        max_duration_minutes=draw(st.sampled_from([240, slot])),
        mode=mode,
        capacity=capacity,
        buffer_before_minutes=draw(st.sampled_from([0, 15, 30])),
        buffer_after_minutes=draw(st.sampled_from([0, 15, 30])),
        min_notice_minutes=draw(st.sampled_from([0, 60])),
        max_days_ahead=draw(st.sampled_from([0, 1, 30])),
        max_headcount_per_household=draw(st.none() | st.integers(0, capacity)),
        max_guests=draw(st.none() | st.integers(0, 1)),
        overnight_allowed=draw(st.booleans()),
        max_per_day=1,  # day_slots and nearest_free_slot ignore quotas
        rules_version=draw(st.integers(0, 1)),
    )


@st.composite
def around(draw: st.DrawFn, day: date, tz: ZoneInfo) -> tuple[list[Booked], list[Interval]]:
    """Bookings of two households and closures on a 15-minute grid from the previous local
    midnight to two days later."""
    base = local_midnight(day - timedelta(days=1), tz)

    def span() -> tuple[datetime, datetime]:
        start = draw(st.integers(0, 3 * 96 - 1))
        length = draw(st.integers(1, 16))
        return base + start * 15 * MINUTE, base + (start + length) * 15 * MINUTE

    booked = [
        Booked(*span(), draw(st.integers(1, 3)), draw(st.sampled_from(["us", "them"])))
        for _ in range(draw(st.integers(0, 8)))
    ]
    closures = [Interval(*span()) for _ in range(draw(st.integers(0, 2)))]
    return booked, closures


@bounded
@given(
    data=st.data(),
    zone=st.sampled_from(ZONES),
    day=st.sampled_from(ZONE_DAYS),
    amenity=shapes(),
    now_hours=st.integers(-30, 30),
)
def test_day_slots_agree_with_check_booking_in_any_zone_and_shape(
    data: st.DataObject, zone: str, day: date, amenity: AmenityRules, now_hours: int
) -> None:
    tz = ZoneInfo(zone)
    now = local_midnight(day, tz) + timedelta(hours=now_hours)
    booked, blackouts = data.draw(around(day, tz))
    slots = day_slots(day, amenity, tz, now, booked=booked, blackouts=blackouts)

    assert all(a.starts_at < b.starts_at for a, b in pairwise(slots))
    for s in slots:
        probe = BookingRequest(s.starts_at, s.ends_at, 1, 0, "nobody", None)
        violation = check_booking(
            probe,
            unlimited(amenity),
            tz,
            now,
            booked=booked,
            household_booked=[],
            blackouts=blackouts,
            check_acceptance=False,
        )
        assert violation is None or violation.code != "reservation.outside_hours"
        assert s.reason == (violation and violation.code)
        assert s.available == (violation is None)
        if violation is not None:
            assert s.remaining == 0
        elif amenity.mode is BookingMode.EXCLUSIVE:
            assert s.remaining == 1
        else:
            present = [
                sum(b.headcount for b in booked if b.starts_at <= m < b.ends_at)
                for m in (
                    s.starts_at + k * MINUTE for k in range((s.ends_at - s.starts_at) // MINUTE)
                )
            ]
            assert s.remaining == amenity.capacity - max(present)


def grid_starts(day: date, step: int, tz: ZoneInfo) -> list[datetime]:
    """Every real instant of `day` whose local wall time is a multiple of `step` minutes."""
    found = set()
    for minute in range(0, 1440, step):
        wall = datetime.combine(day, time()) + minute * MINUTE
        for fold in (0, 1):
            moment = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
            if moment.astimezone(tz).replace(tzinfo=None) == wall:
                found.add(moment)
    return sorted(found)


@settings(max_examples=100, deadline=None)
@given(
    data=st.data(),
    zone=st.sampled_from(ZONES),
    day=st.sampled_from(ZONE_DAYS),
    amenity=shapes() | shapes(household_limited=True),
    now_hours=st.integers(-30, 30),
)
def test_nearest_free_slot_is_the_closest_that_check_booking_allows(
    data: st.DataObject, zone: str, day: date, amenity: AmenityRules, now_hours: int
) -> None:
    tz = ZoneInfo(zone)
    now = local_midnight(day, tz) + timedelta(hours=now_hours)
    booked, blackouts = data.draw(around(day, tz))
    start = local_midnight(day, tz) + data.draw(st.integers(0, 95)) * 15 * MINUTE
    req = BookingRequest(
        start,
        start + data.draw(st.integers(1, 8)) * 15 * MINUTE,
        data.draw(st.integers(1, 3)),
        data.draw(st.integers(0, 1)),
        data.draw(st.sampled_from(["us", "them"])),
        None,
    )
    found = nearest_free_slot(
        req, amenity, tz, now, booked=booked, blackouts=blackouts, search_days=2
    )

    length = req.ends_at - req.starts_at
    if length < amenity.min_duration_minutes * MINUTE:
        length = max(amenity.slot_minutes, amenity.min_duration_minutes) * MINUTE
    around_day = req.starts_at.astimezone(tz).date()
    free = [
        s
        for offset in range(-2, 3)  # every day searched, judged by check_booking
        for s in grid_starts(around_day + timedelta(days=offset), amenity.slot_minutes, tz)
        if check_booking(
            replace(req, starts_at=s, ends_at=s + length),
            unlimited(amenity),
            tz,
            now,
            booked=booked,
            household_booked=[],
            blackouts=blackouts,
            check_acceptance=False,
        )
        is None
    ]
    best = min(free, key=lambda s: (abs(s - req.starts_at), s < req.starts_at), default=None)
    assert (found and found.starts_at) == best
    if found is not None:
        assert found.ends_at == found.starts_at + length
