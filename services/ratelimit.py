"""Fixed-window rate limiting on Redis (fails open when Redis is unreachable).

A limit is a spec ``"hits/seconds"`` (``"0"`` disables). Over the limit, ``RateLimited`` carries
``retry_after``: the seconds left in the current window.
"""

import logging

from services.errors import RateLimited
from services.store.counters import REDIS_ERRORS

log = logging.getLogger(__name__)


def parse_rate(spec):
    """``"30/60"`` → ``(30, 60)``: at most 30 hits per 60 seconds; ``"0"`` disables."""
    if spec is None or str(spec).strip() in ("", "0", "off"):
        return None
    hits, _, seconds = str(spec).partition("/")
    return int(hits), int(seconds or 60)


class RateLimiter:
    """``windows``: a WindowStore; ``spec``: the default limit (the ``RATE_LIMIT`` setting)."""

    def __init__(self, windows, spec):
        self._windows = windows
        self._rate = parse_rate(spec)

    def check(self, bucket, spec=None):
        """Count a hit for ``bucket``; raise RateLimited over the limit (``spec``, else the
        default one)."""
        rate = self._rate if spec is None else parse_rate(spec)
        if rate is None:
            return
        limit, seconds = rate
        try:
            count, ttl = self._windows.hit(bucket, seconds)
        except REDIS_ERRORS as exc:
            log.warning("rate limiter unavailable: %s", exc)
            return
        if count > limit:
            raise _limited(ttl, seconds)

    def ensure_open(self, bucket, spec):
        """Raise RateLimited when ``bucket`` already reached its limit, without counting a hit
        (with ``count``: limits on failures only, e.g. wrong passwords for one account)."""
        rate = parse_rate(spec)
        if rate is None:
            return
        limit, seconds = rate
        try:
            count, ttl = self._windows.peek(bucket)
        except REDIS_ERRORS as exc:
            log.warning("rate limiter unavailable: %s", exc)
            return
        if count >= limit:
            raise _limited(ttl, seconds)

    def count(self, bucket, spec):
        """Count a hit for ``bucket`` without raising (a failure ``ensure_open`` checks)."""
        rate = parse_rate(spec)
        if rate is None:
            return
        try:
            self._windows.hit(bucket, rate[1])
        except REDIS_ERRORS as exc:
            log.warning("rate limiter unavailable: %s", exc)


def _limited(ttl, seconds):
    wait = ttl if ttl and ttl > 0 else seconds
    return RateLimited(f"too many requests, try again in {wait} seconds", retry_after=wait)
