"""Turns: at most ``size`` holders at once in this process; a caller waits up to ``wait``
seconds for one, else gets 503 with ``Retry-After``.

Used for ffmpeg runs (``MAX_CONVERSIONS``) and for whole uploads (``UPLOAD_CONCURRENCY``: the
form parsing, spooling, conversion and storing of a voice message). Under gevent the semaphore
is gevent's (the threading module is patched), so waiting never blocks the event loop, and a
request waiting for its turn costs nothing: the upload body stays in the socket buffer.
"""

import logging
import threading
from contextlib import contextmanager

from services.audio.diskspace import RETRY_AFTER
from services.errors import ServiceUnavailable

log = logging.getLogger(__name__)


class Turns:
    """``with turns.turn(): ...`` holds one of ``size`` turns; ``what`` names them in logs and
    ``busy_message`` is the 503's message."""

    def __init__(self, size, wait, what, busy_message):
        self.size = int(size)
        self.wait = float(wait)
        self._what = what
        self._message = busy_message
        self._semaphore = threading.BoundedSemaphore(self.size)

    @contextmanager
    def turn(self):
        if not self._semaphore.acquire(timeout=self.wait):
            log.warning("all %d %s busy for %s s", self.size, self._what, self.wait)
            raise ServiceUnavailable(self._message, retry_after=RETRY_AFTER)
        try:
            yield
        finally:
            self._semaphore.release()
