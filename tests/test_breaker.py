"""The Redis circuit breaker: fails fast while open, lets one probe through after the cooldown."""

import pytest
import redis

from services.store.counters import Breaker, RedisDown


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def failing():
    raise redis.exceptions.TimeoutError("hung")


def test_open_breaker_fails_fast_then_one_probe_closes_it():
    clock, calls = Clock(), []
    breaker = Breaker(cooldown=5, clock=clock)
    with pytest.raises(redis.exceptions.TimeoutError):
        breaker.call(failing)
    with pytest.raises(RedisDown):
        breaker.call(calls.append, "skipped")
    assert calls == []
    clock.now += 5
    assert breaker.call(lambda: "pong") == "pong"  # the probe succeeds: closed again
    breaker.call(calls.append, "through")
    assert calls == ["through"]


def test_only_one_probe_at_a_time():
    clock = Clock()
    breaker = Breaker(cooldown=5, clock=clock)
    with pytest.raises(redis.exceptions.TimeoutError):
        breaker.call(failing)
    clock.now += 5
    others = []

    def probe():  # while the probe waits on Redis, other callers fail fast
        with pytest.raises(RedisDown):
            breaker.call(others.append, "skipped")
        raise redis.exceptions.TimeoutError("still hung")

    with pytest.raises(redis.exceptions.TimeoutError):
        breaker.call(probe)
    assert others == []
    with pytest.raises(RedisDown):  # the failed probe reopened it for another cooldown
        breaker.call(others.append, "skipped")
    clock.now += 5
    breaker.call(others.append, "through")
    assert others == ["through"]
