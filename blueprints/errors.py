"""The one place that turns errors into the envelope: typed service errors keep their status,
HTTP errors (unknown route, wrong method, body too large) keep theirs, anything else is logged
and answered as 500 "internal error" with no exception text."""

import logging

from flask import current_app, jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from services.errors import ServiceError

log = logging.getLogger(__name__)


def envelope(status, msg, data=None):
    response = jsonify({"code": status, "msg": msg, "data": {} if data is None else data})
    response.status_code = status
    return response


def register_error_handlers(app):
    @app.errorhandler(ServiceError)
    def service_error(error):
        return envelope(error.status, error.msg, error.data)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error):
        limit = current_app.config["MAX_UPLOAD_MB"]
        return envelope(413, f"request too large (uploads are limited to {limit:g} MB)")

    @app.errorhandler(HTTPException)
    def http_error(error):
        messages = {404: "no such endpoint or file", 405: "method not allowed"}
        return envelope(error.code or 500, messages.get(error.code, error.name.lower()))

    @app.errorhandler(Exception)
    def unexpected(error):
        log.exception("unhandled error")
        return envelope(500, "internal error")
