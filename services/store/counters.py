"""Redis keys: unread counters and rate-limit windows.

Unread counters: one hash per receiver, ``unread:<receiver>`` → ``{<sender>: n, "_built": 1}``.
The ``_built`` marker says the hash was rebuilt from MongoDB (the truth); a hash without it (Redis
flushed or restarted) is rebuilt on the next read.
"""

import logging

import redis

log = logging.getLogger(__name__)
BUILT = "_built"
REDIS_ERRORS = (redis.exceptions.RedisError, OSError)


class UnreadStore:
    def __init__(self, client, prefix):
        self._redis = client
        self._prefix = prefix

    def _key(self, receiver):
        return f"{self._prefix}unread:{receiver}"

    def read(self, receiver):
        """Return ``{sender: n}`` or None when the hash must be rebuilt; raises on Redis errors."""
        raw = self._redis.hgetall(self._key(receiver))
        if BUILT not in raw:
            return None
        return {k: int(v) for k, v in raw.items() if k != BUILT and int(v) > 0}

    def replace(self, receiver, counts):
        """Atomically replace the hash with ``counts`` plus the built marker."""
        key = self._key(receiver)
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(key)
        pipe.hset(key, mapping={BUILT: 1, **{k: int(v) for k, v in counts.items()}})
        pipe.execute()

    def incr(self, receiver, sender, amount=1):
        """HINCRBY; returns the new count."""
        return int(self._redis.hincrby(self._key(receiver), sender, amount))

    def clear(self, receiver, sender):
        self._redis.hdel(self._key(receiver), sender)

    def drop(self, receiver):
        self._redis.delete(self._key(receiver))


class WindowStore:
    """Fixed-window request counters for rate limiting."""

    def __init__(self, client, prefix):
        self._redis = client
        self._prefix = prefix

    def hit(self, bucket, window_seconds):
        """Count one hit in the current window of ``bucket``; return the count so far."""
        key = f"{self._prefix}rl:{bucket}"
        pipe = self._redis.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, int(window_seconds), nx=True)
        count, _ = pipe.execute()
        return int(count)
