"""One INFO line per HTTP request on the ``smarttoy.access`` logger, whatever serves the app.

``POST /toy_list 200 3.1ms caller=app:<user id>``: method, path without the query string (a
``?token=`` never reaches the log), status, milliseconds until the response started (for a
WebSocket: until it closed), and the caller's kind and id once a view authenticated it. Never a
token or a header. Socket.IO's own requests (``/socket.io/``) are logged too, since the line is
written by WSGI middleware outside Flask. The development server's own request lines (which
include the query string) are dropped.
"""

import logging
import time

from flask import g, request

log = logging.getLogger("smarttoy.access")
NOTE_KEY = "smarttoy.access"  # a dict shared with the views (middlewares copy the environ)


class _DropWerkzeugRequestLines(logging.Filter):
    """``flask run``'s own request lines carry the query string (``?token=``): drop them."""

    def filter(self, record):
        return '"%s" %s %s' not in str(record.msg)


class AccessLog:
    """WSGI middleware that logs each request once its response has started (or failed)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        status = ["-"]
        note = environ[NOTE_KEY] = {}

        def capture(status_line, headers, exc_info=None):
            status[0] = status_line.split(" ", 1)[0]
            return start_response(status_line, headers, exc_info)

        try:
            return self.wsgi_app(environ, capture)
        finally:
            if status[0] == "-" and environ.get("HTTP_UPGRADE", "").lower() == "websocket":
                status[0] = "101"  # a WebSocket: the line is written when it closes
            caller = note.get("caller")
            log.info("%s %s %s %.1fms%s", environ.get("REQUEST_METHOD", "-"),
                     environ.get("PATH_INFO", "") or "/", status[0],
                     (time.perf_counter() - started) * 1000,
                     f" caller={caller}" if caller else "")


def register_access_log(app):
    """Wrap ``app.wsgi_app`` (call last, to be outermost) and note each request's caller."""
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, _DropWerkzeugRequestLines) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(_DropWerkzeugRequestLines())

    @app.after_request
    def note_caller(response):
        caller, note = g.get("caller"), request.environ.get(NOTE_KEY)
        if caller is not None and note is not None:
            note["caller"] = f"{caller.kind}:{caller.id}"
        return response

    app.wsgi_app = AccessLog(app.wsgi_app)
