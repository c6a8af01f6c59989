"""Starting ffmpeg from a gevent server without stalling its event loop.

gevent's cooperative ``subprocess`` forks the whole server in Python: copying the page tables
of a ~150 MB process takes ~10 ms per conversion, during which no other request runs. Here the
child is started with ``posix_spawn`` (a ``vfork``-style clone: no copy), watched by gevent's
child watcher (``gevent.os.fork_and_watch`` with ``posix_spawn`` as the fork), and its pipes
are read cooperatively.

``posix_spawn`` cannot run code in the child, so what the forked path does there is done by two
small programs that exec the next one (same process id, settings kept): util-linux's
``setpriv --pdeathsig KILL`` (die with the server) and coreutils' ``nice -n N`` (lower
priority, inherited by ffmpeg's threads). Used only when gevent has patched the process and
both exist; otherwise ``services.audio.ffmpeg`` forks as before.
"""

import functools
import os
import shutil
import signal

_EXEC_FAILED = 127  # setpriv's status when it cannot execute the program


class SpawnFailed(OSError):
    """The program could not be started at all."""


class SpawnTimeout(Exception):
    """The program overran its time; its process group was killed and reaped."""


@functools.cache
def _setpriv():
    return shutil.which("setpriv")


@functools.cache
def _nice():
    return shutil.which("nice")


def available():
    """True when the process is gevent-patched and ``posix_spawn`` + ``setpriv`` are usable."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    from gevent import os as gevent_os

    return (monkey.is_module_patched("os") and hasattr(gevent_os, "posix_spawn")
            and _setpriv() is not None and _nice() is not None)


def run(cmd, timeout, niceness=0):
    """Run ``cmd`` (an argument list) in a new session with stdin from ``/dev/null`` at
    ``niceness`` (added to ours), dying with this process; return ``(stdout, stderr,
    returncode)``.

    Raises ``SpawnFailed`` when it cannot be started and ``SpawnTimeout`` after ``timeout``
    seconds. Whatever happens (the calling greenlet killed included), the child is killed and
    reaped before this returns or raises.
    """
    import gevent
    from gevent import monkey
    from gevent import os as gevent_os
    from gevent.event import AsyncResult

    setpriv = _setpriv()
    lower = [_nice(), "-n", str(niceness)] if niceness else []
    argv = [setpriv, "--pdeathsig", "KILL", "--", *lower, *cmd]
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)]
        # The child watcher is started before the loop can run again, and reports through a
        # callback (gevent's waitpid can miss a child reaped while its callback is pending).
        # A SIGCHLD that came before gevent's handler was installed would be lost, and the
        # first child watcher installs it: install it before the child can exit.
        gevent.get_hub().loop.install_sigchld()
        spawn = monkey.get_original("os", "posix_spawn")
        exited = AsyncResult()
        try:
            pid = gevent_os.fork_and_watch(
                callback=lambda watcher: exited.set(watcher.rstatus),
                fork=lambda: spawn(setpriv, argv, os.environ, file_actions=actions, setsid=True))
        except OSError as exc:
            raise SpawnFailed(exc.errno, f"cannot run {cmd[0]}: {exc.strerror}") from exc
    except BaseException:
        os.close(out_r)
        os.close(err_r)
        raise
    finally:
        # gevent's os.close defers closing to the loop's next turn (to protect fds it watches),
        # so the child's exit would show no end of file until something else woke the loop.
        # The write ends are never watched: close them now.
        close_now = monkey.get_original("os", "close")
        close_now(out_w)
        close_now(err_w)
    finished = False
    try:
        with gevent.Timeout(timeout, SpawnTimeout(f"{cmd[0]} timed out after {timeout} s")):
            errors = gevent.spawn(_drain, err_r)
            try:
                out = _drain(out_r)
                err = errors.get()
            finally:
                errors.kill()
            status = exited.get()
        finished = True
    finally:
        if not finished:
            _kill_and_reap(pid, exited)
        os.close(out_r)
        os.close(err_r)
    code = os.waitstatus_to_exitcode(status)
    wrappers = tuple(os.fsencode(name) + b":" for name in (setpriv, "setpriv", _nice(), "nice"))
    if code == _EXEC_FAILED and err.startswith(wrappers):  # a wrapper could not exec ffmpeg
        raise SpawnFailed(0, err.decode("utf-8", "replace").strip())
    return out, err, code


def _drain(fd):
    """Everything ``fd`` gives until end of file, read cooperatively."""
    from gevent import os as gevent_os

    gevent_os.make_nonblocking(fd)
    chunks = []
    while chunk := gevent_os.nb_read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _kill_and_reap(pid, exited):
    """SIGKILL the child's process group, then wait (cooperatively) until it is reaped."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    exited.get(timeout=30)
