"""The one place that turns errors into the envelope: typed service errors keep their status,
HTTP errors (unknown route, wrong method, body too large) keep theirs, anything else is logged
and answered as 500 "internal error" with no exception text.

Also here, because they shape every response: 429 answers carry ``Retry-After``, as do service
errors with a ``retry_after`` (503 busy, 507 disk full); a full disk or quota met anywhere else
(e.g. werkzeug spooling a request body) is 507, not 500; every response
(Socket.IO's included) carries ``X-Content-Type-Options: nosniff``; a JSON body nested too deeply
to parse is a 400 like any other malformed JSON, never a RecursionError.
"""

import errno
import logging

from flask import current_app, jsonify
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from services.errors import RateLimited, ServiceError

log = logging.getLogger(__name__)


def envelope(status, msg, data=None):
    response = jsonify({"code": status, "msg": msg, "data": {} if data is None else data})
    response.status_code = status
    return response


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a document too deeply nested for the parser is invalid JSON
    (ValueError, so ``get_json`` answers 400 or, with ``silent=True``, None)."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


class NoSniff:
    """WSGI middleware: ``X-Content-Type-Options: nosniff`` on every response, including the
    ones Socket.IO's middleware answers without reaching Flask."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            if not any(name.lower() == "x-content-type-options" for name, _ in headers):
                headers = list(headers) + [("X-Content-Type-Options", "nosniff")]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def register_error_handlers(app):
    app.json = BoundedJSONProvider(app)

    @app.errorhandler(RateLimited)
    def rate_limited(error):
        response = envelope(error.status, error.msg, error.data)
        response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(ServiceError)
    def service_error(error):
        response = envelope(error.status, error.msg, error.data)
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            response.headers["Retry-After"] = str(max(1, int(retry_after)))
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error):
        limit = current_app.config["MAX_UPLOAD_MB"]
        return envelope(413, f"request too large (uploads are limited to {limit:g} MB)")

    @app.errorhandler(HTTPException)
    def http_error(error):
        messages = {404: "no such endpoint or file", 405: "method not allowed"}
        response = envelope(error.code or 500, messages.get(error.code, error.name.lower()))
        if error.code == 429:  # werkzeug's own TooManyRequests
            response.headers["Retry-After"] = str(getattr(error, "retry_after", None) or 1)
        return response

    @app.errorhandler(RecursionError)
    def too_deep(error):
        log.warning("request too deeply nested: %s", error)
        return envelope(400, "request nested too deeply")

    @app.errorhandler(Exception)
    def unexpected(error):
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            log.error("out of disk space: %s", error)  # e.g. spooling a request body
            response = envelope(507, "the server is out of disk space: nothing was stored, "
                                     "retry later")
            response.headers["Retry-After"] = "5"
            return response
        log.exception("unhandled error")
        return envelope(500, "internal error")
