from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hoa.rules import (
    RULES,
    AmenityRules,
    Booked,
    BookingMode,
    BookingRequest,
    Interval,
    RuleCode,
    Violation,
    blocked_interval,
    cancellation_deadline,
    check_booking,
    check_cancellation,
)
from tests.rules.support import ALL_DAY, NNBSP, NOW, NY, check, code, ny, request, rules

TUE_10 = request(ny("2026-03-03 10:00"), ny("2026-03-03 11:00"))
POOL = rules(mode=BookingMode.CAPACITY, capacity=10)
GUEST_SUITE = rules(
    hours=dict.fromkeys(range(7), ((420, 660), (900, 1320))),
    slot_minutes=60,
    min_duration_minutes=60,
    max_duration_minutes=7 * 24 * 60,
    overnight_allowed=True,
)


def booked(start: str, end: str, *, headcount: int = 1, household: object = "them") -> Booked:
    return Booked(ny(start), ny(end), headcount, household)


def interval(start: str, end: str) -> Interval:
    return Interval(ny(start), ny(end))


# One case per code; test_every_code_is_exercised keeps this table and CODES in step.
CASES: list[tuple[str, Callable[[], Violation | None]]] = [
    ("reservation.invalid_time", lambda: check(replace(TUE_10, ends_at=TUE_10.starts_at))),
    ("reservation.invalid_headcount", lambda: check(replace(TUE_10, headcount=0))),
    (
        "reservation.misaligned",
        lambda: check(request(ny("2026-03-03 10:15"), ny("2026-03-03 11:15"))),
    ),
    (
        "reservation.stay_times",
        lambda: check(
            TUE_10, rules(overnight_allowed=True, check_in_minute=900, check_out_minute=660)
        ),
    ),
    ("reservation.too_short", lambda: check(TUE_10, rules(min_duration_minutes=90))),
    ("reservation.too_long", lambda: check(TUE_10, rules(max_duration_minutes=30))),
    ("reservation.in_past", lambda: check(TUE_10, now=ny("2026-03-03 10:30"))),
    ("reservation.too_little_notice", lambda: check(TUE_10, rules(min_notice_minutes=26 * 60))),
    ("reservation.too_far_ahead", lambda: check(TUE_10, rules(max_days_ahead=0))),
    ("reservation.outside_hours", lambda: check(TUE_10, rules(hours={}))),
    (
        "reservation.too_many_guests",
        lambda: check(replace(TUE_10, headcount=3, guests=2), rules(max_guests=1)),
    ),
    ("reservation.capacity_exceeded", lambda: check(replace(TUE_10, headcount=11), POOL)),
    (
        "reservation.blackout",
        lambda: check(TUE_10, blackouts=[interval("2026-03-03 00:00", "2026-03-04 00:00")]),
    ),
    ("reservation.quota_exceeded", lambda: check(TUE_10, rules(max_upcoming=0))),
    (
        "reservation.slot_taken",
        lambda: check(TUE_10, booked=[booked("2026-03-03 10:30", "2026-03-03 11:30")]),
    ),
    (
        "reservation.capacity_full",
        lambda: check(
            TUE_10, POOL, booked=[booked("2026-03-03 10:00", "2026-03-03 10:30", headcount=10)]
        ),
    ),
    ("reservation.rules_not_accepted", lambda: check(TUE_10, rules(rules_version=2))),
    (
        "reservation.cutoff_passed",
        lambda: check_cancellation(
            TUE_10.starts_at, NOW, TUE_10.starts_at - timedelta(hours=48), NY
        ),
    ),
    (
        "reservation.already_started",
        lambda: check_cancellation(TUE_10.starts_at, TUE_10.starts_at, TUE_10.starts_at, NY),
    ),
]


@pytest.mark.parametrize(("expected", "run"), CASES, ids=[c for c, _ in CASES])
def test_each_code(expected: str, run: Callable[[], Violation | None]) -> None:
    violation = run()
    assert violation is not None
    assert violation.code == expected
    assert violation.message.endswith(".")


def test_every_code_is_exercised() -> None:
    assert {c for c, _ in CASES} == set(RuleCode)


