"""The HTTP server behind ``python app.py`` (gevent pywsgi).

``serve(app)`` holds the ``DATA_DIR`` lock (``serving.process``; ``app.main`` takes it before
the store is opened), binds HOST:PORT (one clear line and exit code 1 when the port is
busy), logs "serving on http://host:port" only once bound, and stops cleanly on Ctrl-C/SIGTERM.
Each accepted connection gets TCP_NODELAY (no 40 ms Nagle/delayed-ACK stall on keep-alive), at
most ``HTTP_IDLE_TIMEOUT`` seconds to start a request line, ``HTTP_HEADER_TIMEOUT`` seconds to
finish its headers (else 408 and closed), and at most ``MAX_CONNECTIONS`` are served at once
(more wait in the kernel's listen queue without using a file descriptor of this process).
"""

import errno
import logging
import signal
import socket

import gevent
from gevent.pool import Pool
from gevent.pywsgi import WSGIHandler, WSGIServer

from services.sendfile import SendfileHandlerMixin
from serving.process import (
    ServerRefused,
    hold_data_dir,
    max_connections,
    settle_startup_objects,
)

log = logging.getLogger("smarttoy.server")

_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                     b"Content-Length: 0\r\n\r\n")
class RequestTimeouts:
    """Mixin for a pywsgi handler: the server's ``idle_timeout`` to start a request line and
    ``header_timeout`` to finish the headers (408 and closed)."""

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


class _Handler(RequestTimeouts, SendfileHandlerMixin, WSGIHandler):
    """pywsgi's handler with the request timeouts and file responses through sendfile."""

    def log_request(self):
        """Nothing: the app's access log writes the line (pywsgi would format one per request
        only to discard it, its log being off)."""


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
    settle_startup_objects()
    log.info("serving on http://%s:%s", f"[{host}]" if ":" in host else host, port)
    server.serve_forever()
    log.info("stopped")
    return 0
