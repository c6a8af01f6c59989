"""Per-toy limits on assistant requests (``SPEECH_RATE_LIMIT`` per window and
``SPEECH_CONCURRENCY`` in flight), answered 429 with ``Retry-After``.

Counts live in Redis (shared by every server process); with Redis down the per-minute limit
fails open and the in-flight limit falls back to this process's own count.
"""

import logging
import threading
from contextlib import contextmanager

from services.errors import RateLimited
from services.ratelimit import parse_rate
from services.store.counters import REDIS_ERRORS

log = logging.getLogger(__name__)

BUSY_RETRY_SECONDS = 2


class AssistantLimits:
    """``with limits.request(toy_id): ...`` around one assistant request.

    ``windows``: a ``WindowStore``; ``leases``: a ``LeaseStore``; ``rate``: ``"hits/seconds"``
    (``"0"`` off); ``concurrent``: requests of one toy in flight (0 off); ``hold_seconds``: the
    longest a lease is held if its request never ends (a crashed process).
    """

    def __init__(self, windows, leases, rate="12/60", concurrent=1, hold_seconds=120):
        self._windows, self._leases = windows, leases
        self.rate, self.concurrent = parse_rate(rate), int(concurrent)
        self.hold_seconds = hold_seconds
        self._local = {}
        self._lock = threading.Lock()

    @contextmanager
    def request(self, toy_id):
        """Admit one request of ``toy_id`` or raise ``RateLimited`` (with ``retry_after``)."""
        self._count(toy_id)
        release = self._enter(toy_id)
        try:
            yield
        finally:
            release()

    def _count(self, toy_id):
        if self.rate is None:
            return
        limit, seconds = self.rate
        try:
            count, left = self._windows.hit(f"ai:{toy_id}", seconds)
        except REDIS_ERRORS as exc:
            log.warning("assistant rate limit unavailable: %s", exc)
            return
        if count > limit:
            raise RateLimited(f"too many assistant requests: at most {limit} per {seconds} "
                              f"seconds per toy, try again later",
                              retry_after=left if 0 < left <= seconds else seconds)

    def _enter(self, toy_id):
        """Take a place for ``toy_id``; return the function that gives it back."""
        if self.concurrent <= 0:
            return lambda: None
        busy = RateLimited(f"the assistant is still answering this toy (at most "
                           f"{self.concurrent} request at a time), try again shortly",
                           retry_after=BUSY_RETRY_SECONDS)
        name = f"ai:{toy_id}"
        try:
            lease = self._leases.acquire(name, self.concurrent, self.hold_seconds)
        except REDIS_ERRORS as exc:
            log.warning("assistant in-flight limit on Redis unavailable: %s", exc)
            return self._enter_locally(name, busy)
        if lease is None:
            raise busy

        def release():
            try:
                self._leases.release(name, lease)
            except REDIS_ERRORS as exc:  # the lease expires by itself
                log.warning("assistant lease not released: %s", exc)
        return release

    def _enter_locally(self, name, busy):
        with self._lock:
            if self._local.get(name, 0) >= self.concurrent:
                raise busy
            self._local[name] = self._local.get(name, 0) + 1

        def release():
            with self._lock:
                self._local[name] -= 1
                if not self._local[name]:
                    del self._local[name]
        return release