def test_every_code_has_its_status_suggestion_and_message() -> None:
    assert set(RULES) == set(RuleCode)
    assert all(rule.status in (409, 422) and rule.message.endswith(".") for rule in RULES.values())


def test_an_ordinary_booking_is_allowed() -> None:
    assert check(TUE_10) is None


@pytest.mark.parametrize(
    ("headcount", "guests", "expected"),
    [
        (0, 0, "invalid_headcount"),
        (2, -1, "invalid_headcount"),
        (2, 3, "invalid_headcount"),
        (3, 3, None),
    ],
)
def test_headcount_shape(headcount: int, guests: int, expected: str | None) -> None:
    result = code(replace(TUE_10, headcount=headcount, guests=guests))
    assert result == (expected and f"reservation.{expected}")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-03 10:15", "2026-03-03 11:15"),  # start off the grid
        ("2026-03-03 10:00", "2026-03-03 10:45"),  # duration off the grid
        ("2026-03-03 10:00:30", "2026-03-03 11:00:30"),  # seconds
    ],
)
def test_misaligned(start: str, end: str) -> None:
    assert code(request(ny(start), ny(end))) == "reservation.misaligned"


def test_alignment_follows_local_wall_time_not_utc() -> None:
    # Kathmandu is UTC+05:45: 10:00 local is 04:15 UTC, on a 30-minute grid only locally.
    kathmandu = ZoneInfo("Asia/Kathmandu")
    start = datetime(2026, 3, 3, 10, tzinfo=kathmandu)
    req = request(start, start + timedelta(hours=1))
    assert (
        check_booking(req, rules(), kathmandu, NOW, booked=[], household_booked=[], blackouts=[])
        is None
    )
    assert code(req) == "reservation.misaligned"


def test_duration_limits_are_inclusive() -> None:
    assert check(TUE_10, rules(min_duration_minutes=60, max_duration_minutes=60)) is None
    too_short = check(TUE_10, rules(min_duration_minutes=90))
    assert too_short is not None
    assert too_short.details == {"min_duration_minutes": 90, "duration_minutes": 60}


def test_notice() -> None:
    two_hours = rules(min_notice_minutes=120)
    assert code(request(ny("2026-03-02 09:00"), ny("2026-03-02 10:00"))) is None  # starts right now
    assert code(request(ny("2026-03-02 08:30"), ny("2026-03-02 09:30"))) == "reservation.in_past"
    assert code(request(ny("2026-03-02 11:00"), ny("2026-03-02 12:00")), two_hours) is None
    late = check(request(ny("2026-03-02 10:30"), ny("2026-03-02 11:30")), two_hours)
    assert late is not None
    assert late.code == "reservation.too_little_notice"
    assert late.message == (
        f"Book at least 120 minutes ahead: start at Mon, Mar 2, 11:00{NNBSP}AM or later."
    )
    # the community's locale decides the clock: 24-hour in Britain
    british = check(
        request(ny("2026-03-02 10:30"), ny("2026-03-02 11:30")), two_hours, locale="en-GB"
    )
    assert british is not None and "start at Mon 2 Mar, 11:00 or later" in british.message


def test_window_counts_local_days() -> None:
    # 23:00 in New York on the last allowed day is already the next day in UTC.
    fortnight = rules(max_days_ahead=14, hours=ALL_DAY)
    assert code(request(ny("2026-03-16 23:00"), ny("2026-03-16 23:30")), fortnight) is None
    far = check(request(ny("2026-03-17 00:00"), ny("2026-03-17 00:30")), fortnight)
    assert far is not None
    assert far.code == "reservation.too_far_ahead"
    assert far.details == {"max_days_ahead": 14, "last_day": "2026-03-16"}
    late_now = ny("2026-03-02 20:00")  # already 2026-03-03 in UTC
    assert code(
        request(ny("2026-03-17 08:00"), ny("2026-03-17 09:00")), fortnight, now=late_now
    ) == ("reservation.too_far_ahead")


