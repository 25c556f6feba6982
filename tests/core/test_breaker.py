"""The breaker's rule: it opens on a streak of failures longer than one timeout, lets one trial
through per retry period, and closes on a success."""

import time

import pytest
from redis import RedisError

from hoa.core.breaker import FAILURES, Breaker


def fail(breaker: Breaker) -> None:
    with pytest.raises(RedisError), breaker.watch():
        raise RedisError("timeout")


def test_a_streak_of_failures_opens_it_and_a_trial_success_closes_it() -> None:
    breaker = Breaker(retry_seconds=0.2, timeout_seconds=0.01)
    for _ in range(FAILURES):
        assert breaker.allow("rate_limit")
        fail(breaker)
        time.sleep(0.01)
    assert breaker.open
    assert not breaker.allow("rate_limit")  # skipped without a call
    time.sleep(0.2)
    assert breaker.allow("enqueue")  # the trial
    assert not breaker.allow("rate_limit")  # only one per period
    fail(breaker)
    assert breaker.open
    time.sleep(0.2)
    assert breaker.allow("enqueue")
    with breaker.watch():
        pass
    assert not breaker.open and breaker.allow("rate_limit")


def test_failures_of_one_instant_are_a_stalled_loop_not_an_outage() -> None:
    breaker = Breaker(retry_seconds=5, timeout_seconds=0.05)
    for _ in range(FAILURES * 3):
        fail(breaker)  # every call waiting on a stalled event loop times out at once
    assert not breaker.open
    with breaker.watch():
        pass  # the next call answers: the streak ends
    time.sleep(0.05)
    fail(breaker)
    assert not breaker.open
