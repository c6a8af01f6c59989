"""Unread-message counters: Redis for speed, MongoDB for truth.

Counts live in a Redis hash per receiver (HINCRBY, atomic). When Redis was flushed or restarted
the hash lacks its built marker and is rebuilt from the messages' ``read`` flags; when Redis is
unreachable every read is answered from MongoDB directly, so the API keeps answering correctly.

Writers follow one protocol so counts stay exact under concurrency and rebuilds:
``generation = counters.generation(receiver)`` *before* writing MongoDB, then
``counters.increment(receiver, sender, generation)`` (or ``counters.read(..., n, generation)``)
after. See ``services/store/counters.py`` for why.
"""

import logging
import threading
import time

from services.store.counters import REDIS_ERRORS

log = logging.getLogger(__name__)


REPAIR_SECONDS = 1.0


class UnreadCounters:
    """``repair_seconds``: how often a process that missed a count while Redis was unreachable
    retries invalidating the stale hashes in the background (so other processes, which read
    the same hash, see exact counts soon after Redis is back, even if this one gets no more
    requests)."""

    def __init__(self, unread_store, message_store, repair_seconds=REPAIR_SECONDS):
        self._redis = unread_store
        self._messages = message_store
        self.repair_seconds = repair_seconds
        # Receivers whose count changed while Redis was unreachable: their hash (if Redis kept
        # it) is stale and is invalidated as soon as Redis answers again.
        self._stale = set()
        self._stale_lock = threading.Lock()
        self._repairing = False

    def counts(self, receiver):
        """``{sender_id: n}`` with only non-zero counts."""
        receiver = str(receiver)
        try:
            self._invalidate_stale()
            cached = self._redis.read(receiver)
            if cached is not None:
                return cached
            rebuilt = self._redis.rebuild(receiver,
                                          lambda: self._messages.unread_by_sender(receiver))
            if rebuilt is not None:
                return rebuilt
        except REDIS_ERRORS as exc:
            log.warning("redis unavailable for unread counts, using MongoDB: %s", exc)
        return self._messages.unread_by_sender(receiver)

    def summary(self, receiver):
        """``{sender_id: n, ..., "count": total}`` as ``/auto_login`` returns it."""
        counts = self.counts(receiver)
        return dict(counts, count=sum(counts.values()))

    def generation(self, receiver):
        """The receiver's hash generation, read before a message is written to MongoDB (None
        when Redis is down or the hash must be rebuilt anyway)."""
        try:
            return self._redis.generation(str(receiver))
        except REDIS_ERRORS:
            return None

    def increment(self, receiver, sender, generation):
        """Count one new message from ``sender``; return the new count, or None when it was left
        to the next rebuild (Redis down, or the hash changed generation). Never raises."""
        return self._add(str(receiver), str(sender), 1, generation)

    def read(self, receiver, sender, count, generation):
        """Uncount ``count`` messages from ``sender`` that were just marked read. Never raises."""
        if count > 0:
            self._add(str(receiver), str(sender), -int(count), generation)

    def forget(self, receiver):
        """Drop the receiver's hash (it is rebuilt on the next read)."""
        try:
            self._redis.drop(str(receiver))
        except REDIS_ERRORS as exc:
            log.warning("redis unavailable: %s", exc)
            self._mark_stale(str(receiver))

    def _add(self, receiver, sender, amount, generation):
        try:
            self._invalidate_stale()
            return self._redis.add(receiver, sender, amount, generation)
        except REDIS_ERRORS as exc:
            log.warning("redis unavailable, unread counter left to a rebuild: %s", exc)
            self._mark_stale(receiver)
            return None

    def _mark_stale(self, receiver):
        with self._stale_lock:
            self._stale.add(receiver)
            start, self._repairing = not self._repairing, True
        if start:
            threading.Thread(target=self._repair, name="unread-repair", daemon=True).start()

    def _repair(self):
        """Retry ``_invalidate_stale`` every ``repair_seconds`` until nothing is stale."""
        while True:
            time.sleep(self.repair_seconds)
            try:
                self._invalidate_stale()
            except REDIS_ERRORS:
                continue
            except Exception:  # e.g. the client was closed: the next missed count restarts it
                log.exception("unread repair stopped")
                with self._stale_lock:
                    self._repairing = False
                return
            with self._stale_lock:
                if not self._stale:
                    self._repairing = False
                    return

    def _invalidate_stale(self):
        """Drop the hashes that missed a change while Redis was down; raises on Redis errors."""
        if not self._stale:
            return
        with self._stale_lock:
            pending, self._stale = self._stale, set()
        try:
            for receiver in pending:
                self._redis.drop(receiver)
        except REDIS_ERRORS:
            with self._stale_lock:
                self._stale |= pending
            raise
