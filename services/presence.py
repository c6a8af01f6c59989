"""Toy presence: is a toy connected (Socket.IO or the plain WebSocket ``/ws``) right now?

``ToyPresence`` counts each toy's live connections in this process and, when a
``PresenceStore`` is given (``REDIS_URL`` set), in Redis too, so every server process sees the
connections of all the others. A heartbeat thread (alive while this process has connections)
re-vouches for this process's connections every ``ttl / 3`` seconds; a process that dies stops
vouching and its connections stop counting after ``ttl`` seconds. While Redis cannot be reached
the answers fall back to this process's own connections.

Every change is pushed to the toy's owner as ``toy_status`` ``{toy_id, online}``.
"""

import logging
import secrets
import threading
import time

from services.errors import ServiceError
from services.store.counters import REDIS_ERRORS

log = logging.getLogger(__name__)

# Connections vouched for per Redis pipeline: with 1,000 sockets one pipeline of 3,000 commands
# held the event loop for tens of milliseconds every ttl / 3 seconds.
BATCH = 100


class ToyPresence:
    """``store``: a PresenceStore or None (one process); ``toys``: the ToyService (owner look-up);
    ``notifier``: where ``toy_status`` goes; ``ttl``: seconds a process vouches for at a time."""

    def __init__(self, store, toys, notifier, ttl=30.0):
        self._store = store
        self._toys = toys
        self._notifier = notifier
        self._ttl = max(float(ttl), 0.3)
        self._origin = secrets.token_hex(8)
        self._local = {}  # toy_id -> set of connection keys in this process
        self._lock = threading.Lock()
        self._heartbeat = None

    def _member(self, key):
        return f"{self._origin}:{key}"

    def joined(self, toy_id, key):
        """Count connection ``key`` (any hashable, unique in this process) of ``toy_id``."""
        with self._lock:
            self._local.setdefault(toy_id, set()).add(key)
            if self._store is not None and self._heartbeat is None:
                self._heartbeat = threading.Thread(target=self._beat, name="presence-heartbeat",
                                                   daemon=True)
                self._heartbeat.start()
        self._redis(self._store and self._store.vouch, [(toy_id, self._member(key))], self._ttl)
        self._announce(toy_id)

    def left(self, toy_id, key):
        """Stop counting connection ``key``; the owner hears whether the toy is still online."""
        with self._lock:
            keys = self._local.get(toy_id, set())
            keys.discard(key)
            if not keys:
                self._local.pop(toy_id, None)
        self._redis(self._store and self._store.remove, toy_id, self._member(key))
        self._announce(toy_id)

    def online(self, toy_ids):
        """``{toy_id: True|False}`` for every id in ``toy_ids``."""
        toy_ids = [str(t) for t in toy_ids]
        with self._lock:
            local = {t: bool(self._local.get(t)) for t in toy_ids}
        if self._store is None:
            return local
        counts = self._redis(self._store.live_counts, toy_ids)
        if counts is None:
            return local
        return {t: local[t] or counts.get(t, 0) > 0 for t in toy_ids}

    def _announce(self, toy_id):
        try:
            owner = self._toys.get(toy_id)["bind_user"]
        except ServiceError:
            return  # unbound meanwhile
        online = self.online([toy_id])[toy_id]
        self._notifier.emit("toy_status", {"toy_id": toy_id, "online": online}, to=owner)

    @staticmethod
    def _redis(call, *args):
        """``call(*args)``, or None when there is no store or Redis failed (logged)."""
        if not call:
            return None
        try:
            return call(*args)
        except REDIS_ERRORS as exc:
            log.warning("presence: redis unavailable (%s); using this process's connections", exc)
            return None

    def _beat(self):
        """Re-vouch for this process's connections; the thread ends with the last one."""
        while True:
            time.sleep(self._ttl / 3)
            with self._lock:
                members = [(t, self._member(k)) for t, keys in self._local.items() for k in keys]
                if not members:
                    self._heartbeat = None
                    return
            for start in range(0, len(members), BATCH):
                self._redis(self._store.vouch, members[start:start + BATCH], self._ttl)
                time.sleep(0)  # under gevent a yield: pushes and requests run between batches
