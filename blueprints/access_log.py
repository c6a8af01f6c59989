"""One INFO line per HTTP request on the ``smarttoy.access`` logger, whatever serves the app.

``GET /toy_list 200 3.1ms caller=app:<user id>``: method, path without the query string (a
``?token=`` never reaches the log), status, milliseconds, and the caller's kind and id once
authenticated. Never a token or a header.
"""

import logging
import time

from flask import g, request

log = logging.getLogger("smarttoy.access")


def register_access_log(app):
    """Time every request and log it when its response is ready."""

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