@pytest.mark.parametrize(
    ("start", "end", "allowed"),
    [
        ("2026-03-03 08:00", "2026-03-03 09:00", True),
        ("2026-03-03 07:30", "2026-03-03 08:30", False),
        ("2026-03-03 21:00", "2026-03-03 22:00", True),
        ("2026-03-03 21:30", "2026-03-03 22:30", False),
        ("2026-03-03 12:00", "2026-03-03 13:00", False),  # the lunch break
        ("2026-03-03 11:00", "2026-03-03 14:00", False),  # spans both ranges
        ("2026-03-03 13:00", "2026-03-03 14:00", True),
        ("2026-03-08 10:00", "2026-03-08 11:00", False),  # Sunday: closed
    ],
)
def test_opening_hours(start: str, end: str, allowed: bool) -> None:
    hours = dict.fromkeys(range(6), ((480, 720), (780, 1320)))
    assert (code(request(ny(start), ny(end)), rules(hours=hours)) is None) == allowed


def test_outside_hours_explains_the_day() -> None:
    violation = check(request(ny("2026-03-03 07:00"), ny("2026-03-03 08:00")))
    assert violation == Violation(
        "reservation.outside_hours",
        "Bookings must fit within one of the opening hours of Tue, Mar 3: "
        f"8:00{NNBSP}AM – 10:00{NNBSP}PM.",
        {"date": "2026-03-03", "hours": [["08:00", "22:00"]], "timezone": "America/New_York"},
    )


def test_booking_may_end_at_midnight_but_not_past_it() -> None:
    late = rules(hours=dict.fromkeys(range(7), ((1200, 1440),)))
    assert code(request(ny("2026-03-03 23:00"), ny("2026-03-04 00:00")), late) is None
    spill = request(ny("2026-03-03 23:30"), ny("2026-03-04 00:30"))
    assert code(spill, rules(hours=ALL_DAY)) == "reservation.outside_hours"


def test_guests_and_headcount_limits() -> None:
    party = replace(TUE_10, headcount=4, guests=2)
    assert code(party, rules(max_guests=2)) is None
    assert code(party, rules(max_guests=1)) == "reservation.too_many_guests"
    assert code(party, rules(max_headcount_per_household=3)) == "reservation.capacity_exceeded"
    assert code(party, rules(mode=BookingMode.CAPACITY, capacity=4)) is None
    exceeded = check(party, rules(mode=BookingMode.CAPACITY, capacity=3))
    assert exceeded is not None
    assert exceeded.details == {"capacity": 3, "headcount": 4}


def test_blackouts_are_half_open_and_widened_by_buffers() -> None:
    assert (
        code(TUE_10, blackouts=[interval("2026-03-03 10:59", "2026-03-03 12:00")])
        == "reservation.blackout"
    )
    touching = [
        interval("2026-03-03 11:00", "2026-03-03 12:00"),
        interval("2026-03-03 08:00", "2026-03-03 10:00"),
    ]
    assert code(TUE_10, blackouts=touching) is None
    assert (
        code(TUE_10, rules(buffer_after_minutes=15), blackouts=touching) == "reservation.blackout"
    )
    assert (
        code(TUE_10, rules(buffer_before_minutes=15), blackouts=touching) == "reservation.blackout"
    )
    violation = check(TUE_10, blackouts=[interval("2026-03-03 09:00", "2026-03-03 12:00")])
    assert violation is not None
    assert violation.message == (
        f"The amenity is closed Tue, Mar 3, 9:00{NNBSP}AM – 12:00{NNBSP}PM."
    )


