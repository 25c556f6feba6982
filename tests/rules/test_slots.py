from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest

from hoa.rules import (
    AmenityRules,
    BlockedDay,
    Booked,
    BookingMode,
    BookingRequest,
    Interval,
    RuleCode,
    Slot,
    day_slots,
    nearest_free_slot,
    next_free_slots,
)
from tests.rules.support import ALL_DAY, NOW, NY, RULES, ny, request, rules

ALWAYS = rules(hours=ALL_DAY)
NEW_YEAR = ny("2026-01-01 00:00")
SPRING_FORWARD, FALL_BACK = date(2026, 3, 8), date(2026, 11, 1)
TUESDAY = date(2026, 3, 3)
HALF_HOUR = timedelta(minutes=30)


def slots_of(
    day: date,
    amenity: AmenityRules = RULES,
    *,
    now: datetime = NOW,
    booked: Sequence[Booked] = (),
    blackouts: Sequence[Interval] = (),
) -> list[Slot]:
    return day_slots(day, amenity, NY, now, booked=booked, blackouts=blackouts)


def nearest(
    req: BookingRequest,
    amenity: AmenityRules = RULES,
    *,
    now: datetime = NOW,
    booked: Sequence[Booked] = (),
    blackouts: Sequence[Interval] = (),
    search_days: int = 14,
) -> tuple[str, str] | None:
    """The suggested slot as local 'YYYY-MM-DD HH:MM' start and end."""
    slot = nearest_free_slot(
        req, amenity, NY, now, booked=booked, blackouts=blackouts, search_days=search_days
    )
    if slot is None:
        return None
    assert slot.available
    assert slot.starts_at.tzinfo is UTC
    return (
        f"{slot.starts_at.astimezone(NY):%Y-%m-%d %H:%M}",
        f"{slot.ends_at.astimezone(NY):%H:%M}",
    )


def local(slots: Sequence[Slot]) -> list[str]:
    return [f"{s.starts_at.astimezone(NY):%H:%M %Z}" for s in slots]


def on_tuesday(start: str, end: str, *, headcount: int = 1) -> Booked:
    return Booked(ny(f"2026-03-03 {start}"), ny(f"2026-03-03 {end}"), headcount, "them")


class TestDaylightSaving:
    def test_spring_forward_day_has_23_hours_of_slots(self) -> None:
        slots = slots_of(SPRING_FORWARD, ALWAYS, now=NEW_YEAR)
        assert len(slots) == 46
        assert local(slots)[2:5] == ["01:00 EST", "01:30 EST", "03:00 EDT"]
        assert not [t for t in local(slots) if t.startswith("02:")]
        assert all(a.ends_at == b.starts_at for a, b in pairwise(slots))
        assert all(s.ends_at - s.starts_at == HALF_HOUR and s.available for s in slots)
        assert all(s.starts_at.tzinfo is UTC and s.ends_at.tzinfo is UTC for s in slots)

    def test_fall_back_day_has_25_hours_of_slots(self) -> None:
        slots = slots_of(FALL_BACK, ALWAYS, now=NEW_YEAR)
        assert len(slots) == 50
        assert local(slots)[2:7] == [
            "01:00 EDT",
            "01:30 EDT",
            "01:00 EST",
            "01:30 EST",
            "02:00 EST",
        ]
        wall = Counter(t[:5] for t in local(slots))
        assert wall["01:00"] == wall["01:30"] == 2
        assert {n for t, n in wall.items() if t not in {"01:00", "01:30"}} == {1}
        assert all(a.ends_at == b.starts_at for a, b in pairwise(slots))

    @pytest.mark.parametrize(
        ("day", "count"), [(SPRING_FORWARD, 23), (FALL_BACK, 25), (TUESDAY, 24)]
    )
    def test_hourly_slots(self, day: date, count: int) -> None:
        hourly = replace(ALWAYS, slot_minutes=60, min_duration_minutes=60)
        assert len(slots_of(day, hourly, now=NEW_YEAR)) == count

    def test_repeated_hour_outside_hours_adds_nothing(self) -> None:
        assert len(slots_of(FALL_BACK, now=NEW_YEAR)) == 28

    def test_slot_across_the_gap_lasts_its_real_length(self) -> None:
        hour_long = replace(ALWAYS, min_duration_minutes=60)
        slots = slots_of(SPRING_FORWARD, hour_long, now=NEW_YEAR)
        across = next(s for s in slots if local([s]) == ["01:30 EST"])
        assert f"{across.ends_at.astimezone(NY):%H:%M %Z}" == "03:30 EDT"
        assert across.ends_at - across.starts_at == timedelta(hours=1)
        assert len(slots) == 45  # the last start, 23:30, would end after midnight


def test_slots_start_on_the_grid_and_fit_each_range() -> None:
    hours = {1: ((485, 600), (780, 900))}
    slots = slots_of(TUESDAY, rules(hours=hours, min_duration_minutes=60))
    assert local(slots) == ["08:30 EST", "09:00 EST", "13:00 EST", "13:30 EST", "14:00 EST"]
    assert all(s.ends_at - s.starts_at == timedelta(hours=1) for s in slots)


