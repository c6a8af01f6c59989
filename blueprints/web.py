"""The web clients: the parent app at ``/``, the toy page at ``/toy``, their ES modules and
styles under ``/web/`` and third-party browser code under ``/vendor/`` (all from ``static/``).

Files are served with ``send_from_directory`` (names that leave their folder are a 404 envelope),
an explicit Content-Type (browsers refuse ES modules served as anything but JavaScript), ETags,
and ``nosniff``; the two pages are never cached stale and cannot be framed.
"""

from pathlib import Path

from flask import Blueprint, current_app, send_from_directory
from werkzeug.exceptions import NotFound

bp = Blueprint("web", __name__)

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
    ".md": "text/plain; charset=utf-8",
    "": "text/plain; charset=utf-8",  # LICENSE files
}

# No script-src limit: the pages use no inline script, but test drivers (Playwright's
# wait_for_function) evaluate strings; the pages put untrusted text in the DOM only as text.
PAGE_POLICY = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

ASSET_MAX_AGE = 300  # seconds; ETags make the revalidation after that cheap


def _send(folder, name, max_age):
    """``static/<folder>/<name>`` with its Content-Type; 404 envelope for unknown or unsafe names
    and for file types the pages do not use."""
    suffix = Path(name).suffix.lower()
    if suffix not in TYPES:
        raise NotFound()
    root = Path(current_app.config["STATIC_MEDIA_DIR"]) / folder
    response = send_from_directory(root, name, max_age=max_age, mimetype=TYPES[suffix],
                                   conditional=True, etag=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _page(name):
    response = _send("web", name, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/")
def parent_page():
    return _page("parent/index.html")


@bp.get("/toy")
def toy_page():
    return _page("toy/index.html")


@bp.get("/favicon.ico")
def favicon():
    return _send("web", "common/icon.svg", ASSET_MAX_AGE)


@bp.get("/web/<path:name>")
def web_file(name):
    return _send("web", name, ASSET_MAX_AGE)


@bp.get("/vendor/<path:name>")
def vendor_file(name):
    return _send("vendor", name, ASSET_MAX_AGE)
