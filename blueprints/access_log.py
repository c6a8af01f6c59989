"""One INFO line per HTTP request on the ``smarttoy.access`` logger, whatever serves the app.

``GET /toy_list 200 3.1ms caller=app:<user id>``: method, path without the query string (a
``?token=`` never reaches the log), status, milliseconds, and the caller's kind and id once
authenticated. Never a token or a header. The development server's own request lines (which
include the query string) are dropped.
"""

import logging
import time

from flask import g, request

log = logging.getLogger("smarttoy.access")


class _DropWerkzeugRequestLines(logging.Filter):
    """``flask run``'s own request lines carry the query string (``?token=``): drop them."""

    def filter(self, record):
        return '"%s" %s %s' not in str(record.msg)


def register_access_log(app):
    """Time every request and log it when its response is ready."""
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, _DropWerkzeugRequestLines) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(_DropWerkzeugRequestLines())

    @app.before_request
    def start_timer():
        g.access_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        started = g.get("access_started")
        ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        caller = g.get("caller")
        who = f" caller={caller.kind}:{caller.id}" if caller is not None else ""
        log.info("%s %s %s %.1fms%s", request.method, request.path, response.status_code, ms, who)
        return response
