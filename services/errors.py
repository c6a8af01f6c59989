"""Typed domain errors.

Services and clients raise these; ``blueprints/errors.py`` is the one place that turns them into
the ``{code, msg, data}`` envelope with the matching HTTP status. Nothing here imports Flask.
"""


class ServiceError(Exception):
    """Base class: ``status`` is the HTTP status and envelope code, ``msg`` the client message."""

    status = 500
    default_msg = "internal error"

    def __init__(self, msg=None, data=None):
        self.msg = msg or self.default_msg
        self.data = {} if data is None else data
        super().__init__(self.msg)


class InvalidInput(ServiceError):
    """400: a missing or malformed field; the message names the field."""

    status = 400
    default_msg = "invalid input"


class Unauthorized(ServiceError):
    """401: no token, a bad one, an expired or revoked one."""

    status = 401
    default_msg = "missing or invalid token"


class Forbidden(ServiceError):
    """403: authenticated, but the thing belongs to someone else."""

    status = 403
    default_msg = "forbidden"


class NotFound(ServiceError):
    """404: an unknown id, key or file."""

    status = 404
    default_msg = "not found"


class Conflict(ServiceError):
    """409: the request clashes with the current state (duplicate, already done)."""

    status = 409
    default_msg = "conflict"


class TooLarge(ServiceError):
    """413: an upload over the configured limit."""

    status = 413
    default_msg = "file too large"


class UnsupportedMedia(ServiceError):
    """415: not audio, truncated audio, or the wrong content type."""

    status = 415
    default_msg = "unsupported media"


class RateLimited(ServiceError):
    """429: too many requests from one client in the current window. ``retry_after``: whole
    seconds until a retry can succeed (sent as the ``Retry-After`` header)."""

    status = 429
    default_msg = "too many requests, slow down"

    def __init__(self, msg=None, data=None, retry_after=1):
        super().__init__(msg, data)
        self.retry_after = max(1, int(-(-float(retry_after) // 1)))  # rounded up, at least 1


class Upstream(ServiceError):
    """502: an upstream service (Lovense, speech provider) answered with an error."""

    status = 502
    default_msg = "upstream service failed"


class UpstreamTimeout(Upstream):
    """504: an upstream service did not answer in time."""

    status = 504
    default_msg = "upstream service timed out"


class ServiceUnavailable(ServiceError):
    """503: the server cannot do this now (busy, or a tool is missing); ``retry_after`` is the
    number of seconds a client should wait before retrying (sent as ``Retry-After``)."""

    status = 503
    default_msg = "service unavailable, retry later"

    def __init__(self, msg=None, data=None, retry_after=None):
        super().__init__(msg, data)
        self.retry_after = retry_after


class InsufficientStorage(ServiceUnavailable):
    """507: the server's disk (or quota) is full; nothing was stored and a retry may succeed."""

    status = 507
    default_msg = "the server is out of disk space, retry later"
