"""Unread-message counters: Redis for speed, MongoDB for truth.

Counts live in a Redis hash per receiver (HINCRBY, atomic). When Redis was flushed or restarted
the hash lacks its built marker and is rebuilt from the messages' ``read`` flags; when Redis is
unreachable every read is answered from MongoDB directly, so the API keeps answering correctly.
"""

import logging

from services.store.counters import REDIS_ERRORS

log = logging.getLogger(__name__)


class UnreadCounters:
    def __init__(self, unread_store, message_store):
        self._redis = unread_store
        self._messages = message_store

    def counts(self, receiver):
        """``{sender_id: n}`` with only non-zero counts."""
        receiver = str(receiver)
        try:
            cached = self._redis.read(receiver)
            if cached is not None:
                return cached
        except REDIS_ERRORS as exc:
            log.warning("redis unavailable for unread counts, using MongoDB: %s", exc)
            return self._messages.unread_by_sender(receiver)
        return self.rebuild(receiver)

    def summary(self, receiver):
        """``{sender_id: n, ..., "count": total}`` as ``/auto_login`` returns it."""
        counts = self.counts(receiver)
        return dict(counts, count=sum(counts.values()))

    def rebuild(self, receiver):
        """Recount from MongoDB and store in Redis (best effort); return the counts."""
        receiver = str(receiver)
        counts = self._messages.unread_by_sender(receiver)
        try:
            self._redis.replace(receiver, counts)
        except REDIS_ERRORS as exc:
            log.warning("redis unavailable, unread counts not cached: %s", exc)
        return counts

    def increment(self, receiver, sender):
        """Count one new message; on Redis failure the next read rebuilds from MongoDB."""
        try:
            return self._redis.incr(str(receiver), str(sender))
        except REDIS_ERRORS as exc:
            log.warning("redis unavailable, unread counter not bumped: %s", exc)
            return None

    def clear(self, receiver, sender):
        """Forget the count of ``sender``'s messages to ``receiver`` (they were read)."""
        try:
            self._redis.clear(str(receiver), str(sender))
        except REDIS_ERRORS as exc:
            log.warning("redis unavailable, unread counter not cleared: %s", exc)

    def forget(self, receiver):
        try:
            self._redis.drop(str(receiver))
        except REDIS_ERRORS as exc:
            log.warning("redis unavailable: %s", exc)
