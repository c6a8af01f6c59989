"""Redis keys: unread counters and rate-limit windows.

Unread counters: one hash per receiver, ``unread:<receiver>`` → ``{<sender>: n, "_built": 1}``.
The ``_built`` marker says the hash was rebuilt from MongoDB (the truth); a hash without it (Redis
flushed or restarted) is rebuilt on the next read.
"""

import logging
import threading
import time

import redis

log = logging.getLogger(__name__)
BUILT = "_built"
REDIS_ERRORS = (redis.exceptions.RedisError, OSError)


class RedisDown(redis.exceptions.ConnectionError):
    """Raised without touching the network while the breaker is open."""


class Breaker:
    """After a Redis failure, fail fast for ``cooldown`` seconds instead of waiting on timeouts
    in every request; the first call after the cooldown tries Redis again."""

    def __init__(self, cooldown=5.0, clock=time.monotonic):
        self._cooldown = cooldown
        self._clock = clock
        self._open_until = 0.0
        self._lock = threading.Lock()

    def call(self, fn, *args, **kwargs):
        if self._clock() < self._open_until:
            raise RedisDown("redis marked down, retrying later")
        try:
            return fn(*args, **kwargs)
        except REDIS_ERRORS:
            with self._lock:
                self._open_until = self._clock() + self._cooldown
            raise


class UnreadStore:
    def __init__(self, client, prefix, breaker=None):
        self._redis = client
        self._prefix = prefix
        self._breaker = breaker or Breaker()

    def _key(self, receiver):
        return f"{self._prefix}unread:{receiver}"

    def read(self, receiver):
        """Return ``{sender: n}`` or None when the hash must be rebuilt; raises on Redis errors."""
        raw = self._breaker.call(self._redis.hgetall, self._key(receiver))
        if BUILT not in raw:
            return None
        return {k: int(v) for k, v in raw.items() if k != BUILT and int(v) > 0}

    def replace(self, receiver, counts):
        """Atomically replace the hash with ``counts`` plus the built marker."""
        key = self._key(receiver)
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(key)
        pipe.hset(key, mapping={BUILT: 1, **{k: int(v) for k, v in counts.items()}})
        self._breaker.call(pipe.execute)

    def incr(self, receiver, sender, amount=1):
        """HINCRBY; returns the new count."""
        return int(self._breaker.call(self._redis.hincrby, self._key(receiver), sender, amount))

    def clear(self, receiver, sender):
        self._breaker.call(self._redis.hdel, self._key(receiver), sender)

    def drop(self, receiver):
        self._breaker.call(self._redis.delete, self._key(receiver))


class WindowStore:
    """Fixed-window request counters for rate limiting."""

    def __init__(self, client, prefix, breaker=None):
        self._redis = client
        self._prefix = prefix
        self._breaker = breaker or Breaker()

    def hit(self, bucket, window_seconds):
        """Count one hit in the current window of ``bucket``; return the count so far."""
        key = f"{self._prefix}rl:{bucket}"
        pipe = self._redis.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, int(window_seconds), nx=True)
        count, _ = self._breaker.call(pipe.execute)
        return int(count)