class TestBuffers:
    existing = (booked("2026-03-03 10:00", "2026-03-03 11:00"),)

    @pytest.mark.parametrize(
        ("start", "end", "before", "after", "expected"),
        [
            ("11:00", "12:00", 0, 0, None),
            ("09:00", "10:00", 0, 0, None),
            ("11:00", "12:00", 0, 15, "reservation.slot_taken"),
            ("11:00", "12:00", 15, 0, "reservation.slot_taken"),
            ("09:00", "10:00", 0, 15, "reservation.slot_taken"),
            ("11:30", "12:30", 15, 15, None),  # buffers of both bookings just touch
            ("11:30", "12:30", 30, 15, "reservation.slot_taken"),
            ("08:30", "09:30", 15, 15, None),
        ],
    )
    def test_exclusive(
        self, start: str, end: str, before: int, after: int, expected: str | None
    ) -> None:
        req = request(ny(f"2026-03-03 {start}"), ny(f"2026-03-03 {end}"))
        buffered = rules(buffer_before_minutes=before, buffer_after_minutes=after)
        assert code(req, buffered, booked=self.existing) == expected

    def test_capacity_mode_ignores_buffers(self) -> None:
        full = [booked("2026-03-03 09:00", "2026-03-03 10:00", headcount=10)]
        buffered = replace(POOL, buffer_before_minutes=30, buffer_after_minutes=30)
        assert code(TUE_10, buffered, booked=full) is None

    def test_blocked_interval(self) -> None:
        buffered = rules(buffer_before_minutes=90, buffer_after_minutes=15)
        # 90 minutes before 03:00 EDT on spring-forward day is 00:30 EST: real time, not wall time.
        blocked = blocked_interval(ny("2026-03-08 03:00"), ny("2026-03-08 04:00"), buffered)
        assert blocked == Interval(
            datetime(2026, 3, 8, 5, 30, tzinfo=UTC), datetime(2026, 3, 8, 8, 15, tzinfo=UTC)
        )
        assert blocked.starts_at.astimezone(NY).strftime("%H:%M %Z") == "00:30 EST"


class TestQuotas:
    all_day = rules(hours=ALL_DAY, max_days_ahead=400)
    now = ny("2025-12-20 12:00")

    def quota(self, req_start: str, held: list[str], **limits: Any) -> Violation | None:
        req = request(ny(req_start), ny(req_start) + timedelta(minutes=30))
        household = [Interval(ny(h), ny(h) + timedelta(minutes=30), h) for h in held]
        return check(req, replace(self.all_day, **limits), now=self.now, household_booked=household)

    def test_day_is_the_local_date(self) -> None:
        # Sunday 23:30 and Monday 00:00 in New York are both Monday in UTC.
        assert self.quota("2026-03-16 00:00", ["2026-03-15 23:30"], max_per_day=1) is None
        violation = self.quota("2026-03-15 10:00", ["2026-03-15 23:30"], max_per_day=1)
        assert violation is not None
        assert violation.code == "reservation.quota_exceeded"
        assert violation.details == {
            "period": "day",
            "limit": 1,
            "count": 1,
            "counted": ["2026-03-15 23:30"],
            "book_again_on": "2026-03-16",
        }
        assert violation.message == (
            "Your household already has 1 booking here on Sun, Mar 15, the most per day. "
            "You can book again from Mon, Mar 16."
        )
        assert self.quota("2026-03-15 23:30", ["2026-03-15 10:00"], max_per_day=1) is not None

    def test_week_is_the_local_iso_week(self) -> None:
        assert self.quota("2026-03-16 00:00", ["2026-03-15 23:30"], max_per_week=1) is None
        # Sunday 21:00 New York is Monday in UTC, yet still the week of Monday 2026-03-09 locally.
        violation = self.quota("2026-03-09 10:00", ["2026-03-15 21:00"], max_per_week=1)
        assert violation is not None
        assert violation.details == {
            "period": "week",
            "limit": 1,
            "count": 1,
            "counted": ["2026-03-15 21:00"],
            "book_again_on": "2026-03-16",
        }
        assert "in the week of Mon, Mar 9, the most per week" in violation.message
        assert self.quota("2026-03-09 10:00", ["2026-03-15 21:00"], max_per_week=2) is None

    def test_month_is_the_local_month(self) -> None:
        # 2026-01-31 20:00 New York is 2026-02-01 01:00 UTC.
        assert self.quota("2026-02-01 10:00", ["2026-01-31 20:00"], max_per_month=1) is None
        violation = self.quota("2026-01-05 10:00", ["2026-01-31 20:00"], max_per_month=1)
        assert violation is not None
        assert violation.details == {
            "period": "month",
            "limit": 1,
            "count": 1,
            "counted": ["2026-01-31 20:00"],
            "book_again_on": "2026-02-01",
        }
        assert "1 booking here in January 2026, the most per month" in violation.message
        assert self.quota("2026-01-31 20:00", ["2026-01-05 10:00"], max_per_month=1) is not None

    def test_upcoming_counts_only_future_starts(self) -> None:
        held = [
            "2025-12-19 10:00",
            "2025-12-20 12:00",
            "2025-12-28 10:00",
        ]  # past, starting now, future
        assert self.quota("2026-01-05 10:00", held, max_upcoming=2) is None
        violation = self.quota("2026-01-05 10:00", held, max_upcoming=1)
        assert violation is not None
        assert violation.details == {
            "period": "upcoming",
            "limit": 1,
            "count": 1,
            "counted": ["2025-12-28 10:00"],
            "book_again_on": "2025-12-28",
        }
        assert violation.message == (
            "Your household already has 1 booking coming up here, the most it can hold at "
            f"once. You can book again once the first starts (Sun, Dec 28, 10:00{NNBSP}AM), "
            "or after cancelling one."
        )

    def test_book_again_skips_full_periods(self) -> None:
        # December and January are full; February has room.
        held = ["2026-01-05 10:00", "2026-01-06 10:00", "2026-02-03 10:00", "2025-12-30 10:00"]
        violation = self.quota("2026-01-20 10:00", held, max_per_month=2)
        assert violation is not None
        assert violation.details["counted"] == ["2026-01-05 10:00", "2026-01-06 10:00"]
        assert violation.details["book_again_on"] == "2026-02-01"
        assert "2 bookings here in January 2026" in violation.message
        full_feb = [*held, "2026-02-04 10:00"]
        violation = self.quota("2026-01-20 10:00", full_feb, max_per_month=2)
        assert violation is not None and violation.details["book_again_on"] == "2026-03-01"

    def test_periods_are_checked_day_week_month_upcoming(self) -> None:
        limits = {"max_per_day": 1, "max_per_week": 1, "max_per_month": 1, "max_upcoming": 1}
        same_day = self.quota("2026-01-05 10:00", ["2026-01-05 12:00"], **limits)
        same_month = self.quota("2026-01-05 10:00", ["2026-01-20 12:00"], **limits)
        other_month = self.quota("2026-01-05 10:00", ["2026-02-20 12:00"], **limits)
        assert [v and v.details["period"] for v in (same_day, same_month, other_month)] == [
            "day",
            "month",
            "upcoming",
        ]


