"""Results of recent reads of the embedded store, dropped as soon as anything is committed.

Every ``find`` first asks SQLite whether the file changed (``PRAGMA data_version`` on a
connection kept for that: its value moves whenever any other connection, of this process or
another, commits). While nothing changed, the same query is answered from the BSON it found
last time, decoded again, so callers still get documents of their own; one commit anywhere
empties the cache. Only small results are kept, and the whole cache is bounded.
"""

import threading

MAX_ENTRIES = 1024
MAX_BYTES = 8 * 1024 * 1024
MAX_DOCS = 64  # a larger result is read from the file each time
MAX_KEY = 2048  # a query longer than this (a long $in list) is not cached


class ReadCache:
    """``key -> [BSON blob, ...]`` for one data version of the file."""

    def __init__(self):
        self._entries = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        return None if key is None else self._entries.get(key)

    def put(self, key, blobs):
        if key is None or len(blobs) > MAX_DOCS:
            return
        size = sum(len(b) for b in blobs) + len(key[1])
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES or self._bytes + size > MAX_BYTES:
                self._entries.clear()
                self._bytes = 0
            self._entries[key] = blobs
            self._bytes += size


def cache_key(collection, query, skip, limit, sort):
    """A key naming one read, or None when it is not worth caching."""
    text = repr(query)
    if len(text) > MAX_KEY:
        return None
    return (collection, text, skip, limit, repr(sort) if sort else None)
