"""Per-toy pacing of outgoing Lovense commands (no flooding).

Field lesson (LOVENSE.md): Lovense throttled a client polling once a second and an unthrottled
loop crashed the desktop app. Each toy gets at most one command per ``interval``: a command that
comes sooner waits for its slot (so a client sending a sequence still gets every command
delivered, in order), and one whose slot is more than ``max_wait`` away is refused with 429.
Stop commands skip the queue: stopping a toy must never wait.

``CommandPacer`` paces within one process (the embedded default). With ``REDIS_URL``,
``SharedCommandPacer`` reserves the slots in Redis (on the Redis server's clock), so commands for
one toy arriving at any number of processes and hosts are spaced as if sent by one; while Redis
is unreachable it falls back to this process's own pacer.
"""

import logging
import threading
import time

from services.errors import RateLimited
from services.store.counters import REDIS_ERRORS

log = logging.getLogger(__name__)
MAX_TRACKED = 10_000


class CommandPacer:
    def __init__(self, interval=0.2, max_wait=2.0, clock=time.monotonic, sleep=time.sleep):
        self.interval, self.max_wait = float(interval), float(max_wait)
        self._clock, self._sleep = clock, sleep
        self._next = {}
        self._lock = threading.Lock()

    def wait_turn(self, key, urgent=False):
        """Block until ``key`` may send; raise RateLimited when the queue is too long."""
        if self.interval <= 0:
            return
        with self._lock:
            now = self._clock()
            if len(self._next) > MAX_TRACKED:
                self._next = {k: t for k, t in self._next.items() if t > now}
            slot = now if urgent else max(now, self._next.get(key, now))
            if slot - now > self.max_wait:
                raise RateLimited("too many commands for this toy; slow down or use Pattern",
                                  retry_after=slot - now - self.max_wait)
            self._next[key] = max(slot, self._next.get(key, now)) + self.interval
        if slot > now:
            self._sleep(slot - now)


class SharedCommandPacer:
    """The same rule with the slots in Redis; ``slots`` is a store ``PaceSlots``, ``fallback``
    the in-process ``CommandPacer`` used while Redis is unreachable."""

    def __init__(self, slots, fallback, sleep=time.sleep):
        self._slots, self._fallback, self._sleep = slots, fallback, sleep
        self.interval, self.max_wait = fallback.interval, fallback.max_wait

    def wait_turn(self, key, urgent=False):
        """Block until ``key`` may send; raise RateLimited when the queue is too long."""
        if self.interval <= 0:
            return
        try:
            granted, wait = self._slots.reserve(key, self.interval, self.max_wait, urgent)
        except REDIS_ERRORS as exc:
            log.warning("Lovense pacing falls back to this process (Redis: %s)", exc)
            self._fallback.wait_turn(key, urgent)
            return
        if not granted:
            raise RateLimited("too many commands for this toy; slow down or use Pattern",
                              retry_after=wait - self.max_wait)
        if wait > 0:
            self._sleep(wait)
