"""Redis keys: unread counters and rate-limit windows.

Unread counters: one hash per receiver, ``unread:<receiver>`` → ``{<sender>: n, "_built": gen}``.
The ``_built`` marker says the hash was rebuilt from MongoDB (the truth) and names that rebuild
(a random generation); a hash without it (Redis flushed or restarted, or invalidated) is rebuilt
on the next read.

Why generations: a message is stored in MongoDB first and counted in Redis second. A rebuild that
counted MongoDB between those two steps may or may not include the message, so a writer reads the
generation before touching MongoDB and applies its HINCRBY only if the generation is unchanged
afterwards (checked in the same MULTI); otherwise it drops the marker and the next read recounts.
Rebuilds run under WATCH, so any write to the hash while MongoDB is being counted aborts them.
"""

import logging
import secrets
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
    in every request; after the cooldown one call (the probe) tries Redis again while the
    others keep failing fast, so a hung Redis costs one request a timeout per cooldown."""

    def __init__(self, cooldown=5.0, clock=time.monotonic):
        self._cooldown = cooldown
        self._clock = clock
        self._open_until = 0.0
        self._probing = False
        self._lock = threading.Lock()

    def call(self, fn, *args, **kwargs):
        probe = False
        if self._open_until:
            with self._lock:
                if self._clock() < self._open_until or self._probing:
                    raise RedisDown("redis marked down, retrying later")
                self._probing = probe = True
        try:
            result = fn(*args, **kwargs)
        except REDIS_ERRORS:
            with self._lock:
                self._open_until = self._clock() + self._cooldown
                self._probing = False
            raise
        if probe:
            with self._lock:
                self._open_until, self._probing = 0.0, False
        return result


class UnreadStore:
    def __init__(self, client, prefix, breaker=None):
        self._redis = client
        self._prefix = prefix
        self._breaker = breaker or Breaker()

    @property
    def key_prefix(self):
        """The Redis key of a receiver's hash is ``key_prefix + receiver``."""
        return f"{self._prefix}unread:"

    def _key(self, receiver):
        return f"{self.key_prefix}{receiver}"

    def read(self, receiver):
        """Return ``{sender: n}`` or None when the hash must be rebuilt; raises on Redis errors."""
        raw = self._breaker.call(self._redis.hgetall, self._key(receiver))
        if BUILT not in raw:
            return None
        return _counts(raw)

    def generation(self, receiver):
        """The hash's built marker, or None when it must be rebuilt; raises on Redis errors."""
        return self._breaker.call(self._redis.hget, self._key(receiver), BUILT)

    def add(self, receiver, sender, amount, generation):
        """HINCRBY ``amount`` when the hash is still of ``generation`` (read before MongoDB was
        written); return the new count. Otherwise invalidate the hash and return None: a rebuild
        happened in between and may already include the change. Raises on Redis errors."""
        key = self._key(receiver)
        pipe = self._redis.pipeline(transaction=True)
        pipe.hget(key, BUILT)
        pipe.hincrby(key, sender, int(amount))
        current, count = self._breaker.call(pipe.execute)
        if generation is not None and current == generation and int(count) >= 0:
            return int(count)
        if current is not None:
            self._breaker.call(self._redis.hdel, key, BUILT)
        return None

    def rebuild(self, receiver, load_counts, attempts=5):
        """Replace the hash with ``load_counts()`` (MongoDB's counts) unless another writer
        touches it meanwhile (WATCH); return the counts stored (or found already built), or None
        when every attempt was interrupted. Raises on Redis errors."""
        key = self._key(receiver)
        for _ in range(attempts):
            with self._redis.pipeline(transaction=True) as pipe:
                try:
                    self._breaker.call(pipe.watch, key)
                    raw = self._breaker.call(pipe.hgetall, key)
                    if BUILT in raw:
                        return _counts(raw)
                    counts = {k: int(v) for k, v in load_counts().items()}
                    pipe.multi()
                    pipe.delete(key)
                    pipe.hset(key, mapping={BUILT: _new_generation(), **counts})
                    self._breaker.call(pipe.execute)
                    return counts
                except redis.exceptions.WatchError:
                    continue
        return None

    def drop(self, receiver):
        self._breaker.call(self._redis.delete, self._key(receiver))


def _counts(raw):
    """``{sender: n}`` from a built hash, without the marker and empty counts."""
    return {k: int(v) for k, v in raw.items() if k != BUILT and int(v) > 0}


def _new_generation():
    return secrets.token_hex(8)


class WindowStore:
    """Fixed-window request counters for rate limiting."""

    def __init__(self, client, prefix, breaker=None):
        self._redis = client
        self._prefix = prefix
        self._breaker = breaker or Breaker()

    def hit(self, bucket, window_seconds):
        """Count one hit in the current window of ``bucket``; return ``(count so far, seconds
        left in the window)``."""
        key = f"{self._prefix}rl:{bucket}"
        pipe = self._redis.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, int(window_seconds), nx=True)
        pipe.ttl(key)
        count, _, ttl = self._breaker.call(pipe.execute)
        return int(count), int(ttl)

    def peek(self, bucket):
        """``(hits in the current window of bucket, seconds left)`` without counting one."""
        key = f"{self._prefix}rl:{bucket}"
        pipe = self._redis.pipeline(transaction=False)
        pipe.get(key)
        pipe.ttl(key)
        count, ttl = self._breaker.call(pipe.execute)
        return int(count or 0), int(ttl)
