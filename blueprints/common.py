"""What every view shares: the service registry, the envelope, bodies, auth and rate limits."""

from functools import wraps

from flask import current_app, g, jsonify, request

from services.errors import InvalidInput, Unauthorized


def services():
    """The per-app service namespace built by ``services.wiring.build_services``."""
    return current_app.extensions["smarttoy"]


def ok(data=None, msg="ok"):
    """The success envelope ``{"code": 0, "msg": msg, "data": data}``."""
    return jsonify(_envelope(0, msg, data))


def ok_bytes(data=None, msg="ok"):
    """The body ``ok`` sends, as bytes (for responses rendered once and sent many times)."""
    return f"{current_app.json.dumps(_envelope(0, msg, data))}\n".encode()


def json_response(body_bytes):
    """A 200 JSON response of already rendered ``body_bytes`` (see ``ok_bytes``)."""
    return current_app.response_class(body_bytes, mimetype=current_app.json.mimetype)


def outcome(code, msg, data=None):
    """A domain outcome with a non-zero ``code`` but HTTP 200 (e.g. /scan_qr codes 1 and 2)."""
    return jsonify(_envelope(code, msg, data))


def _envelope(code, msg, data):
    return {"code": code, "msg": msg, "data": {} if data is None else data}


def body():
    """The request fields as a dict: a JSON object, or form fields (urlencoded or multipart).

    GET requests use the query string. Raises InvalidInput for a JSON body that is not an object.
    """
    if request.method == "GET":
        return request.args.to_dict()
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise InvalidInput("body must be a JSON object")
        return data
    return request.form.to_dict()


def bearer_token():
    """The token of ``Authorization: Bearer <token>``, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticated(view):
    """Require a valid token; the caller (``id``, ``kind``) is put on ``g.caller``."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        token = bearer_token()
        if token is None:
            raise Unauthorized("Authorization: Bearer <token> header required")
        g.caller = services().tokens.verify(token)
        return view(*args, **kwargs)

    return wrapper


def rate_limited(bucket):
    """Limit the view per client address under ``bucket`` (RATE_LIMIT setting; 429)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            services().rate_limiter.check(f"{bucket}:{request.remote_addr}")
            return view(*args, **kwargs)

        return wrapper

    return decorate