class TestOvernight:
    @pytest.mark.parametrize(
        ("start", "end", "expected"),
        [
            ("2026-01-31 15:00", "2026-02-01 11:00", None),  # across the month end
            ("2026-01-31 21:00", "2026-02-01 07:00", "reservation.outside_hours"),  # end at opening
            ("2026-01-31 21:00", "2026-02-01 08:00", None),
            ("2026-01-31 15:00", "2026-02-01 12:00", "reservation.outside_hours"),  # late checkout
            ("2026-01-31 14:00", "2026-02-01 11:00", "reservation.outside_hours"),  # early check-in
            ("2026-01-31 22:00", "2026-02-01 10:00", "reservation.outside_hours"),  # at closing
            ("2026-01-31 15:00", "2026-02-03 10:00", None),  # three nights
            ("2026-01-31 15:00", "2026-01-31 20:00", None),  # same day, one range
            (
                "2026-01-31 09:00",
                "2026-01-31 16:00",
                "reservation.outside_hours",
            ),  # same day, a gap
        ],
    )
    def test_guest_suite(self, start: str, end: str, expected: str | None) -> None:
        assert (
            code(request(ny(start), ny(end)), GUEST_SUITE, now=ny("2026-01-20 12:00")) == expected
        )

    def test_late_checkout_names_the_last_day(self) -> None:
        req = request(ny("2026-01-31 15:00"), ny("2026-02-01 12:00"))
        violation = check(req, GUEST_SUITE, now=ny("2026-01-20 12:00"))
        assert violation is not None
        assert violation.details["date"] == "2026-02-01"
        assert violation.message.startswith(
            "Bookings must end within the opening hours of Sun, Feb 1"
        )

    def test_days_in_between_are_not_checked(self) -> None:
        mondays_and_fridays = replace(GUEST_SUITE, hours={0: ((900, 1320),), 4: ((420, 660),)})
        req = request(ny("2026-03-09 15:00"), ny("2026-03-13 10:00"))
        assert code(req, mondays_and_fridays) is None

    def test_ending_at_midnight_ends_on_the_day_before(self) -> None:
        till_midnight = replace(
            GUEST_SUITE, hours=dict.fromkeys(range(7), ((420, 660), (900, 1440)))
        )
        evening = request(ny("2026-03-09 20:00"), ny("2026-03-10 00:00"))
        two_nights = request(ny("2026-03-09 15:00"), ny("2026-03-11 00:00"))
        assert code(evening, till_midnight) is None
        assert code(two_nights, till_midnight) is None
        assert code(two_nights, GUEST_SUITE) == "reservation.outside_hours"

    def test_not_allowed(self) -> None:
        no_overnight = replace(GUEST_SUITE, overnight_allowed=False)
        req = request(ny("2026-03-09 15:00"), ny("2026-03-10 10:00"))
        assert code(req, no_overnight) == "reservation.outside_hours"

    def test_month_quota_counts_the_night_by_its_start(self) -> None:
        req = request(ny("2026-01-31 15:00"), ny("2026-02-01 11:00"))
        february = [interval("2026-02-10 15:00", "2026-02-11 11:00")]
        monthly = replace(GUEST_SUITE, max_per_month=1)
        assert code(req, monthly, now=ny("2026-01-20 12:00"), household_booked=february) is None


