"""SPEC §3: the content list and file downloads (Range, ETag, Last-Modified).

Downloads of existing files are answered by ``MediaDownloads``, a WSGI layer in front of Flask
(the hottest path: every song, cover and message a toy plays); the Flask views below answer the
rest (a missing file's 404 envelope) and are what the route table and the API reference list.
"""

import re

from flask import Blueprint, request
from werkzeug.exceptions import HTTPException

from blueprints.common import body, json_response, ok_bytes, services
from services.errors import NotFound
from services.media.response import media_response

bp = Blueprint("content", __name__)


@bp.route("/content_list", methods=["GET", "POST"])
def content_list():
    page = services().content.rendered_page(
        body(), lambda items: ok_bytes(items, "Get a list of content resources"))
    return json_response(page)


# URL word → media kind.
ROUTE_KINDS = {"music": "music", "image": "image", "cover": "image", "chat": "chat", "qr": "qr"}
_DOWNLOAD = re.compile(r"/get_(" + "|".join(ROUTE_KINDS) + r")/([^/]+)")


def _open(media, kind, name):
    """The ``MediaFile`` of ``name`` (a QR code also as ``<key>`` without ``.png``)."""
    try:
        return media.open(kind, name)
    except NotFound:
        if kind != "qr":
            raise
        return media.open(kind, f"{name}.png")


def _send(kind, name):
    return media_response(_open(services().media, kind, name), request.environ)


class MediaDownloads:
    """WSGI fast path for ``GET``/``HEAD /get_<kind>/<name>`` of an existing file: the same
    response as the views (``media_response``: Range, ETag, Last-Modified, X-Accel-Redirect)
    without Flask's request context and routing. Anything else, a missing or unsafe name
    included, goes on to ``wsgi_app``."""

    def __init__(self, wsgi_app, media):
        self.wsgi_app = wsgi_app
        self._media = media

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            match = _DOWNLOAD.fullmatch(environ.get("PATH_INFO", ""))
            if match is not None:
                response = self._response(ROUTE_KINDS[match[1]], match[2], environ)
                if response is not None:
                    return response(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def _response(self, kind, name, environ):
        """The file's response, or None to let Flask answer (404, 416: its error handlers)."""
        try:
            found = _open(self._media, kind, name)
        except NotFound:
            return None
        try:
            return media_response(found, environ)
        except HTTPException:
            if found.stream is not None:
                found.stream.close()
            return None


@bp.get("/get_music/<path:name>")
def get_music(name):
    return _send("music", name)


@bp.get("/get_image/<path:name>")
@bp.get("/get_cover/<path:name>", endpoint="get_cover")
def get_image(name):
    return _send("image", name)


@bp.get("/get_chat/<path:name>")
def get_chat(name):
    return _send("chat", name)


@bp.get("/get_qr/<path:name>")
def get_qr(name):
    return _send("qr", name)
