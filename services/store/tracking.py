"""Which Redis keys changed, told by Redis itself (server-assisted client-side caching).

With several processes on one Redis, a value a process keeps in memory (the token holders'
generation, a receiver's unread counts) is only as good as the process's knowledge that nobody
changed it since. Reading it again on every request costs a Redis round trip each; instead,
``KeyTracker`` holds one connection of its own on which Redis sends the name of every key under
the tracked prefixes that any client writes (``CLIENT TRACKING ON REDIRECT <own id> BCAST
PREFIX ...`` then ``SUBSCRIBE __redis__:invalidate``, RESP2; Redis >= 6,
https://redis.io/docs/latest/develop/reference/client-side-caching/).

``refresh()`` reads what has arrived on that connection without waiting (one ``poll``) and tells
the listeners; it returns True only when the connection is up and was heard from lately, and then
every write Redis acknowledged before the call has been told: Redis queues a write's
invalidation before it sends that write's reply, in the same pass of its event loop, so a
request that follows another process's logout finds the change already in this socket. When it
returns False (Redis down, the connection lost or silent, tracking refused) callers read Redis
as they would without a cache, and listeners have been told that anything may have changed
(key ``None``). A connection not heard from for ``ping_seconds`` is sent a PING; one not heard
from for ``stale_seconds`` (after an idle spell) is not trusted until the answer comes, and one
whose PING goes unanswered for ``stale_seconds`` is dropped as silently dead.
"""

import logging
import select
import threading
import time

import redis

from services.store.counters import REDIS_ERRORS

log = logging.getLogger(__name__)
CHANNEL = "__redis__:invalidate"


class KeyTracker:
    """Tells ``listen``-ers the keys under ``prefixes`` that any Redis client changed.

    ``connect()`` returns a new RESP2 redis-py connection (``tracking_connection(client)``);
    nothing touches the network before the first ``refresh()``."""

    def __init__(self, connect, prefixes, ping_seconds=2.0, stale_seconds=6.0,
                 retry_seconds=1.0, clock=time.monotonic):
        self._connect_fn = connect
        self._prefixes = tuple(prefixes)
        self._ping_seconds = ping_seconds
        self._stale_seconds = stale_seconds
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._listeners = []
        self._conn = None
        self._poller = None  # a poll object on the connection's socket, when it has one
        self._drained = False  # redis-py's buffer was read empty since the connection opened
        self._retry_at = 0.0
        self._heard_at = 0.0  # last time anything came on the connection
        self._ping_sent = None  # when the PING not yet answered was sent
        self._refused = False  # the server refused tracking: never try again
        self._lock = threading.Lock()

    def listen(self, callback):
        """Call ``callback(key)`` for every changed key, ``callback(None)`` for "anything"."""
        self._listeners.append(callback)

    def refresh(self):
        """Deliver the changes that arrived; True when every change made so far is delivered."""
        if self._refused:
            return False
        with self._lock:
            now = self._clock()
            if self._conn is None and not self._open(now):
                return False
            try:
                if self._arrived():
                    while self._conn.can_read(0):
                        self._handle(self._conn.read_response())
                    self._drained = True
                if self._ping_sent is None and now - self._heard_at >= self._ping_seconds:
                    self._conn.send_command("PING")
                    self._ping_sent = now
            except REDIS_ERRORS as exc:
                self._lose(now, f"lost ({exc})")
                return False
            if self._ping_sent is not None and now - self._ping_sent > self._stale_seconds:
                self._lose(now, "silent")  # no answer: dead without a word (a lost host)
                return False
            # Not heard from lately (the process was idle): unverified until the PING's answer,
            # which comes after anything Redis sent before it; nothing kept is dropped meanwhile.
            return now - self._heard_at <= self._stale_seconds

    def _arrived(self):
        """Whether anything (news, a pong, the server closing) waits on the connection.

        One ``poll`` of its socket, not redis-py's ``can_read`` (three socket calls through
        gevent): each drain reads until redis-py's buffer is empty too, so between drains all
        unread bytes are in the kernel."""
        if self._poller is None or not self._drained:  # the handshake may have read news
            return True
        return bool(self._poller.poll(0))

    def close(self):
        with self._lock:
            if self._conn is not None:
                self._conn.disconnect()
                self._conn, self._poller = None, None

    def _open(self, now):
        if now < self._retry_at:
            return False
        conn = None
        try:
            conn = self._connect_fn()
            conn.send_command("CLIENT", "ID")
            client_id = conn.read_response()
            prefixes = [part for prefix in self._prefixes for part in ("PREFIX", prefix)]
            conn.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST",
                              *prefixes)
            conn.read_response()
            conn.send_command("SUBSCRIBE", CHANNEL)
            conn.read_response()
        except REDIS_ERRORS as exc:
            if conn is not None:
                conn.disconnect()
            if isinstance(exc, redis.exceptions.ResponseError):  # an error answer, not a
                self._refused = True  # network one: an old Redis, a proxy, an ACL without it
                log.warning("Redis refused key tracking (%s): values are read every time", exc)
            self._retry_at = now + self._retry_seconds
            return False
        self._conn, self._heard_at, self._ping_sent = conn, now, None
        self._poller, self._drained = _poller_of(conn), False
        self._tell(None)  # whatever was kept before the connection may be stale
        return True

    def _handle(self, reply):
        self._heard_at = self._clock()
        kind = _text(reply[0]) if isinstance(reply, list) and reply else None
        if kind == "pong":
            self._ping_sent = None
        elif kind == "message" and _text(reply[1]) == CHANNEL:
            keys = reply[2]
            if keys is None:  # FLUSHDB / FLUSHALL
                self._tell(None)
            else:
                for key in keys if isinstance(keys, list) else [keys]:
                    self._tell(_text(key))

    def _lose(self, now, why):
        log.info("Redis key tracking %s: reading Redis until it is back", why)
        if self._conn is not None:
            self._conn.disconnect()
        self._conn, self._ping_sent, self._poller = None, None, None
        self._retry_at = now + self._retry_seconds
        self._tell(None)

    def _tell(self, key):
        for callback in self._listeners:
            callback(key)


def tracking_connection(client, name=None):
    """A factory of RESP2 connections to ``client``'s server, with its pool's settings (address,
    password, TLS, timeouts), for ``KeyTracker``; ``name``: its ``CLIENT SETNAME`` (what
    ``CLIENT LIST`` shows)."""
    pool = client.connection_pool
    kwargs = {key: value for key, value in pool.connection_kwargs.items()
              if not key.startswith("maint_notifications")}
    kwargs.update(protocol=2, decode_responses=True)
    if name:
        kwargs["client_name"] = name

    def connect():
        conn = pool.connection_class(**kwargs)
        conn.connect()
        return conn

    return connect


def _poller_of(conn):
    """A ``poll`` object watching ``conn``'s socket (the OS's own ``poll``, not gevent's
    cooperative one: a zero timeout never waits), or None when redis-py keeps no ``_sock``."""
    sock = getattr(conn, "_sock", None)
    if sock is None:
        return None
    try:
        from gevent import monkey

        make_poll = monkey.get_original("select", "poll")
    except ImportError:  # pragma: no cover - gevent is a dependency
        make_poll = select.poll
    poller = make_poll()
    poller.register(sock.fileno(), select.POLLIN | select.POLLPRI | select.POLLERR |
                    select.POLLHUP)
    return poller


def _text(value):
    return value.decode() if isinstance(value, bytes) else value