def test_closed_day_has_no_slots() -> None:
    assert slots_of(TUESDAY, rules(hours={0: ((480, 1320),)})) == []


def test_reasons() -> None:
    amenity = rules(min_notice_minutes=60)
    slots = slots_of(
        TUESDAY,
        amenity,
        now=ny("2026-03-03 09:10"),
        booked=[on_tuesday("12:00", "13:00")],
        blackouts=[Interval(ny("2026-03-03 15:00"), ny("2026-03-03 16:00"))],
    )
    reasons = {f"{s.starts_at.astimezone(NY):%H:%M}": s.reason for s in slots}
    assert reasons["09:00"] == "reservation.in_past"
    assert reasons["09:30"] == reasons["10:00"] == "reservation.too_little_notice"
    assert reasons["12:00"] == reasons["12:30"] == "reservation.slot_taken"
    assert reasons["15:00"] == reasons["15:30"] == "reservation.blackout"
    assert reasons["10:30"] is reasons["11:30"] is reasons["13:00"] is reasons["16:00"] is None
    assert all((s.reason is None) == s.available == (s.remaining == 1) for s in slots)


def test_too_far_ahead_day() -> None:
    slots = slots_of(date(2026, 3, 20), rules(max_days_ahead=14))
    assert {s.reason for s in slots} == {"reservation.too_far_ahead"}


def test_buffers_block_neighbouring_slots() -> None:
    buffered = rules(buffer_before_minutes=30, buffer_after_minutes=30)
    slots = slots_of(TUESDAY, buffered, booked=[on_tuesday("10:00", "11:00")])
    free = [f"{s.starts_at.astimezone(NY):%H:%M}" for s in slots if s.available]
    assert "08:30" in free
    assert "09:00" not in free
    assert "11:30" not in free
    assert "12:00" in free


def test_capacity_remaining() -> None:
    pool = rules(mode=BookingMode.CAPACITY, capacity=10)
    booked = [
        on_tuesday("10:00", "11:00", headcount=6),
        on_tuesday("10:30", "11:30", headcount=3),
        on_tuesday("14:00", "14:30", headcount=10),
    ]
    slots = {
        f"{s.starts_at.astimezone(NY):%H:%M}": s for s in slots_of(TUESDAY, pool, booked=booked)
    }
    assert [slots[t].remaining for t in ("10:00", "10:30", "11:00", "11:30")] == [4, 1, 7, 10]
    assert (slots["14:00"].available, slots["14:00"].remaining) == (False, 0)
    assert slots["14:00"].reason == "reservation.capacity_full"


def test_slots_ignore_quotas_and_rules_acceptance() -> None:
    strict = rules(max_per_day=0, max_upcoming=0, rules_version=3)
    assert all(s.available for s in slots_of(TUESDAY, strict))


