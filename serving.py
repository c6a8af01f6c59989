"""The HTTP server behind ``python app.py`` (gevent pywsgi), and the ``DATA_DIR`` server lock.

``serve(app)`` takes the lock, binds HOST:PORT (one clear line and exit code 1 when the port is
busy), logs "serving on http://host:port" only once bound, and stops cleanly on Ctrl-C/SIGTERM.
Each accepted connection gets TCP_NODELAY (no 40 ms Nagle/delayed-ACK stall on keep-alive), at
most ``HTTP_IDLE_TIMEOUT`` seconds to start a request line, ``HTTP_HEADER_TIMEOUT`` seconds to
finish its headers (else 408 and closed), and at most ``MAX_CONNECTIONS`` are served at once
(more wait in the kernel's listen queue without using a file descriptor of this process).
"""

import errno
import fcntl
import logging
import os
import resource
import signal
import socket
from pathlib import Path

import gevent
from gevent.pool import Pool
from gevent.pywsgi import WSGIHandler, WSGIServer

log = logging.getLogger("smarttoy.server")

LOCK_NAME = "server.lock"
FD_HEADROOM = 64  # descriptors kept for files, ffmpeg pipes, the store and Redis
_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                     b"Content-Length: 0\r\n\r\n")
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


class _Handler(WSGIHandler):
    """pywsgi's handler with an idle timeout before a request line and a header timeout."""

    def read_requestline(self):
        line = None
        with gevent.Timeout(self.server.idle_timeout, False):
            line = super().read_requestline()
        return line  # None (timed out) closes the connection

    def read_request(self, raw_requestline):
        timer = gevent.Timeout(self.server.header_timeout, _HeaderTimeout)
        timer.start()
        try:
            return super().read_request(raw_requestline)
        finally:
            timer.close()

    def _handle_client_error(self, ex):
        if isinstance(ex, _HeaderTimeout):
            self.close_connection = True
            return ("408", _TIMEOUT_RESPONSE)
        return super()._handle_client_error(ex)


class _HeaderTimeout(Exception):
    """The client did not finish its request headers in time."""


class HttpServer(WSGIServer):
    """gevent's WSGI server with TCP_NODELAY, request timeouts and a connection cap."""

    handler_class = _Handler

    def __init__(self, listener, application, settings):
        super().__init__(listener, application, spawn=Pool(max_connections(settings)), log=None,
                         error_log=log)
        self.idle_timeout = float(settings["HTTP_IDLE_TIMEOUT"])
        self.header_timeout = float(settings["HTTP_HEADER_TIMEOUT"])

    def handle(self, sock, address):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle(sock, address)


def bind(host, port, backlog=1024):
    """A listening TCP socket with TCP_NODELAY (inherited by accepted sockets on Linux)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServerRefused(f"port {port} on {host} is already in use: stop the other server "
                                "or set PORT to a free port") from None
        raise ServerRefused(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(backlog)
    return sock


def serve(app):
    """Run ``app`` until Ctrl-C or SIGTERM (``python app.py``). Returns the exit code."""
    settings = app.config
    try:
        hold_data_dir(settings)
        listener = bind(settings["HOST"], int(settings["PORT"]))
    except ServerRefused as refused:
        log.error("%s", refused)
        return 1
    server = HttpServer(listener, app, settings)
    host, port = listener.getsockname()[:2]
    for signum in (signal.SIGINT, signal.SIGTERM):  # the hub must not block: stop in a greenlet
        gevent.signal_handler(signum, gevent.spawn, server.stop, timeout=2)
    log.info("serving on http://%s:%s", f"[{host}]" if ":" in host else host, port)
    server.serve_forever()
    log.info("stopped")
    return 0
