"""Process-level guards shared by every server entry point (no gevent import: gunicorn's
master uses them): the ``DATA_DIR`` lock and the connection cap fitted to the fd limit."""

import fcntl
import gc
import logging
import os
import resource
from pathlib import Path

log = logging.getLogger("smarttoy.server")

LOCK_NAME = "server.lock"
FD_HEADROOM = 64  # descriptors kept for files, ffmpeg pipes, the store and Redis
_held_locks = {}  # path -> open file holding the flock, one per process


class ServerRefused(Exception):
    """The server cannot start; the message is the one line to show."""


def hold_data_dir(settings):
    """Lock ``DATA_DIR`` for this process when it serves the embedded store.

    With ``MONGO_URI`` set there is nothing to guard (many processes are normal). The lock is an
    ``flock`` on ``DATA_DIR/server.lock``, released by the kernel when the process ends (even on
    kill -9); the ``flask`` CLI does not take it. Raises ServerRefused when another process holds
    it. Idempotent within a process (and its forks).
    """
    if settings.get("MONGO_URI"):
        return None
    data_dir = Path(settings["DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    if str(path) in _held_locks:
        return path
    handle = open(path, "a+")  # noqa: SIM115 (held open for the life of the process)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise ServerRefused(
            f"another server (pid {holder}) is already using the embedded store in {data_dir}; "
            "stop it, or give this one another DATA_DIR (or MONGO_URI for several processes)"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    _held_locks[str(path)] = handle
    return path


def max_connections(settings):
    """``MAX_CONNECTIONS``, lowered to fit the process's file-descriptor limit."""
    wanted = int(settings["MAX_CONNECTIONS"])
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and wanted > soft - FD_HEADROOM:
        fitted = max(1, soft - FD_HEADROOM)
        log.warning("MAX_CONNECTIONS=%s lowered to %s to fit the open-file limit (%s)",
                    wanted, fitted, soft)
        return fitted
    return wanted


def hold_for_flask_run(settings):
    """``flask --app app run`` serves too: take the ``DATA_DIR`` lock there (in the reloader's
    serving child, not its watching parent); other ``flask`` commands never take it.

    A refusal is logged as one line and ends the process with exit code 1.
    """
    import click
    from flask.helpers import get_debug_flag

    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.info_name != "run":
        return
    reload = ctx.params.get("reload")
    if reload is None:
        reload = get_debug_flag()
    if reload and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return
    try:
        hold_data_dir(settings)
    except ServerRefused as refused:
        log.error("%s", refused)
        raise SystemExit(1) from None


def settle_startup_objects():
    """Move everything allocated while starting (modules, the app and its services) out of the
    cyclic garbage collector's reach (``gc.freeze``). A full collection walks every tracked
    object: over the ~90,000 a started server holds it took 150-250 ms on this 2-core machine
    under load, an event-loop stall for every client; after this it walks only what was
    allocated since."""
    gc.collect()
    gc.freeze()
