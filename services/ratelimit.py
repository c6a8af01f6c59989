"""Fixed-window rate limiting on Redis (fails open when Redis is unreachable)."""

import logging

from services.errors import RateLimited
from services.store.counters import REDIS_ERRORS

log = logging.getLogger(__name__)


def parse_rate(spec):
    """``"30/60"`` → ``(30, 60)``: at most 30 hits per 60 seconds; ``"0"`` disables."""
    if str(spec).strip() in ("", "0", "off"):
        return None
    hits, _, seconds = str(spec).partition("/")
    return int(hits), int(seconds or 60)


class RateLimiter:
    def __init__(self, windows, spec):
        self._windows = windows
        self._rate = parse_rate(spec)

    def check(self, bucket):
        """Count a hit for ``bucket``; raise RateLimited over the limit."""
        if self._rate is None:
            return
        limit, seconds = self._rate
        try:
            count = self._windows.hit(bucket, seconds)
        except REDIS_ERRORS as exc:
            log.warning("rate limiter unavailable: %s", exc)
            return
        if count > limit:
            raise RateLimited(f"too many requests, try again within {seconds} seconds")