class TestCapacity:
    def test_peak_is_a_sweep_not_a_sum(self) -> None:
        # 6 people until 10:30 and 6 others from 10:30 never meet: at most 6 at once.
        relay = [
            booked("2026-03-03 10:00", "2026-03-03 10:30", headcount=6),
            booked("2026-03-03 10:30", "2026-03-03 11:00", headcount=6),
        ]
        assert code(replace(TUE_10, headcount=4), POOL, booked=relay) is None
        full = check(replace(TUE_10, headcount=5), POOL, booked=relay)
        assert full is not None
        assert full.code == "reservation.capacity_full"
        assert full.details == {"capacity": 10, "remaining": 4}

    def test_only_overlapping_time_counts(self) -> None:
        around = [
            booked("2026-03-03 09:00", "2026-03-03 10:00", headcount=10),
            booked("2026-03-03 11:00", "2026-03-03 12:00", headcount=10),
            booked("2026-03-03 09:30", "2026-03-03 10:30", headcount=3),
            booked("2026-03-03 10:45", "2026-03-03 11:15", headcount=4),
        ]
        assert code(replace(TUE_10, headcount=6), POOL, booked=around) is None
        assert (
            code(replace(TUE_10, headcount=7), POOL, booked=around) == "reservation.capacity_full"
        )

    def test_household_peak(self) -> None:
        capped = replace(POOL, max_headcount_per_household=4)
        ours = [booked("2026-03-03 10:30", "2026-03-03 11:30", headcount=3, household="us")]
        theirs = [booked("2026-03-03 10:30", "2026-03-03 11:30", headcount=3, household="them")]
        adjacent = [booked("2026-03-03 11:00", "2026-03-03 12:00", headcount=3, household="us")]
        party = replace(TUE_10, headcount=2)
        assert code(party, capped, booked=theirs + adjacent) is None
        violation = check(party, capped, booked=ours)
        assert violation is not None
        assert violation.code == "reservation.capacity_exceeded"
        assert violation.details == {
            "max_headcount_per_household": 4,
            "already_booked": 3,
            "headcount": 2,
        }


def test_rules_acceptance() -> None:
    version_2 = rules(rules_version=2)
    assert code(TUE_10, version_2) == "reservation.rules_not_accepted"
    assert (
        code(replace(TUE_10, accepted_rules_version=1), version_2)
        == "reservation.rules_not_accepted"
    )
    assert code(replace(TUE_10, accepted_rules_version=2), version_2) is None
    assert code(TUE_10, version_2, check_acceptance=False) is None
    assert code(TUE_10, rules(rules_version=0)) is None


