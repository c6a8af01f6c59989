"""Unread counts kept in memory in front of an UnreadStore.

``CachedUnreadStore`` answers ``read`` from memory and drops a receiver's entry after every
write to that receiver (increment, rebuild, drop); a read that raced a write is not kept. Two
cases keep a hash true until it is dropped:

- the embedded default's Redis is a private in-process fakeredis (``connection.open_redis``): no
  other process or client can change its keys, so only this process's writes drop entries;
- with a shared Redis (``REDIS_URL``, many processes) a ``tracking.KeyTracker`` on the
  ``unread:`` prefix tells which receivers' hashes any process changed; a read is answered from
  memory only while the tracker is up (``refresh()``), else from Redis.
"""

import threading

MAX_RECEIVERS = 100_000  # entries kept before the cache starts over


class CachedUnreadStore:
    """The UnreadStore interface over ``store`` (an UnreadStore), reads kept in memory."""

    def __init__(self, store, tracker=None):
        self._store = store
        self._counts = {}  # receiver -> {sender: n}
        self._writes = 0  # bumped after every write: a read that spans one is not kept
        self._lock = threading.Lock()
        self._tracker = tracker
        if tracker is not None:
            tracker.listen(self._told)

    def read(self, receiver):
        if self._tracker is not None and not self._tracker.refresh():
            return self._store.read(receiver)
        with self._lock:
            kept = self._counts.get(receiver)
            if kept is not None:
                return dict(kept)
            writes = self._writes
        counts = self._store.read(receiver)
        if counts is not None:
            with self._lock:
                if writes == self._writes:
                    if len(self._counts) >= MAX_RECEIVERS:
                        self._counts.clear()
                    self._counts[receiver] = dict(counts)
        return counts

    def generation(self, receiver):
        return self._store.generation(receiver)

    def add(self, receiver, sender, amount, generation):
        try:
            return self._store.add(receiver, sender, amount, generation)
        finally:
            self._changed(receiver)

    def rebuild(self, receiver, load_counts, attempts=5):
        try:
            return self._store.rebuild(receiver, load_counts, attempts)
        finally:
            self._changed(receiver)

    def drop(self, receiver):
        try:
            self._store.drop(receiver)
        finally:
            self._changed(receiver)

    def _changed(self, receiver):
        with self._lock:
            self._writes += 1
            self._counts.pop(receiver, None)

    def _told(self, key):
        """A tracker's news: ``key`` changed (None: anything may have)."""
        if key is None:
            with self._lock:
                self._writes += 1
                self._counts.clear()
        elif key.startswith(self._store.key_prefix):
            self._changed(key[len(self._store.key_prefix):])