class TestNearestFreeSlot:
    tuesday_10 = request(ny("2026-03-03 10:00"), ny("2026-03-03 11:00"))

    def test_picks_the_closest_free_slot(self) -> None:
        taken = [on_tuesday("10:00", "11:00"), on_tuesday("11:00", "11:30")]
        assert nearest(self.tuesday_10, booked=taken) == ("2026-03-03 09:00", "10:00")

    def test_a_tie_goes_to_the_later_slot(self) -> None:
        taken = [on_tuesday("10:00", "11:00")]
        assert nearest(self.tuesday_10, booked=taken) == ("2026-03-03 11:00", "12:00")

    def test_the_next_morning_can_beat_the_same_day(self) -> None:
        """The search goes out a day at a time and stops when no further day can be closer:
        late in the evening the next day's first slot is closer than the same day's free ones."""
        late = request(ny("2026-03-03 23:00"), ny("2026-03-04 00:00"))
        evening = Booked(ny("2026-03-03 14:00"), ny("2026-03-04 00:00"), 1, "them")
        assert nearest(late, ALWAYS, booked=[evening]) == ("2026-03-04 00:00", "01:00")

    def test_searches_days_away_until_one_is_free(self) -> None:
        full = Booked(ny("2026-03-03 00:00"), ny("2026-03-06 00:00"), 1, "them")
        assert nearest(self.tuesday_10, ALWAYS, booked=[full]) == ("2026-03-02 23:00", "00:00")
        assert nearest(self.tuesday_10, ALWAYS, booked=[full], search_days=0) is None

    def test_an_available_request_is_its_own_nearest(self) -> None:
        assert nearest(self.tuesday_10) == ("2026-03-03 10:00", "11:00")

    @pytest.mark.parametrize(
        ("start", "end", "expected"),
        [
            ("07:00", "08:00", ("2026-03-03 08:00", "09:00")),
            ("21:30", "22:30", ("2026-03-03 21:00", "22:00")),
        ],
    )
    def test_respects_hours(self, start: str, end: str, expected: tuple[str, str]) -> None:
        assert nearest(request(ny(f"2026-03-03 {start}"), ny(f"2026-03-03 {end}"))) == expected

    def test_keeps_the_duration(self) -> None:
        two_hours = request(ny("2026-03-03 10:00"), ny("2026-03-03 12:00"))
        assert nearest(two_hours, booked=[on_tuesday("11:00", "11:30")]) == (
            "2026-03-03 09:00",
            "11:00",
        )

    def test_a_too_short_request_gets_a_full_slot(self) -> None:
        short = request(ny("2026-03-03 10:00"), ny("2026-03-03 10:30"))
        assert nearest(short, rules(min_duration_minutes=60)) == ("2026-03-03 10:00", "11:00")

    def test_moves_to_another_day(self) -> None:
        tuesday = [Interval(ny("2026-03-03 00:00"), ny("2026-03-04 00:00"))]
        assert nearest(self.tuesday_10, blackouts=tuesday) == ("2026-03-02 21:00", "22:00")
        no_mondays = rules(hours=dict.fromkeys(range(1, 7), ((480, 1320),)))
        assert nearest(self.tuesday_10, no_mondays, blackouts=tuesday) == (
            "2026-03-04 08:00",
            "09:00",
        )

    def test_never_suggests_the_past_or_too_little_notice(self) -> None:
        this_morning = request(ny("2026-03-02 08:00"), ny("2026-03-02 09:00"))
        assert nearest(this_morning) == ("2026-03-02 09:00", "10:00")
        assert nearest(this_morning, rules(min_notice_minutes=60)) == ("2026-03-02 10:00", "11:00")

    def test_none_when_nothing_is_free_within_search_days(self) -> None:
        tuesday = [Interval(ny("2026-03-03 00:00"), ny("2026-03-04 00:00"))]
        assert nearest(self.tuesday_10, blackouts=tuesday, search_days=0) is None
        assert nearest(self.tuesday_10, blackouts=tuesday, search_days=1) == (
            "2026-03-02 21:00",
            "22:00",
        )
        march = [Interval(ny("2026-03-01 00:00"), ny("2026-04-01 00:00"))]
        assert nearest(self.tuesday_10, blackouts=march) is None

    def test_the_whole_party_must_fit(self) -> None:
        pool = rules(mode=BookingMode.CAPACITY, capacity=10)
        crowd = [on_tuesday("09:00", "11:00", headcount=8)]
        assert nearest(replace(self.tuesday_10, headcount=2), pool, booked=crowd) == (
            "2026-03-03 10:00",
            "11:00",
        )
        assert nearest(replace(self.tuesday_10, headcount=4), pool, booked=crowd) == (
            "2026-03-03 11:00",
            "12:00",
        )

    def test_ignores_quotas_and_rules_acceptance(self) -> None:
        strict = rules(max_per_day=0, rules_version=3)
        assert nearest(self.tuesday_10, strict) == ("2026-03-03 10:00", "11:00")


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: day_slots(TUESDAY, RULES, NY, naive, booked=[], blackouts=[]),
        lambda naive: day_slots(
            TUESDAY, RULES, NY, NOW, booked=[Booked(naive, naive, 1, "x")], blackouts=[]
        ),
        lambda naive: nearest_free_slot(
            request(naive, naive), RULES, NY, NOW, booked=[], blackouts=[]
        ),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[datetime], object]) -> None:
    with pytest.raises(ValueError, match="naive"):
        call(datetime(2026, 3, 3, 10))  # noqa: DTZ001


def test_next_free_slots_skip_blocked_days_and_say_why() -> None:
    court = rules(
        hours=dict.fromkeys(range(6), ((9 * 60, 12 * 60),)),  # closed on Sundays
        slot_minutes=60,
        min_duration_minutes=60,
        min_notice_minutes=2 * 24 * 60,
        max_per_day=1,
    )
    # Friday 2026-03-06, 10:00: two days' notice blocks Friday and Saturday, Sunday is closed,
    # and the household holds Monday's 9:00, so its quota of one a day blocks Monday.
    held = [Interval(ny("2026-03-09 09:00"), ny("2026-03-09 10:00"), "ours")]
    free, blocked = next_free_slots(
        "us",
        court,
        NY,
        ny("2026-03-06 10:00"),
        booked=[],
        household_booked=held,
        blackouts=[],
        limit=3,
        per_day=2,
    )
    assert [s.starts_at for s in free] == [
        ny("2026-03-10 09:00"),
        ny("2026-03-10 10:00"),
        ny("2026-03-11 09:00"),
    ]
    assert blocked == [
        BlockedDay(ny("2026-03-06 00:00").date(), RuleCode.TOO_LITTLE_NOTICE),
        BlockedDay(ny("2026-03-07 00:00").date(), RuleCode.TOO_LITTLE_NOTICE),
        BlockedDay(ny("2026-03-08 00:00").date(), None),
        BlockedDay(ny("2026-03-09 00:00").date(), RuleCode.QUOTA_EXCEEDED),
    ]