@pytest.mark.parametrize(
    ("req", "amenity", "context", "expected"),
    [
        # An empty interval in the past, off the grid: its shape is the first problem.
        (request(ny("2026-03-01 10:10"), ny("2026-03-01 10:10")), rules(), {}, "invalid_time"),
        (request(ny("2026-03-01 10:10"), ny("2026-03-01 10:20")), rules(), {}, "misaligned"),
        (
            request(ny("2026-03-01 10:00"), ny("2026-03-01 10:30")),
            rules(min_duration_minutes=60),
            {},
            "too_short",
        ),
        (request(ny("2026-03-01 03:00"), ny("2026-03-01 04:00")), rules(), {}, "in_past"),
        (request(ny("2027-04-01 03:00"), ny("2027-04-01 04:00")), rules(), {}, "too_far_ahead"),
        (
            replace(TUE_10, headcount=3, guests=2),
            rules(max_guests=1, hours={}),
            {},
            "outside_hours",
        ),
        (
            replace(TUE_10, headcount=3, guests=2),
            rules(max_guests=1, max_headcount_per_household=1),
            {},
            "too_many_guests",
        ),
        (
            TUE_10,
            rules(max_upcoming=0, rules_version=1),
            {"blackouts": [interval("2026-03-03 10:00", "2026-03-03 10:30")]},
            "blackout",
        ),
        (
            TUE_10,
            rules(max_upcoming=0, rules_version=1),
            {"booked": [booked("2026-03-03 10:00", "2026-03-03 10:30")]},
            "quota_exceeded",
        ),
        (
            TUE_10,
            rules(rules_version=1),
            {"booked": [booked("2026-03-03 10:00", "2026-03-03 10:30")]},
            "slot_taken",
        ),
    ],
)
def test_first_violation_wins(
    req: BookingRequest, amenity: AmenityRules, context: dict[str, object], expected: str
) -> None:
    assert code(req, amenity, **context) == f"reservation.{expected}"


class TestDaylightSaving:
    all_day = rules(hours=ALL_DAY, max_duration_minutes=1440)

    def duration(self, start: str, end: str, *, end_fold: int = 0) -> object:
        violation = check(
            request(ny(start), ny(end, fold=end_fold)), rules(hours=ALL_DAY, max_duration_minutes=1)
        )
        assert violation is not None
        return violation.details["duration_minutes"]

    def test_spring_forward_wall_hours_are_shorter(self) -> None:
        assert self.duration("2026-03-08 01:00", "2026-03-08 03:00") == 60
        assert self.duration("2026-03-08 00:30", "2026-03-08 03:30") == 120
        req = request(ny("2026-03-08 01:00"), ny("2026-03-08 03:00"))
        assert (
            code(req, replace(self.all_day, min_duration_minutes=60, max_duration_minutes=60))
            is None
        )
        assert code(req, replace(self.all_day, min_duration_minutes=90)) == "reservation.too_short"

    def test_fall_back_wall_hours_are_longer(self) -> None:
        assert self.duration("2026-11-01 00:30", "2026-11-01 01:30", end_fold=1) == 120
        assert self.duration("2026-11-01 01:30", "2026-11-01 01:00", end_fold=1) == 30
        assert self.duration("2026-11-01 00:00", "2026-11-02 00:00") == 25 * 60

    def test_repeated_hour_is_two_distinct_hours(self) -> None:
        # Aware datetimes sharing a ZoneInfo compare by wall clock; the rules must compare instants.
        second_one_oclock = [
            Booked(ny("2026-11-01 01:00", fold=1), ny("2026-11-01 01:30", fold=1), 1, "them")
        ]
        first = request(ny("2026-11-01 01:00"), ny("2026-11-01 01:30"))
        second = request(ny("2026-11-01 01:00", fold=1), ny("2026-11-01 01:30", fold=1))
        backwards = request(
            ny("2026-11-01 01:30"), ny("2026-11-01 01:00", fold=1)
        )  # 01:30 EDT-01:00 EST
        assert code(first, self.all_day, booked=second_one_oclock) is None
        assert code(backwards, self.all_day, booked=second_one_oclock) is None
        assert code(second, self.all_day, booked=second_one_oclock) == "reservation.slot_taken"

    def test_hours_hold_at_every_instant_of_a_fall_back_booking(self) -> None:
        # Open 00:00–01:30: from 00:30 EDT to 01:30 EST the clock also shows 01:30–01:59 EDT.
        early = rules(hours={6: ((0, 90),)})
        assert code(request(ny("2026-11-01 00:30"), ny("2026-11-01 01:30")), early) is None
        assert (
            code(request(ny("2026-11-01 01:00", fold=1), ny("2026-11-01 01:30", fold=1)), early)
            is None
        )
        across = request(ny("2026-11-01 00:30"), ny("2026-11-01 01:30", fold=1))
        assert code(across, early) == "reservation.outside_hours"
        assert code(across, rules(hours={6: ((0, 120),)})) is None

    def test_a_booking_ending_as_the_clock_jumps_ends_at_the_old_reading(self) -> None:
        # 01:00 EST–03:00 EDT ends as the clock shows 02:00 EST, so it fits hours closing at 02:00.
        until_two = rules(hours={6: ((0, 120),)})
        assert code(request(ny("2026-03-08 01:00"), ny("2026-03-08 03:00")), until_two) is None
        assert (
            code(request(ny("2026-03-08 01:00"), ny("2026-03-08 03:30")), until_two)
            == "reservation.outside_hours"
        )

    def test_capacity_in_the_repeated_hour(self) -> None:
        # 01:00–01:45 EDT and 01:15–01:45 EST never meet, though their wall times overlap.
        pool = replace(self.all_day, mode=BookingMode.CAPACITY, capacity=10)
        edt = Booked(ny("2026-11-01 01:00"), ny("2026-11-01 01:45"), 5, "them")
        est = Booked(ny("2026-11-01 01:15", fold=1), ny("2026-11-01 01:45", fold=1), 5, "them")
        req = request(ny("2026-11-01 01:00"), ny("2026-11-01 02:00"), headcount=5)
        assert code(req, pool, booked=[edt, est]) is None
        assert (
            code(replace(req, headcount=6), pool, booked=[edt, est]) == "reservation.capacity_full"
        )

    def test_bookings_across_the_change(self) -> None:
        morning = [booked("2026-03-08 03:00", "2026-03-08 04:00")]
        assert (
            code(
                request(ny("2026-03-08 00:30"), ny("2026-03-08 03:00")),
                self.all_day,
                booked=morning,
            )
            is None
        )
        assert code(
            request(ny("2026-03-08 01:30"), ny("2026-03-08 03:30")), self.all_day, booked=morning
        ) == ("reservation.slot_taken")


