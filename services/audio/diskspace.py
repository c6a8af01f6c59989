"""A full disk (or quota) is the server's problem, not the client's: 507 with ``Retry-After``."""

import errno
import logging
import os
from contextlib import contextmanager

from services.errors import InsufficientStorage

log = logging.getLogger(__name__)

NO_SPACE_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
LOW_SPACE = 64 * 1024  # a failed write with less free space than this is "disk full"
RETRY_AFTER = 5  # seconds a client is told to wait when conversions are saturated or disk full


def disk_full():
    """The 507 answer for a full disk or quota."""
    return InsufficientStorage("the server is out of disk space: the recording was not stored, "
                               "retry later", retry_after=RETRY_AFTER)


@contextmanager
def disk_full_is_507():
    """Turn ``OSError`` ENOSPC/EDQUOT (spooling, renaming) into ``InsufficientStorage``."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in NO_SPACE_ERRNOS:
            raise
        log.error("audio conversion out of disk space: %s", exc)
        raise disk_full() from exc


def low_on_space(folder):
    """True when an unprivileged writer has less than ``LOW_SPACE`` bytes left in ``folder``'s
    filesystem (False when that cannot be told)."""
    try:
        stat = os.statvfs(folder)
    except OSError:
        return False
    return stat.f_bavail * stat.f_frsize < LOW_SPACE
