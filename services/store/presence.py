"""Redis keys for toy presence: ``presence:<toy_id>``, a sorted set of live connections.

Each member names one connection (``<process>:<connection>``); its score is the time (epoch
seconds) until which its process vouches for it. A process refreshes its members' scores on a
heartbeat, so a crashed process's connections stop counting once their score is in the past;
the whole key also expires when no process refreshes it. Processes compare scores with their
own clocks, so they must share a reasonably synchronised clock (NTP).
"""

import time

from services.store.counters import Breaker


class PresenceStore:
    def __init__(self, client, prefix, breaker=None, clock=time.time):
        self._redis = client
        self._prefix = prefix
        self._breaker = breaker or Breaker()
        self._clock = clock

    def _key(self, toy_id):
        return f"{self._prefix}presence:{toy_id}"

    def vouch(self, members, ttl):
        """Mark every ``(toy_id, member)`` in ``members`` live for ``ttl`` more seconds (adds the
        ones Redis lost) and drop the expired members of those keys. Raises on Redis errors."""
        if not members:
            return
        now = self._clock()
        pipe = self._redis.pipeline(transaction=False)
        for toy_id, member in members:
            key = self._key(toy_id)
            pipe.zadd(key, {member: now + ttl})
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.expire(key, int(ttl) + 1)
        self._breaker.call(pipe.execute)

    def remove(self, toy_id, member):
        """Forget one connection. Raises on Redis errors."""
        self._breaker.call(self._redis.zrem, self._key(toy_id), member)

    def live_counts(self, toy_ids):
        """``{toy_id: number of connections still vouched for}``. Raises on Redis errors."""
        toy_ids = list(toy_ids)
        if not toy_ids:
            return {}
        now = self._clock()
        pipe = self._redis.pipeline(transaction=False)
        for toy_id in toy_ids:
            pipe.zcount(self._key(toy_id), f"({now}", "+inf")
        counts = self._breaker.call(pipe.execute)
        return {toy_id: int(n) for toy_id, n in zip(toy_ids, counts, strict=True)}