class TestCancellation:
    start = ny("2026-03-03 10:00")

    def test_deadline_boundary(self) -> None:
        deadline = self.start - timedelta(hours=24)
        assert check_cancellation(self.start, deadline, deadline, NY) is None
        late = check_cancellation(self.start, deadline + timedelta(microseconds=1), deadline, NY)
        assert late is not None
        assert late.code == "reservation.cutoff_passed"
        assert late.details == {"cancellable_until": "2026-03-02T15:00:00+00:00"}
        assert f"until Mon, Mar 2, 10:00{NNBSP}AM; ask the office" in late.message

    def test_started(self) -> None:
        before = self.start - timedelta(microseconds=1)
        assert check_cancellation(self.start, before, self.start, NY) is None
        for now in (self.start, self.start + timedelta(hours=1)):
            violation = check_cancellation(self.start, now, self.start, NY)
            assert violation is not None
            assert violation.code == "reservation.already_started"

    def test_deadline_is_the_cutoff_when_booked_well_ahead(self) -> None:
        confirmed = self.start - timedelta(days=10)
        assert cancellation_deadline(self.start, confirmed, 24, 15) == self.start - timedelta(
            hours=24
        )

    def test_grace_keeps_a_booking_inside_the_cutoff_cancellable(self) -> None:
        # A same-day booking of an amenity with a day's cutoff: cancellable for the grace period.
        confirmed = self.start - timedelta(hours=2)
        deadline = cancellation_deadline(self.start, confirmed, 24, 15)
        assert deadline == confirmed + timedelta(minutes=15)
        assert (
            check_cancellation(self.start, confirmed + timedelta(minutes=10), deadline, NY) is None
        )
        assert check_cancellation(self.start, confirmed + timedelta(minutes=16), deadline, NY)
        # never past the start; no grace period ends the moment it was confirmed
        assert cancellation_deadline(self.start, self.start - timedelta(minutes=5), 24, 15) == (
            self.start
        )
        assert cancellation_deadline(self.start, confirmed, 24, 0) == confirmed
