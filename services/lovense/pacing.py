"""Per-toy pacing of outgoing Lovense commands (no flooding).

Field lesson (LOVENSE.md): Lovense throttled a client polling once a second and an unthrottled
loop crashed the desktop app. Each toy gets at most one command per ``interval``: a command that
comes sooner waits for its slot (so a client sending a sequence still gets every command
delivered, in order), and one whose slot is more than ``max_wait`` away is refused with 429.
Stop commands skip the queue: stopping a toy must never wait. Pacing is per server process.
"""

import threading
import time

from services.errors import RateLimited

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
