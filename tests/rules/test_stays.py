"""Stays: from check-in to check-out whole nights later, offered exactly as booking accepts them."""

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hoa.rules import (
    AmenityRules,
    Booked,
    Interval,
    RuleCode,
    check_booking,
    day_slots,
    nearest_free_slot,
)
from tests.rules.support import NNBSP, NY, check, ny, request

SUITE = AmenityRules(
    hours=dict.fromkeys(range(7), ((7 * 60, 11 * 60), (15 * 60, 22 * 60))),
    slot_minutes=60,
    min_duration_minutes=16 * 60,
    max_duration_minutes=7 * 24 * 60,
    max_days_ahead=120,
    overnight_allowed=True,
    check_in_minute=15 * 60,
    check_out_minute=11 * 60,
)


def test_a_free_day_offers_the_check_in_and_the_shortest_stay() -> None:
    slots = day_slots(date(2026, 3, 3), SUITE, NY, ny("2026-03-02 09:00"), booked=[], blackouts=[])
    assert [(s.starts_at, s.ends_at, s.available) for s in slots] == [
        (ny("2026-03-03 15:00"), ny("2026-03-04 11:00"), True)
    ]


def test_stays_of_any_allowed_length_book_from_check_in_to_check_out() -> None:
    assert check(request(ny("2026-03-03 15:00"), ny("2026-03-04 11:00")), SUITE) is None
    assert check(request(ny("2026-03-03 15:00"), ny("2026-03-10 11:00")), SUITE) is None
    too_long = check(request(ny("2026-03-03 15:00"), ny("2026-03-11 11:00")), SUITE)
    assert too_long is not None and too_long.code is RuleCode.TOO_LONG


def test_other_times_are_refused_naming_check_in_and_check_out() -> None:
    for start, end in [
        ("2026-03-03 16:00", "2026-03-04 11:00"),
        ("2026-03-03 15:00", "2026-03-04 10:00"),
        ("2026-03-03 15:00", "2026-03-03 21:00"),
    ]:
        violation = check(request(ny(start), ny(end)), SUITE)
        assert violation is not None and violation.code is RuleCode.STAY_TIMES
        assert violation.message == (
            f"Stays start at check-in, 3:00{NNBSP}PM, and end at check-out, 11:00{NNBSP}AM, "
            "one or more nights later."
        )
        assert violation.details == {"check_in": "15:00", "check_out": "11:00"}


def test_the_nearest_free_stay_keeps_the_nights_asked_for() -> None:
    taken = Booked(ny("2026-03-03 15:00"), ny("2026-03-05 11:00"), 1, "them")
    nearest = nearest_free_slot(
        request(ny("2026-03-03 15:00"), ny("2026-03-06 11:00")),
        SUITE,
        NY,
        ny("2026-03-02 09:00"),
        booked=[taken],
        blackouts=[],
    )
    assert nearest is not None
    assert (nearest.starts_at, nearest.ends_at) == (ny("2026-03-05 15:00"), ny("2026-03-08 11:00"))


DAYS = (date(2026, 3, 3), date(2026, 3, 7), date(2026, 10, 31))  # ordinary, across DST changes


def _stay(day: date, nights: int, check_in: int, check_out: int) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), NY) + timedelta(minutes=check_in)
    end = datetime.combine(day + timedelta(days=nights), datetime.min.time(), NY)
    return start, end + timedelta(minutes=check_out)


@settings(max_examples=100, deadline=None)
@given(
    data=st.data(),
    first=st.sampled_from(DAYS),
    check_in=st.sampled_from([14 * 60, 15 * 60, 16 * 60 + 30]),
    check_out=st.sampled_from([10 * 60, 11 * 60, 12 * 60]),
    min_hours=st.sampled_from([16, 20, 40]),
    notice_hours=st.sampled_from([0, 24, 72]),
    days_ahead=st.sampled_from([2, 5, 30]),
    now_hours=st.integers(-24, 48),
    closed_weekday=st.none() | st.integers(0, 6),
)
def test_every_offered_stay_books_and_every_refused_one_for_the_same_reason(
    data: st.DataObject,
    first: date,
    check_in: int,
    check_out: int,
    min_hours: int,
    notice_hours: int,
    days_ahead: int,
    now_hours: int,
    closed_weekday: int | None,
) -> None:
    hours = ((0, 12 * 60), (14 * 60, 1440))
    amenity = AmenityRules(
        hours={d: hours for d in range(7) if d != closed_weekday},
        slot_minutes=60,
        min_duration_minutes=min_hours * 60,
        max_duration_minutes=4 * 24 * 60,
        max_days_ahead=days_ahead,
        min_notice_minutes=notice_hours * 60,
        overnight_allowed=True,
        check_in_minute=check_in,
        check_out_minute=check_out,
    )
    now = datetime.combine(first, datetime.min.time(), NY) + timedelta(hours=now_hours)
    stays = [
        _stay(
            first + timedelta(days=data.draw(st.integers(-2, 6))),
            data.draw(st.integers(1, 3)),
            check_in,
            check_out,
        )
        for _ in range(data.draw(st.integers(0, 3)))
    ]
    booked = [Booked(s, e, 1, "them") for s, e in stays]
    blackouts = [
        Interval(b.starts_at, b.starts_at + timedelta(hours=data.draw(st.integers(1, 30))))
        for b in data.draw(st.lists(st.sampled_from(booked), max_size=1) if booked else st.just([]))
    ]
    for offset in range(7):
        day = first + timedelta(days=offset)
        for slot in day_slots(day, amenity, NY, now, booked=booked, blackouts=blackouts):
            violation = check_booking(
                request(slot.starts_at, slot.ends_at),
                amenity,
                NY,
                now,
                booked=booked,
                household_booked=[],
                blackouts=blackouts,
            )
            assert (violation and violation.code) == slot.reason
            assert slot.available is (violation is None)
