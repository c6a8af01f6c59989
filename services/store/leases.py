"""Counted leases in Redis: at most N holders of a name at once (e.g. a toy's assistant
requests in flight), each lease expiring on its own so a crashed holder frees its place.

A name is a sorted set ``{prefix}lease:{name}`` of random lease ids scored by their expiry
time: taking a place drops expired ids, adds one and counts, in one MULTI.
"""

import secrets
import time


class LeaseStore:
    """``acquire(name, limit, ttl) -> lease id | None`` and ``release(name, lease id)``."""

    def __init__(self, client, prefix, breaker, clock=time.time):
        self._redis, self._prefix, self._breaker, self._clock = client, prefix, breaker, clock

    def _key(self, name):
        return f"{self._prefix}lease:{name}"

    def acquire(self, name, limit, ttl):
        """Take one of ``limit`` places of ``name`` for at most ``ttl`` seconds: a lease id, or
        None when all are taken. Raises the Redis errors of ``counters.REDIS_ERRORS``."""
        key, lease, now = self._key(name), secrets.token_hex(8), self._clock()
        pipe = self._redis.pipeline(transaction=True)
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.zadd(key, {lease: now + ttl})
        pipe.zcard(key)
        pipe.expire(key, max(1, int(ttl) + 1))
        count = self._breaker.call(pipe.execute)[2]
        if int(count) <= limit:
            return lease
        self._breaker.call(self._redis.zrem, key, lease)
        return None

    def release(self, name, lease):
        """Give back the place ``lease`` of ``name``."""
        self._breaker.call(self._redis.zrem, self._key(name), lease)
