"""The sliding-window rate limit (tenancy.ratelimit): the window moves with every attempt, so a
burst across a clock-hour boundary is still limited; refused attempts do not extend the wait.
Runs on whatever cache the settings give (the file cache here, Redis in CI)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tenancy.ratelimit import allowed, hit, parse_rate

START = datetime(2026, 3, 2, 10, 50, tzinfo=UTC)


def test_rates_are_parsed():
    assert parse_rate("5/h") == (5, 3600)
    assert parse_rate("10/15m") == (10, 900)
    with pytest.raises(ValueError):
        parse_rate("5 per hour")


def test_five_attempts_before_the_hour_still_count_after_it():
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(5):
            assert hit("ip-1", limit=5, window=3600)
            traveller.shift(timedelta(minutes=2))  # 10:50, 10:52, ... 10:58
        traveller.move_to(START.replace(hour=11, minute=5))
        assert not hit("ip-1", limit=5, window=3600)  # a fixed 11:00 bucket would allow it
        traveller.move_to(START + timedelta(minutes=59, seconds=59))
        assert not hit("ip-1", limit=5, window=3600)
        traveller.move_to(START + timedelta(hours=1, seconds=1))  # 10:50 slid out of the hour
        assert hit("ip-1", limit=5, window=3600)
        assert not hit("ip-1", limit=5, window=3600)  # 10:52 ... 10:58 and 11:50 fill it again


def test_keys_are_counted_apart():
    with time_machine.travel(START, tick=False):
        for _ in range(2):
            assert hit("a", limit=2, window=60)
        assert not hit("a", limit=2, window=60)
        assert hit("b", limit=2, window=60)


def test_refused_attempts_do_not_extend_the_wait():
    with time_machine.travel(START, tick=False) as traveller:
        assert hit("c", limit=1, window=60)
        for _ in range(5):
            traveller.shift(timedelta(seconds=10))
            assert not hit("c", limit=1, window=60)
        traveller.move_to(START + timedelta(seconds=61))
        assert hit("c", limit=1, window=60)


def test_allowed_looks_without_counting():
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(10):
            assert allowed("look", limit=2, window=60)  # looking never uses the allowance
        assert hit("look", limit=2, window=60) and hit("look", limit=2, window=60)
        assert not allowed("look", limit=2, window=60)
        traveller.shift(timedelta(seconds=61))
        assert allowed("look", limit=2, window=60)
