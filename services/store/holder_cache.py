"""Token holders (user and toy documents) kept in each process, checked against Redis on use.

Every authenticated request looks its token up on the ``users`` or ``toys`` collection
(``TokenStore.holder``). With several processes on MongoDB that is a database round trip per
request; here each process keeps the documents it found, and a shared *generation* in Redis
says whether they may still be used:

- every write to ``users`` or ``toys`` (a login adding a token, a logout or unbind revoking
  one, a profile or toy change) goes through ``WatchedDb`` and then sets the generation to a new
  random value (``GenerationStore.bump``), after the database write returned;
- a lookup reads the generation first (one Redis GET, cheaper than the query) and uses a kept
  document only when it was found under that same generation, so a token revoked by any
  process fails on every process at once, as without the cache. With a ``KeyTracker``
  (``services.store.tracking``) the generation itself is kept in the process until Redis says
  the key changed, so a lookup costs no round trip at all.

When Redis cannot be read, lookups go to the database and the kept documents are dropped; a
bump that fails is retried in the background until Redis answers (until then the other
processes cannot read Redis either, so they read the database). Entries also expire after
``max_age`` seconds, which bounds what a process could serve in the one case left: Redis back
before a failed bump was retried. Used only with ``REDIS_URL`` (many processes); the embedded
store has its own read cache.
"""

import logging
import secrets
import threading
import time

import bson

log = logging.getLogger(__name__)

_UNKNOWN = object()
WRITES = ("insert_one", "insert_many", "update_one", "update_many", "replace_one",
          "delete_one", "delete_many", "find_one_and_update", "find_one_and_replace",
          "find_one_and_delete", "bulk_write", "drop")


def generation_key(prefix):
    """The Redis key of the holders' generation."""
    return f"{prefix}holders:generation"


class GenerationStore:
    """The Redis key whose value changes after every write to the watched collections."""

    def __init__(self, redis, prefix, breaker, retry_seconds=1.0, tracker=None):
        self._redis = redis
        self.key = generation_key(prefix)
        self._breaker = breaker
        self._retry = retry_seconds
        self._pending = threading.Event()
        self._retrier = None
        self._lock = threading.Lock()
        self._tracker = tracker  # a tracking.KeyTracker watching ``key``, or None
        self._kept = _UNKNOWN  # the value read while tracked, until the tracker says it changed
        self._changes = 0
        if tracker is not None:
            tracker.listen(self._changed)

    def current(self):
        """The generation (a string, or None before the first write); raises when Redis fails.

        With a tracker, the value read last is kept until Redis says the key changed."""
        if self._tracker is None or not self._tracker.refresh():
            return self._read()
        kept = self._kept
        if kept is not _UNKNOWN:
            return kept
        changes = self._changes
        value = self._read()
        if changes == self._changes:  # no change told while it was read
            self._kept = value
        return value

    def bump(self):
        """Give the generation a new value; never raises (a failure is retried later)."""
        try:
            self._breaker.call(self._redis.set, self.key, secrets.token_hex(8))
        except Exception:  # Redis down: the readers fall back to the database meanwhile
            self._pending.set()
            self._start_retrier()
        finally:
            self._changed(self.key)  # this process's own write: do not wait for the tracker

    def _read(self):
        return self._breaker.call(self._redis.get, self.key)

    def _changed(self, key):
        if key is None or key == self.key:
            self._kept = _UNKNOWN
            self._changes += 1

    def _start_retrier(self):
        with self._lock:
            if self._retrier is None:
                self._retrier = threading.Thread(target=self._retry_loop, daemon=True,
                                                 name="holder-generation-retry")
                self._retrier.start()

    def _retry_loop(self):
        while True:
            self._pending.wait()
            time.sleep(self._retry)
            try:
                self._redis.set(self.key, secrets.token_hex(8))
            except Exception:
                continue
            self._pending.clear()
            log.info("holder generation bumped after Redis came back")


class HolderCache:
    """``lookup(kind, token_hash, load)``: ``load()``'s ``(doc, expiry)`` or None, kept per
    process while the generation stays the same (each hit returns a fresh copy of the doc)."""

    def __init__(self, generation, max_age=30.0, max_entries=50_000, clock=time.monotonic):
        self._generation = generation
        self._max_age = float(max_age)
        self._max_entries = max_entries
        self._clock = clock
        self._seen = None  # the generation the entries were found under
        self._entries = {}  # (kind, token_hash) -> (found at, BSON of the doc, expiry)

    def lookup(self, kind, token_hash, load):
        try:
            generation = self._generation.current()
        except Exception:  # cannot tell whether kept documents are still true
            self._entries = {}
            self._seen = None
            return load()
        if generation != self._seen or generation is None:
            self._entries, self._seen = {}, generation
        key = (kind, token_hash)
        kept = self._entries.get(key)
        now = self._clock()
        if kept is not None and now - kept[0] < self._max_age:
            return bson.decode(kept[1]), kept[2]
        found = load()
        if found is not None and generation is not None and self._seen == generation:
            if len(self._entries) >= self._max_entries:
                self._entries = {}
            self._entries[key] = (now, bson.encode(found[0]), found[1])
        return found


class WatchedCollection:
    """A pymongo collection whose write methods call ``on_write()`` once they return or fail."""

    def __init__(self, collection, on_write):
        self._collection = collection
        self._on_write = on_write

    def __getattr__(self, name):
        attribute = getattr(self._collection, name)
        if name not in WRITES:
            return attribute

        def write(*args, **kwargs):
            try:
                return attribute(*args, **kwargs)
            finally:
                self._on_write()

        return write


class WatchedDb:
    """``db[name]`` as ``db`` gives it, but the ``names`` collections are WatchedCollections."""

    def __init__(self, db, names, on_write):
        self._db = db
        self._names = frozenset(names)
        self._on_write = on_write

    def __getitem__(self, name):
        collection = self._db[name]
        return WatchedCollection(collection, self._on_write) if name in self._names else collection

    def __getattr__(self, name):
        return getattr(self._db, name)
