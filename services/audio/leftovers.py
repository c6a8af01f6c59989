"""Removing the work files of a server process that was killed (``kill -9``, power loss).

The converter names its work files after the process that makes them: ``.part-<pid>-<hex>.mp3``
next to its output, ``audio-in-<pid>-<random>`` in the spool folder, and the media store's
finished work files ``work-<pid>-<hex>.mp3`` wait there until stored. At start a file is
a leftover when its process is gone, when it is this very process (a restarted server can get
its old pid back; it has made no file yet), when it is older than ``max_age`` (its pid was
reused by another program), or when it carries no pid (made by an older version).
"""

import logging
import os
import re
import time
from pathlib import Path

log = logging.getLogger(__name__)

_WORK_FILE = re.compile(r"^(?:\.part-|audio-in-|work-)(?:(\d+)-)?")


def remove_leftovers(folders, max_age=3600.0):
    """Delete the leftover work files in ``folders`` (missing folders are skipped); return how
    many were removed. Files of another live server process are kept."""
    removed = 0
    now = time.time()
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            match = _WORK_FILE.match(path.name)
            if match is None or not path.is_file():
                continue
            try:
                if _is_leftover(match.group(1), now - path.stat().st_mtime, max_age):
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # its live owner finished with it meanwhile
                continue
    if removed:
        log.warning("removed %d leftover audio work file(s) of a stopped server", removed)
    return removed


def _is_leftover(pid, age, max_age):
    if pid is None or age > max_age:
        return True
    pid = int(pid)
    return pid == os.getpid() or not _alive(pid)


def _alive(pid):
    """True when a process ``pid`` exists (owned by anyone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
